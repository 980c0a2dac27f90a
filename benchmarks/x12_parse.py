"""Benchmark: ``claimflow x12 parse FILE --out DIR`` on generated 835 and 837P files, as a
whole process, beside the parse inside it and the peers, in the same run.

Files are generated with ``../shared/tools/gen_x12.py`` (run at bench time, not copied here)
into ``benchmarks/.data/``. For each file, ``--repeat`` times, alternating:

- **whole process** (the headline): ``claimflow x12 parse FILE --out DIR`` exactly as a user
  runs it — interpreter start, imports, the parse and spool, the copy of the spool into one
  Parquet file per table. Wall seconds from spawn to exit; CPU seconds and peak RSS of the
  child from ``os.wait4`` (that child alone, whatever else this script ran before);
- **in-process, inner function**: ``claimflow.sources.x12.spool_parse`` timed inside a fresh
  harness process (the parse into the Parquet spool, nothing before or after it). Its peak RSS
  is the harness's own (``RUSAGE_SELF`` when the parse returns: the imports included);
- the **peers** (``--peers``, default ``naive``) through ``../shared/tools/bench_peers.py``:
  their own inner parse seconds as that tool reports them, and their whole process the same
  way as ours.

It prints the median of each, the ratio whole process / in-process (issue 23: ≤ 1.3×) and
the peak RSS against 250 MB (issues 3 and 23), with the UTC time and the load average before
and after each file: on a shared machine compare the ratios of one run, not absolute seconds.
Rows and money totals of the whole process's output files and of the in-process spool are
checked against the generator's ``.truth.json``; a peer's claims and totals likewise.

Usage:
    python benchmarks/x12_parse.py [--claims 10000,100000] [--kinds 835,837p] [--repeat 3]
        [--peers naive[,pyx12-ctx]] [--engine-only] [--in-memory]
    python benchmarks/x12_parse.py --claims 1000000 --kinds 835 --repeat 1
    python benchmarks/x12_parse.py --scaling 6 [--claims 100000]   # multi-file input, 1 vs 2 workers
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from child import Timed, timed

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "tools" / "gen_x12.py"
PEERS = ROOT.parent / "shared" / "tools" / "bench_peers.py"
DATA = ROOT / "benchmarks" / ".data"
CLAIMFLOW = Path(sys.executable).parent / "claimflow"

TABLES = (
    "claims_header",
    "claims_line",
    "payments",
    "adjudication",
    "adjudication_line",
    "adjustments",
    "remarks",
    "provider_adjustments",
    "diagnoses",
)
RSS_GOAL_MB = 250
RATIO_GOAL = 1.3


def _tally(relation: Callable[[str], str | None]) -> dict[str, object]:
    """Rows per table and the money totals (cents) the generator's truth holds.

    ``relation(table)`` gives SQL reading a table's rows, or None when it has none.
    """
    import duckdb

    conn = duckdb.connect()

    def one(sql: str) -> int:
        got = conn.execute(sql).fetchone()
        return int(got[0]) if got and got[0] is not None else 0

    def total(table: str, column: str) -> int:
        source = relation(table)
        return one(f"SELECT coalesce(sum({column}), 0) * 100 FROM {source}") if source else 0

    counts = {}
    for table in TABLES:
        source = relation(table)
        counts[table] = one(f"SELECT count(*) FROM {source}") if source else 0
    sums = {
        "charge": total("adjudication", "total_charge") + total("claims_header", "total_charge"),
        "paid": total("adjudication", "paid_amount"),
        "cas": total("adjustments", "amount"),
        "plb": total("provider_adjustments", "amount"),
    }
    conn.close()
    return {"rows": counts, "sums_cents": sums}


def _tally_rows(tables: dict[str, list[dict[str, object]]]) -> dict[str, object]:
    """:func:`_tally` of rows held in memory (``parse_file``'s ``result.tables``)."""

    def total(table: str, column: str) -> int:
        return int(sum(r[column] or 0 for r in tables.get(table, [])) * 100)  # type: ignore[misc]

    return {
        "rows": {t: len(tables.get(t, [])) for t in TABLES},
        "sums_cents": {
            "charge": total("adjudication", "total_charge")
            + total("claims_header", "total_charge"),
            "paid": total("adjudication", "paid_amount"),
            "cas": total("adjustments", "amount"),
            "plb": total("provider_adjustments", "amount"),
        },
    }


def _child(path: Path, in_memory: bool) -> None:
    """In-process: time ``spool_parse`` (or ``parse_file``) alone; print a JSON line with
    its timings, the process's peak RSS when it returned, and the totals."""
    sys.path.insert(0, str(ROOT / "src"))
    from claimflow.sources.x12 import read_spool, spool_parse
    from claimflow.x12 import parse_file

    fast_path = False
    with tempfile.TemporaryDirectory(prefix="spool-", dir=path.parent) as spool:
        start = time.perf_counter()
        cpu = time.process_time()
        if in_memory:
            result = parse_file(path, file_id=path.name)
            files: dict[str, list[str]] = {}
        else:
            parsed = spool_parse(str(path), path.name, "x12", spool)
            result, files, fast_path = parsed.result, parsed.files, parsed.fast_path
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if in_memory:
            tally = _tally_rows(result.tables)
        else:
            tally = _tally(lambda t: read_spool(files[t]) if t in files else None)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "peak_rss_mb": peak_kb / 1024,
                "fast_path": fast_path,
                "errors": len(result.errors),
                **tally,
            }
        )
    )


