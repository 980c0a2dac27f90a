"""Denial-risk features on a tiny hand-built warehouse: values computed by hand (plain Python over
the inputs below), and the point-in-time rule: a remittance dated after a claim's submission
changes none of its features, the same remittance dated before it does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from claimflow.denials.reference import ensure_reference
from claimflow.risk import FEATURE_NAMES, build_features, build_history, features_of_claim
from claimflow.schema import (
    ADJUDICATION,
    CLAIMS_HEADER,
    CLAIMS_LINE,
    DIAGNOSES,
    PAYMENTS,
    RISK_FEATURES,
    Table,
)
from claimflow.warehouse.arrow import insert_dict_rows
from claimflow.warehouse.connection import open_warehouse
from claimflow.warehouse.parts import ensure_part

D = dt.date
M = Decimal
VALID_NPI = "1234567893"  # the CMS example NPI
BAD_NPI = "1234567890"

# history claims: (id, payer, billing NPI, procedure, submitted, paid on, CLP02)
HISTORY = [
    ("H1", "P1", VALID_NPI, "99213", D(2025, 1, 2), D(2025, 1, 20), "4"),
    ("H2", "P1", VALID_NPI, "99214", D(2025, 1, 3), D(2025, 1, 25), "1"),
    ("H3", "P1", "1245319599", "99213", D(2025, 1, 5), D(2025, 2, 10), "1"),
    ("H4", "P2", VALID_NPI, "99213", D(2025, 1, 6), D(2025, 1, 15), "4"),
]
TARGET_SUBMITTED = D(2025, 2, 1)
TARGET_SERVICE = D(2025, 1, 28)
TARGET_DOB = D(1930, 1, 1)
TARGET_DX = ["E119", "I10", "E785"]


def _put(conn: duckdb.DuckDBPyConnection, table: Table, rows: list[dict[str, object]]) -> None:
    target = table.name
    if table.partitioned:
        target = ensure_part(conn, table, "x12_test", table.column_names)
    insert_dict_rows(conn, table, target, rows, {})


def _remit(
    conn: duckdb.DuckDBPyConnection, rid: str, claim: str, paid_on: dt.date, clp02: str
) -> None:
    _put(conn, PAYMENTS, [{"payment_id": f"PAY-{rid}", "payer_id": "P1", "payment_date": paid_on}])
    _put(conn, ADJUDICATION, [{
        "adjudication_id": rid, "payment_id": f"PAY-{rid}", "patient_control_number": claim,
        "claim_id": claim, "claim_status_code": clp02, "total_charge": M("100"),
        "paid_amount": M("0") if clp02 == "4" else M("80"), "segment_index": 10,
    }])  # fmt: skip


def build(
    path: Path, planted: Sequence[tuple[str, str, dt.date, str]] = ()
) -> duckdb.DuckDBPyConnection:
    """The tiny warehouse: four history claims with their 835s, the target claim T1, another
    claim H5 of the same payer, provider and procedure without an 835, plus ``planted`` 835s."""
    conn = open_warehouse(path)
    ensure_reference(conn)
    headers: list[dict[str, object]] = [
        {"claim_id": cid, "patient_control_number": cid, "claim_type": "professional",
         "payer_id": payer, "billing_npi": npi, "submission_date": sub, "segment_index": 5,
         "total_charge": M("100"), "claim_frequency_code": "1"}
        for cid, payer, npi, _, sub, _, _ in HISTORY
    ]  # fmt: skip
    headers.append({
        "claim_id": "H5", "patient_control_number": "H5", "claim_type": "professional",
        "payer_id": "P1", "billing_npi": VALID_NPI, "submission_date": D(2025, 1, 7),
        "segment_index": 5, "total_charge": M("100"), "claim_frequency_code": "1",
    })  # fmt: skip
    headers.append({
        "claim_id": "T1", "patient_control_number": "T1", "claim_type": "professional",
        "payer_id": "P1", "billing_npi": VALID_NPI, "rendering_npi": BAD_NPI,
        "place_of_service_code": "11", "claim_frequency_code": "1", "prior_auth_number": "PA1",
        "patient_dob": TARGET_DOB, "submission_date": TARGET_SUBMITTED, "segment_index": 5,
        "total_charge": M("230"),
    })  # fmt: skip
    _put(conn, CLAIMS_HEADER, headers)
    lines: list[dict[str, object]] = [
        {"claim_line_id": f"{cid}-1", "claim_id": cid, "line_number": 1, "procedure_code": proc,
         "line_charge": M("100"), "units": 1.0, "service_from": sub}
        for cid, _, _, proc, sub, _, _ in HISTORY
    ]  # fmt: skip
    lines += [
        {"claim_line_id": "H5-1", "claim_id": "H5", "line_number": 1, "procedure_code": "99213",
         "line_charge": M("100"), "units": 1.0, "service_from": D(2025, 1, 7)},
        {"claim_line_id": "T1-1", "claim_id": "T1", "line_number": 1, "procedure_code": "99214",
         "line_charge": M("80"), "units": 1.0, "service_from": TARGET_SERVICE},
        {"claim_line_id": "T1-2", "claim_id": "T1", "line_number": 2, "procedure_code": "99213",
         "modifier_1": "59", "modifier_2": "25", "line_charge": M("150"), "units": 2.0,
         "service_from": TARGET_SERVICE + dt.timedelta(days=1)},
    ]  # fmt: skip
    _put(conn, CLAIMS_LINE, lines)
    _put(conn, DIAGNOSES, [
        {"diagnosis_id": f"T1-dx{i}", "claim_id": "T1", "sequence": i, "code": code}
        for i, code in enumerate(TARGET_DX, start=1)
    ])  # fmt: skip
    for cid, _, _, _, _, paid_on, clp02 in HISTORY:
        _remit(conn, f"R-{cid}", cid, paid_on, clp02)
    for rid, claim, paid_on, clp02 in planted:
        _remit(conn, rid, claim, paid_on, clp02)
    return conn


def _features(conn: duckdb.DuckDBPyConnection, claim_id: str) -> dict[str, Any]:
    cursor = conn.execute(
        "SELECT * EXCLUDE (built_at) FROM risk_features WHERE claim_id = ?", [claim_id]
    )
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0], strict=True))


def _luhn_ok(npi: str) -> bool:
    digits = [int(c) for c in "80840" + npi]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return total % 10 == 0


def _history(
    payer: str, as_of: dt.date, npi: str | None = None, proc: str | None = None
) -> tuple[int, float | None, float | None]:
    known = [
        (paid_on - sub).days
        for _, p, n, pr, sub, paid_on, _ in HISTORY
        if p == payer and paid_on < as_of and npi in (None, n) and proc in (None, pr)
    ]
    denied = [
        1
        for _, p, n, pr, _, paid_on, clp02 in HISTORY
        if p == payer
        and paid_on < as_of
        and npi in (None, n)
        and proc in (None, pr)
        and clp02 == "4"
    ]
    if not known:
        return 0, None, None
    return len(known), len(denied) / len(known), sum(known) / len(known)


def test_hand_computed_values(tmp_path: Path) -> None:
    conn = build(tmp_path / "w.duckdb")
    assert build_features(conn) == 6
    f = _features(conn, "T1")
    # age at the first date of service: 95 → the Safe-Harbor bucket
    age = (
        TARGET_SERVICE.year
        - TARGET_DOB.year
        - ((TARGET_SERVICE.month, TARGET_SERVICE.day) < (TARGET_DOB.month, TARGET_DOB.day))
    )
    assert age >= 90 and f["age_band"] == "90+"
    # E119, E785 → chapter 04 (E00-E89); I10 → 09 (I00-I99)
    assert f["principal_dx_chapter"] == "04"
    assert f["dx_chapters"] == "04,09" and f["dx_chapter_count"] == 2
    assert f["diagnosis_count"] == len(TARGET_DX)
    assert f["billing_npi_valid"] is _luhn_ok(VALID_NPI) is True
    assert f["rendering_npi_valid"] is _luhn_ok(BAD_NPI) is False
    assert f["days_to_submission"] == (TARGET_SUBMITTED - TARGET_SERVICE).days == 4
    assert f["has_prior_auth"] is True
    assert f["claim_type"] == "837P" and f["place_of_service"] == "11"
    # the principal line is the larger charge: 99213 with modifiers 25 and 59
    assert f["principal_procedure"] == "99213" and f["principal_modifiers"] == "25+59"
    assert f["line_count"] == 2 and f["modifier_count"] == 2 and f["total_units"] == 3.0
    assert f["total_charge"] == M("230.00") and f["max_line_charge"] == M("150.00")
    # history as of 2025-02-01: H1 (denied, paid 01-20) and H2 (paid 01-25); H3 (02-10) not yet
    assert (f["hist_payer_claims"], f["hist_payer_denial_rate"], f["hist_payer_days_to_pay"]) == (
        _history("P1", TARGET_SUBMITTED)
    )
    assert _history("P1", TARGET_SUBMITTED) == (2, 0.5, 20.0)
    assert (
        f["hist_payer_provider_claims"],
        f["hist_payer_provider_denial_rate"],
        f["hist_payer_provider_days_to_pay"],
    ) == _history("P1", TARGET_SUBMITTED, npi=VALID_NPI)
    assert (
        (
            f["hist_payer_procedure_claims"],
            f["hist_payer_procedure_denial_rate"],
            f["hist_payer_procedure_days_to_pay"],
        )
        == _history("P1", TARGET_SUBMITTED, proc="99213")
        == (1, 1.0, 18.0)
    )
    # max over the claim's procedures: 99213 (1.0) and 99214 (0.0)
    assert f["hist_payer_procedure_max_denial_rate"] == max(
        _history("P1", TARGET_SUBMITTED, proc=p)[1] or 0.0 for p in ("99213", "99214")
    )
    assert f["feature_set_version"] and f["as_of"] == dt.datetime(2025, 2, 1)
    assert set(FEATURE_NAMES) <= set(f)
    conn.close()


@pytest.mark.parametrize("claim", ["T1", "H5"])
def test_a_remittance_after_submission_changes_none_of_the_features(
    tmp_path: Path, claim: str
) -> None:
    """An 835 for H5 (same payer, provider, procedure as T1) or for T1 itself, dated after T1's
    submission, leaves every feature of T1 as it was; H5's 835 dated before it does not."""
    clean = build(tmp_path / "clean.duckdb")
    build_features(clean)
    before = _features(clean, "T1")
    clean.close()

    after_submission = TARGET_SUBMITTED + dt.timedelta(days=3)
    late = build(tmp_path / "late.duckdb", [("PLANT", claim, after_submission, "4")])
    build_features(late)
    assert _features(late, "T1") == before
    late.close()

    # the same denial dated the day before T1's submission changes its history
    early = build(
        tmp_path / "early.duckdb", [("PLANT", "H5", TARGET_SUBMITTED - dt.timedelta(days=1), "4")]
    )
    build_features(early)
    changed = _features(early, "T1")
    assert changed["hist_payer_claims"] == before["hist_payer_claims"] + 1 == 3
    assert changed["hist_payer_denial_rate"] == 2 / 3 != before["hist_payer_denial_rate"]
    early.close()


