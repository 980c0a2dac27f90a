"""Named report queries over silver: denials, payer scorecard, reconciliation, cash forecast.

Each report is one SQL definition over the claim cohort ``kpi_claims`` (built by
:func:`prepare` for a window and filters: payer, billing provider, source system) or over the
warehouse's operational tables; ``daily_ar`` and ``daily_auto_posting`` read the window and
filters :func:`prepare` records in ``kpi_window``, with the very queries of the A/R and
auto-posting KPIs. The daily reports group by day × payer × provider × source. The
dashboard shows these, and nothing else, so a number on screen is always one of these queries.
"""

from __future__ import annotations

from typing import Any

import duckdb

from claimflow.marts.kpis import (
    AR_BUCKETS,
    AR_COLUMNS,
    AR_PIECES,
    AUTO_POSTING_LINES,
    AUTO_POSTING_RATE,
    COHORT_KPIS,
    DAYS_IN_AR,
    REJECTED_277CA_CLAIM,
    RESUBMISSION_OUTCOMES,
    build_cohort,
)
from claimflow.warehouse.sql import fetch_dicts

DENIAL_LINES = """
  SELECT a.claim_id, a.adjudication_id, c.payer_id, c.billing_npi AS provider, c.source_system,
         c.submission_date,
         j.group_code, j.reason_code,
         coalesce(CASE WHEN r.needs_rarc THEN coalesce(x.category, xc.category) END, r.category,
                  'other') AS category,
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
  LEFT JOIN (
    -- a line's adjustment without a remark of its own takes the claim's remarks (MOA/MIA)
    SELECT m.adjudication_id, min(rc.category) AS category
    FROM remarks AS m JOIN ref_rarc_category AS rc ON rc.rarc = m.remark_code
    WHERE m.adjudication_line_id IS NULL GROUP BY 1
  ) AS xc ON xc.adjudication_id = j.adjudication_id
  WHERE NOT (j.group_code = 'PR' AND j.reason_code IN ('1', '2', '3'))
    AND coalesce(r.category, 'other') NOT IN ('contractual', 'patient_responsibility')
"""

DAILY_MEASURES: tuple[str, ...] = (
    "claims_submitted",
    "total_billed",
    "total_allowed",
    "total_paid",
    "first_pass_clean_claim_rate",
    "rejection_rate_999",
    "rejection_rate_277ca",
    "initial_denial_rate",
    "initial_denial_rate_dollars",
    "net_collection_rate",
    "final_denial_write_off_amount",
    "payer_lag_days_median",
    "payer_lag_days_p90",
)
"""The KPIs of the daily mart: the very aggregates of ``COHORT_KPIS``, per group."""

DAILY_BY_PAYER_PROVIDER_SOURCE = (
    "SELECT submission_date AS day, payer_id, billing_npi AS provider, source_system, "
    + ", ".join(f"{COHORT_KPIS[key]} AS {key}" for key in DAILY_MEASURES)
    + " FROM kpi_claims GROUP BY ALL ORDER BY day, payer_id, provider, source_system"
)

GROUP = "payer_id, provider, source_system"
"""The grouping of every daily report, after its day."""

DAILY_277CA_REJECTIONS = f"""
    -- claims the 277CA rejects (the numerator of rejection_rate_277ca) by their latest STC01:
    -- category, status code (with its description) and entity; share_of_acknowledged = claims ÷
    -- the group's claims with a 277CA, so a group's shares add up to its rejection_rate_277ca
    WITH acknowledged AS (
      SELECT submission_date, payer_id, billing_npi, source_system,
             count(*) FILTER (WHERE latest_status IS NOT NULL) AS n
      FROM kpi_claims GROUP BY ALL
    ), codes AS (
      SELECT code, any_value(description) AS description FROM ref_codes
      WHERE code_set = 'claim_status' GROUP BY 1
    )
    SELECT k.submission_date AS day, k.payer_id, k.billing_npi AS provider, k.source_system,
           k.latest_status AS status_category, k.latest_status_code AS status_code,
           k.latest_entity_code AS entity_code, any_value(c.description) AS description,
           count(*) AS claims, sum(k.total_charge) AS billed,
           count(*) / any_value(a.n) AS share_of_acknowledged
    FROM kpi_claims AS k
    JOIN acknowledged AS a
      ON a.submission_date = k.submission_date AND a.payer_id IS NOT DISTINCT FROM k.payer_id
     AND a.billing_npi IS NOT DISTINCT FROM k.billing_npi
     AND a.source_system IS NOT DISTINCT FROM k.source_system
    LEFT JOIN codes AS c ON c.code = k.latest_status_code
    WHERE {REJECTED_277CA_CLAIM}
    GROUP BY ALL ORDER BY day, {GROUP}, claims DESC, status_category, status_code"""

