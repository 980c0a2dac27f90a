"""Benchmark: parse generated 835 and 837P files into every canonical table, validation on.

Files are generated with ``../shared/tools/gen_x12.py`` (run at bench time, not copied here)
into ``benchmarks/.data/``. Each file is parsed in a fresh child process in streaming mode
(rows handed to a counting sink, as a warehouse loader would receive them), so the peak RSS
(``resource.getrusage``) belongs to that parse alone. Totals are checked against the
generator's ``.truth.json``.

Peers (``--peers naive,pyx12-ctx``) run through ``../shared/tools/bench_peers.py`` on the same
files in the same run (pyx12 is a dev dependency here; other peers need their own venv); their
time is the peer's own parse time as that tool reports it.

Usage:
    python benchmarks/x12_parse.py [--claims 10000,100000] [--kinds 835,837p] [--in-memory]
        [--peers naive,pyx12-ctx] [--repeat 5] [--engine-only]
    python benchmarks/x12_parse.py --scaling 6 [--claims 100000]   # multi-file input, 1 vs 2 workers
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "tools" / "gen_x12.py"
PEERS = ROOT.parent / "shared" / "tools" / "bench_peers.py"
DATA = ROOT / "benchmarks" / ".data"


def _child(path: Path, in_memory: bool) -> None:
    """Parse one file into Parquet and print a JSON line with timings, RSS and totals."""
    sys.path.insert(0, str(ROOT / "src"))
    import tempfile

    from claimflow.sources.x12 import read_spool, spool_parse
    from claimflow.x12 import parse_file

    fast_path = False
    with tempfile.TemporaryDirectory() as spool:
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
        process_seconds = _since_process_start()
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        import duckdb  # for the checks only, after the clock stopped

        conn = duckdb.connect()

        def total(table: str, column: str) -> int:
            if in_memory:
                return int(sum(r[column] or 0 for r in result.tables[table]) * 100)  # type: ignore[misc]
            if table not in files:
                return 0
            got = conn.execute(
                f"SELECT coalesce(sum({column}), 0) * 100 FROM {read_spool(files[table])}"
            ).fetchone()
            return int(got[0]) if got else 0

        def count(table: str) -> int:
            if in_memory:
                return len(result.tables[table])
            if table not in files:
                return 0
            got = conn.execute(f"SELECT count(*) FROM {read_spool(files[table])}").fetchone()
            return int(got[0]) if got else 0

        tables: tuple[str, ...] = (
            "claims_header",
            "claims_line",
            "payments",
            "adjudication",
            "adjudication_line",
        )
        tables += ("adjustments", "remarks", "provider_adjustments", "diagnoses")
        counts = {t: count(t) for t in tables}
        sums = {
            "charge": total("adjudication", "total_charge")
            + total("claims_header", "total_charge"),
            "paid": total("adjudication", "paid_amount"),
            "cas": total("adjustments", "amount"),
            "plb": total("provider_adjustments", "amount"),
        }
    print(
        json.dumps(
            {
                "seconds": seconds,
                "process_seconds": process_seconds,
                "fast_path": fast_path,
                "cpu_seconds": cpu_seconds,
                "peak_rss_mb": peak_kb / 1024,
                "rows": counts,
                "errors": len(result.errors),
                "segments": result.segment_count,
                "sums_cents": sums,
            }
        )
    )


def _since_process_start() -> float:
    """Seconds since this process started (Linux: /proc; 10 ms resolution): the whole
    process as a user would time it — interpreter start, imports, parse."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/self/stat", encoding="ascii") as handle:
        started = int(handle.read().rsplit(")", 1)[1].split()[19]) / ticks
    return time.clock_gettime(time.CLOCK_BOOTTIME) - started


def _generate(kind: str, claims: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    out = DATA / f"{kind}_{claims}.x12"
    if not out.exists() or not Path(str(out) + ".truth.json").exists():
        if not GENERATOR.exists():
            sys.exit(f"generator not found: {GENERATOR} (the bench needs ../shared/tools)")
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
    return "ok" if ok and got["errors"] == 0 else "MISMATCH"


def _peer(adapter: str, kind: str, claims: int, path: Path, size: float) -> None:
    """Run one peer parser on the same file and print its line."""
    command = [sys.executable, str(PEERS), "run", adapter, kind, str(path)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    except subprocess.TimeoutExpired:
        print(f"  {adapter}: timed out")
        return
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        print(f"  {adapter}: failed ({(done.stderr.strip().splitlines() or ['?'])[-1][:80]})")
        return
    res = json.loads(lines[-1][len("RESULT ") :])
    seconds = float(res.get("inner_s") or 0) or float("nan")
    print(f"  {adapter:<10}{claims:>9}{size:>8.1f}{seconds:>9.2f}{size / seconds:>7.2f}")


def _scaling(copies: int, claims: int) -> None:
    """Multi-file input: the same files through the X12 adapter with 1 and with 2 workers
    (the workers start at once: the adapter's own start threshold is set to 0)."""
    import tempfile

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
    parser.add_argument("--in-memory", action="store_true", help="keep rows in result.tables")
    parser.add_argument("--peers", default="", help="peer adapters of bench_peers.py to run too")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each file N times; report the median run"
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
    header = f"{'kind':<6}{'claims':>9}{'MB':>8}{'seconds':>9}{'MB/s':>7}{'CPU s':>7}"
    header += f"{'MB/CPU-s':>9}{'process s':>10}{'path':>7}{'peak RSS MB':>13}"
    header += f"{'rows':>10}  truth"
    print(header)
    print("-" * len(header))
    for kind in args.kinds.split(","):
        for claims in (int(c) for c in args.claims.split(",")):
            path = _generate(kind, claims)
            command = [sys.executable, __file__, "--child", str(path)]
            if args.in_memory:
                command.append("--in-memory")
            env = dict(os.environ, PYTHONHASHSEED="0")
            if args.engine_only:
                env["CLAIMFLOW_X12_NATIVE"] = "0"
            runs = []
            for _ in range(max(args.repeat, 1)):
                done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
                runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            got = sorted(runs, key=lambda r: float(r["seconds"]))[len(runs) // 2]  # the median
            truth = json.loads(Path(str(path) + ".truth.json").read_text())
            size = path.stat().st_size / 1e6
            rows = sum(got["rows"].values())
            print(
                f"{kind:<6}{claims:>9}{size:>8.1f}{got['seconds']:>9.2f}"
                f"{size / got['seconds']:>7.2f}{got['cpu_seconds']:>7.2f}"
                f"{size / got['cpu_seconds']:>9.2f}{got['process_seconds']:>10.2f}"
                f"{'fast' if got['fast_path'] else 'engine':>7}"
                f"{got['peak_rss_mb']:>13.0f}{rows:>10}  "
                f"{_check(kind, truth, got)}"
            )
            for peer in filter(None, args.peers.split(",")):
                _peer(peer, kind, claims, path, size)


if __name__ == "__main__":
    main()
