"""Watch the champion in every run: drift, outcomes, alerts (issue 19, docs/risk.md Monitoring).

Each run measures the champion on the claims submitted in the last ``window_days`` (30) up to
the run's day (replaying older files: up to the warehouse's latest date, as every surface's
default window), each described by its point-in-time features (``risk_features``, as of its
submission) and the model's probability for them, which is what ``risk_scores`` holds for the
claims a run scored while they were open. Every claim of the window counts, not only those a
run happened to score open: a claim whose 835 came between two runs was never open at a run,
and leaving those out would measure the model on the slow payers only.

Figures (one ``risk_monitoring`` row each), every threshold relative to the model's own test
months (``risk.monitoring`` in the configuration):

- ``psi`` of every feature (subject: the feature) and of the probability (``probability``)
  against the training window's profile (``model.info["reference"]``). Its reference is the
  same PSI on the test months: the drift the test figures were measured under (history
  aggregates grow from nothing in a young warehouse). Alert: PSI > reference + ``feature_psi``
  (``score_psi``). The history features (``hist_*``) are measured and shown but never alert:
  they grow with the warehouse itself, so their PSI rises month after month with no change in
  any payer.
- ``expected_auc`` (``probability``): CBPE, the AUC the calibrated probabilities expect of
  themselves, before any outcome. Reference: the same figure on the test months. Alert: below
  it by more than ``expected_auc_drop_se`` × the test AUC's standard error.
- once ``min_claims`` claims of the window have an outcome (``claimflow.risk.dataset``):
  ``auc``, ``ece`` and ``brier`` (subject ``outcomes``; reference: the test figure; alert: AUC
  below test − ``auc_drop_se`` × SE, ECE above test + ``ece_rise``, Brier above test +
  ``brier_rise`` when set), and ``denial_rate_gap`` per payer with ``min_payer_claims``
  outcomes (subject: the payer): observed − predicted denial rate, reference the payer's gap on
  the test months; alert when it moved by more than ``payer_gap_se`` standard errors. A payer
  that changes its policy shows here first: the model's probabilities do not move, its
  denials do.

Figures past their threshold raise alerts through the SLA alerts' channels
(``claimflow.marts.sla.raise_model_alerts``); a window of fewer than ``min_claims`` claims
records its drift figures but raises nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from claimflow.config import RiskMonitoring
from claimflow.marts.kpis import default_as_of
from claimflow.marts.sla import model_alert_kind, raise_model_alerts
from claimflow.risk import metrics
from claimflow.risk.batch import build_features
from claimflow.risk.dataset import load_claims
from claimflow.risk.features import FEATURE_NAMES, FEATURE_SET_VERSION
from claimflow.risk.model import CATEGORICAL, RiskModel
from claimflow.risk.registry import RegistryError, champion, load
from claimflow.warehouse.sql import insert_rows

PROBABILITY = "probability"
OUTCOMES = "outcomes"

UNDESCRIBED_SQL = """
SELECT h.claim_id FROM claims_header AS h
WHERE h.submission_date BETWEEN ? AND ? AND NOT EXISTS (
  SELECT 1 FROM risk_features AS f
  WHERE f.claim_id = h.claim_id AND f.feature_set_version = ?)
