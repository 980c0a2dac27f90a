"""The worklist: the open exceptions of the rejection log, by value (what a person works first).

An exception is open while no resubmission of its claim was recorded after it was logged. One
row per claim as the provider knows it (its ``patient_control_number``): a claim logged from
several sources (its EMR row and its 837, say) shows once, with every source it was logged
from and the internal keys (``claim_ids``) of its versions; the reason, category, disposition,
amount and fix are those of its largest open entry (the latest of a version's entries). The
total of open claims is counted on its own (:func:`count_open_worklist`), whatever the page.
``claimflow worklist`` and the HTTP API's ``/worklist`` both read it from here.
"""

from __future__ import annotations

from typing import Any

import duckdb

from claimflow.warehouse.sql import fetch_dicts

OPEN_ENTRIES = """
    SELECT l.* FROM rejection_log AS l
    WHERE NOT EXISTS (SELECT 1 FROM resubmissions AS r
                      WHERE r.claim_id = l.claim_id AND r.created_at > l.logged_at)
    QUALIFY row_number() OVER (PARTITION BY l.claim_id ORDER BY l.logged_at DESC) = 1"""
"""The latest entry of each version of a claim (``claim_id``) not resubmitted since."""

WORKLIST_SQL = f"""
    WITH open AS ({OPEN_ENTRIES}
    ), per_claim AS (
      SELECT patient_control_number,
             list(DISTINCT source_system ORDER BY source_system) AS sources,
             list(DISTINCT claim_id ORDER BY claim_id) AS claim_ids
      FROM open GROUP BY 1
    ), largest AS (
      SELECT * FROM open
      QUALIFY row_number() OVER (
        PARTITION BY patient_control_number
        ORDER BY amount DESC NULLS LAST, logged_at DESC, source_system, claim_id) = 1
    )
    SELECT g.patient_control_number, g.sources, o.reason, o.category, o.disposition, o.amount,
           o.recommended_fix, o.logged_at, g.claim_ids
    FROM per_claim AS g JOIN largest AS o USING (patient_control_number)
    ORDER BY o.amount DESC NULLS LAST, g.patient_control_number"""
"""One row per open claim, largest amount first (a total order, so that pages are stable)."""

COLUMNS: tuple[str, ...] = (
    "patient_control_number", "sources", "reason", "category", "disposition", "amount",
    "recommended_fix", "logged_at", "claim_ids",
)  # fmt: skip
"""The columns of a worklist row, in order."""


def open_worklist(
    conn: duckdb.DuckDBPyConnection, *, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """The open claims, largest first (``amount`` a Decimal: money is exact on every surface)."""
    return fetch_dicts(conn, WORKLIST_SQL + " LIMIT ? OFFSET ?", [limit, offset])


def count_open_worklist(conn: duckdb.DuckDBPyConnection) -> int:
    """How many claims the worklist holds (every page of it)."""
    row = conn.execute(
        f"SELECT count(DISTINCT patient_control_number) FROM ({OPEN_ENTRIES})"
    ).fetchone()
    return int(row[0]) if row else 0
