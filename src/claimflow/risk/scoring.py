"""Score, in a run, every claim whose outcome is not known yet, with the champion.

``risk_scores`` holds one row per claim and model version: a later run replaces the rows of
the claims it scores again, and the rows of claims that have since had their outcome stay
(what the model said before the payer answered: monitoring measures the model on them). The
run also stores ``risk_history`` as of its day, from which the API builds the features of a
claim that is not in the warehouse.

No champion, or a champion whose file is missing or corrupt: the run goes on without scores
and says why.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from claimflow.risk.batch import build_features
from claimflow.risk.dataset import label_claims, labelled_claims, open_claim_ids
from claimflow.risk.features import FEATURE_SET_VERSION
from claimflow.risk.history import OUTCOMES, build_history
from claimflow.risk.model import BANDS
from claimflow.risk.registry import NoChampionError, RegistryError, load_champion


@dataclass
class ScoreReport:
    """What the run's scoring did."""

    model_version: str | None = None
    scored: int = 0
    bands: dict[str, int] = field(default_factory=dict)
    history_rows: int = 0
    skipped: str | None = None
    """Why nothing was scored (no champion, a corrupt model file, ...)."""
    file_problem: bool = False
    """The champion's file is missing or corrupt (not merely: no champion yet)."""

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready values (the run's metrics)."""
        return {
            "model_version": self.model_version,
            "scored": self.scored,
            "by_band": self.bands,
            "history_rows": self.history_rows,
            "skipped": self.skipped,
        }


def score_open_claims(
    conn: duckdb.DuckDBPyConnection,
    warehouse: Path,
    *,
    run_id: str | None,
    now: dt.datetime,
    history_as_of: dt.datetime,
) -> ScoreReport:
    """Store the history as of ``history_as_of`` and score every open claim with the champion.

    ``run_id`` is the run scoring (None: `claimflow risk score`, outside a run).

    The caller owns the transaction (the run commits the scores with the rest of its work).
    """
    report = ScoreReport()
    report.history_rows = build_history(conn, history_as_of)  # outcomes and events, built once
    try:
        model = load_champion(conn, warehouse)
    except NoChampionError as exc:
        report.skipped = str(exc)
        return report
    except RegistryError as exc:
        report.skipped = str(exc)
        report.file_problem = True
        return report
    if model.feature_set_version != FEATURE_SET_VERSION:
        report.skipped = (
            f"the champion {model.version} was trained on feature set"
            f" {model.feature_set_version}, this claimflow computes {FEATURE_SET_VERSION}:"
            " train and promote a new version"
        )
        return report
    label_claims(conn, cohort=OUTCOMES)
    ids = open_claim_ids(conn)
    report.model_version = model.version
    if not ids:
        return report
    missing = conn.execute(
        "SELECT unnest($ids::VARCHAR[]) AS claim_id EXCEPT SELECT claim_id FROM risk_features"
        " WHERE feature_set_version = $version",
        {"ids": ids, "version": FEATURE_SET_VERSION},
    ).fetchall()
    if missing:
        build_features(conn, [r[0] for r in missing], events_ready=True)
    frame = labelled_claims(conn, outcome=False).frame
    predictions = model.predict_frame(frame)
    scores = pd.DataFrame(
        {
            "claim_id": frame["claim_id"].to_numpy(),
            "probability": [p.probability for p in predictions],
            "risk_band": [p.band for p in predictions],
            "predicted_category": [p.category for p in predictions],
            "factors": [json.dumps([f.as_json() for f in p.factors]) for p in predictions],
            "actions": [json.dumps(list(p.actions)) for p in predictions],
        }
    )
    conn.register("cf_risk_new_scores", scores)
    try:
        conn.execute(
            "DELETE FROM risk_scores WHERE model_version = ?"
            " AND claim_id IN (SELECT claim_id FROM cf_risk_new_scores)",
            [model.version],
        )
        conn.execute(
            "INSERT INTO risk_scores (claim_id, model_version, probability, risk_band,"
            " predicted_category, factors, actions, scored_at, lineage_hash, run_id)"
            " SELECT s.claim_id, ?, s.probability, s.risk_band, s.predicted_category, s.factors,"
            " s.actions, ?, h.lineage_hash, ? FROM cf_risk_new_scores AS s"
            " JOIN claims_header AS h ON h.claim_id = s.claim_id",
            [model.version, now, run_id],
        )
    finally:
        conn.unregister("cf_risk_new_scores")
    report.scored = len(scores)
    counts = scores["risk_band"].value_counts()
    report.bands = {band: int(counts[band]) for _, band in BANDS if band in counts}
    return report
