"""On a generated world run through the real pipeline: the features the single-claim path builds
from ``risk_history`` (what the API will use) equal the batch features of the same claims."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from claimflow.risk import build_features, build_history, features_of_claim
from claimflow.risk.claim import HistoryIndex
from claimflow.warehouse.connection import open_warehouse
from tests.cli_world import build_world

CLAIM_TYPES = {"professional": "837P", "institutional": "837I", "dental": "837D"}


@pytest.fixture
def conn(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Any:
    world = build_world(tmp_path_factory)
    copy = tmp_path / "w.duckdb"
    shutil.copyfile(world.warehouse, copy)  # the session's world stays as the pipeline left it
    c = open_warehouse(copy)
    yield c
    c.close()


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _as_837(conn: duckdb.DuckDBPyConnection, claim_id: str) -> dict[str, Any]:
    """The claim's fields as a request would carry them, read from the silver tables."""
    (h,) = _rows(conn, "SELECT * FROM claims_header WHERE claim_id = ?", [claim_id])
    lines = _rows(
        conn, "SELECT * FROM claims_line WHERE claim_id = ? ORDER BY line_number", [claim_id]
    )
    dx = conn.execute(
        "SELECT code FROM diagnoses WHERE claim_id = ? AND code IS NOT NULL ORDER BY sequence",
        [claim_id],
    ).fetchall()
    return {
        "claim_id": claim_id,
        "payer_id": h["payer_id"],
        "claim_type": CLAIM_TYPES.get(h["claim_type"], h["claim_type"])
        if h["segment_index"] is not None
        else h["source_system"],
        "billing_npi": h["billing_npi"],
        "rendering_npi": h["rendering_npi"],
        "place_of_service": h["place_of_service_code"],
        "frequency_code": h["claim_frequency_code"],
        "submission_date": h["submission_date"],
        "statement_from": h["statement_from"],
        "prior_auth_number": h["prior_auth_number"],
        "member_id": h["member_id"],
        "patient_birth_date": h["patient_dob"],
        "diagnoses": [code for (code,) in dx],
        "lines": [
            {
                "line_number": line["line_number"],
                "procedure_code": line["procedure_code"],
                "modifiers": [line[f"modifier_{i}"] for i in range(1, 5) if line[f"modifier_{i}"]],
                "units": line["units"],
                "charge": line["line_charge"],
                "service_from": line["service_from"],
                "place_of_service": line["place_of_service_code"],
                "rendering_npi": line["rendering_npi"],
            }
            for line in lines
        ],
    }


def test_single_claim_features_equal_the_batch(conn: duckdb.DuckDBPyConnection) -> None:
    """Every claim of the world: the single-claim path (plain Python over the claim's fields and
    ``risk_history`` as of its submission day) gives the batch path's values (FEATURES_SQL)."""
    assert build_features(conn) > 100
    days = [
        d
        for (d,) in conn.execute(
            "SELECT DISTINCT CAST(as_of AS DATE) FROM risk_features"
        ).fetchall()
    ]
    for day in days:
        assert isinstance(day, dt.date)
        build_history(conn, day)
    batch = _rows(conn, "SELECT * EXCLUDE (built_at) FROM risk_features ORDER BY claim_id", [])
    index = HistoryIndex(conn)
    assert 3 <= len(index.times) <= len(days)  # the first days have no remittance before them
    for expected in batch:
        claim = _as_837(conn, expected["claim_id"])
        assert index.features(claim) == expected, expected["claim_id"]
    # features_of_claim reads risk_history itself: the same answers
    for expected in batch[:: max(1, len(batch) // 20)]:
        assert features_of_claim(conn, _as_837(conn, expected["claim_id"])) == expected
    submitted = {r[0] for r in conn.execute("SELECT claim_id FROM claims_header").fetchall()}
    assert len(batch) == len(submitted) >= 300  # every claim of the world compared
    # what the comparison covers: history, no history, odd lines, dx without a chapter, ages
    assert any(r["hist_payer_procedure_claims"] > 0 for r in batch)
    assert any(r["hist_payer_claims"] == 0 for r in batch)
    assert any(r["hist_payer_procedure_max_denial_rate"] is not None for r in batch)
    assert len({r["age_band"] for r in batch}) >= 4
    assert any(r["principal_modifiers"] for r in batch)
    assert any(r["line_count"] > 1 for r in batch)
    assert any(r["rendering_npi_valid"] is None for r in batch) or any(
        r["rendering_npi_valid"] is False for r in batch
    )
