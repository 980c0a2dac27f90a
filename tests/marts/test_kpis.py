"""KPIs on the hand-built warehouse of conftest.py; expected values worked out by hand."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from claimflow.marts.kpis import compute_kpis
from tests.conftest import cli

D = dt.date


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
    assert k["ar_total"] == "900.00"  # K2 200 + K3 300 + K4 400 (denied, not written off)
    # a window without claims: nothing to measure, and no error
    none = cli("kpi", "--warehouse", str(warehouse), "--to", "2024-12-31", "--json").json()
    assert none["claims_submitted"] == 0 and none["initial_denial_rate"] is None
    # a payer no claim has is a typo: a usage error naming the closest, not a table of zeros
    typo = cli("kpi", "--warehouse", str(warehouse), "--payer", "P2", "--json")
    assert typo.exit_code == 2 and "--payer 'P2' matches no claim" in typo.stderr
    assert "one of: P1" in typo.stderr and not typo.stdout


def test_the_default_window_ends_on_the_latest_submission_or_835(warehouse: Path) -> None:
    # submissions 5-20 Jan, 835s paid 25 Jan and 19 Feb: the data's latest date is 19 Feb
    default = cli("kpi", "--warehouse", str(warehouse), "--json")
    assert default.exit_code == 0, default.stderr
    k = default.json()
    assert k["as_of"] == "2025-02-19"
    assert k["window"] == {"from": "2025-01-05", "to": "2025-02-19"}
    explicit = cli(
        "kpi", "--warehouse", str(warehouse), "--from", "2025-01-05", "--to", "2025-02-19", "--json"
    )
    assert explicit.json() == k
    # A/R as of 19 Feb: K1 settled (80 paid + 20 contractual), K4 denied (CO-197 is no
    # contractual adjustment): K2 200 + K3 300 + K4 400 still open
    assert k["ar_total"] == "900.00"


def test_each_count_names_its_population(warehouse: Path) -> None:
    k = cli("kpi", "--warehouse", str(warehouse), "--json").json()
    pops = k["populations"]
    assert pops["claims_submitted"] == [
        {"population": "837 claims", "count": 4},
        {"population": "EMR claims without an 837", "count": 0},
    ]
    assert pops["initial_denial_rate"] == [
        {"population": "claims initially denied", "count": 1},  # K4
        {"population": "claims submitted", "count": 4},
    ]
    assert pops["rejection_rate_999"] == [  # GS 2 rejected; GS 1, 2, 3 have a 999
        {"population": "transaction sets rejected by their 999", "count": 1},
        {"population": "transaction sets with a 999", "count": 3},
    ]
    assert pops["payer_lag_days_median"] == [{"population": "claims with an 835", "count": 2}]
    # every rate with two populations is their quotient
    for key, (numerator, denominator) in (
        (key, found) for key, found in pops.items() if len(found) == 2 and key != "claims_submitted"
    ):
        if denominator["count"]:
            assert k[key] == pytest.approx(numerator["count"] / denominator["count"]), key


def test_a_figure_that_cannot_be_computed_says_why(warehouse: Path) -> None:
    # 1-3 Jan: no claim (the first is of 5 Jan)
    args = ["--from", "2025-01-01", "--to", "2025-01-03"]
    none = cli("kpi", "--warehouse", str(warehouse), *args, "--json").json()
    assert none["not_computed"]["initial_denial_rate"] == "no claims submitted in the window"
    assert none["not_computed"]["days_in_ar"] == (
        "no charges submitted in the 90 days up to 2025-01-03"
    )
    k = cli("kpi", "--warehouse", str(warehouse), "--json").json()
    assert k["resubmission_success_rate"] is None
    assert k["not_computed"]["resubmission_success_rate"] == (
        "no resubmission answered by the payer yet"
    )
    assert set(k["not_computed"]) == {key for key, value in k.items() if value is None}


def test_the_kpi_table_reads_at_80_columns(warehouse: Path) -> None:
    env = {**os.environ, "COLUMNS": "80"}
    found = subprocess.run(
        [sys.executable, "-m", "claimflow", "kpi", "--warehouse", str(warehouse)],
        capture_output=True, text=True, timeout=120, check=True, env=env,
    )  # fmt: skip
    lines = found.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80
    assert "claims submitted 2025-01-05 to 2025-02-19" in found.stdout
    row = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in lines
           if line.count("│") == 4 and line.split("│")[1].strip()}  # fmt: skip
    assert row["A/R as of 2025-02-19"] == "$900"
    assert row["Days in A/R as of 2025-02-19"] == f"{900 / (1000 / 90):.1f}"
    assert row["Billed"] == "$1,000"
    assert row["Initial denial rate"] == "25.0%"
    assert row["Resubmission success rate"] == "—"
    # the Basis column, its folded lines joined: each count named, and why a figure is empty
    basis = " ".join(line.split("│")[3].strip() for line in lines if line.count("│") == 4)
    assert "1 claim initially denied ÷ 4 claims submitted" in basis
    assert "4 837 claims + 0 EMR claims without an 837" in basis
    assert "no resubmission answered by the payer yet" in basis