"""

_WORDS = {
    "psi": "PSI",
    "expected_auc": "expected AUC (before outcomes)",
    "auc": "AUC",
    "ece": "expected calibration error",
    "brier": "Brier score",
    "denial_rate_gap": "observed − predicted denial rate",
}
_BELOW = frozenset({"auc", "expected_auc"})
"""Metrics that alert when they fall below their threshold (the others: when they exceed it)."""


HISTORY_PREFIX = "hist_"
"""The history features: their PSI is measured, never alerted on."""


@dataclass(frozen=True)
class Figure:
    """One measured figure (one ``risk_monitoring`` row)."""

    metric: str
    subject: str
    claims: int
    value: float | None
    reference: float | None
    threshold: float | None
    alert: bool
    payer_id: str | None = None

    @property
    def kind(self) -> str:
        """Its alert kind (``claimflow alerts``)."""
        return model_alert_kind(self.metric, self.subject)

    def words(self, version: str, window: tuple[dt.date, dt.date]) -> str:
        """What crossed which threshold, for a person (no claim, no patient)."""
        what = _WORDS.get(self.metric, self.metric)
        of = (
            f" of {self.subject}"
            if self.metric == "psi"
            else (f" of payer {self.subject}" if self.metric == "denial_rate_gap" else "")
        )
        lower = (
            self.value is not None and self.reference is not None and self.value < self.reference
        )
        side = (
            "below"
            if self.metric in _BELOW or (self.metric == "denial_rate_gap" and lower)
            else "above"
        )
        return (
            f"denial-risk model {version}: {what}{of} {_num(self.value)} {side} the threshold"
            f" {_num(self.threshold)} (its test months: {_num(self.reference)}), on"
            f" {self.claims:,} claims submitted {window[0]} to {window[1]}"
        )

    def as_json(self) -> dict[str, Any]:
        """The figure as JSON-ready values."""
        return {
            "metric": self.metric,
            "subject": self.subject,
            "claims": self.claims,
            "value": self.value,
            "reference": self.reference,
            "threshold": self.threshold,
            "alert": self.alert,
        }


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


@dataclass
class MonitorReport:
    """What one monitoring did: the figures, which crossed, the alerts raised and closed."""

    model_version: str | None = None
    window: tuple[dt.date, dt.date] | None = None
    claims: int = 0
    outcomes: int = 0
    figures: list[Figure] = field(default_factory=list)
    raised: int = 0
    resolved: int = 0
    skipped: str | None = None

    @property
    def alerts(self) -> list[Figure]:
        """The figures past their threshold."""
        return [f for f in self.figures if f.alert]

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready values (the run's metrics: ``risk.monitoring``)."""
        return {
            "model_version": self.model_version,
            "window": None if self.window is None else [d.isoformat() for d in self.window],
            "claims": self.claims,
            "outcomes": self.outcomes,
            "figures": len(self.figures),
            "alerts": [
                {"kind": f.kind, "value": f.value, "threshold": f.threshold} for f in self.alerts
            ],
            "raised": self.raised,
            "resolved": self.resolved,
            "skipped": self.skipped,
        }


def window_of(
    conn: duckdb.DuckDBPyConnection, as_of: dt.datetime, days: int
) -> tuple[dt.date, dt.date]:
    """The ``days`` days of submissions up to the day before ``as_of``, or up to the
    warehouse's latest date when that is earlier (files replayed after the fact)."""
    last = min(as_of.date() - dt.timedelta(days=1), default_as_of(conn))
    return last - dt.timedelta(days=days - 1), last


