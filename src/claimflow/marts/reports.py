"""Named report queries over silver: denials, payer scorecard, reconciliation, cash forecast.

Each report is one SQL definition over the claim cohort ``kpi_claims`` (built by
:func:`prepare` for a window and filters) or over the warehouse's operational tables. The
dashboard shows these, and nothing else, so a number on screen is always one of these queries.
"""

from __future__ import annotations

from typing import Any

import duckdb

from claimflow.marts.kpis import build_cohort
from claimflow.warehouse.sql import fetch_dicts

DENIAL_LINES = """
  SELECT a.claim_id, c.payer_id, c.source_system, c.submission_date, j.group_code, j.reason_code,
         coalesce(CASE WHEN r.needs_rarc THEN x.category END, r.category, 'other') AS category,
         j.amount, a.patient_control_number
  FROM adjustments AS j
  JOIN adjudication AS a ON a.adjudication_id = j.adjudication_id
  JOIN kpi_claims AS c ON c.claim_id = a.claim_id
  LEFT JOIN ref_carc_category AS r ON r.carc = j.reason_code
  LEFT JOIN (
    -- the remark codes of the same line (or claim), classified on the CARC + RARC pair
    SELECT m.adjudication_id, m.adjudication_line_id, min(rc.category) AS category
    FROM remarks AS m JOIN ref_rarc_category AS rc ON rc.rarc = m.remark_code GROUP BY 1, 2
  ) AS x ON x.adjudication_id = j.adjudication_id
        AND x.adjudication_line_id IS NOT DISTINCT FROM j.adjudication_line_id
  WHERE NOT (j.group_code = 'PR' AND j.reason_code IN ('1', '2', '3'))
    AND coalesce(r.category, 'other') NOT IN ('contractual', 'patient_responsibility')
"""

