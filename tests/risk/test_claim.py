"""The single-claim features (plain Python, the serving path) on the odd claims a generated world
rarely holds, each compared with the batch features the SQL computes for the same claim in a
hand-built warehouse (the independent reference): ties of charges, a line without a charge or a
procedure, diagnoses outside every chapter, birthdays on 29 February and at the end of months,
a birth date after the service, no lines, no diagnoses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from claimflow.risk import build_features, build_history, features_of_claim
from claimflow.risk.claim import HistoryIndex, complete_years
from claimflow.schema import CLAIMS_HEADER, CLAIMS_LINE, DIAGNOSES
from tests.risk.test_features import BAD_NPI, VALID_NPI, _features, _put, build
from tests.risk.test_world import _as_837

D = dt.date
M = Decimal

# id → (submitted, birth date, [(procedure, modifiers, units, charge, service_from)], dx)
ODD: dict[str, tuple[dt.date, dt.date | None, list[tuple[Any, ...]], list[str]]] = {
    "TIE": (D(2025, 2, 3), D(2000, 2, 29), [
        ("99213", ["25"], 1.0, M("50"), D(2025, 2, 1)),
        ("99214", ["59", "25", "XU"], 2.0, M("50"), D(2025, 2, 1)),
    ], ["Z0000", "9999", "E119"]),
    "NULLS": (D(2025, 2, 3), D(1999, 3, 31), [
        (None, [], None, None, None),
        ("G0439", [], 3.0, None, D(2025, 1, 30)),
    ], ["!!!", "u071"]),
    "LEAP": (D(2025, 2, 28), D(2024, 2, 29), [
        ("99215", [], 1.0, M("10.5"), D(2025, 2, 28)),
    ], []),
    "MONTHEND": (D(2025, 2, 28), D(1960, 1, 31), [
        ("99215", [], 1.0, M("10"), D(2025, 2, 28)),
    ], ["O9A11"]),
    "FUTUREDOB": (D(2025, 2, 10), D(2025, 5, 1), [
        ("99213", [], 1.0, M("10"), D(2025, 2, 1)),
    ], ["I10"]),
    "NOLINES": (D(2025, 2, 10), None, [], ["S0000"]),
}  # fmt: skip


@pytest.fixture
def warehouse(tmp_path: Path) -> Any:
    conn = build(tmp_path / "w.duckdb")
    _put(conn, CLAIMS_HEADER, [
        {"claim_id": cid, "patient_control_number": cid, "claim_type": "professional",
         "payer_id": "P1", "billing_npi": BAD_NPI if cid == "NULLS" else VALID_NPI,
         "submission_date": sub, "segment_index": 5, "patient_dob": dob,
         "statement_from": D(2025, 1, 25), "claim_frequency_code": "7" if cid == "TIE" else None}
        for cid, (sub, dob, _, _) in ODD.items()
    ])  # fmt: skip
    _put(conn, CLAIMS_LINE, [
        {"claim_line_id": f"{cid}-{n}", "claim_id": cid, "line_number": n, "procedure_code": p,
         **{f"modifier_{i}": m for i, m in enumerate(mods, start=1)}, "units": units,
         "line_charge": charge, "service_from": service,
         "rendering_npi": VALID_NPI if cid == "TIE" else None}
        for cid, (_, _, lines, _) in ODD.items()
        for n, (p, mods, units, charge, service) in enumerate(lines, start=1)
    ])  # fmt: skip
    _put(conn, DIAGNOSES, [
        {"diagnosis_id": f"{cid}-dx{i}", "claim_id": cid, "sequence": i, "code": code}
        for cid, (_, _, _, dx) in ODD.items()
        for i, code in enumerate(dx, start=1)
    ])  # fmt: skip
    yield conn
    conn.close()


def test_odd_claims_equal_the_batch(warehouse: Any) -> None:
    build_features(warehouse)
    for day in {sub for sub, _, _, _ in ODD.values()}:
        build_history(warehouse, day)
    index = HistoryIndex(warehouse)
    for cid in ODD:
        expected = _features(warehouse, cid)
        claim = _as_837(warehouse, cid)
        claim["claim_type"] = "837P"
        assert index.features(claim) == expected, cid
        assert features_of_claim(warehouse, claim) == expected, cid
    # the cases are the odd ones they are meant to be
    tie = _features(warehouse, "TIE")
    assert tie["principal_procedure"] == "99213" and tie["principal_modifiers"] == "25"
    assert tie["rendering_npi"] == VALID_NPI and tie["frequency_code"] == "7"
    assert tie["principal_dx_chapter"] == "21" and tie["dx_chapters"] == "04,21"
    assert tie["diagnosis_count"] == 3 and tie["age_band"] == "18-34"
    nulls = _features(warehouse, "NULLS")
    # no charge anywhere: the first line is principal, and it has no procedure
    assert nulls["principal_procedure"] is None and nulls["total_charge"] is None
    assert nulls["hist_payer_procedure_claims"] == 0 and nulls["distinct_procedures"] == 1
    assert nulls["principal_dx_chapter"] == "22" and nulls["billing_npi_valid"] is False
    assert _features(warehouse, "LEAP")["age_band"] == "0-17"
    assert _features(warehouse, "FUTUREDOB")["age_band"] == "0-17"  # -0.7 years: 0, as SQL
    no_lines = _features(warehouse, "NOLINES")
    assert no_lines["line_count"] == 0 and no_lines["principal_modifiers"] == ""
    assert no_lines["days_to_submission"] == (D(2025, 2, 10) - D(2025, 1, 25)).days


@pytest.mark.parametrize(
    ("start", "end"),
    [(D(2000, 2, 29), D(2001, 2, 28)), (D(2000, 2, 29), D(2004, 2, 28)),
     (D(2000, 1, 31), D(2000, 2, 29)), (D(1999, 3, 31), D(2000, 2, 29)),
     (D(2001, 5, 10), D(2000, 5, 11)), (D(2001, 5, 10), D(1999, 5, 11)),
     (D(1930, 1, 1), D(2025, 1, 28)), (D(1960, 1, 31), D(2025, 2, 28))],
)  # fmt: skip
def test_complete_years_is_duckdbs_date_sub(warehouse: Any, start: dt.date, end: dt.date) -> None:
    row = warehouse.execute("SELECT date_sub('year', ?::DATE, ?::DATE)", [start, end]).fetchone()
    assert complete_years(start, end) == row[0]


def test_an_index_reads_each_time_once_and_picks_the_newest_before(warehouse: Any) -> None:
    build_features(warehouse)
    build_history(warehouse, D(2025, 1, 22))
    build_history(warehouse, D(2025, 2, 1))
    index = HistoryIndex(warehouse)
    assert index.newest == dt.datetime(2025, 2, 1)
    assert index.at(dt.datetime(2025, 1, 1)).as_of is None
    assert index.at(dt.datetime(2025, 1, 31)).as_of == dt.datetime(2025, 1, 22)
    assert index.at(dt.datetime(2025, 2, 1)).as_of == dt.datetime(2025, 2, 1)
    assert index.at(dt.datetime(2026, 1, 1)) is index.at(dt.datetime(2025, 3, 1))  # kept
    # as of 2025-01-22 only H1 (paid 01-20) is known for P1: one claim, denied
    assert index.at(dt.datetime(2025, 1, 25)).get("payer", "P1") == (1, 1.0, 18.0)
