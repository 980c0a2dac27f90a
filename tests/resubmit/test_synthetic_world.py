"""Denials intelligence on a generated world, scored against the generator's truth.

The world is generated here (the generator is deterministic), run through the real pipeline,
and compared with ``truth/claims.csv``: matching, the category of every coded denial, the
corrected claims, and the safety rule (never an automatic resubmission of a duplicate, timely
filing or medical-necessity denial).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from claimflow.config import load_settings
from claimflow.denials.reference import CATEGORY_NAMES
from claimflow.pipeline import run
from claimflow.synth import generate_world
from claimflow.x12 import parse_file

NEVER = {"duplicate", "timely_filing", "medical_necessity"}


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, Path, list[dict[str, str]]]]:
    root = tmp_path_factory.mktemp("world")
    summary = generate_world(
        root / "inbox", claims=1500, seed=3, start=dt.date(2025, 1, 1), months=3
    )
    settings = load_settings(summary.config)
    out = root / "out"
    run(settings, warehouse=root / "w.duckdb", out_dir=out, reference_date=dt.date(2025, 4, 15))
    with (root / "inbox" / "truth" / "claims.csv").open() as handle:
        truth = list(csv.DictReader(handle))
    yield root / "w.duckdb", out, truth


def test_remittances_match_their_claims_by_patient_control_number(
    world: tuple[Path, Path, list[dict[str, str]]],
) -> None:
    warehouse, _, truth = world
    conn = duckdb.connect(str(warehouse), read_only=True)
    matched = dict(
        conn.execute(
            "SELECT a.patient_control_number, c.patient_control_number || ':' || m.match_method"
            " FROM claim_match m JOIN adjudication a ON a.adjudication_id = m.left_id"
            " JOIN claims_header c ON c.claim_id = m.right_id"
            " WHERE m.left_kind = '835' AND a.claim_status_code <> '22'"
        ).fetchall()
    )
    conn.close()
    adjudicated = [t["patient_control_number"] for t in truth if t["adjudicated"] == "1"]
    right = sum(1 for pcn in adjudicated if matched.get(pcn) == f"{pcn}:exact_pcn")
    assert right / len(adjudicated) >= 0.99


def test_coded_denials_get_the_true_category(
    world: tuple[Path, Path, list[dict[str, str]]],
) -> None:
    warehouse, out, truth = world
    conn = duckdb.connect(str(warehouse), read_only=True)
    logged = dict(conn.execute(
        "SELECT patient_control_number, any_value(category) FROM rejection_log"
        " WHERE source_system NOT IN ('alpha', 'beta', 'gamma') GROUP BY 1"
    ).fetchall())  # fmt: skip
    conn.close()
    candidates = json.loads((out / "resubmission_candidates.json").read_text())
    decided = {
        **logged,
        **{c["claim_id"]: c["category"] for c in candidates if c.get("trigger") == "835"},
    }
    denied = [t for t in truth if t["denied"] == "1" and t["carc"]]
    assert len(denied) > 50
    scored = [t for t in denied if t["patient_control_number"] in decided]
    assert len(scored) / len(denied) >= 0.95  # every denial is decided one way or the other
    right = sum(
        1 for t in scored
        if decided[t["patient_control_number"]] == CATEGORY_NAMES[t["denial_category"]]
    )  # fmt: skip
    assert right / len(scored) >= 0.95


def test_corrected_claims_are_valid_and_never_unsafe(
    world: tuple[Path, Path, list[dict[str, str]]],
) -> None:
    _, out, truth = world
    corrected = out / "corrected_claims.x12"
    assert corrected.exists()
    parsed = parse_file(corrected, file_id="corrected")
    assert parsed.errors == []
    x12valid = Path(sys.executable).parent / "x12valid"
    proc = subprocess.run(
        [str(x12valid), str(corrected)], capture_output=True, text=True, check=False
    )
    assert [line for line in (proc.stdout + proc.stderr).splitlines() if " ERROR " in line] == []
    resubmitted = {row["patient_control_number"] for row in parsed.tables["claims_header"]}
    assert resubmitted
    causes = {t["patient_control_number"]: t for t in truth}
    unsafe = [
        pcn for pcn in resubmitted
        if CATEGORY_NAMES.get(causes[pcn]["denial_category"], "") in NEVER
    ]  # fmt: skip
    assert unsafe == []


def test_planning_in_chunks_decides_exactly_as_planning_at_once(
    world: tuple[Path, Path, list[dict[str, str]]], tmp_path: Path
) -> None:
    """The plans come a chunk of claims at a time (to bound what a run holds): chunks of 7 claims
    give every claim the same decision, reason, fix, changes and advice as one chunk of all."""
    from claimflow.denials.model import classifier_with_model
    from claimflow.resubmit.remits import plan_record, plan_resubmissions

    warehouse, _, _ = world
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(warehouse.read_bytes())  # planning classifies (and caches): a copy
    policy = load_settings(warehouse.parent / "inbox" / "claimflow.yaml").resubmission
    conn = duckdb.connect(str(copy))
    try:
        # as before the run decided: the claims it resubmitted (those with a fix) are planned too
        conn.execute("DELETE FROM resubmissions")
        classifier = classifier_with_model(policy.confidence_threshold)
        ref = dt.date(2025, 4, 15)

        def decided(chunk_size: int) -> list[tuple[object, ...]]:
            chunks = list(plan_resubmissions(conn, classifier, policy, ref, chunk_size=chunk_size))
            assert all(len(c) <= chunk_size for c in chunks)
            plans = [p for c in chunks for p in c]
            return [
                (json.dumps(plan_record(p), sort_keys=True, default=str), p.decision, p.reason,
                 p.fix, repr(p.header_changes), repr(sorted(p.line_changes.items())))
                for p in plans
            ]  # fmt: skip

        at_once = decided(10**9)
        assert len(at_once) > 7 * 3  # several chunks of 7
        assert any(d[1] == "resubmit" for d in at_once)  # fixes found (from headers and lines)
        assert decided(7) == at_once
    finally:
        conn.close()