REPORTS: dict[str, str] = {
    "denials_by_category": f"""
        SELECT category, count(DISTINCT claim_id) AS claims, sum(amount) AS denied_amount
        FROM ({DENIAL_LINES}) GROUP BY 1 ORDER BY denied_amount DESC""",
    "denials_by_carc": f"""
        SELECT d.group_code || '-' || d.reason_code AS carc, any_value(d.category) AS category,
               any_value(left(k.description, 80)) AS description,
               count(DISTINCT d.claim_id) AS claims, sum(d.amount) AS denied_amount
        FROM ({DENIAL_LINES}) AS d
        LEFT JOIN ref_codes AS k ON k.code_set = 'carc' AND k.code = d.reason_code
        GROUP BY 1 ORDER BY denied_amount DESC LIMIT 25""",
    "denials_by_payer": f"""
        SELECT payer_id, category, count(DISTINCT claim_id) AS claims, sum(amount) AS denied_amount
        FROM ({DENIAL_LINES}) GROUP BY 1, 2 ORDER BY 1, denied_amount DESC""",
    "payer_scorecard": """
        WITH c AS (
          SELECT * FROM kpi_claims
        ), denied AS (
          SELECT payer_id, category, count(*) AS n,
                 row_number() OVER (PARTITION BY payer_id ORDER BY count(*) DESC, category) AS rk
          FROM (SELECT DISTINCT a.claim_id, c.payer_id, coalesce(r.category, 'other') AS category
                FROM adjustments AS j JOIN adjudication AS a ON a.adjudication_id = j.adjudication_id
                JOIN kpi_claims AS c ON c.claim_id = a.claim_id
                LEFT JOIN ref_carc_category AS r ON r.carc = j.reason_code
                WHERE coalesce(r.category, 'other') NOT IN ('contractual', 'patient_responsibility'))
          GROUP BY 1, 2
        ), expected AS (
          SELECT h.payer_id, sum(h.expected_payment) AS expected
          FROM claims_header AS h JOIN kpi_claims AS k ON k.claim_id = h.claim_id
          WHERE h.expected_payment IS NOT NULL AND k.first_payment_date IS NOT NULL GROUP BY 1
        )
        SELECT c.payer_id, count(*) AS claims, sum(c.total_charge) AS billed, sum(c.paid_amount) AS paid,
               count(*) FILTER (WHERE c.initially_denied) / count(*) AS initial_denial_rate,
               median(c.first_payment_date - c.submission_date) AS lag_days_median,
               quantile_cont(c.first_payment_date - c.submission_date, 0.9) AS lag_days_p90,
               count(*) FILTER (WHERE c.first_status IN ('A1', 'A2', 'A5'))
                 / nullif(count(*) FILTER (WHERE c.first_status IS NOT NULL), 0) AS first_pass_acceptance,
               any_value(d.category) AS top_denial_category,
               any_value(e.expected) - sum(c.paid_amount) FILTER (WHERE c.first_payment_date IS NOT NULL)
                 AS underpayment
        FROM c
        LEFT JOIN denied AS d ON d.payer_id = c.payer_id AND d.rk = 1
        LEFT JOIN expected AS e ON e.payer_id = c.payer_id
        GROUP BY 1 ORDER BY billed DESC""",
    "reconciliation_by_week": """
        WITH sent AS (
          SELECT payer_id, date_trunc('week', submission_date) AS week, count(*) AS claims_837,
                 sum(total_charge) AS billed
          FROM kpi_claims GROUP BY 1, 2
        ), remitted AS (
          SELECT payer_id, date_trunc('week', submission_date) AS week,
                 count(*) FILTER (WHERE first_payment_date IS NOT NULL) AS claims_835,
                 sum(paid_amount) AS paid
          FROM kpi_claims GROUP BY 1, 2
        )
        SELECT s.payer_id, s.week, s.claims_837, r.claims_835, s.billed, r.paid,
               s.claims_837 - r.claims_835 AS claims_without_835
        FROM sent AS s JOIN remitted AS r USING (payer_id, week) ORDER BY 1, 2""",
    "expected_vs_paid": """
        SELECT h.patient_control_number, h.payer_id, h.source_system, h.expected_payment,
               k.paid_amount, k.paid_amount - h.expected_payment AS difference
        FROM claims_header AS h JOIN kpi_claims AS k ON k.claim_id = h.claim_id
        WHERE h.expected_payment IS NOT NULL AND k.first_payment_date IS NOT NULL
          AND k.paid_amount <> h.expected_payment
        ORDER BY abs(k.paid_amount - h.expected_payment) DESC LIMIT 500""",
    "cash_forecast": """
        WITH lags AS (
          SELECT payer_id, median(first_payment_date - submission_date) AS lag,
                 sum(paid_amount) / nullif(sum(total_charge), 0) AS yield
          FROM kpi_claims WHERE first_payment_date IS NOT NULL GROUP BY 1
        ), everyone AS (
          SELECT median(first_payment_date - submission_date) AS lag,
                 sum(paid_amount) / nullif(sum(total_charge), 0) AS yield
          FROM kpi_claims WHERE first_payment_date IS NOT NULL
        )
        SELECT date_trunc('week', k.submission_date
                 + CAST(round(coalesce(l.lag, e.lag, 30)) AS INTEGER)) AS expected_week,
               count(*) AS open_claims,
               sum(k.total_charge * coalesce(l.yield, e.yield, 0)) AS expected_payment
        FROM kpi_claims AS k CROSS JOIN everyone AS e
        LEFT JOIN lags AS l ON l.payer_id = k.payer_id
        WHERE k.first_payment_date IS NULL
        GROUP BY 1 ORDER BY 1""",
    "quarantine_by_rule": """
        SELECT q.dq_rule, f.path AS file, q.source_system, count(*) AS rows
        FROM claims_header__quarantine AS q LEFT JOIN source_files AS f ON f.file_id = q.source_file_id
        GROUP BY 1, 2, 3 ORDER BY rows DESC""",
    "run_history": """
        SELECT run_id, started_at, status, files_seen, files_loaded, files_skipped, files_failed,
               rows_read, rows_loaded, rows_quarantined, rows_duplicate,
               round(duration_seconds, 2) AS seconds
        FROM runs ORDER BY started_at DESC LIMIT 100""",
}
"""Report name → SQL. Reports over ``kpi_claims`` need :func:`prepare` first."""


prepare = build_cohort
"""Build the claim cohort (``kpi_claims``) the cohort reports read."""


def run_report(conn: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    """Run one named report (after :func:`prepare` for the cohort reports)."""
    return fetch_dicts(conn, REPORTS[name])
