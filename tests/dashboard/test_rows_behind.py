"""Every number on the dashboard leads to the rows behind it: on the hand-built ``outcomes``
world of tests/marts/conftest.py (plus two 999s and one quarantined row, added here), the rows
the dashboard lists behind each KPI tile and behind a row of each table of aggregates are the
rows worked out by hand below — live, and from the snapshot a run stores — with the sidebar
filters applied and patient identifiers masked for a role that may not see them.

The world (payer P1; CLM05-3 = 1 unless said): C1 100 (10 Jan, N1), C2 200 (20 Jan, N1),
C3 300 (3 Feb, N1), C4 400 (10 Feb, N2), C5 500 (17 Feb, N2), C6 600 (24 Feb, N1, source ch2),
C7 700 and C8 800 (10 Mar, N2, ch2, one transaction set), C4R 400 (15 Mar, N2, C4's
replacement, CLM05-3 = 7), C9 900 (17 Mar, N1), C10 1000 (1 Apr, N1). 999s: GS 5 (C7, C8)
accepted, and here GS 1 (C1) accepted, GS 3 (C3) rejected. 277CA: C2 accepted then rejected
(A6), C7 rejected (A7), C8 accepted. 835s: C1 80, C2 150, C3 240 paid with CO-45; C4 (CO-197),
C5 (CO-29), C6 (CO-16, twice), C9 (CO-197) denied; C8 640 (7 Apr), C4R 300 (10 Apr), C10 800
(5 May) paid. The filters' default window, as on every surface, runs from the first submission
(10 Jan) to the data's latest date, C10's 835 of 5 May: A/R is as of 5 May.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Caption, Dataframe

from claimflow.dashboard.serve import SCRIPT
from claimflow.marts import snapshot
from claimflow.schema import ACK_999
from claimflow.warehouse.matching import match_claims
from tests.marts.conftest import _put, build_outcomes

APP = str(SCRIPT)


def _world(path: Path, *, stored: bool) -> Path:
    build_outcomes(path)
    conn = duckdb.connect(str(path))
    _put(conn, ACK_999, [
        {"ack_id": "A-1", "ack_group_control_number": "1", "ack_st_control_number": "0001",
         "transaction_ack_code": "A"},
        {"ack_id": "A-3", "ack_group_control_number": "3", "ack_st_control_number": "0003",
         "transaction_ack_code": "R"},
    ])  # fmt: skip
    match_claims(conn, run_id="r", now=dt.datetime(2025, 5, 10))
    conn.execute(
        "INSERT INTO source_files (file_id, path, kind, source_system, status)"
        " VALUES ('F1', 'inbox/emr.csv', 'csv', 'alpha', 'loaded')"
    )
    conn.execute(
        "INSERT INTO claims_header__quarantine (claim_id, patient_control_number, member_id,"
        " source_system, source_file_id, source_row_number, dq_rule)"
        " VALUES ('Q1', 'Q1', 'MEMBER-77', 'alpha', 'F1', 3, 'missing_payer')"
    )
    if stored:  # what a run leaves: its row in runs and the default view it stored
        conn.execute(
            "INSERT INTO runs (run_id, started_at, status) VALUES ('run-1', ?, 'ok')",
            [dt.datetime(2025, 5, 10, 12)],
        )
        snapshot.build_snapshot(conn, "run-1")
    conn.close()
    return path


@pytest.fixture(params=["live", "stored"])
def world(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = _world(tmp_path / "w.duckdb", stored=request.param == "stored")
    if request.param == "stored":  # the dashboard reads the stored view indeed
        conn = duckdb.connect(str(path), read_only=True)
        assert snapshot.usable(conn, start=dt.date(2025, 1, 10), end=dt.date(2025, 5, 5))
        conn.close()
    monkeypatch.setenv("CLAIMFLOW_WAREHOUSE", str(path))
    monkeypatch.setenv("CLAIMFLOW_ROLE", "analyst")
    return path


def _page(name: str, **sidebar: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["page"] = name
    at.run()
    for box in at.sidebar.selectbox:
        if box.label in sidebar:
            box.set_value(sidebar[box.label])
    if "Submitted between" in sidebar:
        at.sidebar.date_input[0].set_value(sidebar["Submitted between"])
    return at.run() if sidebar else at


def _in_order(node: object) -> list[object]:
    """The page's elements in the order they are shown."""
    children = getattr(node, "children", None)
    if not isinstance(children, dict):
        return [node]
    return [e for key in sorted(children) for e in _in_order(children[key])]


