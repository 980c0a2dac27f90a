"""``GET /appeals`` and ``POST /appeals/{case_id}/draft`` through real uvicorn servers on
loopback, over a warehouse holding a real prepared case (tests/appeals/case_dir.py: a sepsis
chart as FHIR NDJSON and its denial, prepared, drafted once and published as
``claimflow appeal prepare`` and ``claimflow appeal draft`` do).

What the answers must hold is worked out from the case's own values (the lactate 4.2 mmol/L at
03/01/2025 09:00, the deadline March 14 + 60 days), not from the engine's output."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from docx import Document

from claimflow.api.app import ApiSettings
from claimflow.phi import MASK
from claimflow.warehouse.serving import serving_path
from tests.api.conftest import Served, serve
from tests.appeals.case_dir import (
    ACCOUNT,
    CASE_ID,
    CLAIM_NUMBER,
    DEADLINE,
    LACTATE,
    LACTATE_AT,
    MEMBER_ID,
    NAMED_DENIAL,
    PAYER,
    UNDECIDED_DENIAL,
    PreparedCase,
    prepared_warehouse,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NAMED = "NAMED-0002"
UNDECIDED = "UNDECIDED-0003"
LACTATE_TEXT = f"lactate {LACTATE} mmol/L at {LACTATE_AT:%m/%d/%Y %H:%M}"
"""How the letter states the patient's lactate: the value, its unit and its time."""


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> PreparedCase:
    return prepared_warehouse(
        tmp_path_factory.mktemp("appeals"),
        others={
            NAMED: {"denial": NAMED_DENIAL},
            UNDECIDED: {"denial": UNDECIDED_DENIAL, "diagnosis": False},
        },
    )


@pytest.fixture(scope="module")
def analyst(case: PreparedCase) -> Iterator[Served]:
    """The default role: patient identifiers masked."""
    with serve(ApiSettings(warehouse=case.warehouse)) as served:
        yield served


@pytest.fixture(scope="module")
def auditor(case: PreparedCase) -> Iterator[Served]:
    """A role allowed to see patient identifiers."""
    with serve(
        ApiSettings(warehouse=case.warehouse, role="auditor", phi_roles=("auditor",))
    ) as served:
        yield served


def _drafts(warehouse: Path) -> int:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        found = conn.execute("SELECT count(*) FROM appeal_drafts").fetchone()
        return int(found[0]) if found else 0
    finally:
        conn.close()


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(texts)


def test_the_cases_are_listed_with_their_deadline_and_the_latest_drafts_strength(
    auditor: Served,
) -> None:
    response = auditor.get("/appeals")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3 and [r["case_id"] for r in body["items"]].count(CASE_ID) == 1
    row = next(r for r in body["items"] if r["case_id"] == CASE_ID)
    assert row["appeal_deadline"] == DEADLINE.isoformat()
    assert row["days_left"] == (DEADLINE - dt.date.today()).days
    assert row["condition"] == "sepsis" and row["payer"] == PAYER
    assert (row["original_drg"], row["proposed_drg"]) == ("871", "872")
    assert row["arguments"] == ["sofa_below_2", "lactate_not_elevated"]
    assert (row["account_number"], row["claim_number"]) == (ACCOUNT, CLAIM_NUMBER)
    # the draft recorded when the case was drafted: its strength and its one conflict
    assert row["drafted_at"] == "2025-03-20 09:00:00"
    assert isinstance(row["overall"], int) and 1 <= row["overall"] <= 10
    assert row["rating"] in ("HIGH", "MEDIUM", "LOW") and row["verdict"] is True
    assert (row["untraced"], row["lint_findings"], row["conflicts"]) == (0, 0, 1)
    assert row["outcome"] is None
    # the cases not drafted yet are listed without a strength
    others = [r for r in body["items"] if r["case_id"] != CASE_ID]
    assert {r["case_id"] for r in others} == {NAMED, UNDECIDED}
    assert all(r["overall"] is None and r["drafted_at"] is None for r in others)
    undecided = next(r for r in others if r["case_id"] == UNDECIDED)
    assert undecided["condition"] is None


