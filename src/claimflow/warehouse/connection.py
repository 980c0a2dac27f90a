"""Open the warehouse file and bring its schema up to date with versioned migrations."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb

from claimflow.errors import WarehouseError
from claimflow.warehouse import native

DEFAULT_WAREHOUSE = Path("warehouse/claimflow.duckdb")
DEFAULT_MEMORY_LIMIT = "1GB"
"""DuckDB's memory budget; past it, operators spill to disk. ``$CLAIMFLOW_MEMORY_LIMIT`` overrides."""


def migration_files() -> list[tuple[int, str, str]]:
    """The shipped migrations as (version, name, sql), in version order."""
    folder = resources.files("claimflow.warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(conn: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration the warehouse has not had yet.

    Returns:
        The versions applied by this call.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER, name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migration_files():
        if version in done:
            continue
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(sql)
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name]
            )
            conn.execute("COMMIT")
        except duckdb.Error as exc:
            conn.execute("ROLLBACK")
            raise WarehouseError(f"migration {name} failed: {exc}") from None
        applied.append(version)
    return applied


def schema_lag(conn: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    """(the warehouse's schema version, this claimflow's) when the warehouse lacks a shipped
    migration, else None. Its version is the last migration before the first one it lacks."""
    shipped = [version for version, _, _ in migration_files()]
    try:
        done = {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    except duckdb.Error:
        done = set()
    missing = [v for v in shipped if v not in done]
    if not missing:
        return None
    return (max((v for v in shipped if v < missing[0]), default=0), shipped[-1])


def open_warehouse(
    path: str | os.PathLike[str], *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse file and migrate it.

    Args:
        path: The DuckDB file.
        read_only: Open for reading only (no migration); the file must exist.

    Raises:
        WarehouseError: The file cannot be opened, or is not a claimflow warehouse.
    """
    path = Path(path)
    try:
        if read_only:
            if not path.exists():
                raise WarehouseError(f"{path}: no warehouse here (run `claimflow run` first)")
            return duckdb.connect(str(path), read_only=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = duckdb.connect(str(path), config=native.connect_config())
        except duckdb.ConnectionException:
            # this process already holds the file open with DuckDB's defaults: share that
            # instance (the compiled hash cannot be loaded into it; DuckDB's sha256 is used)
            conn = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise WarehouseError(f"{path}: cannot open the warehouse: {exc}") from None
    conn.execute(f"SET threads = {max(1, os.cpu_count() or 1)}")
    limit = os.environ.get("CLAIMFLOW_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    try:
        conn.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
    except duckdb.Error as exc:
        conn.close()
        raise WarehouseError(f"CLAIMFLOW_MEMORY_LIMIT={limit!r}: {exc}") from None
    conn.execute(f"SET temp_directory = '{str(path) + '.tmp'}'")
    migrate(conn)
    native.load(conn)
    return conn


_UNITS = {
    "bytes": 1,
    "KiB": 1 << 10,
    "MiB": 1 << 20,
    "GiB": 1 << 30,
    "TiB": 1 << 40,
    "PiB": 1 << 50,
}


def memory_budget_bytes(conn: duckdb.DuckDBPyConnection) -> int | None:
    """DuckDB's memory limit in bytes (it reports e.g. ``953.6 MiB``); None if unreadable."""
    row = conn.execute("SELECT current_setting('memory_limit')").fetchone()
    number, _, unit = str(row[0] if row else "").partition(" ")
    try:
        return int(float(number) * _UNITS[unit])
    except (KeyError, ValueError):
        return None


LOAD_BYTES_PER_FILE_BYTE = 3
"""A file being loaded holds about three times its size in DuckDB's memory (the staged text,
then the typed copy with each record's raw form and hashes)."""


def loads_fit(conn: duckdb.DuckDBPyConnection, size_bytes: int) -> bool:
    """Whether files of ``size_bytes`` in all, loaded at the same time, fit DuckDB's budget."""
    budget = memory_budget_bytes(conn)
    return budget is not None and size_bytes * LOAD_BYTES_PER_FILE_BYTE <= budget


@contextlib.contextmanager
def unordered(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let DuckDB write in parallel, not in insertion order, inside the block.

    For statements whose order is set by their ORDER BY or does not matter (the run's output
    files, appends to the rejection log). Not for loads: a staged file's row numbers come
    from the order its rows were inserted in.
    """
    conn.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        conn.execute("SET preserve_insertion_order = true")