DAILY_TOP_CARCS = 5
"""How many CARCs ``daily_denials_by_carc`` keeps per day × payer × provider × source."""

AR_MEASURES = ", ".join(f"('{m}')" for m in (*(n for n, _, _ in AR_BUCKETS), "charges_90d"))

DAILY_AR = f"""
    -- A/R as of each day of the window, from the first day a filtered claim was submitted: the
    -- stretches of AR_PIECES become +amount on their first day and −amount after their last,
    -- summed day by day (what began before the first day is carried into it)
    WITH pieces AS ({AR_PIECES}
    ), days AS (
      SELECT CAST(unnest(range(
               CAST(greatest(w.start_date, (SELECT min(start) FROM pieces)) AS TIMESTAMP),
               CAST(w.end_date AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY)) AS DATE) AS day
      FROM kpi_window AS w
    ), deltas AS (
      SELECT {GROUP}, measure, greatest(day, (SELECT min(day) FROM days)) AS day,
             sum(amount) AS amount
      FROM (
        SELECT {GROUP}, measure, start AS day, amount FROM pieces
        UNION ALL
        SELECT {GROUP}, measure, stop, -amount FROM pieces WHERE stop IS NOT NULL
      )
      WHERE day <= (SELECT max(day) FROM days)
      GROUP BY ALL
    ), grid AS (
      SELECT d.day, g.*, m.measure
      FROM days AS d, (SELECT DISTINCT {GROUP} FROM deltas) AS g,
           (VALUES {AR_MEASURES}) AS m(measure)
    ), running AS (
      SELECT g.day, g.payer_id, g.provider, g.source_system, g.measure,
             sum(coalesce(x.amount, 0)) OVER (
               PARTITION BY g.payer_id, g.provider, g.source_system, g.measure ORDER BY g.day
             ) AS amount
      FROM grid AS g
      LEFT JOIN deltas AS x
        ON x.day = g.day AND x.measure = g.measure
       AND x.payer_id IS NOT DISTINCT FROM g.payer_id
       AND x.provider IS NOT DISTINCT FROM g.provider
       AND x.source_system IS NOT DISTINCT FROM g.source_system
    )
    SELECT *, {DAYS_IN_AR} AS days_in_ar FROM (
      SELECT day, {GROUP}, {AR_COLUMNS} FROM running GROUP BY ALL
    )
    WHERE ar_total <> 0 OR charges_90d <> 0
    ORDER BY day, {GROUP}"""

BACKTEST_CUTOFFS = """
    SELECT CAST(w AS DATE) AS cutoff
    FROM (
      SELECT min(k.first_payment_date) AS first_paid, max(p.payment_date) AS last_paid
      FROM kpi_claims AS k
      LEFT JOIN adjudication AS a ON a.claim_id = k.claim_id
      LEFT JOIN payments AS p ON p.payment_id = a.payment_id
    ) AS bounds, range(date_trunc('week', first_paid) + INTERVAL 7 DAY,
                       last_paid - INTERVAL 5 DAY, INTERVAL 7 DAY) AS t(w)
    WHERE first_paid IS NOT NULL"""
"""The Mondays of the back-test: from the first after an 835 to the last whose week the 835s
cover (Monday + 6 days on or before the latest 835)."""

LIVE_CUTOFF = """
    SELECT CAST(coalesce(greatest(max(payment_date), (SELECT max(submission_date)
                                                      FROM claims_header)) + 1,
                         current_date) AS DATE) AS cutoff
    FROM payments"""
