"""Benchmark: ``claimflow synth`` wall time and peak memory by size.

For each size, into a temporary folder deleted afterwards:

- **whole process** (the headline): ``claimflow synth --claims N --seed 7 --start 2025-01-01
  --months 6 --out DIR`` as a user runs it (its default workers: the CPUs, at most 4). Wall
  seconds from spawn to exit; CPU seconds of the process and its workers and the peak RSS of
  the largest of them, from ``os.wait4``;
- **in-process, inner function**: ``claimflow.synth.generate_world`` timed inside a fresh
  harness process (no interpreter start or imports), with ``resource.getrusage``'s peaks of
  the generating (writer) process and of the largest batch worker; their sum bounds what the
  run held at once.

Usage::

    python benchmarks/synth.py                         # 100,000 and 1,000,000 claims
    python benchmarks/synth.py --claims 200000 --workers 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from child import timed


def child(claims: int, out: Path, workers: int) -> None:
    from claimflow.synth import generate_world

    began = time.perf_counter()
    summary = generate_world(
        out, claims=claims, seed=7, start=dt.date(2025, 1, 1), months=6, workers=workers
    )
    seconds = time.perf_counter() - began
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "claims": claims,
                "workers": workers,
                "seconds": round(seconds, 2),
                "cpu_seconds": round(time.process_time(), 2),
                "rss_writer_mb": round(own, 1),
                "rss_worker_mb": round(kids, 1),
                "files": sum(summary.files.values()),
                "megabytes": round(summary.bytes_written / 1e6, 1),
            }
        )
    )


def whole_process(claims: int, out: Path) -> dict[str, float]:
    """``claimflow synth`` as a child: wall (spawn to exit), CPU and peak RSS (``os.wait4``)."""
    exe = Path(sys.executable).parent / "claimflow"
    cmd = [
        str(exe), "synth", "--claims", str(claims), "--seed", "7", "--start", "2025-01-01",
        "--months", "6", "--out", str(out),
    ]  # fmt: skip
    done = timed(cmd)
    if done.returncode != 0:
        sys.exit(f"claimflow synth failed ({done.returncode}): {done.stderr[-500:]}")
    return {
        "seconds": round(done.wall, 2),
        "cpu_seconds": round(done.cpu, 2),
        "rss_mb": round(done.rss_mb, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument(
        "--workers", type=int, default=2, help="batch worker processes (in-process run only)"
    )
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(int(a.child[0]), Path(a.child[1]), int(a.child[2]))
        return
    rows = []
    for n in a.claims:
        tmp = Path(tempfile.mkdtemp(prefix="synth-bench-"))
        load = os.getloadavg()[0]
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        try:
            whole = whole_process(n, tmp / "whole")
            shutil.rmtree(tmp / "whole", ignore_errors=True)
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(n), str(tmp / "inbox"), str(a.workers)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        rows[-1].update(whole=whole, when=when, load=f"{load:.2f}-{os.getloadavg()[0]:.2f}")
        print(json.dumps(rows[-1]), file=sys.stderr)
    print(
        "whole process: `claimflow synth` (os.wait4: CPU of it and its workers, RSS of the"
        " largest);\nin-process, inner function: generate_world (RSS of the writer and of the"
        " largest worker)"
    )
    print(
        f"{'claims':>10} {'whole s':>8} {'CPU s':>7} {'RSS MB':>7} {'| inner s':>9}"
        f" {'workers':>7} {'writer MB':>9} {'worker MB':>9} {'files':>6} {'MB out':>8}"
        "  when, load average"
    )
    for r in rows:
        w = r["whole"]
        print(
            f"{r['claims']:>10,} {w['seconds']:>8.1f} {w['cpu_seconds']:>7.1f} {w['rss_mb']:>7.0f}"
            f" {r['seconds']:>9.1f} {r['workers']:>7} {r['rss_writer_mb']:>9.0f}"
            f" {r['rss_worker_mb']:>9.0f} {r['files']:>6} {r['megabytes']:>8.1f}"
            f"  {r['when']}, {r['load']}"
        )


if __name__ == "__main__":
    main()