def _generate(kind: str, claims: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    out = DATA / f"{kind}_{claims}.x12"
    if not out.exists() or not Path(str(out) + ".truth.json").exists():
        if not GENERATOR.exists():
            sys.exit(f"generator not found: {GENERATOR} (the bench needs ../shared/tools)")
        print(f"generating {out.name} ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(GENERATOR),
                kind,
                str(claims),
                str(out),
                "--claims-per-st",
                "1000",
            ],
            check=True,
        )
    return out


def _check(kind: str, truth: dict[str, object], got: dict[str, object]) -> str:
    rows = got["rows"]
    sums = got["sums_cents"]
    assert isinstance(rows, dict) and isinstance(sums, dict)
    if kind == "835":
        ok = (
            rows.get("adjudication") == truth["n_claims"]
            and rows.get("adjudication_line") == truth["n_svc"]
            and sums["charge"] == truth["sum_charge_cents"]
            and sums["paid"] == truth["sum_paid_cents"]
            and sums["cas"] == truth["sum_cas_cents"]
            and sums["plb"] == truth["sum_plb_cents"]
        )
    else:
        ok = (
            rows.get("claims_header") == truth["n_claims"]
            and rows.get("claims_line") == truth["n_lines"]
            and sums["charge"] == truth["sum_charge_cents"]
        )
    return "ok" if ok and got.get("errors", 0) == 0 else "MISMATCH"


def _check_peer(kind: str, truth: dict[str, object], res: dict[str, object]) -> str:
    if not res.get("ok"):
        return f"failed: {str(res.get('error', '?'))[:60]}"
    keys = ["n_claims", "sum_charge_cents"]
    keys += ["sum_paid_cents", "sum_cas_cents"] if kind == "835" else ["n_lines"]
    bad = [k for k in keys if res.get(k) != truth.get(k)]
    return "ok" if not bad else "MISMATCH " + ",".join(bad)


@dataclass
class Measure:
    """The runs of one measurement of one file."""

    label: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    inner: list[float] = field(default_factory=list)  # a peer's own parse seconds
    notes: set[str] = field(default_factory=set)

    def add(self, wall: float, cpu: float, rss: float, note: str) -> None:
        self.walls.append(wall)
        self.cpus.append(cpu)
        self.rss.append(rss)
        self.notes.add(note)

    def line(self, size: float, rates: bool = True) -> str:
        wall, cpu = median(self.walls), median(self.cpus)
        speed = f"{size / wall:>7.1f}" if rates else f"{'':>7}"
        per_cpu = f"{size / cpu:>9.1f}" if rates else f"{'':>9}"
        return (
            f"  {self.label:<52}{wall:>8.2f}{speed}{cpu:>7.2f}{per_cpu}"
            f"{max(self.rss):>9.0f}  {', '.join(sorted(self.notes))}"
        )


