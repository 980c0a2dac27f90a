"""The provider and source filters, and the daily reports beside the daily mart (277CA rejections
by status code, denials by category and top CARC, A/R and its aging as of each day, 835
auto-posting), on the hand-built ``outcomes`` world of conftest.py.

Every expected value is worked out by hand below from the fixture's rows, not by running SQL.
The claims (charge, submitted, billing NPI, source; all payer P1):
    C1 100 10 Jan N1 ch     C2 200 20 Jan N1 ch     C3 300 3 Feb N1 ch      C4 400 10 Feb N2 ch
    C5 500 17 Feb N2 ch     C6 600 24 Feb N1 ch2    C7 700 10 Mar N2 ch2    C8 800 10 Mar N2 ch2
    C4R 400 15 Mar N2 ch (C4's replacement)         C9 900 17 Mar N1 ch     C10 1000 1 Apr N1 ch
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from claimflow.marts.kpis import compute_kpis
from claimflow.marts.reports import prepare, run_report
from claimflow.schema import ADJUSTMENTS
from tests.conftest import cli
from tests.marts.conftest import _put

D = dt.date
ALL = {"start": D(1900, 1, 1), "end": D(2025, 12, 31)}
NO_AGE = {"31_60": 0, "61_90": 0, "91_120": 0, "over_120": 0}


def _kpis(path: Path, **kwargs: Any) -> dict[str, Any]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return compute_kpis(conn, **{**ALL, **kwargs})
    finally:
        conn.close()


def _report(path: Path, name: str, **kwargs: Any) -> list[dict[str, Any]]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        prepare(conn, **{**ALL, **kwargs})
        return run_report(conn, name)
    finally:
        conn.close()


def test_kpis_of_one_provider(outcomes: Path) -> None:
    k = _kpis(outcomes, provider="N2")
    # N2: C4, C5, C7, C8, C4R
    assert k["claims_submitted"] == 5
    assert k["total_billed"] == 400 + 500 + 700 + 800 + 400
    assert k["total_paid"] == 640 + 300  # R8 on C8, R4R on C4R; R4 and R5 paid 0
    assert k["total_allowed"] == 640  # RL8's AMT*B6, the only remitted line of N2
    assert k["rejection_rate_999"] == 0.0  # the one 999 (GS 5: C7 and C8) accepts
    assert k["rejection_rate_277ca"] == pytest.approx(1 / 2)  # C7 A7, C8 A1
    # originals with a 999 or a 277CA: C7, C8; clean on first pass: C8
    assert k["first_pass_clean_claim_rate"] == pytest.approx(1 / 2)
    # first 835 a denial: C4 (R4) and C5 (R5); C8's and C4R's paid, C7 has none
    assert k["initial_denial_rate"] == pytest.approx(2 / 5)
    assert k["initial_denial_rate_dollars"] == pytest.approx((400 + 500) / 2800)
    # lags: C4 10 Feb → 10 Mar 28, C5 17 Feb → 17 Mar 28, C8 10 Mar → 7 Apr 28, C4R 15 Mar →
    # 10 Apr 26: median of 26, 28, 28, 28
    assert k["payer_lag_days_median"] == 28
    # claims with an 835: paid 0 + 0 + 640 + 300 over charge − contractual (CO-45):
    # C4 400, C5 500, C8 800 − 160, C4R 400 − 100
    assert k["net_collection_rate"] == pytest.approx(940 / (400 + 500 + 640 + 300))
    assert k["final_denial_write_off_amount"] == 500  # C5; C6 (written off too) is N1's
    assert k["final_denial_write_off_rate"] == pytest.approx(500 / (2800 - 160 - 100))
    # resubmissions of N2's claims: C4 (paid 300 through C4R) and C7 (pending); not C6
    assert (k["resubmissions_sent"], k["resubmission_success_rate"]) == (2, 1.0)
    assert k["resubmission_recovered_amount"] == 300
    # N2's first claim is of February: May would be the first HFMA month, and the 835s end 5 May
    assert k["initial_denial_rate_hfma_3m"] is None
    # as of 31 Dec: C4 400 (denied, not paid), C5 500, C7 700 open, all over 120 days old;
    # C8 and C4R settled (paid + CO-45 = charge); no claim in the last 90 days
    assert k["ar_total"] == 1600
    assert k["ar_aging"] == {"0_30": 0, **NO_AGE, "over_120": 1600}
    assert k["days_in_ar"] is None
    # 835 lines: RL8 (C8, N2) posted on REF*6R without review; RL10 (C10) is N1's
    assert k["auto_posting_rate"] == 1.0


def test_kpis_of_one_source_and_of_everyone(outcomes: Path) -> None:
    k = _kpis(outcomes, source="ch2")
    # ch2: C6, C7, C8
    assert (k["claims_submitted"], k["total_billed"], k["total_paid"]) == (3, 2100, 640)
    assert k["initial_denial_rate"] == pytest.approx(1 / 3)  # C6's R6a
    assert k["final_denial_write_off_amount"] == 600  # C6
    # C6 resubmitted and denied again, C7 pending: 0 paid of 1 answered
    assert (k["resubmissions_sent"], k["resubmission_success_rate"]) == (2, 0.0)
    assert k["auto_posting_rate"] == 1.0  # RL8 only
    everyone = _kpis(outcomes)
    assert everyone["claims_submitted"] == 11
    assert everyone["auto_posting_rate"] == pytest.approx(1 / 2)  # RL8 yes, RL10 unmatched
    # claims with a 277CA: C2 (latest A6), C7 (A7), C8 (A1)
    assert everyone["rejection_rate_277ca"] == pytest.approx(2 / 3)
    nobody = _kpis(outcomes, provider="N9")
    assert nobody["claims_submitted"] == 0 and nobody["auto_posting_rate"] is None
    assert nobody["ar_total"] == 0 and nobody["days_in_ar"] is None


def test_kpi_command_takes_provider_and_source(outcomes: Path) -> None:
    args = ["kpi", "--warehouse", str(outcomes), "--to", "2025-12-31"]
    result = cli(*args, "--provider", "N2", "--source", "ch", "--json")
    assert result.exit_code == 0, result.stderr
    k = result.json()
    # N2 and ch: C4, C5, C4R
    # money in JSON is a decimal string, to the cent
    assert (k["claims_submitted"], k["total_billed"], k["total_paid"]) == (3, "1300.00", "300.00")
    assert k["initial_denial_rate"] == pytest.approx(2 / 3)
    assert Decimal(k["ar_total"]) == 400 + 500  # C4R settled by R4R
    assert k["auto_posting_rate"] is None  # none of their 835s has a service line
    text = cli(*args, "--payer", "P1", "--provider", "N2", "--source", "ch")
    assert text.exit_code == 0, text.stderr
    assert "payer P1, provider N2, source ch" in " ".join(text.stdout.split())
    assert "--provider" in cli("kpi", "--help").stdout


def test_report_command_takes_provider_and_source(outcomes: Path) -> None:
    result = cli(
        "report", "daily_by_payer_provider_source", "--warehouse", str(outcomes),
        "--to", "2025-12-31", "--provider", "N1", "--source", "ch", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    # N1 and ch: C1, C2, C3, C9, C10, one submission day each
    assert len(rows) == 5
    assert {(r["provider"], r["source_system"]) for r in rows} == {("N1", "ch")}


def test_filtered_daily_mart_and_net_collection(outcomes: Path) -> None:
    rows = _report(outcomes, "daily_by_payer_provider_source", provider="N1", source="ch")
    # N1 and ch: C1, C2, C3, C9, C10, one day each
    assert [str(r["day"]) for r in rows] == [
        "2025-01-10", "2025-01-20", "2025-02-03", "2025-03-17", "2025-04-01",
    ]  # fmt: skip
    assert {(r["provider"], r["source_system"]) for r in rows} == {("N1", "ch")}
    by = {str(r["day"]): r for r in rows}
    # C2: paid 150 of 200 − 50 contractual; C9: denied, 0 of 900; C10: 800 of 1000 − 200
    assert by["2025-01-20"]["net_collection_rate"] == pytest.approx(150 / 150)
    assert by["2025-03-17"]["net_collection_rate"] == 0.0
    assert by["2025-04-01"]["net_collection_rate"] == pytest.approx(800 / 800)
    assert by["2025-01-20"]["rejection_rate_277ca"] == 1.0  # C2's latest 277CA is A6


def test_daily_277ca_rejections_by_status_code(outcomes: Path) -> None:
    rows = _report(outcomes, "daily_277ca_rejections")
    got = [
        (str(r["day"]), r["provider"], r["source_system"], r["status_category"],
         r["status_code"], r["entity_code"], r["claims"], r["billed"], r["share_of_acknowledged"])
        for r in rows
    ]  # fmt: skip
    assert got == [
        # C2: accepted A1:19 on 21 Jan, then A6:454 on 23 Jan; the latest counts
        ("2025-01-20", "N1", "ch", "A6", "454", None, 1, Decimal("200.00"), 1.0),
        # C7 A7:562:85; its group (10 Mar, N2, ch2) has C8 acknowledged too (A1): 1 of 2
        ("2025-03-10", "N2", "ch2", "A7", "562", "85", 1, Decimal("700.00"), 0.5),
    ]
    # the description is the shipped claim status code list's (X12 code 454)
    assert rows[0]["description"] == "Procedure code for services rendered."
    assert _report(outcomes, "daily_277ca_rejections", provider="N2", source="ch") == []


def test_daily_denials_by_category_and_top_carcs(outcomes: Path, tmp_path: Path) -> None:
    rows = _report(outcomes, "daily_denials_by_category")
    assert [
        (str(r["day"]), r["provider"], r["source_system"], r["category"], r["claims"],
         float(r["denied_amount"]))
        for r in rows
    ] == [
        ("2025-02-10", "N2", "ch", "authorization", 1, 400.0),  # C4: CO-197
        ("2025-02-17", "N2", "ch", "timely_filing", 1, 500.0),  # C5: CO-29
        ("2025-02-24", "N1", "ch2", "missing_information", 1, 1200.0),  # C6: CO-16 on R6a, R6b
        ("2025-03-17", "N1", "ch", "authorization", 1, 900.0),  # C9: CO-197
    ]  # fmt: skip
    # five more CARCs on C4's 835 R4: the top five of its day and group are kept
    copy = tmp_path / "copy.duckdb"
    shutil.copy(outcomes, copy)
    conn = duckdb.connect(str(copy))
    _put(conn, ADJUSTMENTS, [
        {"adjustment_id": f"JX{carc}", "adjudication_id": "R4", "level": "claim",
         "group_code": "CO", "reason_code": carc, "amount": Decimal(amount), "triplet_index": i}
        for i, (carc, amount) in enumerate(
            [("16", "50"), ("4", "40"), ("11", "30"), ("18", "20"), ("50", "10")], start=2)
    ])  # fmt: skip
    conn.close()
    carcs = [
        (r["carc"], r["category"], float(r["denied_amount"]), r["rank"])
        for r in _report(copy, "daily_denials_by_carc", provider="N2", source="ch")
        if str(r["day"]) == "2025-02-10"
    ]
    assert carcs == [
        ("CO-197", "authorization", 400.0, 1),
        ("CO-16", "missing_information", 50.0, 2),
        ("CO-4", "coding", 40.0, 3),
        ("CO-11", "coding", 30.0, 4),
        ("CO-18", "duplicate", 20.0, 5),
    ]  # CO-50 (10) is the sixth
    c4 = [
        (r["category"], float(r["denied_amount"]))
        for r in _report(copy, "daily_denials_by_category", provider="N2", source="ch")
        if str(r["day"]) == "2025-02-10"
    ]
    assert c4 == [
        ("authorization", 400.0),
        ("coding", 70.0),
        ("missing_information", 50.0),
        ("duplicate", 20.0),
        ("medical_necessity", 10.0),
    ]


def _ar(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (str(r["day"]), r["provider"], r["source_system"], float(r["ar_total"]),
         float(r["ar_0_30"]), float(r["ar_31_60"]), float(r["charges_90d"]), r["days_in_ar"])
        for r in rows
    ]  # fmt: skip


def test_daily_ar_as_of_each_day(outcomes: Path) -> None:
    # Balances (charge − paid − CO-45), from submission to the 835 that settles them:
    # C1 100 to 1 Feb, C2 200 to 10 Feb, C3 300 to 3 Mar, C8 800 to 7 Apr, C4R 400 to 10 Apr,
    # C10 1000 to 5 May; C4 400, C5 500, C6 600, C9 900 stay open (denied), C7 700 (no 835).
    # 15 March: C4 is 33 days old, C5 26, C6 19, C7 and C8 5, C4R 0; charges of the last
    # 90 days are every claim's submitted by then.
    assert _ar(_report(outcomes, "daily_ar", start=D(2025, 3, 15), end=D(2025, 3, 15))) == [
        ("2025-03-15", "N1", "ch", 0.0, 0.0, 0.0, 100 + 200 + 300, 0.0),
        ("2025-03-15", "N1", "ch2", 600.0, 600.0, 0.0, 600.0, 90.0),
        ("2025-03-15", "N2", "ch", 1300.0, 500 + 400, 400.0, 1300.0, 90.0),
        ("2025-03-15", "N2", "ch2", 1500.0, 1500.0, 0.0, 1500.0, 90.0),
    ]
    # the whole of it as one KPI: 3,400 of A/R over 4,000 charged in 90 days
    k = _kpis(outcomes, end=D(2025, 3, 15))
    assert k["ar_total"] == 3400
    assert k["ar_aging"] == {"0_30": 3000, **NO_AGE, "31_60": 400}
    assert k["days_in_ar"] == pytest.approx(3400 / (4000 / 90))
    # C4 (10 Feb) turns 31 days old on 13 March: it moves from 0-30 to 31-60
    assert _ar(_report(outcomes, "daily_ar", start=D(2025, 3, 12), end=D(2025, 3, 13),
                       provider="N2")) == [
        ("2025-03-12", "N2", "ch", 900.0, 900.0, 0.0, 900.0, 90.0),
        ("2025-03-12", "N2", "ch2", 1500.0, 1500.0, 0.0, 1500.0, 90.0),
        ("2025-03-13", "N2", "ch", 900.0, 500.0, 400.0, 900.0, 90.0),
        ("2025-03-13", "N2", "ch2", 1500.0, 1500.0, 0.0, 1500.0, 90.0),
    ]  # fmt: skip
    # R8 settles C8 on 7 April: 700 left (C7) over 1,500 charged ÷ 90 = 42 days
    window = {"start": D(2025, 4, 6), "end": D(2025, 4, 7), "provider": "N2", "source": "ch2"}
    assert _ar(_report(outcomes, "daily_ar", **window)) == [
        ("2025-04-06", "N2", "ch2", 1500.0, 1500.0, 0.0, 1500.0, 90.0),
        ("2025-04-07", "N2", "ch2", 700.0, 700.0, 0.0, 1500.0, 42.0),
    ]
    k = _kpis(outcomes, **window)
    assert (k["ar_total"], k["days_in_ar"]) == (700, 42.0)
    assert k["ar_aging"] == {"0_30": 700, **NO_AGE}


def test_a_claim_without_a_charge_has_no_balance_in_ar(outcomes: Path, tmp_path: Path) -> None:
    # C8 loses its charge (an export without amounts) and R8 becomes a reversal (paid −640,
    # CO-45 still 160): charge − paid − contractual is unknown, so C8 is in no A/R figure,
    # whatever its 835s say; C7 (700, no 835) stays open, and alone makes the 90-day charges
    copy = tmp_path / "copy.duckdb"
    shutil.copy(outcomes, copy)
    conn = duckdb.connect(str(copy))
    for (part,) in conn.execute(  # claims_header is a view over its parts
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'claims_header__part__%'"
    ).fetchall():
        conn.execute(f"UPDATE {part} SET total_charge = NULL WHERE claim_id = 'C8'")
    conn.execute("UPDATE adjudication SET paid_amount = -640 WHERE adjudication_id = 'R8'")
    assert conn.execute(
        "SELECT c.total_charge, a.paid_amount FROM claims_header AS c"
        " JOIN adjudication AS a USING (claim_id) WHERE a.adjudication_id = 'R8'"
    ).fetchall() == [(None, -640)]
    conn.close()
    window = {"start": D(2025, 4, 6), "end": D(2025, 4, 7), "provider": "N2", "source": "ch2"}
    assert _ar(_report(copy, "daily_ar", **window)) == [
        ("2025-04-06", "N2", "ch2", 700.0, 700.0, 0.0, 700.0, 90.0),
        ("2025-04-07", "N2", "ch2", 700.0, 700.0, 0.0, 700.0, 90.0),
    ]
    k = _kpis(copy, **window)
    assert (k["ar_total"], k["days_in_ar"]) == (700, 90.0)
    assert k["ar_aging"] == {"0_30": 700, **NO_AGE}


def test_daily_auto_posting(outcomes: Path) -> None:
    rows = [
        (str(r["day"]), r["payer_id"], r["provider"], r["source_system"], r["lines"],
         r["auto_posted_lines"], r["auto_posting_rate"])
        for r in _report(outcomes, "daily_auto_posting")
    ]  # fmt: skip
    # by 835 payment date: RL8 (R8, 7 Apr) on C8 by REF*6R; RL10 (R10, 5 May) matches no line
    assert rows == [
        ("2025-04-07", "P1", "N2", "ch2", 1, 1, 1.0),
        ("2025-05-05", "P1", "N1", "ch", 1, 0, 0.0),
    ]
    # the window is of payment dates here; the provider filter keeps N1's claims' lines
    april = _report(outcomes, "daily_auto_posting", start=D(2025, 4, 1), end=D(2025, 4, 30))
    assert [str(r["day"]) for r in april] == ["2025-04-07"]
    n1 = _report(outcomes, "daily_auto_posting", provider="N1")
    assert [(str(r["day"]), r["auto_posting_rate"]) for r in n1] == [("2025-05-05", 0.0)]