"""The live forecast is as of the day after the warehouse's latest 835 or submission."""

FORECAST_WEEKS = 13
"""How many weeks ahead the cash forecast looks."""


def _forecast_rates(cutoffs: str, weeks: int) -> str:
    """SQL CTEs: the open claims and the expected payment per charged dollar (``rates``).

    The method (docs/kpis.md): for each week of a claim's age (days since submission ÷ 7), the
    claims of the same payer that reached that week with no 835, and whose week had ended by the
    cutoff, give a *dollar hazard* h (what their 835s paid in that week ÷ their charges: lag
    and denials at once) and a *remittance share* r (how many got their first 835 in it). A claim
    open at the cutoff, of age a, expects in the window [a + 7j, a + 7j + 7) its charge × the
    hazard of that window (blended between the two age-weeks it straddles) × the chance of no 835
    before it (Π (1 − r) over the weeks in between). A payer without history for an age-week
    uses all payers'; no history at all, nothing.

    Claims of one payer submitted on one day with the same first-835 day share everything the
    history needs, and open claims of one payer and age share their rate: the work is done per
    such group, not per claim (a million open EMR claims become a few thousand rows).

    Args:
        cutoffs: SQL of a CTE body with one DATE column ``cutoff``: the as-of dates.
        weeks: Windows after each cutoff (1 for the back-test).

    Returns:
        ``WITH`` CTEs ending in ``open`` (cutoff, claim_id, payer_id, total_charge, age) and
        ``rates`` (cutoff, payer_id, age, week_start, rate).
    """
    return f"""
  WITH cutoffs AS ({cutoffs}
  ), last_cutoff AS (
    SELECT max(cutoff) AS c FROM cutoffs
  ), claims AS (
    -- each claim's last age-week watched (its first 835's, or the last cutoff's)
    SELECT k.claim_id, k.payer_id, k.total_charge, k.submission_date,
           k.first_payment_date - k.submission_date AS first_age,
           (least(coalesce(k.first_payment_date, l.c), l.c) - k.submission_date) // 7 AS last_b
    FROM kpi_claims AS k CROSS JOIN last_cutoff AS l
    WHERE k.submission_date < l.c
  ), weekly_paid AS (
    -- what the 835s paid in each age-week a claim was watched, per payer and submission day
    SELECT c.payer_id, c.submission_date, (p.payment_date - c.submission_date) // 7 AS b,
           sum(a.paid_amount) AS paid
    FROM claims AS c
    JOIN adjudication AS a ON a.claim_id = c.claim_id
    JOIN payments AS p ON p.payment_id = a.payment_id
    WHERE (p.payment_date - c.submission_date) // 7 <= c.last_b
    GROUP BY 1, 2, 3
  ), claim_groups AS (
    SELECT payer_id, submission_date, first_age, last_b, count(*) AS n,
           sum(total_charge) AS charge
    FROM claims GROUP BY 1, 2, 3, 4
  ), at_risk AS (
    -- each group in each week of age it began without an 835 (up to the last cutoff)
    SELECT g.payer_id, g.submission_date, t.b, sum(g.n) AS n,
           coalesce(sum(g.n) FILTER (WHERE g.first_age < 7 * t.b + 7), 0) AS f,
           sum(g.charge) AS charge
    FROM claim_groups AS g, LATERAL (SELECT unnest(range(0, g.last_b + 1)) AS b) AS t
    GROUP BY 1, 2, 3
  ), at_risk_by_day AS (
    SELECT x.payer_id, x.b, x.submission_date + CAST(7 * x.b + 7 AS INTEGER) AS observed_on,
           x.n, x.f, x.charge, coalesce(w.paid, 0) AS paid
    FROM at_risk AS x LEFT JOIN weekly_paid AS w
      ON w.payer_id IS NOT DISTINCT FROM x.payer_id AND w.submission_date = x.submission_date
     AND w.b = x.b
  ), history AS (
    SELECT c.cutoff, d.payer_id, grouping(d.payer_id) = 1 AS pooled, d.b,
           sum(d.paid) / nullif(sum(d.charge), 0) AS h, sum(d.f) / sum(d.n) AS r
    FROM cutoffs AS c JOIN at_risk_by_day AS d ON d.observed_on <= c.cutoff
    GROUP BY GROUPING SETS ((c.cutoff, d.payer_id, d.b), (c.cutoff, d.b))
  ), open AS (
    SELECT c.cutoff, k.claim_id, k.payer_id, k.total_charge,
           CAST(c.cutoff - k.submission_date AS INTEGER) AS age
    FROM cutoffs AS c JOIN kpi_claims AS k
      ON k.submission_date < c.cutoff
     AND (k.first_payment_date IS NULL OR k.first_payment_date >= c.cutoff)
  ), ages AS (
    SELECT DISTINCT cutoff, payer_id, age FROM open
  ), grid AS (
    -- every (cutoff, payer, age-week) an open claim may need, own history else pooled
    SELECT g.cutoff, g.payer_id, g.b,
           coalesce(own.h, everyone.h, 0) AS h, coalesce(own.r, everyone.r, 0) AS r
    FROM (
      SELECT DISTINCT a.cutoff, a.payer_id, unnest(range(0, max(a.age) OVER (
               PARTITION BY a.cutoff) // 7 + {weeks} + 2)) AS b
      FROM ages AS a
    ) AS g
    LEFT JOIN history AS own ON own.cutoff = g.cutoff AND NOT own.pooled
     AND own.payer_id IS NOT DISTINCT FROM g.payer_id AND own.b = g.b
    LEFT JOIN history AS everyone ON everyone.cutoff = g.cutoff AND everyone.pooled
     AND everyone.b = g.b
  ), hazard AS (
    -- log_unremitted: log of the chance of no 835 in the age-weeks before b
    SELECT *, coalesce(sum(ln(greatest(1 - r, 1e-9))) OVER (
             PARTITION BY cutoff, payer_id ORDER BY b
             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS log_unremitted
    FROM grid
  ), windows AS (
    SELECT a.*, j, a.age + 7 * j AS u FROM ages AS a, range(0, {weeks}) AS t(j)
  ), rates AS (
    SELECT w.cutoff, w.payer_id, w.age, w.cutoff + CAST(7 * w.j AS INTEGER) AS week_start,
           ((7 - w.u % 7) / 7 * lo.h + (w.u % 7) / 7 * hi.h)
             * exp(lo.log_unremitted - now.log_unremitted) AS rate
    FROM windows AS w
    JOIN hazard AS now ON now.cutoff = w.cutoff
     AND now.payer_id IS NOT DISTINCT FROM w.payer_id AND now.b = w.age // 7
    JOIN hazard AS lo ON lo.cutoff = w.cutoff
     AND lo.payer_id IS NOT DISTINCT FROM w.payer_id AND lo.b = w.u // 7
    JOIN hazard AS hi ON hi.cutoff = w.cutoff
     AND hi.payer_id IS NOT DISTINCT FROM w.payer_id AND hi.b = w.u // 7 + 1
  )"""


