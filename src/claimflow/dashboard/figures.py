"""The rows behind the figures that are not the cohort's claims, shared by several pages: A/R
claim by claim as of a day, the 835 lines of the auto-posting rate, the resubmissions and their
outcomes, the denial lines, the payer lag, the HFMA rate's claims. Each is the row-level form of
the very query of its KPI or report (:mod:`claimflow.marts.kpis`, :mod:`claimflow.marts.reports`),
so the rows add up to the figure."""

from __future__ import annotations

import datetime as dt

from claimflow.dashboard.data import View
from claimflow.dashboard.rows import Rows, Summary, total
from claimflow.marts.kpis import (
    ACCEPTED_277,
    AR_BUCKETS,
    AUTO_POSTING_LINES,
    CONTRACTUAL_BY_ADJUDICATION,
    REJECTED_277,
    RESUBMISSION_OUTCOMES,
    ar_claims_from,
    hfma_months,
)
from claimflow.marts.reports import DENIAL_LINES
from claimflow.risk.dataset import KNOWN, NAMED_999

_AR_BUCKET_CASE = " ".join(
    f"WHEN c.day - c.submission_date >= {lo}"
    + ("" if hi is None else f" AND c.day - c.submission_date <= {hi}")
    + f" THEN '{name}'"
    for name, lo, hi in AR_BUCKETS
)

AR_CLAIMS = f"""
  -- A/R claim by claim as of the day (the first parameter): the claims AR_PIECES counts (of the
  -- payer/provider/source filters in kpi_window, submitted by the day, one claim once) with
  -- their balance = charge − what their 835s dated by the day paid − those 835s' contractual
  -- adjustments; A/R is the claims with a positive balance, in the bucket of their age
  WITH d AS (
    SELECT CAST(? AS DATE) AS day
  ), claims AS (
    SELECT c.claim_id, c.patient_control_number, c.payer_id, c.billing_npi, c.source_system,
           c.submission_date, c.total_charge, d.day
    {ar_claims_from("d.day", " CROSS JOIN d")}
  ), contractual AS ({CONTRACTUAL_BY_ADJUDICATION}
  ), settled AS (
    SELECT a.claim_id, sum(a.paid_amount + coalesce(ct.amount, 0)) AS settled
    FROM adjudication AS a
    JOIN payments AS p ON p.payment_id = a.payment_id
    LEFT JOIN contractual AS ct ON ct.adjudication_id = a.adjudication_id
    WHERE a.claim_id IN (SELECT claim_id FROM claims) AND p.payment_date <= (SELECT day FROM d)
    GROUP BY 1
  )
  SELECT c.claim_id, c.patient_control_number, c.payer_id, c.billing_npi, c.source_system,
         c.submission_date, c.total_charge, coalesce(s.settled, 0) AS paid_and_contractual,
         c.total_charge - coalesce(s.settled, 0) AS balance,
         CAST(c.day - c.submission_date AS INTEGER) AS age_days,
         CASE {_AR_BUCKET_CASE} END AS bucket
  FROM claims AS c LEFT JOIN settled AS s USING (claim_id)
"""


def ar(day: dt.date) -> Rows:
    """Every claim A/R looks at as of ``day``, with its balance and age."""
    return Rows(AR_CLAIMS, (day,), order="submission_date, claim_id")


def open_ar(day: dt.date, bucket: str | None = None) -> Rows:
    """Claims with an open balance as of ``day`` (of one aging bucket)."""
    rows = (
        ar(day).where("balance > 0")
        if bucket is None
        else ar(day).where("balance > 0 AND bucket = ?", bucket)
    )
    return rows.also(total("balance"))


AUTO_POSTING = Rows(AUTO_POSTING_LINES, order="day")
"""The auto-posting rate's 835 lines: the lines on payments dated in the window."""

OUTCOMES = Rows(
    RESUBMISSION_OUTCOMES,
    summary=(total("recovered_amount"),),
    order="claim_id, attempt",
)
"""The resubmissions of the cohort's claims, each with the payer's answer."""

