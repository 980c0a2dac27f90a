"""A hand-built warehouse for the marts tests: four claims with their acks and remittances."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from claimflow.denials.reference import ensure_reference
from claimflow.schema import (
    ACK_277CA,
    ACK_999,
    ADJUDICATION,
    ADJUDICATION_LINE,
    ADJUSTMENTS,
    CLAIMS_HEADER,
    CLAIMS_LINE,
    PAYMENTS,
)
from claimflow.warehouse.connection import open_warehouse
from claimflow.warehouse.load_x12 import insert_dict_rows
from claimflow.warehouse.matching import match_claims
from claimflow.warehouse.parts import ensure_part

D = dt.date
M = Decimal


def _put(conn: duckdb.DuckDBPyConnection, table: object, rows: list[dict[str, object]]) -> None:
    from claimflow.schema import Table

    assert isinstance(table, Table)
    target = table.name
    if table.partitioned:
        target = ensure_part(conn, table, "x12_test", table.column_names)
    insert_dict_rows(conn, table, target, rows, {})


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "w.duckdb"
    conn = open_warehouse(path)
    ensure_reference(conn)
    claims = [  # (id, charge, submitted, GS06, ST02)
        ("K1", "100", D(2025, 1, 5), "1", "0001"),
        ("K2", "200", D(2025, 1, 10), "1", "0001"),
        ("K3", "300", D(2025, 1, 15), "2", "0002"),
        ("K4", "400", D(2025, 1, 20), "3", "0003"),
    ]
    _put(conn, CLAIMS_HEADER, [
        {"claim_id": c, "patient_control_number": c, "total_charge": M(ch), "submission_date": d,
         "payer_id": "P1", "claim_frequency_code": "1", "group_control_number": gs,
         "st_control_number": st, "segment_index": 5}
        for c, ch, d, gs, st in claims
    ])  # fmt: skip
    _put(conn, CLAIMS_LINE, [
        {"claim_line_id": f"{c}-1", "claim_id": c, "line_number": 1, "procedure_code": "99213",
         "line_charge": M(ch), "line_item_control_number": f"{c}L1" if c == "K1" else None}
        for c, ch, *_ in claims
    ])  # fmt: skip
    _put(conn, ACK_999, [
        {"ack_id": "A-1", "ack_group_control_number": "1", "ack_st_control_number": "0001", "transaction_ack_code": "A"},
        {"ack_id": "A-2", "ack_group_control_number": "2", "ack_st_control_number": "0002", "transaction_ack_code": "R"},
        {"ack_id": "A-3", "ack_group_control_number": "3", "ack_st_control_number": "0003", "transaction_ack_code": "A"},
    ])  # fmt: skip
    _put(conn, ACK_277CA, [
        {"ack_id": f"S-{c}", "level": "claim", "patient_control_number": c, "status_category_code": s,
         "status_date": D(2025, 1, 21), "payer_id": "P1"}
        for c, s in (("K1", "A2"), ("K2", "A7"), ("K4", "A1"))
    ])  # fmt: skip
    _put(conn, PAYMENTS, [
        {"payment_id": "PAY1", "payer_id": "P1", "payment_date": D(2025, 1, 25)},
        {"payment_id": "PAY2", "payer_id": "P1", "payment_date": D(2025, 2, 19)},
    ])  # fmt: skip
    _put(conn, ADJUDICATION, [
        {"adjudication_id": "R1", "payment_id": "PAY1", "patient_control_number": "K1",
         "claim_status_code": "1", "total_charge": M("100"), "paid_amount": M("80"), "segment_index": 10},
        {"adjudication_id": "R4", "payment_id": "PAY2", "patient_control_number": "K4",
         "claim_status_code": "4", "total_charge": M("400"), "paid_amount": M("0"), "segment_index": 10},
    ])  # fmt: skip
    _put(conn, ADJUDICATION_LINE, [
        {"adjudication_line_id": "RL1", "adjudication_id": "R1", "procedure_code": "99213",
         "line_charge": M("100"), "line_paid": M("80"), "line_item_control_number": "K1L1", "segment_index": 11},
        {"adjudication_line_id": "RL4", "adjudication_id": "R4", "procedure_code": "99999",
         "line_charge": M("400"), "line_paid": M("0"), "segment_index": 11},
    ])  # fmt: skip
    _put(conn, ADJUSTMENTS, [
        {"adjustment_id": "J1", "adjudication_id": "R1", "level": "claim", "group_code": "CO",
         "reason_code": "45", "amount": M("20"), "triplet_index": 1},
        {"adjustment_id": "J4", "adjudication_id": "R4", "level": "claim", "group_code": "CO",
         "reason_code": "197", "amount": M("400"), "triplet_index": 1},
    ])  # fmt: skip
    match_claims(conn, run_id="r", now=dt.datetime(2025, 3, 1))
    conn.close()
    yield path
