"""KPIs on a hand-built warehouse; every expected value is worked out by hand in comments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from claimflow.denials.reference import ensure_reference
from claimflow.marts.kpis import compute_kpis
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
from tests.conftest import cli

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


def test_kpis_for_january(warehouse: Path) -> None:
    conn = duckdb.connect(str(warehouse))
    k = compute_kpis(conn, start=D(2025, 1, 1), end=D(2025, 1, 31))
    conn.close()
    assert k["claims_submitted"] == 4
    assert k["total_billed"] == 1000.0  # 100 + 200 + 300 + 400
    assert k["total_paid"] == 80.0
    # transaction sets 1/0001 (A), 2/0002 (R), 3/0003 (A)
    assert k["rejection_rate_999"] == pytest.approx(1 / 3)
    # 277CA: K1 A2, K2 A7 (rejected), K4 A1
    assert k["rejection_rate_277ca"] == pytest.approx(1 / 3)
    # clean on first pass: K1 (999 A, A2) and K4 (999 A, A1); K2 277CA-rejected, K3 999-rejected
    assert k["first_pass_clean_claim_rate"] == pytest.approx(2 / 4)
    # K4's first 835 is CLP02 = 4 with CO-197: an initial denial; K1's CO-45 is contractual
    assert k["initial_denial_rate"] == pytest.approx(1 / 4)
    assert k["initial_denial_rate_dollars"] == pytest.approx(400 / 1000)
    # lags: K1 25 Jan − 5 Jan = 20 days, K4 19 Feb − 20 Jan = 30 days
    assert k["payer_lag_days_median"] == pytest.approx(25)
    assert k["payer_lag_days_p90"] == pytest.approx(20 + 0.9 * 10)
    # collected 80 of (100 − 20 contractual) + 400 on the remitted claims
    assert k["net_collection_rate"] == pytest.approx(80 / 480)
    # as of 31 Jan: K1 settled (100 − 80 − 20); K2 200, K3 300, K4 400 open (its 835 is in Feb)
    assert k["ar_total"] == 900.0
    assert k["days_in_ar"] == pytest.approx(900 / (1000 / 90), abs=0.01)
    assert k["ar_aging"] == {"0_30": 900.0, "31_60": 0, "61_90": 0, "91_120": 0, "over_120": 0}
    # January's only remittance line (K1) matched on REF*6R without review
    assert k["auto_posting_rate"] == 1.0


def test_window_payer_filter_and_cli(warehouse: Path) -> None:
    result = cli(
        "kpi", "--warehouse", str(warehouse), "--from", "2025-01-01", "--to", "2025-02-28", "--json"
    )
    assert result.exit_code == 0, result.stderr
    k = result.json()
    # February adds K4's line, matched only by position (flagged for review): 1 of 2
    assert k["auto_posting_rate"] == 0.5
    assert k["ar_total"] == 900.0  # K2 200 + K3 300 + K4 400 (denied, not written off)
    none = cli("kpi", "--warehouse", str(warehouse), "--payer", "OTHER", "--json").json()
    assert none["claims_submitted"] == 0 and none["initial_denial_rate"] is None