def test_a_draft_is_the_letter_with_the_patients_values_its_assessment_and_conflicts(
    analyst: Served, case: PreparedCase
) -> None:
    published = serving_path(case.warehouse).stat().st_mtime_ns
    before = _drafts(case.warehouse)
    response = analyst.client.post(f"/appeals/{CASE_ID}/draft")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["case_id"] == CASE_ID and body["condition"] == "sepsis"
    paragraphs = [p["text"] for p in body["letter"]["paragraphs"]]
    # the lactate argument answered with the patient's value and its time
    lactate = [
        p["text"]
        for p in body["letter"]["paragraphs"]
        if p["argument"] == "lactate_not_elevated" and p["kind"] == "evidence"
    ]
    assert any(LACTATE_TEXT in text for text in lactate), lactate
    assert any("The payer states that lactate was not elevated" in t for t in paragraphs)
    # every number traced to a row of the chart, no lint finding
    assessment = body["assessment"]
    assert assessment["untraced"] == [] and assessment["numbers"] > 0
    assert assessment["source_fidelity"]["findings"][0]["status"] == "present"
    assert set(assessment) >= {
        "source_fidelity", "criteria_coverage", "argument_structure", "evidence_quality",
        "formatting", "overall", "rating",
    }  # fmt: skip
    # the note's Cr 3.1 against the lab's 2.4: one conflict, asked as a neutral question
    (conflict,) = body["conflicts"]
    assert (conflict["param"], conflict["note_value"], conflict["structured_value"]) == (
        "creatinine",
        3.1,
        2.4,
    )
    assert conflict["question"].endswith("Which value reflects the patient's condition?")
    # every score with the rows it cites: the lactate row, with its time and lineage
    cited = [
        c
        for score in body["scores"].values()
        for criterion in score["criteria"]
        for c in criterion["cited"]
        if c["param"] == "lactate"
    ]
    assert cited and all(c["value"] == LACTATE for c in cited)
    assert all(c["time"] == LACTATE_AT.isoformat() and len(c["lineage_hash"]) == 64 for c in cited)
    # computed from the snapshot, recorded nowhere
    assert _drafts(case.warehouse) == before == 1
    assert serving_path(case.warehouse).stat().st_mtime_ns == published


def test_the_letter_and_the_review_as_docx(auditor: Served) -> None:
    letter = auditor.client.post(f"/appeals/{CASE_ID}/draft", params={"document": "letter"})
    assert letter.status_code == 200, letter.text
    assert letter.headers["content-type"] == DOCX
    assert letter.headers["content-disposition"] == (
        f'attachment; filename="{CASE_ID}_letter.docx"'
    )
    text = _docx_text(letter.content)
    assert LACTATE_TEXT in text and ACCOUNT in text
    assert "Which value reflects" not in text  # the review's questions never reach the payer
    review = auditor.client.post(f"/appeals/{CASE_ID}/draft", params={"document": "review"})
    assert review.status_code == 200 and review.headers["content-type"] == DOCX
    assert review.headers["content-disposition"].endswith(f'filename="{CASE_ID}_review.docx"')
    assert "Which value reflects the patient's condition?" in _docx_text(review.content)


def test_errors_are_the_houses(analyst: Served) -> None:
    response = analyst.client.post("/appeals/NO-SUCH-CASE/draft")
    assert response.status_code == 404
    assert response.json() == {
        "error": "no prepared case has this id (claimflow appeal prepare CASE_DIR)"
    }
    response = analyst.client.post(f"/appeals/{UNDECIDED}/draft")
    assert response.status_code == 422
    assert "the condition is undecided" in response.json()["error"]
    response = analyst.client.post(f"/appeals/{CASE_ID}/draft", params={"document": "memo"})
    assert response.status_code == 422
    assert response.json()["error"].startswith("query parameter document: ")
    assert analyst.client.get(f"/appeals/{CASE_ID}/draft").status_code == 405


def test_a_role_without_phi_never_gets_the_member_id(analyst: Served, auditor: Served) -> None:
    """The denial of NAMED-0002 names the member in the sentence the letter quotes: the
    auditor gets it as written, the analyst ``•••`` in the JSON and no letter (403)."""
    listed = analyst.get("/appeals")
    assert listed.status_code == 200 and MEMBER_ID not in listed.text
    # the account and claim numbers are shown, as the claim number (PCN) on /worklist
    row = next(r for r in listed.json()["items"] if r["case_id"] == CASE_ID)
    assert (row["account_number"], row["claim_number"]) == (ACCOUNT, CLAIM_NUMBER)

    seen = auditor.client.post(f"/appeals/{NAMED}/draft")
    assert seen.status_code == 200 and f"For member {MEMBER_ID} the SOFA" in seen.text
    hidden = analyst.client.post(f"/appeals/{NAMED}/draft")
    assert hidden.status_code == 200 and MEMBER_ID not in hidden.text
    quotes = [p["text"] for p in hidden.json()["letter"]["paragraphs"] if p["kind"] == "quote"]
    assert quotes and all(f"For member {MASK} the SOFA" in q for q in quotes), quotes
    # the masked answer is the auditor's otherwise (the same draft, computed twice)
    assert json.loads(hidden.text.replace(MASK, MEMBER_ID)) == {
        **seen.json(),
        "drafted": hidden.json()["drafted"],
    }
    refused = analyst.client.post(f"/appeals/{NAMED}/draft", params={"document": "letter"})
    assert refused.status_code == 403 and MEMBER_ID not in refused.text
    assert "names a patient identifier" in refused.json()["error"]
    shown = auditor.client.post(f"/appeals/{NAMED}/draft", params={"document": "letter"})
    assert shown.status_code == 200 and MEMBER_ID in _docx_text(shown.content)
    # a letter that names no identifier is given to every role
    letter = analyst.client.post(f"/appeals/{CASE_ID}/draft", params={"document": "letter"})
    assert letter.status_code == 200 and MEMBER_ID not in _docx_text(letter.content)