def test_one_claim_from_history_equals_the_batch(tmp_path: Path) -> None:
    conn = build(tmp_path / "w.duckdb")
    build_features(conn)
    assert build_history(conn, TARGET_SUBMITTED) > 0
    claim = {
        "claim_id": "T1", "payer_id": "P1", "claim_type": "837P", "billing_npi": VALID_NPI,
        "rendering_npi": BAD_NPI, "place_of_service": "11", "frequency_code": "1",
        "submission_date": TARGET_SUBMITTED.isoformat(), "diagnoses": TARGET_DX,
        "prior_auth_number": "PA1", "patient_birth_date": TARGET_DOB,
        "lines": [
            {"procedure_code": "99214", "units": 1, "charge": "80", "service_from": TARGET_SERVICE},
            {"procedure_code": "99213", "modifiers": ["59", "25"], "units": 2, "charge": "150.00",
             "service_from": TARGET_SERVICE + dt.timedelta(days=1)},
        ],
    }  # fmt: skip
    assert features_of_claim(conn, claim) == _features(conn, "T1")
    # an age instead of a birth date gives the same band
    by_age = features_of_claim(conn, {**claim, "patient_birth_date": None, "patient_age": 95})
    assert by_age["age_band"] == "90+"
    conn.close()


def test_risk_features_columns_are_the_catalogue() -> None:
    assert RISK_FEATURES.column_names[3:-1] == FEATURE_NAMES


