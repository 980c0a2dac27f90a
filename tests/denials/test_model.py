"""The shipped denial-text model: its weights are the fit of the shipped labelled set, and the
numpy predictor gives scikit-learn's own answers, without importing scikit-learn."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claimflow.denials.classifier import DenialClassifier
from claimflow.denials.fit import fit
from claimflow.denials.model import (
    CharNgramModel,
    char_ngrams,
    labelled_set,
    model_version,
    shipped_weights,
    training_pairs,
    word_ngrams,
)

REWRITE = DenialClassifier().rewrite
TEXTS = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs", "Cc")), max_size=60
)


@pytest.fixture(scope="module")
def refit() -> Any:
    """scikit-learn's pipeline, fitted here from the labelled set as the product's fit does."""
    _, pipeline = fit(training_pairs(REWRITE))
    return pipeline


def test_shipped_weights_were_fitted_on_the_current_labelled_set() -> None:
    # A digest of exactly the texts and labels the model learns from: a changed labelled set,
    # synonym list or CARC file makes this fail until `python -m claimflow.denials.fit` is rerun.
    pairs = training_pairs(REWRITE)
    assert shipped_weights().version == model_version(pairs)
    rows = labelled_set()
    test_texts = {REWRITE(r.text) for r in rows if r.split == "test"}
    assert test_texts and not test_texts & {t for t, _ in pairs}  # the test split stays held out


def _analyzers(pipeline: Any) -> tuple[Any, Any]:
    (_, char), (_, word) = pipeline.steps[0][1].transformer_list
    return char.build_analyzer(), word.build_analyzer()


@settings(max_examples=300, deadline=None)
@given(text=TEXTS)
def test_ngrams_are_scikit_learns(refit: Any, text: str) -> None:
    char, word = _analyzers(refit)
    assert char_ngrams(text) == char(text)
    assert word_ngrams(text) == word(text)


def test_probabilities_match_scikit_learn_on_every_labelled_text(refit: Any) -> None:
    weights = shipped_weights()
    assert weights.classes == list(refit.classes_)
    texts = [REWRITE(r.text) for r in labelled_set()] + ["", "zzz", "qq qq qq", "no auth"]
    expected = refit.predict_proba(texts)
    got = np.array([weights.probabilities(t) for t in texts])
    assert np.abs(got - expected).max() < 1e-6
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert np.allclose(got.sum(axis=1), 1.0)


@settings(max_examples=100, deadline=None)
@given(text=TEXTS)
def test_probabilities_match_scikit_learn_on_any_text(refit: Any, text: str) -> None:
    expected = refit.predict_proba([text])[0]
    got = shipped_weights().probabilities(text)
    assert np.abs(got - expected).max() < 1e-6


def test_min_confidence_withholds_an_unsure_answer() -> None:
    weights = shipped_weights()
    text = "claim denied see letter"
    best = float(weights.probabilities(text).max())
    assert CharNgramModel(weights, min_confidence=best - 1e-3).predict(text) is not None
    assert CharNgramModel(weights, min_confidence=best + 1e-3).predict(text) is None


def test_classifying_with_the_model_does_not_import_scikit_learn() -> None:
    code = (
        "import sys\n"
        "from claimflow.denials.model import classifier_with_model\n"
        "result = classifier_with_model(0.8).classify('billing error')\n"
        "assert result.layer == 'model', result\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
