"""The engine against the synthetic generator's truth: cases written by ``claimflow synth
appeals`` (its own oracle, which imports nothing of the engine), prepared and drafted, then
every score, verdict, field and conflict compared with ``truth/``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from claimflow.appeals.case import load_case
from claimflow.appeals.draft import Draft, draft_case
from claimflow.appeals.profiles import load_profiles
from claimflow.appeals.store import read_case, store_case
from claimflow.synth.appeals.generate import generate_appeals
from claimflow.warehouse.connection import open_warehouse

CASES = 12
ORGANS = ("respiration", "coagulation", "liver", "cardiovascular", "cns", "renal")


@pytest.fixture(scope="module")
def drafted(
    tmp_path_factory: pytest.TempPathFactory,
) -> list[tuple[dict[str, Any], dict[str, Any], Draft]]:
    root = tmp_path_factory.mktemp("appeals")
    generate_appeals(root / "cases", cases=CASES, seed=5)
    conn = open_warehouse(root / "w.duckdb")
    profiles = load_profiles()
    out = []
    try:
        for truth_file in sorted((root / "cases" / "truth").glob("A*.json")):
            truth = json.loads(truth_file.read_text())
            store_case(conn, load_case(root / "cases" / truth["case_id"]))
            made = draft_case(
                conn,
                truth["case_id"],
                root / "drafts" / truth["case_id"],
                profiles,
                now=dt.datetime(2026, 1, 5, 9, 0),
            )
            out.append((truth, read_case(conn, truth["case_id"]), made))
    finally:
        conn.close()
    return out


def test_the_cases_cover_every_condition_letter_and_record_format(drafted: list[Any]) -> None:
    truths = [t for t, _, _ in drafted]
    assert {t["condition"] for t in truths} == {"sepsis", "respiratory_failure", "aki"}
    assert {"txt", "text_pdf", "scan_pdf"} <= {t["letter_format"] for t in truths}
    assert {"fhir_ndjson", "fhir_bundle", "csv"} <= {t["record_format"] for t in truths}
    assert any(not t["meets_criteria"] for t in truths)


def test_sofa_by_organ_window_and_total_equal_the_truth(drafted: list[Any]) -> None:
    for truth, _, made in drafted:
        sofa = made.scores.results["sofa"]
        expected = truth["sofa"]
        got = {c.id.removeprefix("sofa."): c.points for c in sofa.criteria}
        want = {
            organ: (o["points"] if o.get("assessable", True) else None)
            for organ, o in expected["organs"].items()
        }
        assert got == want, truth["case_id"]
        assert (sofa.total, sofa.baseline, sofa.delta) == (
            expected["total"],
            expected["baseline"],
            expected["delta"],
        ), truth["case_id"]
        assert sofa.window is not None
        assert (sofa.window.start.isoformat(), sofa.window.end.isoformat(), sofa.window.anchor) == (
            expected["window"]["start"],
            expected["window"]["end"],
            expected["window"]["anchor"],
        ), truth["case_id"]


def test_verdicts_equal_the_truth_and_weak_cases_are_said_to_be_weak(drafted: list[Any]) -> None:
    for truth, _, made in drafted:
        results = made.scores.results
        if truth["condition"] == "sepsis":
            assert results["sepsis3"].verdict is truth["sepsis3"], truth["case_id"]
        if truth["condition"] == "respiratory_failure":
            assert results["arf"].verdict is truth["arf"]["verdict"], truth["case_id"]
        if truth["condition"] == "aki":
            assert results["kdigo"].stage == truth["kdigo"]["stage"], truth["case_id"]
        assert (made.assessment.rating == "LOW") is (not truth["meets_criteria"]) or truth[
            "meets_criteria"
        ], truth["case_id"]
        if not truth["meets_criteria"]:
            assert made.assessment.summary.startswith("Weak appeal"), truth["case_id"]


def test_the_denial_is_read_as_written(drafted: list[Any]) -> None:
    for truth, case, _ in drafted:
        assert case["account_number"] == truth["account_number"], truth["case_id"]
        assert case["original_drg"] == truth["original_drg"], truth["case_id"]
        assert case["proposed_drg"] == truth["proposed_drg"], truth["case_id"]
        assert case["appeal_deadline"].isoformat() == truth["appeal_deadline"], truth["case_id"]
        assert case["arguments"] == truth["arguments"], truth["case_id"]


def test_every_number_traced_no_lint_every_argument_answered(drafted: list[Any]) -> None:
    for truth, _, made in drafted:
        a = made.assessment
        assert a.untraced == [], (truth["case_id"], a.untraced)
        assert a.lint == [], truth["case_id"]
        quoted = {p.argument for p in made.letter.paragraphs if p.kind == "quote"}
        assert quoted == set(truth["arguments"]), truth["case_id"]


def test_conflicts_equal_the_planted_ones(drafted: list[Any]) -> None:
    want = set()
    got = set()
    for truth, _, made in drafted:
        want |= {
            (
                truth["case_id"],
                c["param"],
                round(c["note_value"], 2),
                round(c["structured_value"], 2),
            )
            for c in truth["conflicts"]
        }
        got |= {
            (
                truth["case_id"],
                c.mention.param,
                round(c.mention.value, 2),
                round(c.structured.value or 0.0, 2),
            )
            for c in made.comparisons
            if c.conflict
        }
    assert want and got == want
