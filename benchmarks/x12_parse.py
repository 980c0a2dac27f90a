"""Benchmark: parse generated 835 and 837P files into every canonical table, validation on.

Files are generated with ``../shared/tools/gen_x12.py`` (run at bench time, not copied here)
into ``benchmarks/.data/``. Each file is parsed in a fresh child process in streaming mode
(rows handed to a counting sink, as a warehouse loader would receive them), so the peak RSS
(``resource.getrusage``) belongs to that parse alone. Totals are checked against the
generator's ``.truth.json``.

Usage:
    python benchmarks/x12_parse.py [--claims 10000,100000] [--kinds 835,837p] [--in-memory]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "tools" / "gen_x12.py"
DATA = ROOT / "benchmarks" / ".data"


def _child(path: Path, in_memory: bool) -> None:
    """Parse one file and print a JSON line with timings, RSS and totals."""
    sys.path.insert(0, str(ROOT / "src"))
    from claimflow.x12 import parse_file

    counts: dict[str, int] = {}
    sums = {"charge": Decimal(0), "paid": Decimal(0), "cas": Decimal(0), "plb": Decimal(0)}

    def sink(table: str, rows: list[dict[str, object]]) -> None:
        counts[table] = counts.get(table, 0) + len(rows)
        if table in ("adjudication", "claims_header"):
            sums["charge"] += sum(r["total_charge"] or 0 for r in rows)  # type: ignore[misc]
        if table == "adjudication":
            sums["paid"] += sum(r["paid_amount"] or 0 for r in rows)  # type: ignore[misc]
        elif table == "adjustments":
            sums["cas"] += sum(r["amount"] or 0 for r in rows)  # type: ignore[misc]
        elif table == "provider_adjustments":
            sums["plb"] += sum(r["amount"] or 0 for r in rows)  # type: ignore[misc]

    start = time.perf_counter()
    if in_memory:
        result = parse_file(path, file_id=path.name)
        for table, rows in result.tables.items():
            if rows:
                sink(table, rows)
    else:
        result = parse_file(path, file_id=path.name, on_rows=sink)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": peak_kb / 1024,
                "rows": counts,
                "errors": len(result.errors),
                "segments": result.segment_count,
                "sums_cents": {k: int(v * 100) for k, v in sums.items()},
            }
        )
    )


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", default="10000,100000")
    parser.add_argument("--kinds", default="835,837p")
    parser.add_argument("--in-memory", action="store_true", help="keep rows in result.tables")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child), args.in_memory)
        return
    header = f"{'kind':<6}{'claims':>9}{'MB':>8}{'seconds':>9}{'MB/s':>7}{'peak RSS MB':>13}"
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
            output = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
            got = json.loads(output.stdout.strip().splitlines()[-1])
            truth = json.loads(Path(str(path) + ".truth.json").read_text())
            size = path.stat().st_size / 1e6
            rows = sum(got["rows"].values())
            print(
                f"{kind:<6}{claims:>9}{size:>8.1f}{got['seconds']:>9.2f}"
                f"{size / got['seconds']:>7.2f}{got['peak_rss_mb']:>13.0f}{rows:>10}  "
                f"{_check(kind, truth, got)}"
            )


if __name__ == "__main__":
    main()
