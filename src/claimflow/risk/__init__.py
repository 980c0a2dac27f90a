"""Denial risk before submission (issue 19): features, model, registry, scores.

``features`` defines every feature once (one SQL query over the claims to describe);
``history`` the as-of aggregates (denial rate, days to pay) from remittances dated before a
point in time; ``batch`` writes ``risk_features`` for the warehouse's claims, each as of its
submission; ``claim`` builds the same features for one claim not in the warehouse, from
``risk_history``; ``dataset`` joins them to outcomes; ``model`` trains and explains;
``registry`` keeps the versions and the champion; ``training`` and ``scoring`` are what the
commands and the run do; ``champion`` answers, without loading any of it, whether there is a
model to score with. docs/risk.md describes it all.

The names below are imported on first use: a run with no champion loads none of LightGBM,
pandas or the X12 tables the features use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from claimflow.risk.batch import build_features
    from claimflow.risk.claim import features_of_claim
    from claimflow.risk.features import FEATURE_NAMES, FEATURE_SET_VERSION, MODIFIABLE
    from claimflow.risk.history import build_history

_LAZY = {
    "build_features": "claimflow.risk.batch",
    "features_of_claim": "claimflow.risk.claim",
    "FEATURE_NAMES": "claimflow.risk.features",
    "FEATURE_SET_VERSION": "claimflow.risk.features",
    "MODIFIABLE": "claimflow.risk.features",
    "build_history": "claimflow.risk.history",
}

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_SET_VERSION",
    "MODIFIABLE",
    "build_features",
    "build_history",
    "features_of_claim",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'claimflow.risk' has no attribute {name!r}")
