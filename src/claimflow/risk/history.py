"""History aggregates: denial rate and days to pay by payer, payer × billing provider,
payer × procedure and payer × member, from the remittances dated before a point in time.

A claim's outcome is its first 835, as the KPIs define it (``initially_denied`` and
``first_payment_date`` of ``kpi_claims.sql``, reused through ``build_cohort``, not redefined
here); it becomes known on that remittance's payment date (BPR16), so it counts in the history
of a point in time only when that date is before it. Days to pay is the KPIs' payer lag:
first payment date − submission date.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from claimflow.marts.kpis import EARLIEST, LATEST, build_cohort
from claimflow.risk.features import AVG_DAYS, FEATURE_SET_VERSION, HISTORY_TARGETS, RATE

OUTCOMES = "cf_risk_outcomes"

EVENTS_SQL = f"""
CREATE OR REPLACE TEMP TABLE cf_risk_events AS
WITH o AS (
  SELECT k.claim_id, coalesce(k.payer_id, '') AS payer_id,
         coalesce(k.billing_npi, '') AS billing_npi, coalesce(h.member_id, '') AS member_id,
         k.first_payment_date AS paid_on, coalesce(k.initially_denied, false) AS denied,
         k.first_payment_date - k.submission_date AS days_to_pay
  FROM {OUTCOMES} AS k JOIN claims_header AS h ON h.claim_id = k.claim_id
  WHERE k.first_payment_date IS NOT NULL
)
SELECT 'payer' AS key_kind, payer_id, '' AS billing_npi, '' AS procedure_code,
       '' AS member_id, paid_on, denied, days_to_pay
FROM o
UNION ALL
SELECT 'payer_provider', payer_id, billing_npi, '', '', paid_on, denied, days_to_pay FROM o
UNION ALL
SELECT 'payer_procedure', o.payer_id, '', l.procedure_code, '', o.paid_on, o.denied,
       o.days_to_pay
FROM o JOIN (SELECT DISTINCT claim_id, procedure_code FROM claims_line
             WHERE procedure_code IS NOT NULL) AS l ON l.claim_id = o.claim_id
UNION ALL
SELECT 'payer_member', payer_id, '', '', member_id, paid_on, denied, days_to_pay FROM o
WHERE member_id <> ''
"""
"""One row per claim with a first remittance and history key: when its outcome became known,
whether it was a denial, the days it took."""

HISTORY_AS_OF_SQL = f"""
INSERT INTO risk_history
SELECT key_kind, nullif(payer_id, ''), nullif(billing_npi, ''), nullif(procedure_code, ''),
       nullif(member_id, ''),
       $as_of, count(*) AS claims, count(*) FILTER (WHERE denied) AS denied,
       {RATE.format(denied="count(*) FILTER (WHERE denied)", claims="count(*)")},
       {AVG_DAYS.format(days="sum(days_to_pay)", claims="count(*)")},
       $version, now()::TIMESTAMP
FROM cf_risk_events WHERE paid_on < $as_of
GROUP BY key_kind, payer_id, billing_npi, procedure_code, member_id
"""

CUMULATIVE_SQL = """
CREATE OR REPLACE TEMP TABLE cf_risk_cumulative AS
SELECT key_kind, payer_id, billing_npi, procedure_code, member_id, paid_on::TIMESTAMP AS paid_at,
       (sum(n) OVER w)::BIGINT AS claims, (sum(d) OVER w)::BIGINT AS denied,
       (sum(s) OVER w)::BIGINT AS days
FROM (SELECT key_kind, payer_id, billing_npi, procedure_code, member_id, paid_on, count(*) AS n,
             count(*) FILTER (WHERE denied) AS d, sum(days_to_pay) AS s
      FROM cf_risk_events GROUP BY ALL)
WINDOW w AS (PARTITION BY key_kind, payer_id, billing_npi, procedure_code, member_id ORDER BY paid_on
             ROWS UNBOUNDED PRECEDING)
"""
"""Per history key and payment date: the counts of every outcome known by the end of that day."""

AS_OF_JOIN_SQL = f"""
CREATE OR REPLACE TEMP TABLE cf_risk_hist AS
WITH targets AS ({HISTORY_TARGETS})
SELECT t.claim_id, t.key_kind, nullif(t.procedure_code, '') AS procedure_code,
       coalesce(h.claims, 0) AS claims,
       {RATE.format(denied="h.denied", claims="h.claims")} AS denial_rate,
       {AVG_DAYS.format(days="h.days", claims="h.claims")} AS avg_days_to_pay
FROM targets AS t
ASOF LEFT JOIN cf_risk_cumulative AS h
  ON h.key_kind = t.key_kind AND h.payer_id = t.payer_id AND h.billing_npi = t.billing_npi
 AND h.procedure_code = t.procedure_code AND h.member_id = t.member_id AND t.as_of > h.paid_at
"""
"""Each claim's history as of its own ``as_of``: the latest cumulative row dated before it."""


def load_events(conn: duckdb.DuckDBPyConnection, *, ready: bool = False) -> None:
    """Build ``cf_risk_outcomes`` (every claim's outcome) and ``cf_risk_events`` from them.

    ``ready``: both were built on this connection since the warehouse last changed; keep them
    (a run's scoring builds them once for the history, the labels and the features).
    """
    if ready:
        return
    build_cohort(conn, start=EARLIEST, end=LATEST, table=OUTCOMES)
    conn.execute(EVENTS_SQL)


def resolve_as_of_each_claim(
    conn: duckdb.DuckDBPyConnection, *, events_ready: bool = False
) -> None:
    """Fill ``cf_risk_hist`` for ``cf_risk_claims``, each claim as of its own ``as_of``."""
    load_events(conn, ready=events_ready)
    conn.execute(CUMULATIVE_SQL)
    conn.execute(AS_OF_JOIN_SQL)


def build_history(
    conn: duckdb.DuckDBPyConnection,
    as_of: dt.date | dt.datetime,
    *,
    events_ready: bool = False,
) -> int:
    """Write ``risk_history`` as of ``as_of`` (replacing rows already written for that time).

    The caller owns the transaction (a run commits it with the rest of its work).

    Args:
        conn: The warehouse.
        as_of: Only remittances dated before this count (a date means its midnight).

    Returns:
        The number of rows written.
    """
    at = _timestamp(as_of)
    load_events(conn, ready=events_ready)
    params = {"as_of": at, "version": FEATURE_SET_VERSION}
    conn.execute(
        "DELETE FROM risk_history WHERE as_of = $as_of AND feature_set_version = $version", params
    )
    conn.execute(HISTORY_AS_OF_SQL, params)
    row = conn.execute(
        "SELECT count(*) FROM risk_history WHERE as_of = $as_of AND feature_set_version = $version",
        params,
    ).fetchone()
    return int(row[0]) if row else 0


def _timestamp(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())
