"""Benchmark: ``claimflow run`` on a synthetic year of claims, then a second one (issue 23).

The worlds are made once by ``claimflow synth --claims N --seed S`` (defaults otherwise; the
1,000,000-claim world of seed 5 is 1,421 files, 1.3 GB) and cached under
``out/bench/world-<N>-seed<S>/``. Then, on a fresh warehouse and at the default memory budget
(``CLAIMFLOW_MEMORY_LIMIT`` is removed from the child's environment unless ``--memory-limit``):

1. ``claimflow run`` on the first world (seed 5) as a child process;
2. ``claimflow run`` on the second world (seed 6, the same size, submissions starting a year
   later) into the same warehouse.

For each: wall seconds (spawn to exit), CPU seconds of the run and its X12 workers and the peak
RSS of the largest of them (``os.wait4``: the run's own unless a worker grew larger), the exit
status, the run's
own ``duration_seconds`` and ``stage_seconds`` (from ``--json``), the conservation counts and
the load average before and after, with the UTC time. A run is stopped after ``--timeout``
seconds (default 900) and reported as such.

Usage::

    python benchmarks/year_world.py                      # 1,000,000 claims
    python benchmarks/year_world.py --claims 100000      # a smaller world, to iterate
    python benchmarks/year_world.py --claims 100000 --first-only
    python benchmarks/year_world.py --parse-floor      # only parse the first world's X12

``--parse-floor`` times, as a child process, what the run's ingest cannot go below on this
machine: every X12 file of the first world parsed into its spool by the run's adapter
(``X12Prefetch``, two worker processes from the start), with no warehouse at all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "out" / "bench"
CLAIMFLOW = Path(sys.executable).parent / "claimflow"
RSS_GOAL_MB = 2048
WALL_GOAL_S = 120
WORLDS = ((5, "2025-01-01"), (6, "2026-01-01"))
"""(seed, first submission date) of the first and the second world."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def world(claims: int, seed: int, start: str) -> Path:
    """The cached world's folder (made on first use): its ``claimflow.yaml`` is inside."""
    folder = CACHE / f"world-{claims}-seed{seed}"
    done = folder / ".complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    cmd = [str(CLAIMFLOW), "synth", "--claims", str(claims), "--seed", str(seed),
           "--start", start, "--out", str(folder)]  # fmt: skip
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    files = [p for p in folder.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    done.write_text(json.dumps({"files": len(files), "bytes": size}))
    print(
        f"# made {folder.name}: {len(files)} files, {size / 1e6:,.1f} MB in"
        f" {time.perf_counter() - began:.1f} s"
    )
    return folder


def run(config: Path, warehouse: Path, out: Path, env: dict[str, str], timeout: float) -> dict:
    """``claimflow run`` as a child: its timings, exit status and metrics."""
    cmd = [str(CLAIMFLOW), "run", "--config", str(config), "--warehouse", str(warehouse),
           "--out", str(out), "--json"]  # fmt: skip
    load_before = os.getloadavg()
    when = _now()
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, env=env, start_new_session=True)
        deadline = start + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(child.pid, signal.SIGKILL)
                timed_out = True
                _, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - start
        stdout.seek(0)
        stderr.seek(0)
        text, errors = stdout.read().decode(), stderr.read().decode()
    result: dict = {
        "when": when,
        "load": f"{load_before[0]:.2f}/{load_before[1]:.2f} -> {os.getloadavg()[0]:.2f}",
        "exit": "timeout" if timed_out else os.waitstatus_to_exitcode(status),
        "wall_s": round(wall, 1),
        # the run and its X12 workers (reaped by the run: counted in its rusage); the peak
        # is the largest of them (the run's own, unless a worker grew larger)
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }
    try:
        metrics = json.loads(text)
    except json.JSONDecodeError:
        result["stderr"] = errors.strip()[-2000:]
        return result
    c = metrics.get("conservation", {})
    result.update(
        inner_s=metrics.get("duration_seconds"),
        stages=metrics.get("stage_seconds"),
        status=metrics.get("status"),
        files=f"{c.get('files_loaded')} loaded / {c.get('files_failed')} failed / "
        f"{c.get('files_seen')} seen",
        rows=f"read {c.get('rows_read'):,} = loaded {c.get('rows_loaded'):,} + quarantined "
        f"{c.get('rows_quarantined'):,} + duplicate {c.get('rows_duplicate'):,}",
        matching=metrics.get("matching", {}).get("by_method"),
    )
    return result


