"""Codes, dispositions and the auto-resubmit safety gate."""

from __future__ import annotations

import json

import pytest

from claimflow.denials.classifier import DenialClassifier, DenialInput
from claimflow.denials.evaluate import evaluate
from claimflow.denials.model import LabelledText, labelled_set
from claimflow.denials.outcome import NEVER_AUTO
from tests.conftest import cli


@pytest.fixture(scope="module")
def rules() -> DenialClassifier:
    return DenialClassifier()


@pytest.mark.parametrize(
    ("item", "category", "disposition", "auto"),
    [
        (DenialInput(group_code="CO", carc="45"), "contractual", "none", False),
        (DenialInput(group_code="PR", carc="1"), "patient_responsibility", "bill_patient", False),
        (DenialInput(group_code="OA", carc="18"), "duplicate", "none", False),
        (DenialInput(group_code="CO", carc="29"), "timely_filing", "write_off", False),
        (DenialInput(group_code="CO", carc="50"), "medical_necessity", "appeal", False),
        (DenialInput(group_code="CO", carc="197"), "authorization", "correct_and_review", False),
        (
            DenialInput(group_code="CO", carc="16", rarcs=("N290",)),
            "provider_data",
            "resubmit",
            False,
        ),
        (
            DenialInput(group_code="PR", carc="96", rarcs=("N130",)),
            "non_covered",
            "bill_patient",
            False,
        ),
        (
            DenialInput(status_category="A7", status_code="562", entity_code="85"),
            "provider_data",
            "resubmit",
            False,
        ),
        (
            DenialInput(status_category="A6", status_code="21"),
            "missing_information",
            "resubmit",
            False,
        ),
    ],
)
def test_codes_decide_category_disposition_and_auto(
    rules: DenialClassifier, item: DenialInput, category: str, disposition: str, auto: bool
) -> None:
    result = rules.classify(item)
    assert (result.category, result.disposition, result.auto_resubmit) == (
        category,
        disposition,
        auto,
    )
    assert result.layer == "code_map" and result.explanation


def test_a_rejection_is_never_appealed(rules: DenialClassifier) -> None:
    # a 277CA rejection for a medical-necessity-looking reason still is not adjudicated
    result = rules.classify(
        DenialInput(status_category="A3", status_code="21", text="not medically necessary")
    )
    assert result.disposition in ("resubmit", "correct_and_review")


def test_carc_that_needs_a_remark_falls_back_to_the_text(rules: DenialClassifier) -> None:
    bare = rules.classify(DenialInput(group_code="CO", carc="16"))
    assert bare.confidence < 0.8  # CARC 16 alone does not say what is missing
    with_text = rules.classify(DenialInput(group_code="CO", carc="16", text="Missing modifier"))
    assert (with_text.category, with_text.layer) == ("coding", "exact")


def test_never_auto_categories_are_never_auto_resubmitted_on_the_labelled_set(
    rules: DenialClassifier,
) -> None:
    never = [r for r in labelled_set() if r.category in NEVER_AUTO]
    assert len(never) > 50
    assert [r.text for r in never if rules.classify(r.text).auto_resubmit] == []


def test_evaluate_counts_by_hand() -> None:
    rows = [
        LabelledText("Missing modifier", "coding", True, "test", "x"),  # right, auto right
        LabelledText("Duplicate claim", "duplicate", False, "test", "x"),  # right
        LabelledText("Incorrect NPI", "eligibility", False, "test", "x"),  # wrong, auto FP
        LabelledText("zzz qqq", "other", True, "test", "x"),  # fallback other: right, auto FN
        LabelledText("Missing modifier", "coding", True, "train", "x"),  # other split
    ]
    report = evaluate(DenialClassifier(), rows, "test")
    assert (report.total, report.correct) == (4, 3)
    assert (report.auto_true_positive, report.auto_false_positive, report.auto_false_negative) == (
        1,
        1,
        1,
    )
    assert report.auto_precision == 0.5 and report.auto_recall == 0.5
    assert report.per_category["eligibility"] == (0, 1)


def test_classify_command_json_fields() -> None:
    result = cli("denials", "classify", "Precert not obtained for MRI", "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    for key in (
        "category",
        "disposition",
        "auto_resubmit",
        "confidence",
        "layer",
        "model_version",
        "explanation",
    ):
        assert key in record
    assert record["category"] == "authorization" and record["layer"] == "rule"
    coded = json.loads(cli("denials", "classify", "--carc", "18", "--group", "OA", "--json").stdout)
    assert (coded["category"], coded["auto_resubmit"]) == ("duplicate", False)
