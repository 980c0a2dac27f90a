"""The letter, its number trace, its lint and its strength, on hand-built charts
(tests/appeals/charts.py gives each expected figure, worked out by hand)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from docx import Document

from claimflow.appeals.crosscheck import cross_check
from claimflow.appeals.documents import write_letter, write_review
from claimflow.appeals.letter import Letter, compose
from claimflow.appeals.lint import lint
from claimflow.appeals.mutations import KINDS, mutants
from claimflow.appeals.profiles import load_profiles
from claimflow.appeals.scoring import CaseScores, score_case
from claimflow.appeals.strength import Assessment, assess
from claimflow.clinical.records import Chart
from tests.appeals.charts import facts, mild_chart, septic_chart

SEPSIS = load_profiles()["sepsis"]
DRAFTED = dt.date(2025, 4, 10)
ARGUMENTS = ("sofa_below_2", "lactate_not_elevated")


def _draft(chart: Chart, payer: str = "Acme Health Plan") -> tuple[Letter, CaseScores, Assessment]:
    scores = score_case(chart, SEPSIS)
    case = facts(chart, ARGUMENTS, payer)
    letter = compose(SEPSIS, case, scores, DRAFTED)
    return letter, scores, assess(letter, SEPSIS, case, chart, scores)


def test_a_septic_chart_gives_a_strong_letter_with_every_number_traced() -> None:
    letter, scores, assessment = _draft(septic_chart())
    assert scores.verdict is True
    text = letter.text
    assert "The SOFA score rose by 12 points from a baseline of 0, to 12" in text
    assert (
        "Respiration (PaO2/FiO2) (3 points): PaO2/FiO2 ratio 140 from PaO2 70 mmHg at 03/01/2025 12:00"
        in text
    )
    assert "norepinephrine 0.12 µg/kg/min at 03/01/2025 11:00" in text
    assert "lactate 4.2 mmol/L at 03/01/2025 09:00" in text
    assert assessment.untraced == [] and len(assessment.numbers) > 30
    assert lint(letter) == []
    assert assessment.rating == "HIGH" and assessment.problems == 0
    assert letter.table is not None and letter.table.rows[-1][:2] == ("**Total**", "**12**")


def test_each_argument_is_quoted_from_the_denial_and_answered() -> None:
    letter, _, _ = _draft(septic_chart())
    assert letter.quotes == {
        "sofa_below_2": "The SOFA score did not increase by 2 or more points from baseline.",
        "lactate_not_elevated": "Lactic acid remained within normal limits.",
    }
    answered = [p.argument for p in letter.paragraphs if p.kind == "argument"]
    assert answered == list(ARGUMENTS)
    # the arguments the denial did not make get no rebuttal
    for other in ("sirs_only", "no_organ_dysfunction"):
        assert other not in {p.argument for p in letter.paragraphs}
        assert SEPSIS.argument(other).label not in letter.text


def test_a_chart_that_does_not_meet_sepsis3_is_a_weak_appeal_that_claims_nothing() -> None:
    letter, scores, assessment = _draft(mild_chart())
    assert scores.verdict is False and scores.sofa is not None and scores.sofa.delta == 1
    assert "meets the criteria" not in letter.text
    assert "rose by" not in letter.text
    assert assessment.rating == "LOW" and assessment.overall <= 3
    assert assessment.summary.startswith("Weak appeal")
    assert assessment.untraced == [] and lint(letter) == []
    # the lactate argument holds either way (Sepsis-3 needs no lactate): answered
    assert "Sepsis-3 does not require an elevated lactate" in letter.text


def test_sep1_timing_is_cited_to_cms_payers_only() -> None:
    commercial, _, _ = _draft(septic_chart())
    cms, _, assessment = _draft(septic_chart(), payer="Medicare Part A (CMS)")
    assert "Antibiotic" not in commercial.text
    assert re.search(r"antibiotic", cms.text, re.IGNORECASE)
    assert assessment.untraced == []


@pytest.mark.parametrize("chart", [septic_chart, mild_chart])
def test_the_checker_catches_every_mutation(chart: object) -> None:
    made = chart()  # type: ignore[operator]
    scores = score_case(made, SEPSIS)
    case = facts(made, ARGUMENTS)
    letter = compose(SEPSIS, case, scores, DRAFTED)
    clean = assess(letter, SEPSIS, case, made, scores)
    found = mutants(letter, SEPSIS, case, made, scores)
    kinds = {m.kind for m in found}
    assert kinds >= set(KINDS) - ({"wrong_score"} if scores.verdict is not True else set())
    missed = [
        (m.kind, m.description)
        for m in found
        if not assess(m.letter, SEPSIS, case, made, scores).catches(clean)
    ]
    assert missed == []


def test_the_letter_and_the_review_are_two_documents(tmp_path: Path) -> None:
    chart = septic_chart()
    letter, scores, assessment = _draft(chart)
    write_letter(letter, tmp_path / "letter.docx")
    comparisons = cross_check(chart)
    write_review(
        letter, assessment, scores, comparisons, {"Case": "A0001"}, tmp_path / "review.docx"
    )
    doc = Document(str(tmp_path / "letter.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    bold = [r.text for p in doc.paragraphs for r in p.runs if r.bold]
    assert "RE: Appeal of DRG revision: Sepsis" in bold
    assert "**" not in text
    assert "Strength" not in text and "CDI" not in text and "lineage" not in text
    assert doc.tables[0].rows[0].cells[0].text == "Organ system"
    review = "\n".join(p.text for p in Document(str(tmp_path / "review.docx")).paragraphs)
    assert "Strength: 10/10 (HIGH)" in review
    assert "Conflicts for CDI review: 1" in review
    assert "states Cr 3.1; the record of 03/01/2025 11:00 shows 2.4 mg/dL" in review


def test_a_toy_condition_drafts_through_the_same_engine(tmp_path: Path) -> None:
    """A condition added as a file only (tests/appeals/test_profiles.py's toy, a data criterion
    "platelets below 50" over the stay): scored, written, traced and assessed by the unchanged
    engine."""
    from claimflow.appeals.letter import DenialFacts
    from tests.appeals.charts import obs
    from tests.appeals.test_profiles import TOY

    (tmp_path / "thrombocytopenia.yaml").write_text(TOY, encoding="utf-8")
    toy = load_profiles(tmp_path)["thrombocytopenia"]
    high = septic_chart()  # platelets 85 at 03/01/2025 11:00: not below 50
    low = septic_chart()
    low.observations.append(obs("platelets", 30, 32))  # 03/02/2025 14:00, in the stay
    for chart, verdict, worst in ((high, False, 85), (low, True, 32)):
        scores = score_case(chart, toy)
        assert scores.verdict is verdict
        assert scores.criteria["platelets_low"].value == worst
        case = DenialFacts(
            chart.case_id, "thrombocytopenia", "Acme", "H1", "C1", chart.admitted,
            chart.discharged, "813", None, None, None, ("platelets_not_low",),
            "The platelet count was not low.",
        )  # fmt: skip
        letter = compose(toy, case, scores, DRAFTED)
        assessment = assess(letter, toy, case, chart, scores)
        assert letter.paragraphs[-1].text == "We appeal."  # the toy's only section
        assert assessment.untraced == []
        if not verdict:
            assert assessment.rating == "LOW" and assessment.overall <= 3
        # the toy's letter has no denial or rebuttal section: the review says so
        assert (
            "argument_structure: not quoted: the platelet count was not low" in assessment.missing
        )