def open_claim_forecast(cutoffs: str, weeks: int) -> str:
    """SQL: expected payment per claim open at each cutoff, per 7-day window after it.

    Columns cutoff, claim_id, payer_id, week_start, expected_payment (the rows behind the
    forecast; the reports sum :func:`open_group_forecast` instead). Method: :func:`_forecast_rates`.
    """
    return f"""{_forecast_rates(cutoffs, weeks)}
  SELECT o.cutoff, o.claim_id, o.payer_id, r.week_start, o.total_charge * r.rate AS expected_payment
  FROM open AS o JOIN rates AS r ON r.cutoff = o.cutoff
   AND r.payer_id IS NOT DISTINCT FROM o.payer_id AND r.age = o.age"""


def open_group_forecast(cutoffs: str, weeks: int) -> str:
    """SQL: :func:`open_claim_forecast` summed per (cutoff, payer, age, week): columns cutoff,
    payer_id, week_start, claims, expecting (claims whose expected payment is positive) and
    expected_payment."""
    return f"""{_forecast_rates(cutoffs, weeks)}, open_groups AS (
    SELECT cutoff, payer_id, age, count(*) AS claims,
           count(*) FILTER (WHERE total_charge > 0) AS positive,
           count(*) FILTER (WHERE total_charge < 0) AS negative, sum(total_charge) AS charge
    FROM open GROUP BY 1, 2, 3
  )
  SELECT o.cutoff, o.payer_id, r.week_start, o.claims,
         CASE WHEN r.rate > 0 THEN o.positive WHEN r.rate < 0 THEN o.negative ELSE 0 END
           AS expecting,
         o.charge * r.rate AS expected_payment
  FROM open_groups AS o JOIN rates AS r ON r.cutoff = o.cutoff
   AND r.payer_id IS NOT DISTINCT FROM o.payer_id AND r.age = o.age"""