DENIALS = Rows(
    DENIAL_LINES,
    summary=(
        Summary("claims", "count(DISTINCT claim_id)", "count"),
        Summary("Σ denied", "sum(amount)", "money"),
    ),
    order="amount DESC, claim_id",
)
"""The 835 adjustments the denial reports count: claims = distinct claims, Σ = denied dollars."""

LAG = Rows(
    "SELECT first_payment_date - submission_date AS lag_days, * FROM kpi_claims"
    " WHERE first_payment_date IS NOT NULL",
    summary=(
        Summary("median lag", "median(lag_days)", "days"),
        Summary("p90 lag", "quantile_cont(lag_days, 0.9)", "days"),
    ),
    order="lag_days, claim_id",
)
"""The claims with an 835, each with its lag from submission to first payment."""

FIRST_PASS_CLEAN = (
    f"frequency = '1' AND coalesce(ik501, 'A') IN ('A', 'E') AND first_status IN {ACCEPTED_277}"
)
"""The first-pass clean claim rate's numerator, over ``kpi_claims``."""


def hfma(view: View, numerator: bool) -> Rows:
    """The rows of the HFMA rate's numerator or denominator (over ``kpi_claims_all``): the
    claims initially denied in the reporting months; the claims submitted in the three months
    before each, with how many reporting months count each (the denominator is Σ ÷ 3)."""
    view.need("all")
    start, end = view.filters.start, view.filters.end
    bounds = view.conn.execute(
        "SELECT (SELECT min(submission_date) FROM kpi_claims_all),"
        " (SELECT max(payment_date) FROM payments)"
    ).fetchone()
    months = hfma_months(start, end, bounds[0], bounds[1]) if bounds and None not in bounds else []
    if not months:  # no reporting month: the rate is "—", nothing is behind it
        return Rows("SELECT * FROM kpi_claims_all WHERE false", scope="all")
    first, last = months[0], months[-1]
    if numerator:
        return Rows(
            "SELECT * FROM kpi_claims_all WHERE initially_denied AND first_payment_date >= ?"
            " AND first_payment_date < CAST(? AS DATE) + INTERVAL 1 MONTH",
            (first, last),
            "all",
            order="first_payment_date, claim_id",
        )
    return Rows(
        "SELECT (SELECT count(*) FROM (SELECT unnest(CAST(? AS DATE[])) AS m) AS t"
        "        WHERE k.submission_date >= t.m - INTERVAL 3 MONTH AND k.submission_date < t.m)"
        "       AS reporting_months_counted, k.*"
        " FROM kpi_claims_all AS k WHERE k.submission_date >= CAST(? AS DATE) - INTERVAL 3 MONTH"
        " AND k.submission_date < ?",
        (months, first, last),
        "all",
        (Summary("denominator (Σ months counted ÷ 3)", "sum(reporting_months_counted) / 3"),),
        "submission_date, claim_id",
    )


# denial risk before submission (issue 19): the champion's scores of the claims still waiting
# for an outcome, read from the tables the run writes (risk_models, risk_scores,
# risk_monitoring): the dashboard does not load the model

RISK_BANDS: tuple[str, ...] = ("high", "medium", "low")
"""The risk bands, highest first (``claimflow.risk.model.BANDS``, which loads LightGBM)."""

CHAMPION = """
    SELECT model_version, feature_set_version, trained_at, promoted_at, train_from, train_to,
           calibration_from, calibration_to, test_from, test_to, train_claims,
           calibration_claims, test_claims, metrics, calibration_curve
    FROM risk_models WHERE status = 'champion'
    ORDER BY promoted_at DESC NULLS LAST, model_version DESC LIMIT 1"""
"""The champion model of the registry (none: no row)."""

MODELS = """
    SELECT model_version, status, trained_at, promoted_at, train_from, train_to, test_from,
           test_to, test_claims,
           TRY_CAST(json_extract(metrics, '$.auc') AS DOUBLE) AS auc,
           TRY_CAST(json_extract(metrics, '$.ece') AS DOUBLE) AS ece,
           TRY_CAST(json_extract(metrics, '$.brier') AS DOUBLE) AS brier
    FROM risk_models ORDER BY trained_at DESC, model_version DESC"""