def _whole_process(path: Path, env: dict[str, str], fmt: str) -> tuple[Timed, str]:
    """``claimflow x12 parse`` as a child; its output files checked against the truth."""
    out_dir = Path(tempfile.mkdtemp(prefix="out-", dir=path.parent))
    try:
        command = [str(CLAIMFLOW), "x12", "parse", str(path), "--out", str(out_dir)]
        if fmt != "parquet":
            command += ["--format", fmt]
        done = timed(command, env)
        if done.returncode != 0:
            return done, f"exit {done.returncode}: {done.stderr.strip()[-120:]}"
        reader = "read_parquet" if fmt == "parquet" else "read_json_auto"

        def relation(table: str) -> str | None:
            part = out_dir / f"{table}.{fmt}"
            return f"{reader}('{part}')" if part.exists() else None

        got = _tally(relation)
        truth = json.loads(Path(str(path) + ".truth.json").read_text())
        return done, _check(path.name.split("_")[0], truth, got)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def _bench_file(kind: str, claims: int, args: argparse.Namespace, env: dict[str, str]) -> None:
    path = _generate(kind, claims)
    truth = json.loads(Path(str(path) + ".truth.json").read_text())
    size = path.stat().st_size / 1e6
    peers = [p for p in args.peers.split(",") if p]
    whole = Measure("claimflow x12 parse FILE --out DIR (whole process)")
    function = "parse_file" if args.in_memory else "spool_parse"
    inner = Measure(f"{function} (in-process, inner function)")
    startup = Measure("claimflow x12 parse --help (start-up, whole process)")
    peer_measures = {p: Measure(f"peer {p} (whole process)") for p in peers}
    peer_inner = {p: Measure(f"peer {p} (its own inner parse time)") for p in peers}
    load_before = os.getloadavg()
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    child = [sys.executable, __file__, "--child", str(path)]
    if args.in_memory:
        child.append("--in-memory")
    for _ in range(max(args.repeat, 1)):
        done, verdict = _whole_process(path, env, args.format)
        whole.add(done.wall, done.cpu, done.rss_mb, verdict)
        helped = timed([str(CLAIMFLOW), "x12", "parse", "--help"], env)
        startup.add(helped.wall, helped.cpu, helped.rss_mb, f"exit {helped.returncode}")
        ran = timed(child, env)
        if ran.returncode != 0:
            sys.exit(f"in-process parse failed ({ran.returncode}):\n{ran.stderr}")
        got = json.loads(ran.stdout.strip().splitlines()[-1])
        path_used = "fast path" if got["fast_path"] else "engine"
        inner.add(got["seconds"], got["cpu_seconds"], got["peak_rss_mb"], path_used)
        inner.notes.add(_check(kind, truth, got))
        for peer in peers:
            command = [sys.executable, str(PEERS), "run", peer, kind, str(path)]
            p = timed(command, env)
            lines = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
            res = json.loads(lines[-1][len("RESULT ") :]) if lines else {"ok": False}
            if not lines:
                res["error"] = (p.stderr.strip().splitlines() or ["?"])[-1]
            verdict = _check_peer(kind, truth, res)
            peer_measures[peer].add(p.wall, p.cpu, p.rss_mb, verdict)
            if res.get("inner_s"):
                peer_inner[peer].walls.append(float(res["inner_s"]))
    load_after = os.getloadavg()
    print(
        f"{kind} {claims:,} claims, {size:.1f} MB, {args.repeat} run(s) each, median;"
        f" {when}; load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
        f" -> {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}"
    )
    print(
        f"  {'measure':<52}{'wall s':>8}{'MB/s':>7}{'CPU s':>7}{'MB/CPU-s':>9}{'RSS MB':>9}"
        "  path, truth"
    )
    print(whole.line(size))
    print(inner.line(size))
    print(startup.line(size, rates=False))
    for peer in peers:
        print(peer_measures[peer].line(size))
        if peer_inner[peer].walls:
            seconds = median(peer_inner[peer].walls)
            print(f"  {peer_inner[peer].label:<52}{seconds:>8.2f}{size / seconds:>7.1f}")
    rest = median(whole.walls) - median(startup.walls) - median(inner.walls)
    rest_cpu = median(whole.cpus) - median(startup.cpus) - median(inner.cpus)
    print(
        "  the rest of the whole process (its copy of the spool into the output files, exit):"
        f" {rest:.2f} s, {rest_cpu:.2f} CPU-s (whole - start-up - in-process)"
    )
    ratio = median(whole.walls) / median(inner.walls)
    cpu_ratio = median(whole.cpus) / median(inner.cpus)
    rss = max(whole.rss)
    pairs = ", ".join(f"{w / i:.2f}" for w, i in zip(whole.walls, inner.walls, strict=True))
    print(
        f"  whole process / in-process: {ratio:.2f}x wall (each run: {pairs}),"
        f" {cpu_ratio:.2f}x CPU — goal <= {RATIO_GOAL}x: {'met' if ratio <= RATIO_GOAL else 'NOT met'};"
        f" whole-process peak RSS {rss:.0f} MB — goal <= {RSS_GOAL_MB} MB:"
        f" {'met' if rss <= RSS_GOAL_MB else 'NOT met'}"
    )
    print(flush=True)


