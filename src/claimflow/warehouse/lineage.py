"""Trace a row back to the file, the position and the raw record it came from."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from claimflow.errors import LineageNotFoundError


@dataclass(frozen=True)
class LineageRecord:
    """Where a row came from."""

    lineage_hash: str
    file_id: str
    path: str
    source_system: str
    row_number: int | None
    line: int | None
    raw_record: str
    disposition: str
    run_id: str


def find_lineage(conn: duckdb.DuckDBPyConnection, lineage_hash: str) -> LineageRecord:
    """Look up a lineage hash (full, or a unique prefix of at least 8 characters).

    Raises:
        LineageNotFoundError: No row, or more than one, carries that hash (prefix).
    """
    wanted = lineage_hash.strip().lower()
    if len(wanted) < 8:
        raise LineageNotFoundError("give at least 8 characters of the lineage hash")
    rows = conn.execute(
        "SELECT b.lineage_hash, b.source_file_id, f.path, b.source_system,"
        " b.source_row_number, b.source_line, b.raw_record, b.disposition, b.run_id"
        " FROM bronze_emr_rows AS b LEFT JOIN source_files AS f ON f.file_id = b.source_file_id"
        " WHERE starts_with(b.lineage_hash, ?) LIMIT 2",
        [wanted],
    ).fetchall()
    if not rows:
        raise LineageNotFoundError(f"no row in the warehouse has lineage hash {wanted}")
    if len(rows) > 1:
        raise LineageNotFoundError(f"{wanted} is the prefix of several lineage hashes; give more")
    (h, file_id, path, system, row_number, line, raw, disposition, run_id) = rows[0]
    return LineageRecord(h, file_id, path, system, row_number, line, raw, disposition, run_id)