def _behind(at: AppTest, key: str, choice: object) -> tuple[int, str, pd.DataFrame]:
    """Choose ``choice`` in the selectbox ``key``: the count of rows behind it, the caption
    (with the aggregates that give the figure back) and the rows on screen (the table under
    that caption)."""
    for other in at.main.selectbox:  # one drill-down open at a time
        if other.key != key and other.value is not None:
            other.set_value(None)
    box = at.selectbox(key=key)
    label = box.options[choice] if isinstance(choice, int) else choice
    box.set_value(choice).run()
    assert not at.exception, [e.value for e in at.exception]
    elements = _in_order(at.main)
    found = [
        i
        for i, e in enumerate(elements)
        if isinstance(e, Caption) and e.value.startswith(f"Rows behind {label}: ")
    ]
    assert len(found) == 1, (label, [e.value for e in at.caption])
    caption = elements[found[0]]
    assert isinstance(caption, Caption)
    frame = elements[found[0] + 1]
    assert isinstance(frame, Dataframe)
    count = re.search(r": ([\d,]+) rows?", caption.value)
    assert count, caption.value
    rows = int(count.group(1).replace(",", ""))
    assert len(frame.value) == min(rows, 500)
    return rows, caption.value, frame.value


def _ids(frame: pd.DataFrame) -> set[str]:
    return set(frame["claim_id"])