def parse_only(folder: Path) -> None:
    """Child: parse every X12 file of a world with the run's adapter; print a JSON line."""
    from claimflow.sources.x12 import X12Prefetch

    files = sorted((folder / "x12").rglob("*.x12"))
    began, cpu = time.perf_counter(), time.process_time()
    prefetch = X12Prefetch(workers=2, pool_min_bytes=0, window=8)
    by_kind: dict[str, int] = {}
    try:
        for n, path in enumerate(files):
            prefetch.add(path, f"{n:064d}", "x12")
        for n, path in enumerate(files):
            try:
                parsed = prefetch.result(path, f"{n:064d}", "x12")
            except Exception:  # a file broken on purpose: the run fails it too
                continue
            by_kind[path.parent.name] = by_kind.get(path.parent.name, 0) + sum(parsed.rows.values())
            parsed.remove()
    finally:
        prefetch.close()
    print(
        json.dumps(
            {
                "files": len(files),
                "wall_s": round(time.perf_counter() - began, 1),
                "own_cpu_s": round(time.process_time() - cpu, 1),
                "rows": by_kind,
            }
        )
    )


def parse_floor(folder: Path) -> None:
    """Time :func:`parse_only` as a child process and print it."""
    when, load = _now(), os.getloadavg()
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--parse-only", str(folder)],
                             stdout=subprocess.PIPE)  # fmt: skip
    assert child.stdout is not None
    text = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    size = sum(p.stat().st_size for p in (folder / "x12").rglob("*.x12"))
    print(
        f"parse floor ({folder.name}, {size / 1e6:,.0f} MB of X12): exit"
        f" {os.waitstatus_to_exitcode(status)}, wall {wall:.1f} s, CPU (with workers)"
        f" {usage.ru_utime + usage.ru_stime:.1f} s, peak RSS {usage.ru_maxrss // 1024} MB;"
        f" {when}, load {load[0]:.2f}/{load[1]:.2f} -> {os.getloadavg()[0]:.2f}\n    {text.strip()}"
    )


def _print(label: str, r: dict) -> None:
    goals = (
        f"(goals: rss <= {RSS_GOAL_MB} MB, wall <= {WALL_GOAL_S} s: "
        f"{'met' if r['exit'] in (0, 3) and r['peak_rss_mb'] <= RSS_GOAL_MB else 'NOT met'} / "
        f"{'met' if r['exit'] in (0, 3) and r['wall_s'] <= WALL_GOAL_S else 'NOT met'})"
    )
    print(
        f"{label}: exit {r['exit']}, wall {r['wall_s']} s, CPU {r['cpu_s']} s, peak RSS"
        f" {r['peak_rss_mb']} MB {goals}; {r['when']}, load {r['load']}"
    )
    for key in ("inner_s", "status", "files", "rows", "stages", "matching", "stderr"):
        if r.get(key) is not None:
            print(f"    {key}: {r[key]}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--first-only", action="store_true", help="skip the second world")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run")
    parser.add_argument("--memory-limit", help="CLAIMFLOW_MEMORY_LIMIT for the runs")
    parser.add_argument(
        "--keep", action="store_true", help="keep the warehouse (under out/bench/runs/)"
    )
    parser.add_argument("--parse-floor", action="store_true", help="time the X12 parse alone")
    parser.add_argument("--parse-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parse_only:
        parse_only(args.parse_only)
        return
    print(f"# machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; {_now()}")
    worlds = [
        world(args.claims, seed, start) for seed, start in WORLDS[: 1 if args.first_only else 2]
    ]
    if args.parse_floor:
        parse_floor(worlds[0])
        return
    env = {k: v for k, v in os.environ.items() if k != "CLAIMFLOW_MEMORY_LIMIT"}
    if args.memory_limit:
        env["CLAIMFLOW_MEMORY_LIMIT"] = args.memory_limit
    where = CACHE / "runs" / f"run-{args.claims}"
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    try:
        for n, folder in enumerate(worlds, 1):
            r = run(
                folder / "claimflow.yaml",
                where / "warehouse" / "claimflow.duckdb",
                where / "out",
                env,
                args.timeout,
            )
            _print(f"world {n} ({folder.name}, {args.claims:,} claims)", r)
            if r["exit"] not in (0, 3):
                break
    finally:
        if not args.keep:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
