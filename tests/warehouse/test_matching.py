"""Matching on a hand-built warehouse: each method of the data model, in its order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from claimflow.schema import (
    ACK_277CA,
    ACK_999,
    ADJUDICATION,
    ADJUDICATION_LINE,
    CLAIMS_HEADER,
    CLAIMS_LINE,
    PAYMENTS,
)
from claimflow.warehouse.arrow import insert_dict_rows
from claimflow.warehouse.connection import open_warehouse
from claimflow.warehouse.matching import match_claims
from claimflow.warehouse.parts import ensure_part

D = dt.date


def _claim(
    cid: str, pcn: str, charge: str, submitted: dt.date, **extra: object
) -> dict[str, object]:
    return {
        "claim_id": cid,
        "patient_control_number": pcn,
        "total_charge": Decimal(charge),
        "submission_date": submitted,
        "payer_id": "P1",
        "billing_npi": "1111111111",
        "segment_index": 10,
        **extra,
    }


def _adj(aid: str, pcn: str, charge: str, **extra: object) -> dict[str, object]:
    return {
        "adjudication_id": aid,
        "payment_id": "PAY1",
        "patient_control_number": pcn,
        "claim_status_code": "1",
        "total_charge": Decimal(charge),
        "segment_index": 20,
        **extra,
    }


@pytest.fixture
def conn(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = open_warehouse(tmp_path / "w.duckdb")
    claims = [
        _claim(
            "C1",
            "PCN-1",
            "100",
            D(2025, 1, 1),
            group_control_number="101",
            st_control_number="0001",
        ),
        _claim(
            "C1B",
            "PCN-1",
            "100",
            D(2025, 2, 1),
            group_control_number="101",
            st_control_number="0001",
        ),
        _claim("C2", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "50", D(2025, 1, 1)),
        _claim("C3", "PCN-3", "75", D(2025, 1, 12), member_id="M3", statement_from=D(2025, 1, 10)),
        _claim("C4", "PCN-4", "20", D(2025, 1, 1)),
    ]
    part = ensure_part(c, CLAIMS_HEADER, "x12_test", CLAIMS_HEADER.column_names)
    insert_dict_rows(c, CLAIMS_HEADER, part, claims, {})
    lines = [
        {"claim_line_id": "C1B-1", "claim_id": "C1B", "line_number": 1, "procedure_code": "99213",
         "line_charge": Decimal("60"), "line_item_control_number": "L1"},
        {"claim_line_id": "C1B-2", "claim_id": "C1B", "line_number": 2, "procedure_code": "99214",
         "line_charge": Decimal("40")},
        {"claim_line_id": "C3-1", "claim_id": "C3", "line_number": 1, "procedure_code": "J1100",
         "line_charge": Decimal("75")},
    ]  # fmt: skip
    part = ensure_part(c, CLAIMS_LINE, "x12_test", CLAIMS_LINE.column_names)
    insert_dict_rows(c, CLAIMS_LINE, part, lines, {})
    insert_dict_rows(
        c, PAYMENTS, "payments",
        [{"payment_id": "PAY1", "payer_id": "P1", "payee_id": "1111111111",
          "payment_date": D(2025, 3, 1)}], {},
    )  # fmt: skip
    adjudications = [
        _adj("A1", "PCN-1", "100"),
        _adj("A1R", "PCN-1", "-100", claim_status_code="22"),
        _adj("A2", "ABCDEFGHIJKLMNOPQRST", "50"),
        _adj("A3", "XXX", "75", patient_member_id="M3", statement_from=D(2025, 1, 11)),
        _adj("A4", "OTHER", "20", payer_claim_control_number="ICN-4"),
        _adj("A5", "NOPE", "5"),
    ]
    insert_dict_rows(c, ADJUDICATION, "adjudication", adjudications, {})
    svc = [
        {"adjudication_line_id": "S1", "adjudication_id": "A1", "procedure_code": "99213",
         "line_charge": Decimal("60"), "line_item_control_number": "L1", "segment_index": 21},
        {"adjudication_line_id": "S2", "adjudication_id": "A1", "procedure_code": "99214",
         "line_charge": Decimal("40"), "segment_index": 22},
        {"adjudication_line_id": "S3", "adjudication_id": "A3", "procedure_code": "X9999",
         "line_charge": Decimal("75"), "segment_index": 23},
        {"adjudication_line_id": "S5", "adjudication_id": "A5", "procedure_code": "1",
         "line_charge": Decimal("5"), "segment_index": 24},
    ]  # fmt: skip
    insert_dict_rows(c, ADJUDICATION_LINE, "adjudication_line", svc, {})
    insert_dict_rows(
        c, ACK_277CA, "ack_277ca",
        [{"ack_id": "S277", "level": "claim", "patient_control_number": "PCN-4",
          "payer_claim_control_number": "ICN-4", "billing_npi": "1111111111", "payer_id": "P1"}], {},
    )  # fmt: skip
    insert_dict_rows(
        c, ACK_999, "ack_999",
        [{"ack_id": "K1", "ack_group_control_number": "101", "ack_st_control_number": "0001",
          "transaction_ack_code": "A"}], {},
    )  # fmt: skip
    match_claims(c, run_id="r1", now=dt.datetime(2025, 3, 2))
    yield c
    c.close()


def test_remittance_claims_match_by_the_first_method_that_works(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    got = {
        left: (right, method, float(score), review)
        for left, right, method, score, review in conn.execute(
            "SELECT left_id, right_id, match_method, match_score, needs_review FROM claim_match"
            " WHERE left_kind = '835'"
        ).fetchall()
    }
    assert got == {
        "A1": ("C1B", "exact_pcn", 0.99, False),  # two submissions share CLM01: the later one
        "A1R": ("C1B", "exact_pcn", 0.99, False),  # the reversal attaches to the same claim
        "A2": ("C2", "pcn_prefix20", 1.0, False),
        "A4": ("C4", "payer_icn", 1.0, False),  # CLP07 = REF*1K of the 277CA matched to C4
        "A3": ("C3", "fuzzy", 0.7, True),  # member + charge; dates 1 day apart: review
    }
    assert conn.execute(
        "SELECT left_kind, left_id FROM unmatched WHERE left_kind = '835'"
    ).fetchall() == [("835", "A5")]
    assert conn.execute(
        "SELECT claim_id, match_method FROM adjudication WHERE adjudication_id = 'A2'"
    ).fetchone() == ("C2", "pcn_prefix20")


def test_lines_acks_and_unmatched_lines(conn: duckdb.DuckDBPyConnection) -> None:
    lines = dict(
        ((left, (right, method)) for left, right, method in conn.execute(
            "SELECT left_id, right_id, match_method FROM claim_line_match").fetchall())
    )  # fmt: skip
    assert lines == {
        "S1": ("C1B-1", "line_control"),
        "S2": ("C1B-2", "code_date_charge"),
        "S3": ("C3-1", "ordinal"),
    }
    assert conn.execute(
        "SELECT reason FROM unmatched WHERE left_kind = '835_line' AND left_id = 'S5'"
    ).fetchone() == ("its claim matched no submitted claim",)
    acks = conn.execute(
        "SELECT left_id, right_id FROM claim_match WHERE left_kind = '999' ORDER BY right_id"
    ).fetchall()
    assert acks == [("K1", "C1"), ("K1", "C1B")]  # every claim of the acknowledged set
    assert conn.execute(
        "SELECT right_id, match_method FROM claim_match WHERE left_kind = '277ca'"
    ).fetchall() == [("C4", "trn02")]


def test_rematching_gives_the_same_crosswalk(conn: duckdb.DuckDBPyConnection) -> None:
    query = "SELECT left_kind, left_id, right_id, match_method FROM claim_match ORDER BY ALL"
    before = conn.execute(query).fetchall()
    match_claims(conn, run_id="r2", now=dt.datetime(2025, 3, 3))
    assert conn.execute(query).fetchall() == before


def test_a_later_run_rewrites_exactly_the_remittance_rows_whose_match_changed(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    """A claim loaded later can be a better match for a remittance matched before (a resubmission
    of PCN-1 before the payment): its rows follow; every other row keeps its match; and each
    row is still there once."""
    rows = "SELECT adjudication_id, claim_id, match_method FROM adjudication ORDER BY ALL"
    lines = "SELECT adjudication_line_id, claim_line_id FROM adjudication_line ORDER BY ALL"
    before = dict((a, (c, m)) for a, c, m in conn.execute(rows).fetchall())
    part = ensure_part(conn, CLAIMS_HEADER, "x12_test", CLAIMS_HEADER.column_names)
    insert_dict_rows(conn, CLAIMS_HEADER, part, [_claim("C1C", "PCN-1", "100", D(2025, 2, 20))], {})
    part = ensure_part(conn, CLAIMS_LINE, "x12_test", CLAIMS_LINE.column_names)
    insert_dict_rows(
        conn, CLAIMS_LINE, part,
        [{"claim_line_id": "C1C-1", "claim_id": "C1C", "line_number": 1, "procedure_code": "99213",
          "line_charge": Decimal("60"), "line_item_control_number": "L1"}], {},
    )  # fmt: skip
    match_claims(conn, run_id="r2", now=dt.datetime(2025, 3, 3))
    after = dict((a, (c, m)) for a, c, m in conn.execute(rows).fetchall())
    assert after == {**before, "A1": ("C1C", "exact_pcn"), "A1R": ("C1C", "exact_pcn")}
    assert conn.execute("SELECT count(*) FROM adjudication").fetchone() == (len(before),)
    got = dict(conn.execute(lines).fetchall())
    # S1 follows its claim's new line by REF*6R; S2 has no line on C1C any more; S3 unchanged
    assert got == {"S1": "C1C-1", "S2": None, "S3": "C3-1", "S5": None}