def _claims(
    conn: duckdb.DuckDBPyConnection, model: RiskModel, start: dt.date, end: dt.date
) -> tuple[pd.DataFrame, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The claims submitted in [start, end] with features (computed for those without), their
    encoded matrix and the model's probability."""
    missing = conn.execute(UNDESCRIBED_SQL, [start, end, FEATURE_SET_VERSION]).fetchall()
    if missing:
        build_features(conn, [r[0] for r in missing])
    frame = load_claims(conn, start=start, end=end).frame
    x = model.encoder.matrix(frame)
    prob = model.probability(x) if len(frame) else np.empty(0, dtype=np.float64)
    return frame, x, prob


def _column(frame: pd.DataFrame, x: npt.NDArray[np.float64], j: int, name: str) -> Any:
    """A feature's values as its reference profiled them: raw values of a categorical feature,
    the encoded column of the others."""
    return frame[name].to_numpy() if name in CATEGORICAL else x[:, j]


def _drift(
    model: RiskModel,
    policy: RiskMonitoring,
    now: tuple[pd.DataFrame, npt.NDArray[np.float64], npt.NDArray[np.float64]],
    test: tuple[pd.DataFrame, npt.NDArray[np.float64], npt.NDArray[np.float64]],
) -> list[Figure]:
    frame, x, prob = now
    t_frame, t_x, t_prob = test
    reference = model.info.get("reference", {})
    enough = len(frame) >= policy.min_claims
    out: list[Figure] = []
    subjects: list[tuple[str, dict[str, Any] | None, Any, Any, float]] = [
        (PROBABILITY, reference.get(PROBABILITY), prob, t_prob, policy.score_psi)
    ]
    features: dict[str, Any] = reference.get("features", {})
    for j, name in enumerate(FEATURE_NAMES):
        subjects.append(
            (
                name,
                features.get(name),
                _column(frame, x, j, name),
                _column(t_frame, t_x, j, name),
                policy.feature_psi,
            )
        )
    for name, profile, values, t_values, margin in subjects:
        if profile is None:
            continue
        value = metrics.psi(profile, values)
        ref = metrics.psi(profile, t_values)
        # history aggregates grow with the warehouse itself, month after month: measured, shown,
        # never an alert (a payer's change shows in its outcomes: denial_rate_gap)
        history = name.startswith(HISTORY_PREFIX)
        threshold = None if ref is None or history else ref + margin
        alert = enough and value is not None and threshold is not None and value > threshold
        out.append(Figure("psi", name, len(frame), value, ref, threshold, alert))
    test_figures: dict[str, Any] = model.info.get("metrics", {})
    se = test_figures.get("auc_se")
    cbpe_ref = test_figures.get("expected_auc", test_figures.get("auc"))
    value = metrics.expected_auc(prob, prob)
    threshold = (
        None if cbpe_ref is None or se is None else cbpe_ref - policy.expected_auc_drop_se * se
    )
    alert = enough and value is not None and threshold is not None and value < threshold
    out.append(Figure("expected_auc", PROBABILITY, len(frame), value, cbpe_ref, threshold, alert))
    return out


def _gap(y: npt.NDArray[np.float64], p: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Observed − predicted denial rate and its standard error if the probabilities hold."""
    n = len(y)
    return float((y.sum() - p.sum()) / n), math.sqrt(float(np.sum(p * (1 - p)))) / n


def _outcomes(
    model: RiskModel,
    policy: RiskMonitoring,
    now: tuple[pd.DataFrame, npt.NDArray[np.float64], npt.NDArray[np.float64]],
    test: tuple[pd.DataFrame, npt.NDArray[np.float64], npt.NDArray[np.float64]],
) -> tuple[int, list[Figure]]:
    """AUC, ECE, Brier and each payer's denial-rate gap on the window's claims with an
    outcome, after the months the model was calibrated on."""
    frame, _, prob = now
    calibrated_to = pd.Timestamp(model.info["windows"]["calibration"][1])
    known = (frame["known"].to_numpy(dtype=bool)) & (
        pd.to_datetime(frame["submission_date"]).to_numpy() > calibrated_to.to_datetime64()
    )
    n = int(known.sum())
    test_figures: dict[str, Any] = model.info.get("metrics", {})
    if n < policy.min_claims:
        return n, [
            Figure(m, OUTCOMES, n, None, test_figures.get(m), None, False)
            for m in ("auc", "ece", "brier")
        ]
    y = frame.loc[known, "denied"].to_numpy(dtype=np.float64)
    p = prob[known]
    out: list[Figure] = []
    auc, auc_ref, se = metrics.auc(y, p), test_figures.get("auc"), test_figures.get("auc_se")
    threshold = None if auc_ref is None or se is None else auc_ref - policy.auc_drop_se * se
    out.append(
        Figure(
            "auc",
            OUTCOMES,
            n,
            auc,
            auc_ref,
            threshold,
            auc is not None and threshold is not None and auc < threshold,
        )
    )
    for metric, rise, value in (
        ("ece", policy.ece_rise, metrics.ece(y, p)),
        ("brier", policy.brier_rise, metrics.brier(y, p)),
    ):
        ref = test_figures.get(metric)
        threshold = None if ref is None or rise is None else ref + rise
        alert = value is not None and threshold is not None and value > threshold
        out.append(Figure(metric, OUTCOMES, n, value, ref, threshold, alert))
    out.extend(_payer_gaps(policy, frame.loc[known, "payer_id"].to_numpy(), y, p, test))
    return n, out


def _payer_gaps(
    policy: RiskMonitoring,
    payers: npt.NDArray[Any],
    y: npt.NDArray[np.float64],
    p: npt.NDArray[np.float64],
    test: tuple[pd.DataFrame, npt.NDArray[np.float64], npt.NDArray[np.float64]],
) -> list[Figure]:
    t_frame, _, t_prob = test
    t_known = t_frame["known"].to_numpy(dtype=bool)
    t_payers = t_frame.loc[t_known, "payer_id"].to_numpy()
    t_y = t_frame.loc[t_known, "denied"].to_numpy(dtype=np.float64)
    t_p = t_prob[t_known]
    out: list[Figure] = []
    keys = pd.Series(payers).fillna("").astype(str).to_numpy()
    t_keys = pd.Series(t_payers).fillna("").astype(str).to_numpy()
    for payer in sorted(set(keys)):
        mine = keys == payer
        n = int(mine.sum())
        if n < policy.min_payer_claims or not payer:
            continue
        value, se = _gap(y[mine], p[mine])
        theirs = t_keys == payer
        ref = _gap(t_y[theirs], t_p[theirs])[0] if theirs.sum() >= policy.min_payer_claims else 0.0
        margin = policy.payer_gap_se * se
        alert = abs(value - ref) > margin
        threshold = ref + margin if value >= ref else ref - margin
        out.append(
            Figure("denial_rate_gap", payer, n, value, ref, threshold, alert, payer_id=payer)
        )
    return out


def monitor(
    conn: duckdb.DuckDBPyConnection,
    warehouse: Path,
    *,
    run_id: str | None,
    now: dt.datetime,
    as_of: dt.datetime,
    policy: RiskMonitoring,
) -> MonitorReport:
    """Measure the champion, record the figures in ``risk_monitoring``, raise the alerts.

    Args:
        conn: The warehouse; the caller owns the transaction (the run's final one).
        warehouse: Its path (the model files are beside it).
        run_id: The run measuring (None outside a run).
        now: When (``computed_at``).
        as_of: The run's as-of time: the window ends the day before it.
        policy: The thresholds (``risk.monitoring``).
    """
    report = MonitorReport()
    e = champion(conn)
    if e is None:
        report.skipped = "no champion"
        return report
    try:
        model = load(conn, warehouse, e.version)
    except RegistryError as exc:
        report.skipped = str(exc)
        return report
    if model.feature_set_version != FEATURE_SET_VERSION or "windows" not in model.info:
        report.skipped = f"the champion {model.version} was trained on another feature set"
        return report
    report.model_version = model.version
    start, end = window_of(conn, as_of, policy.window_days)
    report.window = (start, end)
    test_from, test_to = (dt.date.fromisoformat(d[:10]) for d in model.info["windows"]["test"])
    window = _claims(conn, model, start, end)
    test = _claims(conn, model, test_from, test_to)
    report.claims = len(window[0])
    report.figures = _drift(model, policy, window, test)
    report.outcomes, outcome_figures = _outcomes(model, policy, window, test)
    report.figures.extend(outcome_figures)
    _record(conn, report, run_id=run_id, now=now)
    counts = raise_model_alerts(
        conn,
        model_version=model.version,
        crossed=[(f.kind, f.payer_id, f.words(model.version, (start, end))) for f in report.alerts],
        measured=[f.kind for f in report.figures if f.value is not None],
        as_of=as_of,
        run_id=run_id,
    )
    report.raised, report.resolved = counts["raised"], counts["resolved"]
    return report


def _record(
    conn: duckdb.DuckDBPyConnection, report: MonitorReport, *, run_id: str | None, now: dt.datetime
) -> None:
    assert report.window is not None
    start, end = report.window
    insert_rows(
        conn,
        "risk_monitoring",
        [
            (
                run_id,
                report.model_version,
                now,
                f.metric,
                f.subject,
                start,
                end,
                f.claims,
                _float(f.value),
                _float(f.reference),
                _float(f.threshold),
                f.alert,
            )
            for f in report.figures
        ],
    )


def _float(value: float | None) -> float | None:
    """A figure as stored: NULL for none (never NaN)."""
    return None if value is None or math.isnan(value) else float(value)