"""Every model of the registry, newest first, with its test figures."""

CALIBRATION = """
    SELECT c.bin, c.claims, c.mean_predicted, c.observed AS observed_rate
    FROM (SELECT unnest(from_json(calibration_curve,
            '[{"bin": "BIGINT", "claims": "BIGINT", "mean_predicted": "DOUBLE",
               "observed": "DOUBLE"}]')) AS c
          FROM risk_models WHERE model_version = ?)
    ORDER BY c.bin"""
"""The calibration curve of a model (its version the parameter) on its test months: per bin of
predicted risk, its claims, their mean predicted risk and the share of them denied."""

DRIFT = """
    SELECT metric, subject, value, reference, threshold, alert, claims, window_from, window_to,
           computed_at, run_id
    FROM risk_monitoring
    WHERE model_version = ? AND run_id = (
        SELECT arg_max(run_id, computed_at) FROM risk_monitoring WHERE model_version = ?)
    ORDER BY alert DESC, metric, value DESC NULLS LAST, subject"""
"""The latest monitoring of a model: one row per figure (PSI of each
feature and of the predicted risk; AUC, ECE, Brier and the expected AUC on outcomes), with the
reference it is held against, its threshold and whether it crossed it (the version is both
parameters)."""

_OPEN = f"""(SELECT *, claim_id IN (SELECT claim_id FROM ({NAMED_999})) AS rejected_999,
                    latest_status IN {REJECTED_277} AS rejected_277ca FROM kpi_claims)"""

AT_RISK_CLAIMS = f"""
  -- the champion's latest score of each claim of the cohort (the filters kept it) whose outcome
  -- is not known yet (no first 835, no 277CA rejection, no 999 naming it: risk.dataset.KNOWN),
  -- with its top three factors in words and the actions a biller can take before sending
  SELECT h.patient_control_number, l.payer_id, l.billing_npi, s.probability, s.risk_band,
         s.predicted_category,
         json_extract_string(s.factors, '$[0].words') AS top_factor,
         json_extract_string(s.factors, '$[1].words') AS second_factor,
         json_extract_string(s.factors, '$[2].words') AS third_factor,
         array_to_string(from_json(s.actions, '["VARCHAR"]'), ' · ') AS actions,
         l.submission_date, l.total_charge, l.source_system, s.model_version, s.scored_at,
         l.claim_id
  FROM risk_scores AS s
  JOIN ({CHAMPION}) AS m USING (model_version)
  JOIN {_OPEN} AS l USING (claim_id)
  JOIN claims_header AS h ON h.claim_id = s.claim_id
  WHERE NOT {KNOWN}
  QUALIFY row_number() OVER (PARTITION BY s.claim_id ORDER BY s.scored_at DESC) = 1
"""
"""The claims at risk: one row per open claim of the cohort the champion scored."""


def at_risk(bands: tuple[str, ...] = RISK_BANDS) -> Rows:
    """The claims at risk of ``bands`` (of :data:`RISK_BANDS`), highest risk first."""
    chosen = ", ".join(f"'{b}'" for b in RISK_BANDS if b in bands) or "NULL"
    return Rows(
        f"SELECT * FROM ({AT_RISK_CLAIMS}) AS r WHERE risk_band IN ({chosen})",
        summary=(
            Summary("mean denial risk", "avg(probability)", "rate"),
            Summary("high risk", "count(*) FILTER (WHERE risk_band = 'high')", "count"),
        ),
        order="probability DESC, patient_control_number, claim_id",
    )


def risk_by(rows: Rows, column: str) -> tuple[str, tuple[object, ...]]:
    """The claims at risk (``rows``) by ``column`` (``payer_id``, ``billing_npi``): claims,
    mean denial risk and claims of the high band, highest mean risk first."""
    return (
        f"SELECT {column}, count(*) AS claims, avg(probability) AS mean_risk,"
        " count(*) FILTER (WHERE risk_band = 'high') AS high_risk_claims"
        f" FROM ({rows.sql}) AS r GROUP BY 1 ORDER BY mean_risk DESC, {column}",
        rows.params,
    )
