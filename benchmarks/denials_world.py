"""Benchmark: denials intelligence on a large generated world, against the generator's truth.

Generates a world (``generate_world``, not timed), runs ``claimflow run`` on it as a child
process — the figure is that whole process: wall seconds from spawn to exit, CPU seconds and
peak RSS from ``os.wait4``, beside the run's own in-process ``duration_seconds`` — and
reports: the share of 835 claims matched to their 837 by exact patient control number; category accuracy for every coded denial; corrected
claims written and whether our validator accepts them; and any duplicate, timely-filing or
medical-necessity denial resubmitted automatically (must be none).

Usage::

    python benchmarks/denials_world.py [--claims 50000]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

import duckdb

from child import timed
from claimflow.denials.reference import CATEGORY_NAMES
from claimflow.synth import generate_world
from claimflow.x12 import parse_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=50000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cf-denials-") as tmp:
        root = Path(tmp)
        summary = generate_world(
            root / "inbox", claims=args.claims, seed=5, start=dt.date(2025, 1, 1), months=6
        )
        exe = Path(sys.executable).parent / "claimflow"
        cmd = [
            str(exe), "run", "--config", str(summary.config), "--warehouse", str(root / "w.duckdb"),
            "--out", str(root / "out"), "--reference-date", "2025-07-15", "--json",
        ]  # fmt: skip
        load = os.getloadavg()[0]
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        done = timed(cmd)
        if done.returncode not in (0, 3):
            sys.exit(f"claimflow run failed ({done.returncode}): {done.stderr[-800:]}")
        metrics = json.loads(done.stdout)
        truth = list(csv.DictReader((root / "inbox" / "truth" / "claims.csv").open()))
        conn = duckdb.connect(str(root / "w.duckdb"), read_only=True)
        matched = dict(conn.execute(
            "SELECT a.patient_control_number, c.patient_control_number || ':' || m.match_method"
            " FROM claim_match m JOIN adjudication a ON a.adjudication_id = m.left_id"
            " JOIN claims_header c ON c.claim_id = m.right_id"
            " WHERE m.left_kind = '835' AND a.claim_status_code <> '22'").fetchall())  # fmt: skip
        logged = dict(conn.execute(
            "SELECT patient_control_number, any_value(category) FROM rejection_log"
            " WHERE source_system NOT IN ('alpha', 'beta', 'gamma') GROUP BY 1").fetchall())  # fmt: skip
        fixes = conn.execute(
            "SELECT count(*), count(recommended_fix),"
            " count(*) FILTER (WHERE recommended_fix LIKE '%fails the check digit%')"
            " FROM rejection_log"
        ).fetchone()
        cached_codes = conn.execute(
            "SELECT count(*) FROM denial_text_classifications WHERE normalized_text LIKE 'codes|%'"
        ).fetchone()
        conn.close()
        candidates = json.loads((root / "out" / "resubmission_candidates.json").read_text())
        decided = {
            **logged,
            **{c["claim_id"]: c["category"] for c in candidates if c.get("trigger") == "835"},
        }
        adjudicated = [t["patient_control_number"] for t in truth if t["adjudicated"] == "1"]
        right_match = sum(1 for p in adjudicated if matched.get(p) == f"{p}:exact_pcn")
        coded = [t for t in truth if t["denied"] == "1" and t["carc"]]
        right_category = sum(
            1 for t in coded
            if decided.get(t["patient_control_number"]) == CATEGORY_NAMES[t["denial_category"]]
        )  # fmt: skip
        corrected = root / "out" / "corrected_claims.x12"
        parsed = parse_file(corrected, file_id="c") if corrected.exists() else None
        by_pcn = {t["patient_control_number"]: t for t in truth}
        resubmitted = (
            [r["patient_control_number"] for r in parsed.tables["claims_header"]] if parsed else []
        )
        unsafe = [p for p in resubmitted if CATEGORY_NAMES.get(by_pcn[p]["denial_category"], "")
                  in {"duplicate", "timely_filing", "medical_necessity"}]  # fmt: skip
        print(
            f"claims {args.claims:,}; `claimflow run`, whole process: {done.wall:.1f} s wall,"
            f" {done.cpu:.1f} CPU-s, {done.rss_mb:.0f} MB peak RSS"
            f" (in-process duration_seconds {metrics['duration_seconds']:.1f} s; {when};"
            f" load average {load:.2f}-{os.getloadavg()[0]:.2f})"
        )
        print(
            f"835 claims matched by exact_pcn: {right_match:,}/{len(adjudicated):,} = {right_match / len(adjudicated):.2%}"
        )
        print(
            f"coded denials, category right:   {right_category:,}/{len(coded):,} = {right_category / len(coded):.2%}"
        )
        print(
            f"corrected claims written: {len(resubmitted):,}; our validator errors: {len(parsed.errors) if parsed else 0}"
        )
        print(f"unsafe automatic resubmissions: {len(unsafe)}")
        print(f"resubmission reasons: {metrics['x12_resubmissions'].get('by_reason')}")
        assert fixes is not None and cached_codes is not None
        npi_fixed = sum(
            1 for c in candidates if "fails the check digit" in (c.get("recommended_change") or "")
        )
        print(
            f"rejection-log rows with a recommended fix: {fixes[1]:,}/{fixes[0]:,}"
            f" (NPI check digit named in {fixes[2]:,}; NPI corrected automatically: {npi_fixed:,})"
        )
        print(f"distinct code combinations classified (cached): {cached_codes[0]:,}")


if __name__ == "__main__":
    main()
