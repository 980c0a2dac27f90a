"""Physical parts of partitioned silver tables, and the views that join them back up.

``claims_header`` (and the other partitioned tables of :mod:`claimflow.schema`) is a view; the
rows live in ``claims_header__part__<source>`` tables holding only the columns that source
fills. The view lists every canonical column, NULL where a part lacks it.

A part may also be a *derived* view over another part: an EMR export has one line per claim,
so its ``claims_line`` part is a view over its ``claims_header`` part (which keeps the line's
fields too) instead of a second copy of the claim id, the lineage hash and the row number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import duckdb

from claimflow.schema import (
    PART_SEPARATOR,
    Column,
    Table,
    empty_select_sql,
    part_table_name,
)


def columns_of(conn: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """The columns of a table or view, in order (empty when it does not exist)."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
            " ORDER BY ordinal_position",
            [name],
        ).fetchall()
    ]


def part_kind(conn: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """``BASE TABLE`` or ``VIEW`` when a part of that name exists, else None."""
    row = conn.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return None if row is None else str(row[0])


def ensure_part(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    part: str,
    columns: Iterable[str],
    extra: Sequence[Column] = (),
    compression: Mapping[str, str] | None = None,
) -> str:
    """Create or widen the part table so it has ``columns``; refresh the view if it changed.

    Args:
        conn: The warehouse connection.
        table: The partitioned table.
        part: The part's suffix (``emr_<source_system>``, ``x12_<source_system>``).
        columns: The canonical columns the part must have.
        extra: Columns of another table the part keeps too (not shown by ``table``'s view;
            a derived part reads them).
        compression: DuckDB compression per column (``zstd``), applied when the part table is
            created: for high-entropy strings (hashes, ids) ``zstd`` writes 2-3x faster than
            the default dictionary/FSST analysis at a similar size (docs/benchmarks.md).

    Returns:
        The part table's name.
    """
    name = part_table_name(table, part)
    wanted = set(columns)
    existing = columns_of(conn, name)
    candidates = [*table.columns, *(c for c in extra if c.name not in table.column_names)]
    missing = [c for c in candidates if c.name in wanted and c.name not in existing]
    if not missing:
        return name
    if not existing:
        using = compression or {}
        body = ", ".join(
            f"{c.name} {c.sql_type}"
            + (f" USING COMPRESSION {using[c.name]}" if c.name in using else "")
            for c in missing
        )
        conn.execute(f"CREATE TABLE {name} ({body})")
    else:
        for col in missing:
            conn.execute(f"ALTER TABLE {name} ADD COLUMN {col.name} {col.sql_type}")
    refresh_view(conn, table)
    return name


def ensure_derived_part(
    conn: duckdb.DuckDBPyConnection, table: Table, part: str, select_sql: str
) -> str:
    """Define (or redefine) a part of ``table`` as a view, and refresh ``table``'s view.

    Returns:
        The part view's name.
    """
    name = part_table_name(table, part)
    before = conn.execute(
        "SELECT sql FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]
    ).fetchone()
    conn.execute(f"CREATE OR REPLACE VIEW {name} AS {select_sql}")
    after = conn.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()
    if before != after:
        refresh_view(conn, table)
    return name


def refresh_view(conn: duckdb.DuckDBPyConnection, table: Table) -> None:
    """(Re)define the view of a partitioned table over all its parts (tables and views)."""
    parts = [
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_type IN ('BASE TABLE', 'VIEW') AND starts_with(table_name, ?)"
            " ORDER BY 1",
            [table.name + PART_SEPARATOR],
        ).fetchall()
    ]
    selects = []
    for part in parts:
        have = set(columns_of(conn, part))
        cols = ", ".join(
            c.name if c.name in have else f"CAST(NULL AS {c.sql_type}) AS {c.name}"
            for c in table.columns
        )
        selects.append(f"SELECT {cols} FROM {part}")
    body = "\nUNION ALL\n".join(selects) if selects else empty_select_sql(table)
    conn.execute(f"CREATE OR REPLACE VIEW {table.name} AS\n{body}")
