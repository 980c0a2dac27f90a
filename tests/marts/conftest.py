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
from claimflow.warehouse.arrow import insert_dict_rows
from claimflow.warehouse.connection import open_warehouse
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


# A second hand-built world, for the daily mart, the HFMA denominator, final denial write-offs,
# resubmission outcomes and the cash-forecast back-test. One payer (P1); every claim an 837.
# (id, CLM01, charge, submitted, billing NPI, source, CLM05-3, GS06, ST02)
OUTCOME_CLAIMS = [
    ("C1", "C1", "100", D(2025, 1, 10), "N1", "ch", "1", "1", "0001"),
    ("C2", "C2", "200", D(2025, 1, 20), "N1", "ch", "1", "2", "0002"),
    ("C3", "C3", "300", D(2025, 2, 3), "N1", "ch", "1", "3", "0003"),
    ("C4", "C4", "400", D(2025, 2, 10), "N2", "ch", "1", "4", "0004"),
    ("C5", "C5", "500", D(2025, 2, 17), "N2", "ch", "1", "6", "0006"),
    ("C6", "C6", "600", D(2025, 2, 24), "N1", "ch2", "1", "7", "0007"),
    ("C7", "C7", "700", D(2025, 3, 10), "N2", "ch2", "1", "5", "0005"),
    ("C8", "C8", "800", D(2025, 3, 10), "N2", "ch2", "1", "5", "0005"),
    ("C4R", "C4", "400", D(2025, 3, 15), "N2", "ch", "7", "8", "0008"),  # C4's replacement
    ("C9", "C9", "900", D(2025, 3, 17), "N1", "ch", "1", "9", "0009"),
    ("C10", "C10", "1000", D(2025, 4, 1), "N1", "ch", "1", "10", "0010"),
]
# (835 claim id, CLP01, payment date, CLP02, CLP04, CAS group, CARC, CAS amount)
OUTCOME_REMITS = [
    ("R1", "C1", D(2025, 2, 1), "1", "80", "CO", "45", "20"),
    ("R2", "C2", D(2025, 2, 10), "1", "150", "CO", "45", "50"),
    ("R3", "C3", D(2025, 3, 3), "1", "240", "CO", "45", "60"),
    ("R4", "C4", D(2025, 3, 10), "4", "0", "CO", "197", "400"),  # authorization denial
    ("R5", "C5", D(2025, 3, 17), "4", "0", "CO", "29", "500"),  # timely filing denial
    ("R6a", "C6", D(2025, 3, 24), "4", "0", "CO", "16", "600"),  # missing information
    ("R8", "C8", D(2025, 4, 7), "1", "640", "CO", "45", "160"),
    ("R4R", "C4", D(2025, 4, 10), "1", "300", "CO", "45", "100"),  # pays the replacement C4R
    ("R9", "C9", D(2025, 4, 15), "4", "0", "CO", "197", "900"),
    ("R6b", "C6", D(2025, 4, 20), "4", "0", "CO", "16", "600"),  # C6 resubmitted, denied again
    ("R10", "C10", D(2025, 5, 5), "1", "800", "CO", "45", "200"),
]


@pytest.fixture
def outcomes(tmp_path: Path) -> Path:
    return build_outcomes(tmp_path / "outcomes.duckdb")


