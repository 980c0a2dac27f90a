"""The layered denial-text classifier: exact phrases, keyword rules with negation, fallback."""

from __future__ import annotations

import pytest

from claimflow.denials.classifier import DenialClassifier, DenialInput, ModelPrediction, normalize


@pytest.fixture(scope="module")
def classifier() -> DenialClassifier:
    return DenialClassifier()


def test_normalize_folds_case_punctuation_and_space() -> None:
    assert normalize("  Prior-Auth   REQUIRED!! ") == "prior auth required"
    assert (
        normalize("\uff2e\uff30\uff29_invalid") == "npi invalid"
    )  # full-width letters fold (NFKC)


@pytest.mark.parametrize(
    ("text", "label", "layer"),
    [
        ("Missing modifier", "missing_modifier", "exact"),
        ("MISSING MODIFIER.", "missing_modifier", "exact"),
        ("Modifier RT missing on line 2", "missing_modifier", "rule"),
        # 25/59/X{EPSU} need a coder's judgement; an unmatched NPI may be an enrollment problem
        ("Modifier 25 missing on E/M line", "modifier_needs_review", "rule"),
        ("Rendering NPI does not match payer records", "npi_not_matched", "rule"),
        ("Rendering NPI fails the check digit", "incorrect_npi", "rule"),
        ("Precert not obtained for MRI", "prior_auth_required", "rule"),
        ("Authorization not on file", "prior_auth_required", "rule"),
        ("Prior authorization expired before date of service", "authorization_expired", "rule"),
        ("Claim filed past the filing limit", "timely_filing", "rule"),
        ("Exact duplicate of claim already paid", "duplicate_claim", "rule"),
        ("Provider specialty not eligible for this service", "incorrect_provider_type", "rule"),
    ],
)
def test_known_wordings(classifier: DenialClassifier, text: str, label: str, layer: str) -> None:
    result = classifier.classify(text)
    assert (result.label, result.layer) == (label, layer)
    assert result.confidence >= 0.8
    assert result.explanation


def test_negation_stops_a_rule(classifier: DenialClassifier) -> None:
    result = classifier.classify("No prior authorization required; coverage terminated")
    assert result.label == "eligibility"


@pytest.mark.parametrize(
    ("text", "rewritten"),
    [
        ("Modifer missing", "modifier missing"),
        ("PA not obtaind", "prior authorization not obtained"),
        ("pt termed, ded applies", "patient terminated deductible applies"),
        ("dup svc w/ same DOS", "duplicate service with same date of service"),
    ],
)
def test_synonyms_fix_typos_and_abbreviations(
    classifier: DenialClassifier, text: str, rewritten: str
) -> None:
    assert classifier.rewrite(text) == rewritten


def test_a_generic_rule_gives_way_to_a_specific_one(classifier: DenialClassifier) -> None:
    # 'per payer review' alone is uninformative; beside a named cause it does not make a conflict
    assert classifier.classify("Denied per payer review").category == "other"
    result = classifier.classify("Inappropriate setting per payer review")
    assert (result.category, result.layer) == ("medical_necessity", "rule")
    assert result.confidence >= 0.8


def test_modifiers_that_need_a_coder_are_never_automatic(classifier: DenialClassifier) -> None:
    for text in ("mod 25 missing on E/M", "Modifier 59 required", "XS modifier missing"):
        result = classifier.classify(text)
        assert (result.category, result.auto_resubmit) == ("coding", False), text
    assert classifier.classify("Missing modifier").auto_resubmit is True


def test_word_boundaries(classifier: DenialClassifier) -> None:
    # 'snpi' and 'modifiers' substrings must not fire other rules; 'unauthorized' is not 'auth'
    assert classifier.classify("snpix is wrong").label != "incorrect_npi"


def test_conflicting_rules_are_ambiguous(classifier: DenialClassifier) -> None:
    result = classifier.classify("Missing modifier and invalid NPI on line 2")
    assert result.confidence < 0.8
    assert "several causes" in result.explanation


def test_low_confidence_rule_and_fallback(classifier: DenialClassifier) -> None:
    weak = classifier.classify("incorrect procedure")
    assert (weak.label, weak.confidence, weak.layer) == ("incorrect_procedure_code", 0.6, "rule")
    unknown = classifier.classify("zzz qqq")
    assert (unknown.label, unknown.layer, unknown.confidence) == ("ambiguous", "fallback", 0.0)


def test_model_layer_runs_only_for_unsettled_text() -> None:
    class EchoModel:
        version = "echo-1"

        def __init__(self) -> None:
            self.seen: list[str] = []

        def predict(self, text: str) -> ModelPrediction | None:
            self.seen.append(text)
            return ModelPrediction("missing_information", 0.91) if "form" in text else None

    model = EchoModel()
    classifier = DenialClassifier(model=model)
    assert classifier.version.endswith("+echo-1@0.80")  # rules, model, threshold
    assert classifier.classify("Missing modifier").layer == "exact"
    result = classifier.classify("Per form 7 box B")
    assert (result.label, result.layer, result.category) == (
        "missing_information",
        "model",
        "missing_information",
    )
    assert classifier.classify("zzz").layer == "fallback"
    assert model.seen == ["per form 7 box b", "zzz"]


def test_undeclared_label_is_refused() -> None:
    with pytest.raises(ValueError, match="not declared"):
        DenialClassifier({"labels": {}, "exact": {"x": "nope"}, "rules": []})


@pytest.mark.parametrize(
    ("item", "acted_on"),
    [
        ("Claim filed past the filing limit", "write_off"),  # a keyword rule
        (DenialInput(group_code="CO", carc="16"), "resubmit"),  # CARC 16 without its remark
    ],
)
def test_under_the_threshold_a_person_decides(item: DenialInput | str, acted_on: str) -> None:
    sure = DenialClassifier(threshold=0.0).classify(item)
    assert sure.disposition == acted_on
    unsure = DenialClassifier(threshold=1.0).classify(item)
    # the reading stays visible, the action does not
    assert (unsure.category, unsure.confidence) == (sure.category, sure.confidence)
    assert unsure.disposition == "correct_and_review"
    assert not unsure.auto_resubmit
    assert "under the 1.00 threshold: a person decides" in unsure.explanation
