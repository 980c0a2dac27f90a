"""Physical parts of partitioned silver tables, and the views that join them back up.

``claims_header`` (and the other partitioned tables of :mod:`claimflow.schema`) is a view; the
rows live in ``claims_header__part__<source>`` tables holding only the columns that source
fills. The view lists every canonical column, NULL where a part lacks it.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from claimflow.schema import PART_SEPARATOR, Table, empty_select_sql, part_table_name


def _columns_of(conn: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
            " ORDER BY ordinal_position",
            [name],
        ).fetchall()
    ]


def ensure_part(
    conn: duckdb.DuckDBPyConnection, table: Table, part: str, columns: Iterable[str]
) -> str:
    """Create or widen the part table so it has ``columns``; refresh the view if it changed.

    Returns:
        The part table's name.
    """
    name = part_table_name(table, part)
    wanted = set(columns)
    existing = _columns_of(conn, name)
    missing = [c for c in table.columns if c.name in wanted and c.name not in existing]
    if not missing:
        return name
    if not existing:
        body = ", ".join(f"{c.name} {c.sql_type}" for c in missing)
        conn.execute(f"CREATE TABLE {name} ({body})")
    else:
        for col in missing:
            conn.execute(f"ALTER TABLE {name} ADD COLUMN {col.name} {col.sql_type}")
    refresh_view(conn, table)
    return name


def refresh_view(conn: duckdb.DuckDBPyConnection, table: Table) -> None:
    """(Re)define the view of a partitioned table over all its parts."""
    parts = [
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_type = 'BASE TABLE' AND starts_with(table_name, ?) ORDER BY 1",
            [table.name + PART_SEPARATOR],
        ).fetchall()
    ]
    selects = []
    for part in parts:
        have = set(_columns_of(conn, part))
        cols = ", ".join(
            c.name if c.name in have else f"CAST(NULL AS {c.sql_type}) AS {c.name}"
            for c in table.columns
        )
        selects.append(f"SELECT {cols} FROM {part}")
    body = "\nUNION ALL\n".join(selects) if selects else empty_select_sql(table)
    conn.execute(f"CREATE OR REPLACE VIEW {table.name} AS\n{body}")