def build_outcomes(path: Path) -> Path:
    """Write the second world to ``path`` (also used by the dashboard's page tests)."""
    conn = open_warehouse(path)
    ensure_reference(conn)
    _put(conn, CLAIMS_HEADER, [
        {"claim_id": c, "patient_control_number": pcn, "total_charge": M(ch), "submission_date": d,
         "payer_id": "P1", "billing_npi": npi, "source_system": src, "claim_frequency_code": freq,
         "group_control_number": gs, "st_control_number": st, "segment_index": 5}
        for c, pcn, ch, d, npi, src, freq, gs, st in OUTCOME_CLAIMS
    ])  # fmt: skip
    _put(conn, ACK_999, [
        {"ack_id": "A-5", "ack_group_control_number": "5", "ack_st_control_number": "0005",
         "transaction_ack_code": "A"},
    ])  # fmt: skip
    # (STC01 category, STC01-2 status code, STC01-3 entity): C7 rejected A7:562:85, C8 accepted;
    # C2 accepted (A1:19) on 21 Jan, then rejected (A6:454) on 23 Jan: its latest status counts
    _put(conn, ACK_277CA, [
        {"ack_id": "S-C7", "level": "claim", "patient_control_number": "C7",
         "status_category_code": "A7", "status_code": "562", "entity_code": "85",
         "status_date": D(2025, 3, 12), "payer_id": "P1"},
        {"ack_id": "S-C8", "level": "claim", "patient_control_number": "C8",
         "status_category_code": "A1", "status_code": "20", "status_date": D(2025, 3, 12),
         "payer_id": "P1"},
        {"ack_id": "S-C2a", "level": "claim", "patient_control_number": "C2",
         "status_category_code": "A1", "status_code": "19", "status_date": D(2025, 1, 21),
         "payer_id": "P1"},
        {"ack_id": "S-C2b", "level": "claim", "patient_control_number": "C2",
         "status_category_code": "A6", "status_code": "454", "status_date": D(2025, 1, 23),
         "payer_id": "P1"},
    ])  # fmt: skip
    _put(conn, PAYMENTS, [
        {"payment_id": f"PAY-{r}", "payer_id": "P1", "payment_date": d}
        for r, _, d, *_ in OUTCOME_REMITS
    ])  # fmt: skip
    _put(conn, ADJUDICATION, [
        {"adjudication_id": r, "payment_id": f"PAY-{r}", "patient_control_number": pcn,
         "claim_status_code": st, "total_charge": M(dict((x[1], x[2]) for x in OUTCOME_CLAIMS)[pcn]),
         "paid_amount": M(paid), "payer_claim_control_number": f"ICN-{r}", "segment_index": 10}
        for r, pcn, _, st, paid, *_ in OUTCOME_REMITS
    ])  # fmt: skip
    _put(conn, ADJUSTMENTS, [
        {"adjustment_id": f"J-{r}", "adjudication_id": r, "level": "claim", "group_code": g,
         "reason_code": carc, "amount": M(amount), "triplet_index": 1}
        for r, _, _, _, _, g, carc, amount in OUTCOME_REMITS
    ])  # fmt: skip
    # C8's one service line, sent with REF*6R C8L1 (C10's line is not in the warehouse)
    _put(conn, CLAIMS_LINE, [
        {"claim_line_id": "C8-1", "claim_id": "C8", "line_number": 1, "procedure_code": "99213",
         "line_charge": M("800"), "line_item_control_number": "C8L1"},
    ])  # fmt: skip
    _put(conn, ADJUDICATION_LINE, [
        # C8's line carries AMT*B6 640 and REF*6R C8L1 (so it posts without review); C10's has
        # neither: its paid amount stands for the allowed, and it matches no claim line
        {"adjudication_line_id": "RL8", "adjudication_id": "R8", "procedure_code": "99213",
         "line_charge": M("800"), "line_paid": M("640"), "allowed_amount": M("640"),
         "line_item_control_number": "C8L1", "segment_index": 11},
        {"adjudication_line_id": "RL10", "adjudication_id": "R10", "procedure_code": "99213",
         "line_charge": M("1000"), "line_paid": M("800"), "segment_index": 11},
    ])  # fmt: skip
    at = dt.datetime(2025, 4, 21)
    conn.executemany(
        "INSERT INTO resubmissions (claim_id, attempt, trigger, trigger_id, frequency_code,"
        " category, fix, run_id, created_at) VALUES (?, 1, ?, ?, ?, ?, 'fix', 'r', ?)",
        [
            ("C4", "835", "R4", "7", "authorization", at),
            ("C6", "835", "R6a", "7", "missing_information", at),
            ("C7", "277ca", "S-C7", "1", "coding", at),
        ],
    )
    conn.executemany(
        "INSERT INTO rejection_log (run_id, logged_at, claim_id, patient_control_number,"
        " source_system, reason, category, disposition, amount) VALUES ('r', ?, ?, ?, 'ch', ?, ?, ?, ?)",
        [
            (at, "C5", "C5", "not_resubmittable", "timely_filing", "write_off", M("500")),
            (
                at,
                "C6",
                "C6",
                "timely_filing_window_closed",
                "missing_information",
                "resubmit",
                M("600"),
            ),
            (
                at,
                "C9",
                "C9",
                "no_deterministic_fix",
                "authorization",
                "correct_and_review",
                M("900"),
            ),
        ],
    )
    match_claims(conn, run_id="r", now=dt.datetime(2025, 5, 10))
    conn.close()
    return path
