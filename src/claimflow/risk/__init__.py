"""Denial risk before submission (issue 19): point-in-time features and their history.

``features`` defines every feature once (one SQL query over the claims to describe);
``history`` the as-of aggregates (denial rate, days to pay) from remittances dated before a
point in time; ``batch`` writes ``risk_features`` for the warehouse's claims, each as of its
submission; ``claim`` builds the same features for one claim not in the warehouse, from
``risk_history``. docs/risk.md lists the features.
"""

from __future__ import annotations

from claimflow.risk.batch import build_features
from claimflow.risk.claim import features_of_claim
from claimflow.risk.features import FEATURE_NAMES, FEATURE_SET_VERSION, MODIFIABLE
from claimflow.risk.history import build_history

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_SET_VERSION",
    "MODIFIABLE",
    "build_features",
    "build_history",
    "features_of_claim",
]
