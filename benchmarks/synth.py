"""Benchmark: ``claimflow.synth.generate_world`` wall time and peak memory by size.

Each size runs in a fresh child process (so one size's memory does not hide another's) into a
temporary folder that is deleted afterwards. Peak RSS comes from ``resource.getrusage``: the
generating (writer) process's own peak, and the largest batch worker's peak; their sum bounds
what the run held at once.

Usage::

    python benchmarks/synth.py                         # 100,000 and 1,000,000 claims
    python benchmarks/synth.py --claims 200000 --workers 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument("--workers", type=int, default=2, help="batch worker processes")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(int(a.child[0]), Path(a.child[1]), int(a.child[2]))
        return
    rows = []
    for n in a.claims:
        tmp = Path(tempfile.mkdtemp(prefix="synth-bench-"))
        try:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(n), str(tmp / "inbox"), str(a.workers)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(json.dumps(rows[-1]), file=sys.stderr)
    print(
        f"{'claims':>10} {'workers':>7} {'wall s':>8} {'writer RSS MB':>13} "
        f"{'worker RSS MB':>13} {'files':>6} {'MB out':>8}"
    )
    for r in rows:
        print(
            f"{r['claims']:>10,} {r['workers']:>7} {r['seconds']:>8.1f} {r['rss_writer_mb']:>13.0f} "
            f"{r['rss_worker_mb']:>13.0f} {r['files']:>6} {r['megabytes']:>8.1f}"
        )


if __name__ == "__main__":
    main()
