"""Train, evaluate, promote and retrain: the registry's lifecycle over the warehouse's claims.

Features are computed once per claim and feature-set version (as of the claim's submission
they cannot change), so each step first describes the claims that have no features yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from claimflow.risk.batch import build_features
from claimflow.risk.dataset import load_claims
from claimflow.risk.features import FEATURE_SET_VERSION
from claimflow.risk.model import RiskModel, test_metrics, train
from claimflow.risk.registry import (
    CHAMPION,
    Entry,
    RegistryError,
    champion,
    entry,
    load,
    register,
    set_champion,
)

UNDESCRIBED_SQL = """
SELECT h.claim_id FROM claims_header AS h
WHERE h.submission_date IS NOT NULL AND NOT EXISTS (
  SELECT 1 FROM risk_features AS f
  WHERE f.claim_id = h.claim_id AND f.feature_set_version = ?)
"""


def describe_new_claims(conn: duckdb.DuckDBPyConnection) -> int:
    """Compute the features of every claim that has none of this feature-set version yet."""
    ids = [r[0] for r in conn.execute(UNDESCRIBED_SQL, [FEATURE_SET_VERSION]).fetchall()]
    if not ids:
        return 0
    return build_features(conn, ids)


def train_version(
    conn: duckdb.DuckDBPyConnection,
    warehouse: Path,
    *,
    now: dt.datetime,
    seed: int = 7,
    test_months: int = 1,
    calibration_months: int = 1,
) -> tuple[Entry, bool]:
    """Train on every claim with a known outcome and register the result (a candidate).

    Returns the entry and whether it is new. The caller owns the transaction.

    Raises:
        RiskTrainingError: Too few outcomes, one class, or too few months.
    """
    describe_new_claims(conn)
    claims = load_claims(conn)
    model, _ = train(
        claims.frame, seed=seed, test_months=test_months, calibration_months=calibration_months
    )
    return register(conn, warehouse, model, now=now)


def evaluate(
    conn: duckdb.DuckDBPyConnection,
    model: RiskModel,
    start: dt.date,
    end: dt.date,
) -> dict[str, Any]:
    """The model's figures on the claims submitted in [start, end] whose outcome is known."""
    describe_new_claims(conn)
    labelled = load_claims(conn, start=start, end=end).labelled
    x = model.encoder.matrix(labelled)
    y = labelled["denied"].to_numpy(dtype=np.float64)
    prob = model.probability(x)
    denied = labelled["denied"].to_numpy(dtype=bool)
    predicted = np.asarray(model.category_of(x[denied])) if denied.any() else np.array([])
    truth = labelled.loc[denied, "category"].fillna("other").to_numpy()
    figures = test_metrics(y, prob, predicted, truth)
    figures["window"] = [start.isoformat(), end.isoformat()]
    return figures


def _window(e: Entry) -> tuple[dt.date, dt.date]:
    start, end = e.windows["test"]
    return dt.date.fromisoformat(start[:10]), dt.date.fromisoformat(end[:10])


@dataclass(frozen=True)
class Promotion:
    """What ``promote`` decided, with the figures behind it."""

    version: str
    promoted: bool
    reason: str
    candidate: dict[str, Any]
    champion: dict[str, Any] | None
    previous: str | None

    def as_json(self) -> dict[str, Any]:
        """The decision as JSON-ready values."""
        return {
            "model_version": self.version,
            "promoted": self.promoted,
            "reason": self.reason,
            "candidate": self.candidate,
            "champion": self.champion,
            "previous_champion": self.previous,
        }


def promote(
    conn: duckdb.DuckDBPyConnection,
    warehouse: Path,
    version: str,
    *,
    now: dt.datetime,
    by: str,
    force: bool = False,
) -> Promotion:
    """Make ``version`` the champion unless it is worse than the champion on its test months.

    Both models are scored on the same claims (the candidate's test months, outcomes as the
    warehouse holds them now); worse means a lower AUC. ``force`` promotes anyway, and the
    registry records who forced it. The caller owns the transaction.

    Raises:
        RegistryError: No such version, or its file is missing or corrupt.
    """
    e = entry(conn, version)
    current = champion(conn)
    if current is not None and current.version == version:
        return Promotion(version, False, "already the champion", e.metrics, None, version)
    start, end = _window(e)
    candidate = evaluate(conn, load(conn, warehouse, version), start, end)
    if current is None:
        set_champion(conn, version, now=now, by=by)
        return Promotion(version, True, "no champion before", candidate, None, None)
    try:
        incumbent: dict[str, Any] | None = evaluate(
            conn, load(conn, warehouse, current.version), start, end
        )
    except RegistryError:  # a champion whose file is gone cannot be compared: it is no model
        incumbent = None
    worse = (
        incumbent is not None
        and candidate["auc"] is not None
        and incumbent["auc"] is not None
        and candidate["auc"] < incumbent["auc"]
    )
    if worse and not force:
        return Promotion(
            version,
            False,
            f"worse than the champion {current.version} on the same test months"
            f" ({start} to {end}): AUC {candidate['auc']:.4f} against {incumbent['auc']:.4f}"  # type: ignore[index]
            " (--force promotes it anyway)",
            candidate,
            incumbent,
            current.version,
        )
    reason = (
        "forced, though worse than the champion" if worse else "at least as good as the champion"
    )
    set_champion(conn, version, now=now, by=f"{by} (forced)" if worse else by)
    return Promotion(version, True, reason, candidate, incumbent, current.version)


def retrain(
    conn: duckdb.DuckDBPyConnection,
    warehouse: Path,
    *,
    now: dt.datetime,
    by: str,
    seed: int = 7,
    test_months: int = 1,
    calibration_months: int = 1,
) -> tuple[Entry, Promotion]:
    """Train on the newest window and promote the result only if it is no worse."""
    e, _ = train_version(
        conn,
        warehouse,
        now=now,
        seed=seed,
        test_months=test_months,
        calibration_months=calibration_months,
    )
    return e, promote(conn, warehouse, e.version, now=now, by=by)


def is_champion(e: Entry) -> bool:
    """Whether the entry is the champion."""
    return e.status == CHAMPION


def labelled_frame(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every claim with a known outcome and its features (for benchmarks and notebooks)."""
    describe_new_claims(conn)
    return load_claims(conn).labelled
