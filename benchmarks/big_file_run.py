"""Benchmark: ``claimflow run`` on one very large X12 file (issue 23: a 1 GB file within the
X12 engine's 250 MB plus DuckDB's budget).

The file is an 835 made by ``../shared/tools/gen_x12.py`` (cached in ``benchmarks/.data/``, as
``x12_parse.py`` makes it; 2,700,000 claims are about 1 GB). A config with one X12 source that
matches it alone is written to a temporary folder, and ``claimflow run`` runs as a child on a
fresh warehouse at the default memory budget (``CLAIMFLOW_MEMORY_LIMIT`` removed from its
environment): wall seconds, CPU seconds and peak RSS of the run (``os.wait4``: its own, or a
worker's if one grew larger), exit status, rows read and loaded, and the load average. In the
same run, its floor: ``claimflow x12 parse FILE --out DIR`` on the same file (the X12 engine
alone, no warehouse), so that the run's cost beyond the parse is read as a ratio.

Usage::

    python benchmarks/big_file_run.py                   # 2,700,000 claims, about 1 GB
    python benchmarks/big_file_run.py --claims 100000   # a smaller file, to iterate
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from child import timed
from x12_parse import _generate

CLAIMFLOW = Path(sys.executable).parent / "claimflow"
ENGINE_MB = 250
DUCKDB_MB = 1024  # the default budget (claimflow.warehouse.connection)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=2_700_000)
    args = parser.parse_args()
    path = _generate("835", args.claims)
    size_mb = path.stat().st_size / 1e6
    env = {k: v for k, v in os.environ.items() if k != "CLAIMFLOW_MEMORY_LIMIT"}
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC; {os.cpu_count()} cores; load {load}")
    with tempfile.TemporaryDirectory(prefix="claimflow-bigfile-") as tmp:
        root = Path(tmp)
        config = root / "claimflow.yaml"
        config.write_text(
            "sources:\n"
            "- name: x12_835\n"
            "  source_system: payer\n"
            "  format: x12\n"
            f"  pattern: {path}\n",
            encoding="utf-8",
        )
        parse = timed(
            [str(CLAIMFLOW), "x12", "parse", str(path), "--out", str(root / "parsed")], env=env
        )
        run = timed(
            [str(CLAIMFLOW), "run", "-c", str(config), "-w", str(root / "w.duckdb"),
             "-o", str(root / "out"), "--json"],
            env=env,
        )  # fmt: skip
    after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    goal = ENGINE_MB + DUCKDB_MB
    print(f"{path.name}: {args.claims:,} claims, {size_mb:,.1f} MB")
    print(
        f"floor, claimflow x12 parse (whole process): exit {parse.returncode},"
        f" wall {parse.wall:.1f} s, CPU {parse.cpu:.1f} s, peak RSS {parse.rss_mb:,.0f} MB"
    )
    print(
        f"claimflow run (whole process): exit {run.returncode}, wall {run.wall:.1f} s,"
        f" CPU {run.cpu:.1f} s, peak RSS {run.rss_mb:,.0f} MB"
        f" (goal <= {goal:,} MB = {ENGINE_MB} + DuckDB's {DUCKDB_MB}:"
        f" {'met' if run.rss_mb <= goal else 'NOT met'}); load after {after}"
    )
    if run.returncode not in (0, 3):
        print(run.stderr[-2000:])
        return
    print(
        f"  run / parse: {run.wall / parse.wall:.2f}x wall, {run.cpu / parse.cpu:.2f}x CPU"
        if parse.wall and parse.cpu
        else ""
    )
    metrics = json.loads(run.stdout)
    files = metrics.get("files", [])
    read = sum(f["rows_read"] for f in files)
    loaded = sum(f["rows_loaded"] for f in files)
    print(f"  rows read {read:,}, loaded {loaded:,}; stages {metrics.get('stage_seconds')}")


if __name__ == "__main__":
    main()
