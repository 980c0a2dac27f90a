"""Run records: a run the process never finished is marked ``interrupted`` by the next one.

A run's files are each committed with their ``run_files`` row, so what an interrupted run
loaded is known exactly; the runs that follow skip those files (same bytes) and report the
interrupted run instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

COUNTS = ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")


@dataclass(frozen=True)
class InterruptedRun:
    """A run that ended before it committed, and what its committed files hold."""

    run_id: str
    started_at: dt.datetime
    files_loaded: int
    files_failed: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int

    @property
    def needs_a_look(self) -> bool:
        """Whether it quarantined rows or a file failed (as a finished run would have said)."""
        return bool(self.rows_quarantined or self.files_failed)

    def as_dict(self) -> dict[str, Any]:
        """Its fields, for the metrics file."""
        return asdict(self)


def close_interrupted_runs(conn: duckdb.DuckDBPyConnection) -> list[InterruptedRun]:
    """Mark every run still ``running`` as ``interrupted``, with the counts of its files.

    Call it with the warehouse open for writing, before the new run is recorded: DuckDB lets
    one process write a warehouse file at a time, so no run still ``running`` then is alive.

    Returns:
        The runs marked, oldest first.
    """
    sums = ", ".join(f"coalesce(sum(f.{c}), 0)" for c in COUNTS)
    rows = conn.execute(
        "SELECT r.run_id, r.started_at,"
        " count(f.file_id) FILTER (WHERE f.status = 'loaded'),"
        f" count(f.file_id) FILTER (WHERE f.status = 'failed'), {sums}"
        " FROM runs AS r LEFT JOIN run_files AS f USING (run_id)"
        " WHERE r.status = 'running' GROUP BY ALL ORDER BY r.started_at"
    ).fetchall()
    closed = [InterruptedRun(*row) for row in rows]
    for run in closed:
        conn.execute(
            "UPDATE runs SET status = 'interrupted', files_loaded = ?, files_failed = ?,"
            " rows_read = ?, rows_loaded = ?, rows_quarantined = ?, rows_duplicate = ?"
            " WHERE run_id = ?",
            [
                run.files_loaded,
                run.files_failed,
                *(getattr(run, c) for c in COUNTS),
                run.run_id,
            ],
        )
    return closed
