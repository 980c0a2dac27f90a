"""claimflow.display: the vocabulary people read (labels of column names, identifiers as words)
and how each kind of value is written — money as money, rates as percentages, dates without a
time of day. The expected strings are written out by hand."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pytest

from claimflow import display
from claimflow.denials.outcome import CATEGORIES, DISPOSITIONS


def test_column_names_read_as_words() -> None:
    assert display.label("denied_amount") == "Denied amount"
    assert display.label("eligibility") == "Eligibility"
    assert display.label("payer_name") == "Payer"  # payers by name, their id beside
    assert display.label("payer_id") == "Payer ID"
    # claim_id is the warehouse's internal key; the provider's claim number is the PCN (CLM01)
    assert display.label("claim_id") == "Claim ID (internal)"
    assert display.label("patient_control_number") == "Claim number (PCN)"
    assert display.label("billing_npi") == display.label("provider") == "Billing provider (NPI)"
    assert display.label("total_billed") == display.label("billed") == "Billed"
    assert display.label("ar_0_30") == "A/R 0–30 days"
    # a column the vocabulary does not list: its name as words, acronyms as written
    assert display.label("source_file_id") == "Source file ID"
    assert display.label("patient_dob") == "Patient date of birth"
    assert display.label("rejection_rate_277ca") == "277CA rejection rate"


def test_a_figure_has_its_definition() -> None:
    assert "first 835" in display.definition("initial_denial_rate")
    assert "90 days" in display.definition("days_in_ar")
    assert display.definition("success_rate", "resubmission_outcomes").endswith("answered.")
    assert display.definition("payer_id") == ""  # not a figure
    # a definition is of a figure the vocabulary names
    for key in display.DEFINITIONS:
        assert key in display.TERMS or key.rpartition(".")[2] in display.TERMS, key


def test_a_report_may_give_a_name_its_own_meaning() -> None:
    assert display.term("paid").kind == "money"  # the payer scorecard's dollars
    assert display.term("paid", "resubmission_outcomes").kind == "count"  # resubmissions
    assert display.show("paid", 3, "resubmission_outcomes") == "3"
    assert display.show("paid", 3) == "$3"
    assert display.term("paid", "payer_scorecard") == display.term("paid")


def test_the_kind_of_an_unlisted_column_comes_from_its_suffix() -> None:
    assert display.term("coinsurance_amount").kind == "money"
    assert display.term("claim_charge").kind == "money"
    assert display.term("clean_rate").kind == "rate"
    assert display.term("service_date").kind == "date"
    assert display.term("posted_at").kind == "timestamp"
    assert display.term("hold_days").kind == "days"
    assert display.term("segment_id").kind == "text"


def test_one_definition_per_label() -> None:
    # names that share a label share one term (an alias), never two definitions of it; a
    # report's own meaning ("report.column") is the exception
    terms = {id(t): t for name, t in display.TERMS.items() if "." not in name}.values()
    twice = [label for label, n in Counter(t.label for t in terms).items() if n > 1]
    assert twice == []
    assert all("_" not in t.label for t in display.TERMS.values())


def test_identifiers_read_as_words() -> None:
    assert display.enum("eligibility") == "Eligibility"
    assert display.enum("medical_necessity") == "Medical necessity"
    assert display.enum("non_covered") == "Non-covered"
    assert display.enum("277ca_missing") == "277CA missing"
    assert display.show("category", "timely_filing") == "Timely filing"
    for category in (*CATEGORIES, *DISPOSITIONS):  # every denial category and disposition
        words = display.enum(category)
        assert "_" not in words and words[0].isupper(), category


def test_money_is_dollars() -> None:
    assert display.money(Decimal("226021.40")) == "$226,021"
    assert display.money(226021.4) == "$226,021"
    assert display.money(6440213) == "$6,440,213"
    assert display.money(-1234.4) == "-$1,234"
    assert display.money(80.5, cents=True) == "$80.50"
    assert display.money(Decimal("-0.004"), cents=True) == "$0.00"  # no "-$0.00"
    assert display.money(-0.4) == "$0"
    # half to even, as the dashboard's tables round (numpy)
    assert [display.money(x) for x in (0.5, 1.5, 2.5, 226021.5)] == ["$0", "$2", "$2", "$226,022"]
    assert display.money(0.1 + 0.2, cents=True) == "$0.30"  # 0.30000000000000004


def test_rates_counts_days_and_numbers() -> None:
    assert display.rate(0.123) == "12.3%"
    assert display.rate(1) == "100.0%"
    assert display.rate(Decimal("0.0005")) == "0.1%"
    assert display.count(10000) == "10,000"
    assert display.count(2.0) == "2"
    assert display.days(23) == "23.0"
    assert display.days(68.38) == "68.4"
    assert display.number(10 / 3) == "3.33"
    assert display.flag(True) == "Yes" and display.flag(False) == "No"


def test_dates_without_a_time_of_day() -> None:
    assert display.date(dt.date(2025, 3, 10)) == "2025-03-10"
    assert display.date(dt.datetime(2025, 3, 10, 0, 0)) == "2025-03-10"
    assert display.timestamp(dt.datetime(2025, 3, 10, 14, 5, 33, 120)) == "2025-03-10 14:05"
    assert display.show("week", dt.datetime(2025, 3, 10)) == "2025-03-10"
    assert display.show("logged_at", dt.datetime(2025, 3, 10, 9, 7)) == "2025-03-10 09:07"


@pytest.mark.parametrize("kind", ["money", "rate", "count", "days", "number", "date", "flag"])
@pytest.mark.parametrize("missing", [None, float("nan"), Decimal("NaN")])
def test_a_missing_value_is_a_dash(kind: display.Kind, missing: object) -> None:
    assert display.write(missing, kind) == "—"


def test_a_value_of_a_text_column_is_written_by_its_type() -> None:
    assert display.write(1234, "text") == "1,234"
    assert display.write(3.14159, "text") == "3.14"
    assert display.write(dt.date(2025, 1, 2), "text") == "2025-01-02"
    assert display.write("CO-45", "text") == "CO-45"


def test_a_label_inside_a_sentence() -> None:
    assert display.inline("Total charge") == "total charge"
    assert display.inline("A/R") == "A/R"
    assert display.inline("CARC") == "CARC"
    assert display.inline("835 lines") == "835 lines"


def test_display_is_pure_python() -> None:
    code = (
        "import sys, claimflow.display; "
        "print(sorted(m for m in ('pandas', 'streamlit', 'numpy', 'duckdb') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"


def test_a_list_of_values_reads_as_each_value_separated_by_commas() -> None:
    assert display.show("sources", ["alpha", "clearinghouse"]) == "alpha, clearinghouse"
    assert display.write([80.5, 1234], "money", cents=True) == "$80.50, $1,234.00"
    assert display.show("sources", []) == display.MISSING


def test_a_count_names_its_population_in_the_right_number() -> None:
    assert display.counted(2000, "claims submitted") == "2,000 claims submitted"
    assert display.counted(1, "claims initially denied") == "1 claim initially denied"
    assert display.counted(1, "transaction sets with a 999") == "1 transaction set with a 999"
    assert display.counted(1, "835 lines paid in the window") == "1 835 line paid in the window"
    assert display.counted(0, "EMR claims without an 837") == "0 EMR claims without an 837"