ALL = {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C4R", "C9", "C10"}
PAID = {"C1", "C2", "C3", "C4", "C5", "C6", "C8", "C4R", "C9", "C10"}  # every claim with an 835

# figure → the claims behind it, worked out by hand from the world above
BY_HAND: dict[str, set[str]] = {
    "Claims submitted": ALL,
    "Billed": ALL,
    # paid_amount <> 0: C1 80, C2 150, C3 240, C8 640, C4R 300, C10 800 (paid after the window,
    # still the claims' paid amount)
    "Paid": {"C1", "C2", "C3", "C8", "C4R", "C10"},
    # original claims, 999 (if any) A/E, first 277CA A1/A2/A5: C2 (A1 first, A6 later), C8
    "First-pass clean claim rate: clean on the first pass (numerator)": {"C2", "C8"},
    # original claims with a 999 (C1, C3, C7, C8) or a 277CA (C2, C7, C8)
    "First-pass clean claim rate: original claims with a 999 or 277CA (denominator)": {
        "C1", "C2", "C3", "C7", "C8"},
    "Initial denial rate: initially denied (numerator)": {"C4", "C5", "C6", "C9"},
    "Initial denial rate: claims submitted (denominator)": ALL,
    # April is the one reporting month (three months of submissions before it, the 835s run to
    # 5 May): the claims first denied in April, C9 (15 Apr)
    "Initial denial rate, HFMA 3-month: denials in the reporting months (numerator)": {"C9"},
    "999 rejection rate: claims of rejected transaction sets (numerator)": {"C3"},
    "999 rejection rate: claims of transaction sets with a 999 (denominator)": {
        "C1", "C3", "C7", "C8"},
    "277CA rejection rate: rejected by the latest 277CA (numerator)": {"C2", "C7"},
    "277CA rejection rate: claims with a 277CA (denominator)": {"C2", "C7", "C8"},
    "Payer lag, median days: claims with an 835": PAID,
    "Net collection rate: claims with an 835": PAID,
    # A/R as of 5 May: C1-C3, C8, C4R and C10 settled (paid + CO-45, C10 on 5 May itself);
    # C4, C5, C6, C9 denied (balance = charge); C7 unanswered
    "A/R as of 2025-05-05: open claims": {"C4", "C5", "C6", "C7", "C9"},
    "Days in A/R as of 2025-05-05: open claims (numerator, the A/R)": {
        "C4", "C5", "C6", "C7", "C9"},
    # ages on 5 May: C9 49 days, C7 56; C6 70, C5 77, C4 84
    "A/R 0–30 days as of 2025-05-05: open claims of that age": set(),
    "A/R 31–60 days as of 2025-05-05: open claims of that age": {"C7", "C9"},
    "A/R 61–90 days as of 2025-05-05: open claims of that age": {"C4", "C5", "C6"},
    # submitted in the 90 days up to 5 May (from 5 Feb): all but C1, C2, C3 (3 Feb: 91 days)
    "Days in A/R as of 2025-05-05: charges of the last 90 days (denominator ÷ 90)": (
        ALL - {"C1", "C2", "C3"}),
    "Final denial write-offs": {"C5", "C6"},
    # resubmissions: C4 paid (by C4R), C6 denied again, C7 pending
    "Resubmission success rate: paid (numerator)": {"C4"},
    "Resubmission success rate: answered by the payer (denominator)": {"C4", "C6"},
}  # fmt: skip

# aggregates shown beside the count, worked out by hand
SUMS = {
    "Billed": "Σ total charge: $5,900",  # 100 + 200 + … + 1000, C4R 400 included
    "Paid": "Σ paid: $2,210",  # 80 + 150 + 240 + 640 + 300 + 800
    "999 rejection rate: claims of rejected transaction sets (numerator)": "transaction sets: 1",
    "999 rejection rate: claims of transaction sets with a 999 (denominator)": (
        "transaction sets: 3"  # GS 1, 3 and 5
    ),
    "A/R as of 2025-05-05: open claims": "Σ balance: $3,100",  # 400 + 500 + 600 + 700 + 900
    "A/R 61–90 days as of 2025-05-05: open claims of that age": "Σ balance: $1,500",
    "Final denial write-offs": "Σ written off: $1,100",
    "Resubmission success rate: paid (numerator)": "Σ recovered: $300",
}


def test_the_rows_behind_each_kpi_tile_are_the_claims_counted_by_hand(world: Path) -> None:
    at = _page("Overview")
    assert not at.exception, [e.value for e in at.exception]
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["A/R as of 2025-05-05"] == "$3,100"  # the tile the A/R rows add up to
    assert tiles["999 rejection rate"] == "33.3%"  # 1 of 3 transaction sets
    options = at.selectbox(key="figure").options
    # every tile has rows behind it
    for label in tiles:
        assert any(o == label or o.startswith(f"{label}:") for o in options), label
    for figure, claims in BY_HAND.items():
        count, caption, rows = _behind(at, "figure", figure)
        assert (count, _ids(rows)) == (len(claims), claims), figure
        if figure in SUMS:
            assert SUMS[figure] in caption, (figure, caption)
    # the HFMA denominator: the claims submitted in January - March (all but C10)
    count, _, rows = _behind(
        at,
        "figure",
        "Initial denial rate, HFMA 3-month: submitted in the 3 months before each (denominator)",
    )
    assert (count, _ids(rows)) == (10, ALL - {"C10"})
    # the 835 lines paid in the window (10 Jan - 5 May): RL8 (7 Apr) and RL10 (5 May)
    count, _, lines = _behind(
        at, "figure", "835 auto-posting rate: 835 lines paid in the window (denominator)"
    )
    assert (count, set(lines["adjudication_line_id"])) == (2, {"RL8", "RL10"})


def test_the_rows_behind_follow_the_filters(world: Path) -> None:
    at = _page("Overview", **{"Billing provider (NPI)": "N2"})
    assert {m.label: m.value for m in at.metric}["Claims submitted"] == "5"
    count, _, rows = _behind(at, "figure", "Claims submitted")
    assert (count, _ids(rows)) == (5, {"C4", "C5", "C7", "C8", "C4R"})
    _, _, rows = _behind(at, "figure", "Initial denial rate: initially denied (numerator)")
    assert _ids(rows) == {"C4", "C5"}
    # as of 5 May C8 and C4R are settled: C4 400, C5 500 (denied), C7 700 (unanswered)
    _, caption, rows = _behind(at, "figure", "A/R as of 2025-05-05: open claims")
    assert _ids(rows) == {"C4", "C5", "C7"} and "Σ balance: $1,600" in caption
    # a window to the end of May takes in the 835 lines of 7 April (RL8, REF*6R: posted without
    # review) and 5 May (RL10, matched to no claim line, so no provider: not N2's)
    at = _page("Overview", **{"Submitted between": (dt.date(2025, 1, 10), dt.date(2025, 5, 31))})
    count, _, lines = _behind(
        at, "figure", "835 auto-posting rate: 835 lines paid in the window (denominator)"
    )
    assert (count, set(lines["adjudication_line_id"])) == (2, {"RL8", "RL10"})
    count, _, lines = _behind(
        at, "figure", "835 auto-posting rate: lines posted without review (numerator)"
    )
    assert (count, set(lines["adjudication_line_id"])) == (1, {"RL8"})
    assert {m.label: m.value for m in at.metric}["835 auto-posting rate"] == "50.0%"


def test_the_hfma_rows_of_a_window_with_a_reporting_month(world: Path) -> None:
    # to 30 April: April is a reporting month (three months of submissions before it, and the
    # 835s received run to 5 May); its denials are the claims first denied in April: C9 (15 Apr);
    # its denominator the claims submitted in January - March (C1 … C9, C4R: 10) ÷ 3
    at = _page("Overview", **{"Submitted between": (dt.date(2025, 1, 10), dt.date(2025, 4, 30))})
    assert {m.label: m.value for m in at.metric}["Initial denial rate, HFMA 3-month"] == "30.0%"
    numerator = "Initial denial rate, HFMA 3-month: denials in the reporting months (numerator)"
    count, _, rows = _behind(at, "figure", numerator)
    assert (count, _ids(rows)) == (1, {"C9"})
    denominator = (
        "Initial denial rate, HFMA 3-month: submitted in the 3 months before each (denominator)"
    )
    count, caption, rows = _behind(at, "figure", denominator)
    assert (count, _ids(rows)) == (10, ALL - {"C10"})
    assert "denominator (Σ months counted ÷ 3): 3.33" in caption


def _row(at: AppTest, key: str, text: str) -> int:
    """The option of drill-down ``key`` whose label starts with ``text``."""
    box = at.selectbox(key=key)
    matches = [i for i in box.options if str(i).startswith(text)]
    assert len(matches) == 1, (text, box.options)
    return box.options.index(matches[0])


def test_a_row_of_each_table_of_aggregates_leads_to_its_rows(world: Path) -> None:
    at = _page("Denials")
    # authorization: C4's and C9's CO-197 (400 + 900); missing information: C6's two CO-16
    count, caption, lines = _behind(
        at, "drill_category", _row(at, "drill_category", "Authorization")
    )
    assert (count, _ids(lines)) == (2, {"C4", "C9"}) and "Σ denied: $1,300" in caption
    count, caption, lines = _behind(
        at, "drill_category", _row(at, "drill_category", "Missing information")
    )
    assert (count, _ids(lines)) == (2, {"C6"}) and "claims: 1" in caption
    count, _, lines = _behind(at, "drill_carc", _row(at, "drill_carc", "CO-29"))
    assert (count, _ids(lines)) == (1, {"C5"})
    # the 277CA rejections by status: A6:454 (C2) and A7:562 (C7)
    count, _, claims = _behind(at, "drill_status", _row(at, "drill_status", "A7:562"))
    assert (count, _ids(claims)) == (1, {"C7"})

    at = _page("Payers")
    count, _, claims = _behind(at, "drill_payer", _row(at, "drill_payer", "P1"))
    assert (count, _ids(claims)) == (len(ALL), ALL)

    at = _page("Resubmissions")
    count, _, rows = _behind(at, "outcome_figure", "Answered by the payer")
    assert (count, _ids(rows)) == (2, {"C4", "C6"})
    count, _, rows = _behind(at, "drill_outcomes", _row(at, "drill_outcomes", "Coding"))
    assert (count, _ids(rows)) == (1, {"C7"})  # C7's 277CA rejection, resubmitted as coding

    at = _page("Reconciliation")
    # the week of Monday 10 March: C7, C8 (10 Mar) and C4R (15 Mar)
    count, _, claims = _behind(
        at, "drill_recon_week", _row(at, "drill_recon_week", "P1 · 2025-03-10")
    )
    assert (count, _ids(claims)) == (3, {"C7", "C8", "C4R"})

    at = _page("Cash forecast")
    week = at.selectbox(key="drill_backtest").options
    assert week  # the back-test weeks are listed; each one's rows add up to its row
    count, caption, _ = _behind(at, "drill_backtest", week[0])
    assert "Σ forecast" in caption and "Σ actual" in caption


def test_quarantined_rows_are_shown_masked_unless_the_role_may_see_them(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _page("Data quality")
    count, _, rows = _behind(at, "drill_quarantine", _row(at, "drill_quarantine", "missing_payer"))
    assert count == 1 and list(rows["member_id"]) == ["•••"]
    assert "MEMBER-77" not in str([d.value.to_dict() for d in at.dataframe])
    # the rules broken, with their offending values (a patient identifier, maybe): not shown
    assert "dq_details" not in rows.columns and list(rows.columns[:3]) == [
        "file", "source_row_number", "dq_rule"
    ]  # fmt: skip
    monkeypatch.setenv("CLAIMFLOW_ROLE", "auditor")
    at = _page("Data quality")
    _, _, rows = _behind(at, "drill_quarantine", _row(at, "drill_quarantine", "missing_payer"))
    assert list(rows["member_id"]) == ["MEMBER-77"] and "dq_details" in rows.columns


def test_nothing_is_queried_for_rows_until_a_figure_is_chosen(world: Path) -> None:
    for name in ("Overview", "Denials", "Payers", "Reconciliation"):
        at = _page(name)
        assert not at.exception
        assert not [c.value for c in at.caption if c.value.startswith("Rows behind")], name
        assert all(box.value is None for box in at.main.selectbox), name
