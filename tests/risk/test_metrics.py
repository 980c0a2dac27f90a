"""claimflow.risk.metrics against independent computations: scikit-learn, and the definitions
written out by hand (O(n²) pairs, bins counted one by one)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from claimflow.risk import metrics


def _pairs_expected_auc(score: np.ndarray, p: np.ndarray) -> float:
    """E[AUC] by its definition: every ordered pair (i ≠ j), i positive with probability pᵢ and
    j negative with 1 − pⱼ, a win when sᵢ > sⱼ, half a win on a tie."""
    wins = pairs = 0.0
    for i in range(len(score)):
        for j in range(len(score)):
            if i == j:
                continue
            w = p[i] * (1 - p[j])
            pairs += w
            wins += w * (1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0)
    return wins / pairs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_equals_scikit_learn_with_and_without_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    continuous = rng.random(500)
    tied = np.round(continuous, 1)  # ten distinct values: ties everywhere
    for score in (continuous, tied):
        assert metrics.auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)


def test_auc_of_one_class_is_none() -> None:
    assert metrics.auc([1, 1, 1], [0.1, 0.2, 0.3]) is None
    assert metrics.auc([], []) is None


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_expected_auc_matches_its_pairwise_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.random(60)
    score = np.round(rng.random(60), 1)  # ties included
    assert metrics.expected_auc(score, p) == pytest.approx(_pairs_expected_auc(score, p), 1e-12)
    # CBPE: the calibrated probability as both the score and the chance of a denial
    assert metrics.expected_auc(p, p) == pytest.approx(_pairs_expected_auc(p, p), 1e-12)


def test_expected_auc_with_outcomes_for_probabilities_is_the_auc() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300).astype(float)
    score = np.round(rng.random(300), 2)
    assert metrics.expected_auc(score, y) == pytest.approx(roc_auc_score(y, score), abs=1e-12)


def test_brier_equals_scikit_learn() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 400)
    prob = rng.random(400)
    assert metrics.brier(y, prob) == pytest.approx(brier_score_loss(y, prob), abs=1e-12)
    assert metrics.brier([], []) is None


def test_calibration_curve_and_ece_by_hand() -> None:
    # ten claims, two bins of five in probability order
    prob = [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6, 0.05, 0.95]
    y = [0, 1, 0, 1, 1, 0, 0, 1, 0, 1]
    curve = metrics.calibration_curve(y, prob, bins=2)
    low = sorted(range(10), key=lambda i: prob[i])[:5]  # 0.05 0.1 0.2 0.3 0.4
    high = [i for i in range(10) if i not in low]
    expected = []
    for b, members in enumerate((low, high), start=1):
        mean_p = sum(prob[i] for i in members) / 5
        observed = sum(y[i] for i in members) / 5
        expected.append(
            {"bin": b, "claims": 5, "mean_predicted": round(mean_p, 6), "observed": observed}
        )
    assert curve == expected
    ece = sum(5 * abs(c["observed"] - c["mean_predicted"]) for c in expected) / 10
    assert metrics.ece(y, prob, bins=2) == pytest.approx(ece)
    # low bin: mean 0.21, observed 0.2; high bin: mean 0.79, observed 0.8
    assert ece == pytest.approx(0.01)


def test_psi_of_numeric_values_by_hand() -> None:
    reference = metrics.profile(np.arange(1.0, 11.0), numeric=True, bins=2)  # 1..10
    assert reference["edges"] == [5.5]  # the median
    assert reference["shares"] == [0.5, 0.5, 0.0]  # below, above, missing
    later = [1.0, 2.0, 3.0, 9.0, float("nan")]
    a = [3 / 5, 1 / 5, 1 / 5]
    e = [0.5, 0.5, metrics.PSI_FLOOR]  # an empty bin counts as the floor
    by_hand = sum((ai - ei) * math.log(ai / ei) for ai, ei in zip(a, e, strict=True))
    assert metrics.psi(reference, later) == pytest.approx(by_hand)
    assert metrics.psi(reference, np.arange(1.0, 11.0)) == pytest.approx(0.0)
    assert metrics.psi(reference, []) is None


def test_psi_of_categories_by_hand() -> None:
    values = ["A"] * 60 + ["B"] * 39 + ["rare"] * 1 + [None] * 100  # rare: 0.5% of 200 -> kept
    reference = metrics.profile(values, numeric=False)
    assert reference["shares"] == {
        "A": 0.3,
        "B": 0.195,
        "rare": 0.005,
        "": 0.5,
        metrics.OTHER: pytest.approx(0.0),
    }
    later = ["A"] * 5 + ["B"] * 3 + ["new"] * 2  # an unseen value counts as other
    shares = {"A": 0.5, "B": 0.3, "rare": 0.0, "": 0.0, metrics.OTHER: 0.2}
    by_hand = 0.0
    for key, actual in shares.items():
        a = max(actual, metrics.PSI_FLOOR)
        e = max(reference["shares"][key], metrics.PSI_FLOOR)
        by_hand += (a - e) * math.log(a / e)
    assert metrics.psi(reference, later) == pytest.approx(by_hand)