def _scaling(copies: int, claims: int) -> None:
    """Multi-file input: the same files through the X12 adapter with 1 and with 2 workers
    (the workers start at once: the adapter's own start threshold is set to 0). In-process:
    ``claimflow.sources.x12.X12Prefetch``, the adapter ``claimflow run`` uses, timed around
    its parses (no warehouse load)."""
    sys.path.insert(0, str(ROOT / "src"))
    from claimflow.sources.x12 import X12Prefetch

    source = _generate("835", claims)
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i in range(copies):
            target = Path(folder) / f"copy{i}.x12"
            target.write_bytes(source.read_bytes())
            files.append(target)
        size = sum(f.stat().st_size for f in files) / 1e6
        print("in-process, inner function: X12Prefetch parses only (no warehouse load)")
        print(f"{'workers':<9}{'files':>6}{'MB':>8}{'seconds':>9}{'MB/s':>7}")
        for workers in (1, 2):
            prefetch = X12Prefetch(workers=workers, pool_min_bytes=0)
            start = time.perf_counter()
            try:
                for i, f in enumerate(files):
                    prefetch.add(f, f"w{workers}f{i}", "x12")
                for i, f in enumerate(files):
                    prefetch.result(f, f"w{workers}f{i}", "x12").remove()
            finally:
                prefetch.close()
            seconds = time.perf_counter() - start
            print(f"{workers:<9}{copies:>6}{size:>8.1f}{seconds:>9.2f}{size / seconds:>7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", default="10000,100000")
    parser.add_argument("--kinds", default="835,837p")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measurement per file (median)"
    )
    parser.add_argument(
        "--peers", default="naive", help="peer adapters of bench_peers.py ('' for none)"
    )
    parser.add_argument(
        "--format", default="parquet", choices=("parquet", "ndjson"), help="x12 parse --format"
    )
    parser.add_argument(
        "--in-memory", action="store_true", help="in-process: parse_file keeping the rows"
    )
    parser.add_argument(
        "--engine-only",
        action="store_true",
        help="turn the compiled fast path off (CLAIMFLOW_X12_NATIVE=0): the pure-Python engine",
    )
    parser.add_argument(
        "--scaling",
        type=int,
        default=0,
        metavar="N",
        help="instead: parse N copies of the 835 of --claims (first value) with 1 then 2 workers",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child), args.in_memory)
        return
    if args.scaling:
        _scaling(args.scaling, int(args.claims.split(",")[0]))
        return
    if not CLAIMFLOW.exists():
        sys.exit(f"{CLAIMFLOW} not found: run this with the venv's python (make bench)")
    env = dict(os.environ, PYTHONHASHSEED="0")
    if args.engine_only:
        env["CLAIMFLOW_X12_NATIVE"] = "0"
    print(
        f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]};"
        f" {CLAIMFLOW} x12 parse vs claimflow.sources.x12.spool_parse"
    )
    print()
    for kind in args.kinds.split(","):
        for claims in (int(c) for c in args.claims.split(",")):
            _bench_file(kind, claims, args, env)


if __name__ == "__main__":
    main()
