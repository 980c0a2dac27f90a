"""How good a probability is: AUC, calibration, Brier, drift. Plain numpy, one definition each.

Every function takes arrays of equal length and returns plain floats or lists, so the figures
can be stored as JSON in ``risk_models`` and ``risk_monitoring``.

- ``auc``: ROC AUC from outcomes (Mann-Whitney, ties count one half).
- ``expected_auc``: the AUC a score is expected to reach when each outcome is drawn with the
  probability ``p`` (the generator's truth, or the model's own calibrated probability: the
  latter is NannyML's CBPE, an estimate of the AUC before the outcomes arrive).
- ``ece``: expected calibration error over quantile bins (Naeini et al. 2015).
- ``brier``: mean squared error of the probability.
- ``calibration_curve``: per quantile bin, mean predicted, observed rate and claims.
- ``profile`` and ``psi``: population stability index of a feature or a score between a
  reference window (its profile: quantile edges or category shares) and a later one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

PSI_FLOOR = 1e-4
"""A bin's share is at least this in PSI (an empty bin would make the index infinite)."""
OTHER = "__other__"
"""Categories the reference did not hold (or held too rarely) share one PSI bin."""


def _arrays(*values: Sequence[float] | npt.ArrayLike) -> list[Floats]:
    out = [np.asarray(v, dtype=np.float64) for v in values]
    if len({len(a) for a in out}) > 1:
        raise ValueError("arrays of different lengths")
    return out


def auc(y: npt.ArrayLike, score: npt.ArrayLike) -> float | None:
    """ROC AUC of ``score`` for outcomes ``y`` (1 positive, 0 negative); None with one class."""
    y_, s = _arrays(y, score)
    return expected_auc(s, y_)


def expected_auc(score: npt.ArrayLike, p: npt.ArrayLike) -> float | None:
    """The expected AUC of ``score`` when each outcome is 1 with probability ``p``.

    E[AUC] ≈ Σᵢ pᵢ·Σ_{j: sⱼ<sᵢ}(1−pⱼ) / (Σp·Σ(1−p) − Σp(1−p)), ties counted one half (a claim
    is never paired with itself). With 0/1 values for ``p`` it is the ordinary AUC.
    """
    s, p_ = _arrays(score, p)
    if len(s) == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    s, p_ = s[order], p_[order]
    neg = 1.0 - p_
    # group ties: per distinct score, the positives and negatives it holds
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos_g = np.add.reduceat(p_, starts)
    neg_g = np.add.reduceat(neg, starts)
    self_g = np.add.reduceat(p_ * neg, starts)
    neg_below = np.cumsum(neg_g) - neg_g
    wins = float(np.sum(pos_g * neg_below + 0.5 * (pos_g * neg_g - self_g)))
    pairs = float(p_.sum() * neg.sum() - np.sum(p_ * neg))
    if pairs <= 0:
        return None
    return wins / pairs


def brier(y: npt.ArrayLike, prob: npt.ArrayLike) -> float | None:
    """Mean of (prob − y)²; None for no rows."""
    y_, p_ = _arrays(y, prob)
    return float(np.mean((p_ - y_) ** 2)) if len(y_) else None


def _quantile_bins(prob: Floats, bins: int) -> npt.NDArray[np.intp]:
    """Bin index of each probability: ``bins`` groups of equal size in probability order."""
    order = np.argsort(prob, kind="mergesort")
    index = np.empty(len(prob), dtype=np.intp)
    index[order] = (np.arange(len(prob)) * bins) // max(len(prob), 1)
    return index


def calibration_curve(
    y: npt.ArrayLike, prob: npt.ArrayLike, bins: int = 10
) -> list[dict[str, Any]]:
    """Per quantile bin of ``prob``: mean predicted, observed rate, claims (JSON-ready)."""
    y_, p_ = _arrays(y, prob)
    if len(y_) == 0:
        return []
    index = _quantile_bins(p_, bins)
    out: list[dict[str, Any]] = []
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        if n:
            out.append(
                {
                    "bin": b + 1,
                    "claims": n,
                    "mean_predicted": round(float(p_[mask].mean()), 6),
                    "observed": round(float(y_[mask].mean()), 6),
                }
            )
    return out


def ece(y: npt.ArrayLike, prob: npt.ArrayLike, bins: int = 10) -> float | None:
    """Expected calibration error: Σ_bins (claims/n)·|observed − mean predicted|, quantile bins."""
    curve = calibration_curve(y, prob, bins)
    n = sum(b["claims"] for b in curve)
    if not n:
        return None
    return float(sum(b["claims"] * abs(b["observed"] - b["mean_predicted"]) for b in curve) / n)


def profile(
    values: Sequence[object] | npt.ArrayLike, *, numeric: bool, bins: int = 10
) -> dict[str, Any]:
    """The reference distribution of one feature or score, for ``psi`` later (JSON-ready).

    Numeric: quantile edges of the non-missing values and the share of each bin and of
    missing. Categorical: the share of each value held by at least 0.5% of the rows; the rest
    and later unseen values share :data:`OTHER`.
    """
    if numeric:
        x = np.asarray(values, dtype=np.float64)
        present = x[~np.isnan(x)]
        edges = (
            np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])).tolist()
            if len(present)
            else []
        )
        return {
            "kind": "numeric",
            "edges": edges,
            "shares": _numeric_shares(x, edges),
        }
    counts: dict[str, int] = {}
    for v in values:  # type: ignore[union-attr]
        key = "" if v is None else str(v)
        counts[key] = counts.get(key, 0) + 1
    total = sum(counts.values()) or 1
    kept = {k: c / total for k, c in counts.items() if c / total >= 0.005}
    kept[OTHER] = 1.0 - sum(kept.values())
    return {"kind": "categorical", "shares": kept}


def _numeric_shares(x: Floats, edges: list[float]) -> list[float]:
    missing = np.isnan(x)
    n = len(x) or 1
    counts = np.bincount(
        np.searchsorted(edges, x[~missing], side="right"), minlength=len(edges) + 1
    )
    return [float(c) / n for c in counts] + [float(missing.sum()) / n]


def psi(reference: Mapping[str, Any], values: Sequence[object] | npt.ArrayLike) -> float | None:
    """Population stability index of ``values`` against a ``profile``; None for no values.

    PSI = Σ (aᵢ − eᵢ)·ln(aᵢ/eᵢ) over the reference's bins (shares floored at ``PSI_FLOOR``).
    Convention reads under 0.1 as stable and over 0.25 as a shift.
    """
    if reference["kind"] == "numeric":
        x = np.asarray(values, dtype=np.float64)
        if len(x) == 0:
            return None
        actual = np.asarray(_numeric_shares(x, reference["edges"]))
        expected = np.asarray(reference["shares"], dtype=np.float64)
    else:
        shares: Mapping[str, float] = reference["shares"]
        counts = dict.fromkeys(shares, 0)
        n = 0
        for v in values:  # type: ignore[union-attr]
            key = "" if v is None else str(v)
            counts[key if key in counts and key != OTHER else OTHER] += 1
            n += 1
        if n == 0:
            return None
        keys = list(shares)
        actual = np.asarray([counts[k] / n for k in keys])
        expected = np.asarray([shares[k] for k in keys], dtype=np.float64)
    a = np.maximum(actual, PSI_FLOOR)
    e = np.maximum(expected, PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))
