"""The daily mart, the HFMA denominator, final denial write-offs, resubmission outcomes and the
cash-forecast back-test, on the hand-built ``outcomes`` world of conftest.py.

Every expected value is worked out by hand below from the fixture's rows, not by running SQL.
Dates: C1 10 Jan … C10 1 Apr 2025; the 835s are listed in conftest.OUTCOME_REMITS.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from claimflow.marts.kpis import compute_kpis, hfma_months
from claimflow.marts.reports import prepare, run_report
from claimflow.schema import CLAIMS_HEADER
from tests.conftest import cli
from tests.marts.conftest import _put

D = dt.date
ALL = {"start": D(1900, 1, 1), "end": D(2025, 12, 31)}


@pytest.fixture
def conn(outcomes: Path) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(outcomes), read_only=True)
    prepare(c, **ALL)
    return c


def test_daily_mart_by_payer_provider_and_source(conn: duckdb.DuckDBPyConnection) -> None:
    rows = run_report(conn, "daily_by_payer_provider_source")
    # 11 claims on 10 (day, payer, provider, source) groups: C7 and C8 share 10 Mar / N2 / ch2
    assert len(rows) == 10 and sum(r["claims_submitted"] for r in rows) == 11
    by = {(str(r["day"]), r["provider"], r["source_system"]): r for r in rows}
    c78 = by[("2025-03-10", "N2", "ch2")]
    assert (c78["payer_id"], c78["claims_submitted"]) == ("P1", 2)
    assert float(c78["total_billed"]) == 700 + 800
    assert float(c78["total_allowed"]) == 640  # C8's AMT*B6; C7 has no 835
    assert float(c78["total_paid"]) == 640
    # both in transaction set 5/0005, accepted by its 999; C7's 277CA A7 rejects it, C8's A1 not
    assert c78["rejection_rate_999"] == 0.0
    assert c78["rejection_rate_277ca"] == pytest.approx(1 / 2)
    assert c78["first_pass_clean_claim_rate"] == pytest.approx(1 / 2)  # C8 only
    assert (c78["initial_denial_rate"], c78["initial_denial_rate_dollars"]) == (0.0, 0.0)
    assert float(c78["final_denial_write_off_amount"]) == 0
    # C8: 7 Apr − 10 Mar = 28 days (C7 has no 835)
    assert (c78["payer_lag_days_median"], c78["payer_lag_days_p90"]) == (28, 28)
    c5 = by[("2025-02-17", "N2", "ch")]
    # C5 denied (CLP02 4, CO-29 timely filing) and written off for its 500
    assert (c5["initial_denial_rate"], c5["initial_denial_rate_dollars"]) == (1.0, 1.0)
    assert float(c5["final_denial_write_off_amount"]) == 500
    assert c5["first_pass_clean_claim_rate"] is None  # no 999 or 277CA to judge it on
    c10 = by[("2025-04-01", "N1", "ch")]
    assert float(c10["total_allowed"]) == 800  # no AMT*B6 on its line: the line's paid amount


def test_final_denial_write_offs(outcomes: Path) -> None:
    c = duckdb.connect(str(outcomes), read_only=True)
    k = compute_kpis(c, **ALL)
    c.close()
    # C5: latest 835 denies 500 (CO-29), logged with disposition write_off, never resubmitted.
    # C6: resubmitted after R6a, denied again by R6b (600, CO-16), then logged with the filing
    #     window closed; R6b was not answered by a resubmission, so it is written off.
    # C9: denied 900, but the log sends it to correct_and_review: not written off.
    # C4: denied, but R4 was answered by the replacement C4R: not written off.
    assert k["final_denial_write_off_amount"] == 500 + 600
    # ÷ (charges − contractual): charges 5,900; CO-45 on R1 20, R2 50, R3 60, R8 160, R4R 100,
    # R10 200 = 590
    assert k["final_denial_write_off_rate"] == pytest.approx(1100 / (5900 - 590))


def test_resubmission_outcomes(conn: duckdb.DuckDBPyConnection, outcomes: Path) -> None:
    rows = {r["category"]: r for r in run_report(conn, "resubmission_outcomes")}
    # C4 (authorization): its replacement C4R (same CLM01, frequency 7) was paid 300 by R4R
    auth = rows["authorization"]
    assert (auth["resubmitted"], auth["answered"], auth["paid"], auth["pending"]) == (1, 1, 1, 0)
    assert auth["success_rate"] == 1.0 and float(auth["recovered_amount"]) == 300
    # C6 (missing information): R6b, after the trigger R6a, paid nothing
    info = rows["missing_information"]
    assert (info["answered"], info["paid"], info["denied_again"]) == (1, 0, 1)
    assert info["success_rate"] == 0.0 and float(info["recovered_amount"]) == 0
    # C7 (coding, after a 277CA rejection): no 835 since
    coding = rows["coding"]
    assert (coding["answered"], coding["pending"], coding["success_rate"]) == (0, 1, None)
    c = duckdb.connect(str(outcomes), read_only=True)
    k = compute_kpis(c, **ALL)
    c.close()
    assert k["resubmissions_sent"] == 3
    assert k["resubmission_success_rate"] == pytest.approx(1 / 2)  # C4 paid, C6 not; C7 waits
    assert k["resubmission_recovered_amount"] == 300.0


def test_hfma_three_month_denominator(outcomes: Path) -> None:
    c = duckdb.connect(str(outcomes), read_only=True)
    k = compute_kpis(c, start=D(2025, 4, 1), end=D(2025, 4, 30))
    wide = compute_kpis(c, **ALL)
    late = compute_kpis(c, start=D(2025, 4, 2), end=D(2025, 12, 31))
    c.close()
    # April: initial denials whose first 835 is dated in April: C9 (R9, 15 Apr). C6's R6b is not
    # its first 835; C4R's and C8's first 835s paid.
    # Denominator: claims submitted Jan-Mar ÷ 3: Jan C1 C2, Feb C3 C4 C5 C6, Mar C7 C8 C9 C4R
    # = 10 / 3; in dollars (100+200+300+400+500+600+700+800+900+400) / 3 = 4,900 / 3
    assert k["initial_denial_rate_hfma_3m"] == pytest.approx(1 / (10 / 3))
    assert k["initial_denial_rate_dollars_hfma_3m"] == pytest.approx(900 / (4900 / 3))
    # the whole history has one eligible month too: January-March lack three months before
    # them, and May is not covered by the 835s (the last is 5 May)
    assert wide["initial_denial_rate_hfma_3m"] == pytest.approx(0.3)
    # the simple rate, for contrast: C4, C5, C6, C9 of 11 claims
    assert wide["initial_denial_rate"] == pytest.approx(4 / 11)
    # from 2 April: the first whole month is May, which the 835s do not cover
    assert late["initial_denial_rate_hfma_3m"] is None


def test_hfma_months() -> None:
    first, last = D(2025, 1, 5), D(2025, 8, 21)
    assert hfma_months(D(1900, 1, 1), D(2030, 1, 1), first, last) == [
        D(2025, 4, 1), D(2025, 5, 1), D(2025, 6, 1), D(2025, 7, 1),
    ]  # fmt: skip
    assert hfma_months(D(2025, 5, 15), D(2025, 7, 31), first, last) == [
        D(2025, 6, 1),
        D(2025, 7, 1),
    ]
    assert hfma_months(D(2025, 5, 1), D(2025, 5, 30), first, last) == []


def test_cash_forecast_backtest(conn: duckdb.DuckDBPyConnection) -> None:
    weeks = {str(w["week"]): w for w in run_report(conn, "cash_forecast_backtest")}
    # Mondays from the first after the first 835 (R1, Sat 1 Feb) to the last whose week ends by
    # the last 835 (5 May): 3 Feb … 28 Apr, 13 weeks
    assert sorted(weeks)[0] == "2025-02-03" and sorted(weeks)[-1] == "2025-04-28"
    assert len(weeks) == 13
    # Week of 10 Feb. Known before it: only C1 (first 835 at 22 days). Open: C2 (age 21), C3
    # (age 7). Age-week 3 (days 21-27): watched through by 10 Feb: C1 only (10 Jan + 28 = 7 Feb),
    # paid 80 on 100 → hazard 0.8. C2 at 21 days sits exactly on age-week 3: 200 × 0.8 = 160.
    # C3 at 7 days → age-week 1, where C1 (and C2) were paid nothing → 0.
    w = weeks["2025-02-10"]
    assert isinstance(w["forecast"], Decimal) and isinstance(w["error"], Decimal)  # money: exact
    assert float(w["forecast"]) == pytest.approx(200 * 0.8)
    assert float(w["actual"]) == 150  # R2 paid C2 150 on 10 Feb
    assert float(w["error"]) == pytest.approx(160 - 150)
    # Week of 7 Apr. Age-weeks watched through by 7 Apr (submission + 7(b+1) ≤ 7 Apr):
    #   week 3 (days 21-27): C1..C8 (not C4R, C9, C10); charges 3,600; paid in it: C1 80, C2 150
    #   week 4 (days 28-34): C3, C4, C5, C6 (C7, C8 end it on 14 Apr); charges 1,800; paid C3 240
    #   weeks 0-2: nobody paid
    h3, h4 = 230 / 3600, 240 / 1800
    # open on 7 Apr: C7 and C8 (28 days: week 4), C4R (23 days: 5/7 of week 3, 2/7 of week 4),
    # C9 (21 days: week 3), C10 (6 days: weeks 0-1, nothing)
    forecast = 700 * h4 + 800 * h4 + 400 * (5 / 7 * h3 + 2 / 7 * h4) + 900 * h3 + 0
    w = weeks["2025-04-07"]
    assert w["open_claims"] == 5
    assert w["forecast"] == pytest.approx(Decimal(round(forecast, 2)), abs=Decimal("0.01"))
    assert float(w["actual"]) == 640 + 300  # R8 on 7 Apr, R4R (C4R) on 10 Apr
    assert w["abs_pct_error"] == pytest.approx(abs(round(forecast, 2) - 940) / 940)


def test_cash_forecast_looks_weeks_ahead(outcomes: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(outcomes, copy)
    c = duckdb.connect(str(copy))
    _put(c, CLAIMS_HEADER, [
        {"claim_id": "C11", "patient_control_number": "C11", "total_charge": Decimal("1000"),
         "submission_date": D(2025, 5, 1), "payer_id": "P1", "billing_npi": "N1",
         "source_system": "ch", "claim_frequency_code": "1", "segment_index": 5},
    ])  # fmt: skip
    prepare(c, **ALL)
    weeks = [
        (str(w["expected_week"]), float(w["expected_payment"]))
        for w in run_report(c, "cash_forecast")
    ]
    c.close()
    # As of 6 May (the day after the last 835) C11 is 5 days old; C7 (57 days) is past every
    # age-week in which a claim was ever paid, so it expects nothing.
    # Age-week 3 (days 21-27), watched through by 6 May: all 11 other claims, 5,900 charged,
    #   paid C1 80 + C2 150 + C4R 300 = 530; 3 of 11 got their first 835 in it.
    # Age-week 4 (days 28-34): C3, C4, C5, C6, C7, C8, C9, C10 (C10 just: 1 Apr + 35 = 6 May),
    #   5,200 charged, paid C3 240 + C8 640 + C10 800 = 1,680.
    # Age-week 5 on: only C7, never paid. Weeks 0-2: no one paid.
    h3, h4 = 530 / 5900, 1680 / 5200
    expected = [
        ("2025-05-06", 0.0),  # days 5-11
        ("2025-05-13", 0.0),  # days 12-18
        ("2025-05-20", 1000 * (5 / 7) * h3),  # days 19-25: 2/7 of week 2, 5/7 of week 3
        ("2025-05-27", 1000 * (2 / 7 * h3 + 5 / 7 * h4)),  # days 26-32
        # days 33-39: 2/7 of week 4, 5/7 of week 5 (0), if no 835 came in week 3 (8 of 11)
        ("2025-06-03", 1000 * (2 / 7 * h4) * (8 / 11)),
    ]
    assert len(weeks) == 13
    assert [w for w, _ in weeks[:5]] == [w for w, _ in expected]
    # money to the cent, as every report writes it
    assert [v for _, v in weeks[:5]] == pytest.approx([v for _, v in expected], abs=0.005)
    assert all(v == 0 for _, v in weeks[5:])


def test_new_reports_and_keys_through_the_cli(outcomes: Path) -> None:
    k = cli("kpi", "--warehouse", str(outcomes), "--to", "2025-12-31", "--json").json()
    for key in (
        "initial_denial_rate_hfma_3m", "final_denial_write_off_amount",
        "final_denial_write_off_rate", "resubmission_success_rate",
        "resubmission_recovered_amount", "total_allowed",
    ):  # fmt: skip
        assert key in k
    assert k["final_denial_write_off_amount"] == "1100.00"  # money: a decimal string
    for name in (
        "daily_by_payer_provider_source",
        "resubmission_outcomes",
        "cash_forecast_backtest",
    ):
        result = cli("report", name, "--warehouse", str(outcomes), "--to", "2025-12-31", "--json")
        assert result.exit_code == 0, result.stderr
        assert result.json()