REPORTS: dict[str, str] = {
    "daily_by_payer_provider_source": DAILY_BY_PAYER_PROVIDER_SOURCE,
    "daily_277ca_rejections": DAILY_277CA_REJECTIONS,
    "daily_denials_by_category": f"""
        SELECT submission_date AS day, {GROUP}, category, count(DISTINCT claim_id) AS claims,
               sum(amount) AS denied_amount
        FROM ({DENIAL_LINES}) GROUP BY ALL
        ORDER BY day, {GROUP}, denied_amount DESC, category""",
    "daily_denials_by_carc": f"""
        SELECT d.submission_date AS day, d.payer_id, d.provider, d.source_system,
               d.group_code || '-' || d.reason_code AS carc, any_value(d.category) AS category,
               count(DISTINCT d.claim_id) AS claims, sum(d.amount) AS denied_amount,
               row_number() OVER (PARTITION BY d.submission_date, d.payer_id, d.provider,
                                  d.source_system ORDER BY sum(d.amount) DESC, carc) AS rank
        FROM ({DENIAL_LINES}) AS d GROUP BY 1, 2, 3, 4, 5
        QUALIFY rank <= {DAILY_TOP_CARCS}
        ORDER BY day, {GROUP}, rank""",
    "daily_ar": DAILY_AR,
    "daily_auto_posting": f"""
        SELECT day, {GROUP}, count(*) AS lines,
               count(*) FILTER (WHERE auto_posted) AS auto_posted_lines,
               {AUTO_POSTING_RATE} AS auto_posting_rate
        FROM ({AUTO_POSTING_LINES}) GROUP BY ALL ORDER BY day, {GROUP}""",
    "denials_by_category": f"""
        SELECT category, count(DISTINCT claim_id) AS claims, sum(amount) AS denied_amount
        FROM ({DENIAL_LINES}) GROUP BY 1 ORDER BY denied_amount DESC""",
    "denials_by_carc": f"""
        SELECT d.group_code || '-' || d.reason_code AS carc, any_value(d.category) AS category,
               any_value(k.description) AS description,
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
    "cash_forecast": f"""
        SELECT week_start AS expected_week, sum(expecting) AS open_claims,
               CAST(round(sum(expected_payment), 2) AS DECIMAL(18, 2)) AS expected_payment
        FROM ({open_group_forecast(LIVE_CUTOFF, FORECAST_WEEKS)})
        GROUP BY 1 ORDER BY 1""",
    "cash_forecast_backtest": f"""
        -- each past week, forecast as of its Monday from what was known then, against what the
        -- 835s of that week paid on the claims open that Monday; from the first week with an
        -- 835 before it to the last week the 835s received cover entirely
        WITH predicted AS (
          SELECT cutoff, sum(claims) AS open_claims,
                 CAST(round(sum(expected_payment), 2) AS DECIMAL(18, 2)) AS forecast
          FROM ({open_group_forecast(BACKTEST_CUTOFFS, 1)}) GROUP BY 1
        ), actual AS (
          SELECT c.cutoff, count(DISTINCT k.claim_id) AS claims_paid, sum(a.paid_amount) AS actual
          FROM ({BACKTEST_CUTOFFS}) AS c
          JOIN payments AS p ON p.payment_date >= c.cutoff AND p.payment_date < c.cutoff + 7
          JOIN adjudication AS a ON a.payment_id = p.payment_id
          JOIN kpi_claims AS k ON k.claim_id = a.claim_id
          WHERE k.submission_date < c.cutoff
            AND (k.first_payment_date IS NULL OR k.first_payment_date >= c.cutoff)
          GROUP BY 1
        )
        SELECT x.cutoff AS week, x.open_claims, x.forecast, coalesce(y.claims_paid, 0) AS claims_paid,
               coalesce(y.actual, 0) AS actual, x.forecast - coalesce(y.actual, 0) AS error,
               abs(x.forecast - coalesce(y.actual, 0)) / nullif(y.actual, 0) AS abs_pct_error
        FROM predicted AS x LEFT JOIN actual AS y USING (cutoff)
        ORDER BY 1""",
    "resubmission_outcomes": f"""
        SELECT category, count(*) AS resubmitted,
               count(*) FILTER (WHERE outcome <> 'pending') AS answered,
               count(*) FILTER (WHERE outcome = 'paid') AS paid,
               count(*) FILTER (WHERE outcome = 'denied_again') AS denied_again,
               count(*) FILTER (WHERE outcome = 'pending') AS pending,
               count(*) FILTER (WHERE outcome = 'paid')
                 / nullif(count(*) FILTER (WHERE outcome <> 'pending'), 0) AS success_rate,
               sum(recovered_amount) AS recovered_amount
        FROM ({RESUBMISSION_OUTCOMES}) GROUP BY 1 ORDER BY resubmitted DESC, category""",
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

DESCRIPTIONS: dict[str, str] = {
    "daily_by_payer_provider_source": "The daily KPIs (claims, billed, paid, clean-claim,"
    " rejection and denial rates, payer lag) per day × payer × provider × source.",
    "daily_277ca_rejections": "Claims the 277CA rejects, per day × payer × provider × source,"
    " by status category, code and entity.",
    "daily_denials_by_category": "Denied claims and dollars per day × payer × provider × source,"
    " by denial category.",
    "daily_denials_by_carc": f"The top {DAILY_TOP_CARCS} denial reasons (group code + CARC)"
    " per day × payer × provider × source.",
    "daily_ar": "A/R by age bucket and days in A/R as of each day of the window, per payer ×"
    " provider × source.",
    "daily_auto_posting": "835 service lines per payment day, and the share posted without review.",
    "denials_by_category": "Denied claims and dollars by denial category.",
    "denials_by_carc": "Denied claims and dollars by denial reason (group code + CARC).",
    "denials_by_payer": "Denied claims and dollars by payer and denial category.",
    "payer_scorecard": "Per payer: claims, billed, paid, initial denial rate, lag, first-pass"
    " acceptance, top denial category, underpayment.",
    "reconciliation_by_week": "Per payer and week: claims sent (837) against claims with an 835,"
    " billed against paid.",
    "expected_vs_paid": "Claims paid other than expected (contract pricing), largest difference"
    " first (500 at most).",
    "cash_forecast": f"Payments expected in each of the next {FORECAST_WEEKS} weeks on the claims"
    " still open.",
    "cash_forecast_backtest": "Each past week's forecast against what the 835s of that week paid.",
    "resubmission_outcomes": "Claimflow's automatic resubmissions by denial category: answered,"
    " paid, denied again, pending, recovered.",
    "quarantine_by_rule": "Rows held back by a data-quality rule, per rule, file and source.",
    "run_history": "The last 100 runs: files and rows read, loaded, quarantined, duplicate.",
}
"""Report name → one line saying what it shows (``claimflow report --list``)."""

PER_CLAIM: frozenset[str] = frozenset({"expected_vs_paid"})
"""Reports of one claim per row: their amounts are written with cents."""


prepare = build_cohort
"""Build the claim cohort (``kpi_claims``) the cohort reports read."""


def run_report(conn: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    """Run one named report (after :func:`prepare` for the cohort reports)."""
    return fetch_dicts(conn, REPORTS[name])


def report_columns_and_rows(
    conn: duckdb.DuckDBPyConnection, name: str
) -> tuple[list[str], list[dict[str, Any]]]:
    """Run one named report: its column names (known even when it has no row) and its rows."""
    cursor = conn.execute(REPORTS[name])
    names = [d[0] for d in cursor.description]
    return names, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
