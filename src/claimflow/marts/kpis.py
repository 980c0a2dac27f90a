"""Revenue-cycle KPIs: one SQL definition each over the claim cohort of ``kpi_claims.sql``.

The cohort is every claim submitted in the reporting window (optionally for one payer); each
KPI below is one aggregate over it, so a number on screen always traces back to claims.
Definitions, with their sources, are in ``docs/kpis.md``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import resources

import duckdb

from claimflow.warehouse.sql import execute

REJECTED_999 = "('R', 'M', 'W', 'X')"
REJECTED_277 = "('A3', 'A4', 'A6', 'A7', 'A8')"
ACCEPTED_277 = "('A1', 'A2', 'A5')"
TRANSACTION_SET = "group_control_number || '/' || st_control_number"

COHORT_KPIS: dict[str, str] = {
    "claims_submitted": "count(*)",
    "total_billed": "sum(total_charge)",
    "total_paid": "sum(paid_amount)",
    "rejection_rate_999": (
        f"count(DISTINCT CASE WHEN ik501 IN {REJECTED_999} THEN {TRANSACTION_SET} END)"
        f" / nullif(count(DISTINCT CASE WHEN ik501 IS NOT NULL THEN {TRANSACTION_SET} END), 0)"
    ),
    "rejection_rate_277ca": (
        f"count(*) FILTER (WHERE latest_status IN {REJECTED_277})"
        " / nullif(count(*) FILTER (WHERE latest_status IS NOT NULL), 0)"
    ),
    "first_pass_clean_claim_rate": (
        f"count(*) FILTER (WHERE frequency = '1' AND coalesce(ik501, 'A') IN ('A', 'E')"
        f" AND first_status IN {ACCEPTED_277})"
        " / nullif(count(*) FILTER (WHERE frequency = '1'"
        " AND (ik501 IS NOT NULL OR first_status IS NOT NULL)), 0)"
    ),
    "initial_denial_rate": "count(*) FILTER (WHERE initially_denied) / nullif(count(*), 0)",
    "initial_denial_rate_dollars": (
        "sum(total_charge) FILTER (WHERE initially_denied) / nullif(sum(total_charge), 0)"
    ),
    "payer_lag_days_median": "median(first_payment_date - submission_date)",
    "payer_lag_days_p90": "quantile_cont(first_payment_date - submission_date, 0.9)",
    "net_collection_rate": (
        "sum(paid_amount) FILTER (WHERE first_payment_date IS NOT NULL)"
        " / nullif(sum(total_charge - contractual_amount)"
        " FILTER (WHERE first_payment_date IS NOT NULL), 0)"
    ),
}
"""KPI key → SQL aggregate over ``kpi_claims``. Keys are a contract: stable snake_case."""

AR_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0_30", 0, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("91_120", 91, 120),
    ("over_120", 121, None),
)


def _number(value: object) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int):
        return value
    return float(value) if isinstance(value, float) else float(str(value))


def build_cohort(
    conn: duckdb.DuckDBPyConnection,
    *,
    start: dt.date,
    end: dt.date,
    payer: str | None = None,
    source: str | None = None,
    provider: str | None = None,
) -> None:
    """Build ``kpi_claims``: the claims submitted in the window, with their outcomes.

    Args:
        conn: The warehouse.
        start: First submission date.
        end: Last submission date.
        payer: Only this payer id.
        source: Only this source system.
        provider: Only this billing NPI.
    """
    sql = (resources.files("claimflow.marts") / "sql" / "kpi_claims.sql").read_text("utf-8")
    params = {"from": start, "to": end, "payer": payer, "source": source, "provider": provider}
    execute(conn, sql, params)


def compute_kpis(
    conn: duckdb.DuckDBPyConnection,
    *,
    start: dt.date,
    end: dt.date,
    payer: str | None = None,
) -> dict[str, object]:
    """Every KPI for claims submitted in ``[start, end]``; A/R measures are as of ``end``.

    Returns:
        KPI key → value (None where the warehouse holds nothing to measure it on).
    """
    build_cohort(conn, start=start, end=end, payer=payer)
    select = ", ".join(f"{expr} AS {key}" for key, expr in COHORT_KPIS.items())
    row = conn.execute(f"SELECT {select} FROM kpi_claims").fetchone()
    assert row is not None
    result: dict[str, object] = {k: _number(v) for k, v in zip(COHORT_KPIS, row, strict=True)}
    result.update(_receivables(conn, end, payer))
    result["auto_posting_rate"] = _auto_posting(conn, start, end, payer)
    return result


def _receivables(
    conn: duckdb.DuckDBPyConnection, end: dt.date, payer: str | None
) -> dict[str, object]:
    """Days in A/R and aging, as of ``end``: open balance = charge − paid − contractual."""
    execute(
        conn,
        """CREATE OR REPLACE TEMP TABLE kpi_ar AS
        WITH remitted AS (
          SELECT a.claim_id, a.adjudication_id, a.paid_amount FROM adjudication AS a
          JOIN payments AS p ON p.payment_id = a.payment_id
          WHERE a.claim_id IS NOT NULL AND p.payment_date <= $end
        )
        SELECT c.claim_id, c.total_charge, c.submission_date,
               c.total_charge - coalesce(sum(a.paid_amount), 0) - coalesce(max(ct.amount), 0) AS balance,
               date_diff('day', c.submission_date, $end) AS age
        FROM claims_header AS c
        LEFT JOIN remitted AS a ON a.claim_id = c.claim_id
        LEFT JOIN (
          SELECT a2.claim_id, sum(j.amount) AS amount FROM adjustments AS j
          JOIN remitted AS a2 ON a2.adjudication_id = j.adjudication_id
          JOIN ref_carc_category AS r ON r.carc = j.reason_code AND r.category = 'contractual'
          WHERE j.group_code IN ('CO', 'PI') GROUP BY 1
        ) AS ct ON ct.claim_id = c.claim_id
        WHERE c.submission_date <= $end AND ($payer IS NULL OR c.payer_id = $payer)
          AND (c.segment_index IS NOT NULL OR c.patient_control_number NOT IN (
            SELECT patient_control_number FROM claims_header WHERE segment_index IS NOT NULL))
        GROUP BY c.claim_id, c.total_charge, c.submission_date""",
        {"end": end, "payer": payer},
    )
    buckets = ", ".join(
        f"sum(balance) FILTER (WHERE age >= {lo}" + (f" AND age <= {hi})" if hi else ")")
        for _, lo, hi in AR_BUCKETS
    )
    row = conn.execute(
        f"SELECT sum(balance) FILTER (WHERE balance > 0),"
        f" sum(total_charge) FILTER (WHERE age < 90), {buckets} FROM kpi_ar WHERE balance > 0 OR age < 90"
    ).fetchone()
    assert row is not None
    open_ar, charges_90 = row[0], row[1]
    days = None
    if open_ar is not None and charges_90:
        days = round(float(open_ar) / (float(charges_90) / 90), 2)
    aging = {name: _number(v) or 0 for (name, _, _), v in zip(AR_BUCKETS, row[2:], strict=True)}
    return {"days_in_ar": days, "ar_total": _number(open_ar) or 0, "ar_aging": aging}


def _auto_posting(
    conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, payer: str | None
) -> object:
    """Remittance lines matched to a claim line without a person, for payments in the window."""
    row = conn.execute(
        """SELECT count(*) FILTER (WHERE m.left_id IS NOT NULL AND NOT m.needs_review),
                  count(*)
           FROM adjudication_line AS l
           JOIN adjudication AS a ON a.adjudication_id = l.adjudication_id
           JOIN payments AS p ON p.payment_id = a.payment_id
           LEFT JOIN claim_line_match AS m ON m.left_id = l.adjudication_line_id
           WHERE p.payment_date BETWEEN ? AND ? AND (? IS NULL OR p.payer_id = ?)""",
        [start, end, payer, payer],
    ).fetchone()
    assert row is not None
    return row[0] / row[1] if row[1] else None
