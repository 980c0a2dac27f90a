"""The worklist: the open exceptions of the rejection log, by value (what a person works first).

An exception is open while no resubmission of its claim was recorded after it was logged; a
claim logged several times shows once, with its latest entry. ``claimflow worklist`` and the
HTTP API's ``/worklist`` both read it from here.
"""

from __future__ import annotations

from typing import Any

import duckdb

from claimflow.warehouse.sql import fetch_dicts

WORKLIST_SQL = """
    SELECT l.patient_control_number AS claim_id, l.source_system, l.reason, l.category,
           l.disposition, l.amount, l.recommended_fix, l.logged_at
    FROM rejection_log AS l
    WHERE NOT EXISTS (SELECT 1 FROM resubmissions AS r
                      WHERE r.claim_id = l.claim_id AND r.created_at > l.logged_at)
    QUALIFY row_number() OVER (PARTITION BY l.claim_id ORDER BY l.logged_at DESC) = 1
    ORDER BY l.amount DESC NULLS LAST, l.patient_control_number, l.source_system, l.claim_id"""
"""One row per open exception, largest amount first (a total order, so that pages are stable)."""


def open_worklist(
    conn: duckdb.DuckDBPyConnection, *, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """The open exceptions, largest first (``amount`` as a float, as the CLI prints it)."""
    records = fetch_dicts(conn, WORKLIST_SQL + " LIMIT ? OFFSET ?", [limit, offset])
    for record in records:
        if record["amount"] is not None:
            record["amount"] = float(record["amount"])
    return records


def count_open_worklist(conn: duckdb.DuckDBPyConnection) -> int:
    """How many open exceptions there are."""
    row = conn.execute(f"SELECT count(*) FROM ({WORKLIST_SQL})").fetchone()
    return int(row[0]) if row else 0
