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
    RESUBMISSION_OUTCOMES,
    ar_claims_from,
    hfma_months,
)
from claimflow.marts.reports import DENIAL_LINES

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
