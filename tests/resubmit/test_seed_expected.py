"""The first design's decisions on its two seed exports (``EXPECTED.md``) still hold."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.conftest import REPO, cli

# The table of EXPECTED.md, typed in by hand.
EXPECTED_CANDIDATES = {
    "A123": ("alpha", "missing modifier", "Add missing modifier and resubmit"),
    "A124": ("alpha", "incorrect NPI", "Review NPI number and resubmit"),
    "A127": ("alpha", "prior auth required", "Obtain prior authorization and resubmit"),
    "B988": ("beta", "missing modifier", "Add missing modifier and resubmit"),
}
EXPECTED_EXCLUSIONS = {
    "A125": "non_retryable",
    "A126": "not_denied",
    "B987": "non_retryable",
    "B989": "not_denied",
    "B990": "missing_patient_id",
}


def _run_seed(tmp_path: Path) -> tuple[Path, Path]:
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "out"
    result = cli(
        "run",
        "--config",
        str(REPO / "configs" / "seed.yaml"),
        "--warehouse",
        str(warehouse),
        "--out",
        str(out),
        "--reference-date",
        "2025-07-30",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    return warehouse, out


def test_candidates_match_expected(tmp_path: Path) -> None:
    import json

    _, out = _run_seed(tmp_path)
    candidates = json.loads((out / "resubmission_candidates.json").read_text())
    got = {c["claim_id"]: c for c in candidates}
    assert set(got) == set(EXPECTED_CANDIDATES)
    for claim, (source, reason, change) in EXPECTED_CANDIDATES.items():
        c = got[claim]
        assert c["source_system"] == source
        assert c["denial_reason"].lower() == reason.lower()
        assert c["recommended_change"] == change
        assert c["classification"] == "retryable"
        assert c["confidence"] >= 0.8
        assert len(c["lineage_hash"]) == 64  # sha256 hex (256 bits)
    assert got["A123"]["patient_id"] == "P001"
    assert got["A123"]["submitted_at"] == "2025-07-01"  # from the odd '2025 -07-01'


def test_metrics_match_expected(tmp_path: Path) -> None:
    import json

    _, out = _run_seed(tmp_path)
    (metrics_file,) = (out / "metrics").glob("*.json")
    m = json.loads(metrics_file.read_text())
    assert (m["total_claims"], m["denied"], m["flagged_for_resubmission"]) == (9, 7, 4)
    # the first design's keys, which monitoring built on its metrics reads
    assert (m["total_denied"], m["total_flagged_for_resubmission"]) == (7, 4)
    assert m["denied_excluded"] == 3
    assert m["claims_by_source"] == {"alpha": 5, "beta": 4}
    assert m["flagged_by_source"] == {"alpha": 3, "beta": 1}
    reasons = m["exclusion_reasons"]
    assert reasons == {"non_retryable": 2, "not_denied": 2, "missing_patient_id": 1}
    c = m["conservation"]
    assert c["rows_read"] == 9 == c["rows_loaded"] + c["rows_quarantined"] + c["rows_duplicate"]
    assert m["duration_seconds"] > 0


def test_exclusion_reasons_and_rejection_log(tmp_path: Path) -> None:
    import duckdb

    warehouse, out = _run_seed(tmp_path)
    with (out / "rejection_log.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["claim_id"] for r in rows] == ["A125", "B987", "B990"]
    assert {r["claim_id"]: r["reason"] for r in rows} == {
        k: v for k, v in EXPECTED_EXCLUSIONS.items() if k in {"A125", "B987", "B990"}
    }
    # B990's denial text is ambiguous (a 0.60 rule, under the 0.80 threshold)
    b990 = next(r for r in rows if r["claim_id"] == "B990")
    assert b990["classification"] == "ambiguous"
    assert float(b990["confidence"]) == 0.6
    assert all(r["run_id"] for r in rows)
    # no patient identifier in the log
    text = (out / "rejection_log.csv").read_text()
    for patient in ("P001", "P002", "P010", "P011", "P012"):
        assert patient not in text
    conn = duckdb.connect(str(warehouse), read_only=True)
    statuses = dict(
        conn.execute("SELECT patient_control_number, claim_status FROM claims_header").fetchall()
    )
    conn.close()
    assert statuses["A126"] == "approved" and statuses["B990"] == "denied"
