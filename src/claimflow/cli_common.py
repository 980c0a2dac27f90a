"""What every ``claimflow`` command shares: the consoles, the common options, exit codes, how
a user mistake ends (one line on stderr, never a traceback) and how a command reads the
warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console

from claimflow.errors import ClaimflowError
from claimflow.warehouse.connection import schema_lag
from claimflow.warehouse.serving import open_for_reading

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_QUARANTINE = 0, 1, 2, 3

out = Console()
err = Console(stderr=True)

WarehouseOpt = Annotated[
    Path,
    typer.Option("--warehouse", "-w", help="DuckDB warehouse file.", envvar="CLAIMFLOW_WAREHOUSE"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    """Print ``error: message`` on stderr; the caller raises what this returns."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code)


@contextmanager
def reading(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """What the last run published of the warehouse (its serving snapshot, so that a run may
    write meanwhile; the warehouse itself, read-only, before one has); a claimflow error
    becomes a clean exit 1."""
    try:
        conn = open_for_reading(warehouse)
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    try:
        yield conn
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    except (duckdb.CatalogException, duckdb.BinderException):
        lag = schema_lag(conn)  # read-only: an older claimflow's warehouse is not migrated
        if lag is None:
            raise
        raise fail(
            f"{warehouse}: written by an older claimflow (schema version {lag[0]}, this one"
            f" needs {lag[1]}); run `claimflow run` on it once to bring it up to date"
        ) from None
    finally:
        conn.close()


def parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"expected a date YYYY-MM-DD, got {value!r}", EXIT_USAGE) from None
