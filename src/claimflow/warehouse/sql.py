"""Small helpers for running SQL against the warehouse."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the X12 workers import sql_str without DuckDB
    import duckdb


def execute(
    conn: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object]
) -> duckdb.DuckDBPyConnection:
    """Execute ``sql`` with the named ``$parameters`` it uses (DuckDB rejects unused ones);
    return the connection, to fetch the result from."""
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    return conn.execute(sql, used)


def insert_rows(
    conn: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[object]]
) -> None:
    """Insert rows in one statement, column-wise (``executemany`` is slow in DuckDB)."""
    if not rows:
        return
    columns = [list(col) for col in zip(*rows, strict=True)]
    names = [f"c{i}" for i in range(len(columns))]
    unnests = ", ".join(f"unnest(${n})" for n in names)
    conn.execute(f"INSERT INTO {table} SELECT {unnests}", dict(zip(names, columns, strict=True)))


def sql_str(value: str) -> str:
    """A SQL string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def fetch_dicts(
    conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None
) -> list[dict[str, Any]]:
    """Run a query and return its rows as dicts keyed by column name."""
    cursor = conn.execute(sql, list(params or []))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