def test_docs_list_every_feature_with_its_flag() -> None:
    from claimflow.schema import FEATURES

    doc = (Path(__file__).parents[2] / "docs" / "risk.md").read_text()
    for f in FEATURES:
        flag = "yes" if f.modifiable else "no"
        assert f"| `{f.name}` | {f.column.sql_type} | {flag} | {f.column.doc} |" in doc, f.name


@pytest.mark.parametrize(
    ("code", "chapter"),
    [("O9A11", "15"), ("O99", "15"), ("D4989", "02"), ("D500", "03"), ("E119", "04"),
     ("H6090", "08"), ("T8840", "19"), ("U071", "22"), ("Z0000", "21"), ("A000", "01")],
)  # fmt: skip
def test_icd10_chapter_of_the_principal_diagnosis(tmp_path: Path, code: str, chapter: str) -> None:
    conn = open_warehouse(tmp_path / "w.duckdb")
    f = features_of_claim(conn, {"payer_id": "P1", "diagnoses": [code, "I10"]})
    assert f["principal_dx_chapter"] == chapter
    assert f["dx_chapters"] == ",".join(sorted({chapter, "09"}))
    conn.close()


@pytest.mark.parametrize(("age", "band"), [(0, "0-17"), (17, "0-17"), (18, "18-34"), (64, "50-64"),
                                          (89, "75-89"), (90, "90+"), (104, "90+")])  # fmt: skip
def test_age_band(tmp_path: Path, age: int, band: str) -> None:
    conn = open_warehouse(tmp_path / "w.duckdb")
    assert features_of_claim(conn, {"patient_age": age})["age_band"] == band
    conn.close()


def test_some_claims_and_again(tmp_path: Path) -> None:
    conn = build(tmp_path / "w.duckdb")
    assert build_features(conn, ["T1", "H1"]) == 2
    assert build_features(conn, ["T1"]) == 1
    rows = conn.execute("SELECT claim_id FROM risk_features ORDER BY claim_id").fetchall()
    assert rows == [("H1",), ("T1",)]  # T1 replaced, not doubled
    conn.close()
