"""The named reports on the hand-built warehouse of conftest.py (values worked out by hand)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from claimflow.marts.reports import prepare, run_report

WINDOW = {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 1, 31)}


@pytest.fixture
def conn(warehouse: Path) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(warehouse), read_only=True)
    prepare(c, **WINDOW)
    return c


def test_payer_scorecard(conn: duckdb.DuckDBPyConnection) -> None:
    (p1,) = run_report(conn, "payer_scorecard")
    assert (p1["payer_id"], p1["claims"], float(p1["billed"]), float(p1["paid"])) == (
        "P1",
        4,
        1000.0,
        80.0,
    )
    assert p1["initial_denial_rate"] == pytest.approx(1 / 4)
    assert (p1["lag_days_median"], p1["lag_days_p90"]) == (pytest.approx(25), pytest.approx(29))
    assert p1["first_pass_acceptance"] == pytest.approx(2 / 3)  # K1 A2, K4 A1 of K1, K2, K4
    assert p1["top_denial_category"] == "authorization"  # K4's CO-197; CO-45 is contractual


def test_denials_reconciliation_and_forecast(conn: duckdb.DuckDBPyConnection) -> None:
    denials = run_report(conn, "denials_by_category")
    assert [(d["category"], d["claims"], float(d["denied_amount"])) for d in denials] == [
        ("authorization", 1, 400.0)
    ]
    weeks = run_report(conn, "reconciliation_by_week")
    # Monday weeks: K1 (Sun 5 Jan) in the week of 30 Dec, K2 6 Jan, K3 13 Jan, K4 20 Jan
    assert [(str(w["week"])[:10], w["claims_837"], w["claims_835"]) for w in weeks] == [
        ("2024-12-30", 1, 1),
        ("2025-01-06", 1, 0),
        ("2025-01-13", 1, 0),
        ("2025-01-20", 1, 1),
    ]
    # as of 20 Feb (the day after the last 835) K2 is 41 days old and K3 36: their next weeks
    # are age-weeks 5 and 6 (days 35-48), and no claim has been watched through those yet (K1
    # was paid at 20 days, K4 answered at 30), so there is no evidence of payment: 13 weeks of 0
    weeks = run_report(conn, "cash_forecast")
    assert [str(w["expected_week"])[:10] for w in weeks[:2]] == ["2025-02-20", "2025-02-27"]
    assert len(weeks) == 13 and {float(w["expected_payment"]) for w in weeks} == {0.0}


def test_report_command(warehouse: Path) -> None:
    from tests.conftest import cli

    rows = cli(
        "report", "denials_by_category", "--warehouse", str(warehouse),
        "--from", "2025-01-01", "--to", "2025-01-31", "--json",
    ).json()  # fmt: skip
    assert [(r["category"], r["claims"]) for r in rows] == [("authorization", 1)]
    unknown = cli("report", "nope", "--warehouse", str(warehouse))
    assert unknown.exit_code == 2 and "payer_scorecard" in unknown.stderr


def test_carc_that_needs_a_remark_is_reported_by_the_pair(warehouse: Path, tmp_path: Path) -> None:
    import shutil
    from decimal import Decimal

    from claimflow.schema import ADJUSTMENTS, REMARKS
    from claimflow.warehouse.arrow import insert_dict_rows

    copy = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, copy)
    c = duckdb.connect(str(copy))
    insert_dict_rows(c, ADJUSTMENTS, "adjustments", [
        {"adjustment_id": "J16", "adjudication_id": "R1", "adjudication_line_id": "RL1",
         "level": "line", "group_code": "CO", "reason_code": "16", "amount": Decimal("5"),
         "triplet_index": 1},
    ], {})  # fmt: skip
    insert_dict_rows(c, REMARKS, "remarks", [
        {"remark_id": "M1", "adjudication_id": "R1", "adjudication_line_id": "RL1",
         "level": "line", "source_segment": "LQ", "remark_code": "N290"},
    ], {})  # fmt: skip
    prepare(c, **WINDOW)
    rows = {r["category"]: float(r["denied_amount"]) for r in run_report(c, "denials_by_category")}
    c.close()
    # CO-16 alone would be missing_information; with N290 (rendering provider id) it is provider data
    assert rows == {"authorization": 400.0, "provider_data": 5.0}
