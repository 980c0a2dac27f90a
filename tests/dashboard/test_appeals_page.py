"""The Appeals page as ``claimflow dashboard`` serves it (role analyst), in a real headless
Chromium, on a warehouse holding a real prepared case (tests/appeals/case_dir.py: a sepsis chart
as FHIR NDJSON and its denial, prepared, drafted once and published as ``claimflow appeal
prepare`` and ``claimflow appeal draft`` do) and a second case whose denial names the member in
the sentence the letter quotes.

The list's values are read from the warehouse with plain SQL here; the case chosen shows its
draft's assessment, its conflict as a question, and the letter and the review to download (the
letter downloaded and opened with python-docx). One server for the module."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from docx import Document
from playwright.sync_api import Page, sync_playwright

from tests.appeals.case_dir import (
    ACCOUNT,
    CASE_ID,
    DEADLINE,
    LACTATE,
    LACTATE_AT,
    MEMBER_ID,
    NAMED_DENIAL,
    PAYER,
    PreparedCase,
    prepared_warehouse,
)
from tests.dashboard.test_dashboard import CHROMIUM, CHROMIUM_ARGS, DONE, _headers
from tests.dashboard.test_dashboard import serve_dashboard as _serve

NAMED = "NAMED-0002"

HEADERS = [
    "Case ID", "Appeal deadline", "Days left", "Condition", "Payer", "Account number",
    "Claim number", "DRG billed", "DRG revised", "Arguments", "Strength", "Rating", "Conflicts",
    "Untraced numbers", "Drafted at", "Outcome",
]  # fmt: skip


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> PreparedCase:
    return prepared_warehouse(
        tmp_path_factory.mktemp("appeals"), others={NAMED: {"denial": NAMED_DENIAL}}
    )


@pytest.fixture(scope="module")
def served(case: PreparedCase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _serve(case.warehouse, tmp_path_factory.mktemp("home")) as url:
        yield url


def _open(page: Page, url: str) -> str:
    page.goto(f"{url}/appeals")
    page.get_by_role("heading", name="Appeals").first.wait_for(timeout=60000)
    page.wait_for_function(DONE, timeout=60000)
    page.wait_for_timeout(500)
    text = page.inner_text("body")
    assert "Traceback" not in text and "Page not found" not in text
    assert page.locator("[data-testid='stException']").count() == 0
    return text


def _rows(page: Page) -> list[list[str]]:
    """The cases table's rows, as its grid lists them for screen readers."""
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    found = grid.locator("tbody [role=row]")
    found.first.wait_for(state="attached", timeout=10000)
    return [
        [c.strip() for c in found.nth(i).locator("[role=gridcell]").all_inner_texts()]
        for i in range(found.count())
    ]


def _choose(page: Page, case_id: str) -> str:
    """Choose a case in "A case's draft"; the page's text once its draft is shown."""
    box = page.get_by_test_id("stSelectbox").filter(has_text="A case's draft").first
    box.click()
    page.get_by_role("option", name=case_id, exact=False).first.click()
    page.get_by_text(f"Draft of {case_id}").first.wait_for(timeout=60000)
    page.wait_for_function(DONE, timeout=60000)
    page.wait_for_timeout(500)
    assert page.locator("[data-testid='stException']").count() == 0
    return page.inner_text("body")


def test_the_cases_and_a_cases_draft_with_its_documents(
    case: PreparedCase, served: str, tmp_path: Path
) -> None:
    conn = duckdb.connect(str(case.warehouse), read_only=True)
    overall, rating, conflicts = conn.execute(
        "SELECT overall, rating, conflicts FROM appeal_drafts WHERE case_id = ?", [CASE_ID]
    ).fetchone() or (None, None, None)
    conn.close()
    assert overall is not None and conflicts == 1
    days_left = (DEADLINE - dt.date.today()).days
    shots = [tmp_path]
    if os.environ.get("CLAIMFLOW_SCREENSHOTS"):
        shots.append(Path(os.environ["CLAIMFLOW_SCREENSHOTS"]))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(
            viewport={"width": 2400, "height": 1200}, accept_downloads=True
        )  # wide: the grid lists only the columns in view
        text = _open(page, url=served)
        assert "Appeal cases\n\n2" in text and "Not drafted yet\n\n1" in text
        # the list: headers in words, the drafted case's row as the warehouse holds it
        assert _headers(page.get_by_test_id("stDataFrame").first) == HEADERS
        rows = {r[0]: r for r in _rows(page)}
        assert set(rows) == {CASE_ID, NAMED}
        row = dict(zip(HEADERS, rows[CASE_ID], strict=True))
        assert row["Appeal deadline"] == DEADLINE.isoformat()
        assert int(row["Days left"].replace(",", "")) == days_left
        assert (row["Condition"], row["Payer"], row["Account number"]) == ("Sepsis", PAYER, ACCOUNT)
        assert (row["DRG billed"], row["DRG revised"]) == ("871", "872")
        assert row["Arguments"] == (
            "the SOFA score did not rise by 2 or more points; lactate was not elevated"
        )
        assert (row["Strength"], row["Rating"]) == (str(overall), rating.capitalize())
        assert (row["Conflicts"], row["Untraced numbers"]) == ("1", "0")
        assert row["Drafted at"].startswith("2025-03-20 09:00")  # the grid lists the value
        undrafted = dict(zip(HEADERS, rows[NAMED], strict=True))
        assert undrafted["Strength"] == "" and undrafted["Drafted at"] == ""

        # a case chosen: its draft's assessment, its conflict as a question, its documents
        text = _choose(page, CASE_ID)
        for folder in shots:
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / "appeals.png"), full_page=True)
        assert f"Strength\n\n{overall} / 10" in text
        assert f"Rating\n\n{rating.capitalize()}" in text and "Criteria\n\nMet" in text
        for dimension in (
            "Source fidelity", "Criteria coverage", "Argument structure", "Evidence quality",
            "Formatting",
        ):  # fmt: skip
            assert f"{dimension}: " in text, dimension
        assert "✓ all " in text and " numbers traced" in text
        assert (
            "The Progress Note of 03/01/2025 14:00 states Cr 3.1; the record of 03/01/2025 11:00"
            " shows 2.4 mg/dL. Which value reflects the patient's condition?"
        ) in text
        letter_button = page.get_by_role("button", name="Download letter.docx")
        review_button = page.get_by_role("button", name="Download review.docx")
        assert letter_button.count() == 1 and review_button.count() == 1
        with page.expect_download(timeout=60000) as download:
            letter_button.click()
        assert download.value.suggested_filename == f"{CASE_ID}_letter.docx"
        document = Document(io.BytesIO(Path(download.value.path()).read_bytes()))
        letter = "\n".join(p.text for p in document.paragraphs)
        assert f"lactate {LACTATE} mmol/L at {LACTATE_AT:%m/%d/%Y %H:%M}" in letter

        # the case whose denial names the member: the analyst is not offered its letter
        text = _choose(page, NAMED)
        assert "letter.docx names a patient identifier, which your role may not see" in text
        assert page.get_by_role("button", name="Download letter.docx").count() == 0
        assert MEMBER_ID not in text
        browser.close()
