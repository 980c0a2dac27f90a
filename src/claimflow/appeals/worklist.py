"""The appeal cases as a worklist: nearest deadline first, with the latest draft and outcome.
One query, read by ``claimflow appeal list``, ``GET /appeals`` and the Appeals page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb

from claimflow.warehouse.connection import table_names

APPEAL_ROWS_SQL = """
WITH latest_draft AS (
    SELECT * FROM appeal_drafts
    QUALIFY row_number() OVER (PARTITION BY case_id ORDER BY drafted_at DESC, rowid DESC) = 1
), latest_outcome AS (
    SELECT * FROM appeal_outcomes
    QUALIFY row_number() OVER (PARTITION BY case_id ORDER BY recorded_at DESC, rowid DESC) = 1
)
SELECT c.case_id, c.condition, c.payer, c.account_number, c.claim_number, c.claim_id,
       c.original_drg, c.proposed_drg, c.letter_date, c.appeal_deadline, c.arguments,
       c.letter_format, c.ocr, c.prepared_at,
       d.drafted_at, d.overall, d.rating, d.verdict, d.untraced, d.lint_findings,
       d.conflicts, d.out_dir, o.outcome, o.decided_on, o.paid_amount
FROM appeal_cases c
LEFT JOIN latest_draft d USING (case_id)
LEFT JOIN latest_outcome o USING (case_id)
ORDER BY c.appeal_deadline NULLS LAST, c.case_id
"""


def appeal_rows(
    conn: duckdb.DuckDBPyConnection, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Every prepared case with ``days_left`` to its deadline (negative: passed)."""
    if not {"appeal_cases", "appeal_drafts", "appeal_outcomes"} <= table_names(conn):
        return []
    today = today or dt.date.today()
    cursor = conn.execute(APPEAL_ROWS_SQL)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    for row in rows:
        if isinstance(row["arguments"], str):
            row["arguments"] = json.loads(row["arguments"])
        deadline = row["appeal_deadline"]
        row["days_left"] = None if deadline is None else (deadline - today).days
    return rows
