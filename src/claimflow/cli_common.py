"""What every ``claimflow`` command shares: the consoles, the common options, exit codes, how
a user mistake ends (one line on stderr, never a traceback) and how a command reads the
warehouse."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.markup import escape

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
FromOpt = Annotated[
    str | None,
    typer.Option("--from", help="First submission date YYYY-MM-DD (default: the first)."),
]
ToOpt = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="Last submission date YYYY-MM-DD, the date as-of figures are computed at (default:"
        " the warehouse's latest submission or 835 payment date).",
    ),
]
PayerOpt = Annotated[str | None, typer.Option("--payer", help="One payer id.")]
ProviderOpt = Annotated[str | None, typer.Option("--provider", help="One billing provider NPI.")]
SourceOpt = Annotated[str | None, typer.Option("--source", help="One source system.")]
ShowPhiOpt = Annotated[
    bool,
    typer.Option(
        "--show-phi",
        help="Show patient identifiers (member ids, dates of birth, medical record numbers, raw"
        " records) in clear instead of •••. claimflow does not yet record who asked (no audit"
        " trail).",
    ),
]
"""How a command that can show patient identifiers is asked to (masked by default, as
:mod:`claimflow.phi` masks them on the dashboard and the API)."""


def fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    """Print ``error: message`` on stderr, the message as it is (a path or a value holding
    ``[red]`` or ``:b:`` is not read as markup); the caller raises what this returns."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, emoji=False)
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


def did_you_mean(value: str, known: Iterable[str], n: int = 3) -> str:
    """`` (did you mean 'a' or 'b'?)`` for the known values closest to ``value``; empty when
    none is close."""
    close = difflib.get_close_matches(value, list(known), n=n, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[k] for k in difflib.get_close_matches(value.lower(), lowered, n=n)]
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


def check_known(option: str, value: str | None, known: Collection[str], what: str) -> None:
    """A filter value that matches nothing is a usage error that says so and suggests the
    closest known values (``what``: the things the known values are, e.g. "payer ids")."""
    if value is None or value in known:
        return
    if not known:
        raise fail(f"{option} {value!r}: the warehouse has no {what} yet", EXIT_USAGE)
    hint = did_you_mean(value, known)
    if not hint and len(known) <= 12:
        hint = "; one of: " + ", ".join(sorted(known))
    raise fail(f"{option} {value!r} matches no claim{hint}", EXIT_USAGE)


def print_json(data: object) -> None:
    """``data`` as JSON on stdout, indented by two, values JSON cannot hold as their ``str``.

    The text of Rich's ``Console.print_json`` without its highlighting pass, which takes most
    of a minute over a report of 10,000 rows (this: a fraction of a second)."""
    out.file.write(json.dumps(data, default=str, indent=2, ensure_ascii=False) + "\n")


def check_filters(
    conn: duckdb.DuckDBPyConnection,
    *,
    payer: str | None,
    provider: str | None,
    source: str | None,
) -> None:
    """A --payer, --provider or --source no claim has is a usage error, with the closest."""
    for option, value, column, what in (
        ("--payer", payer, "payer_id", "payer ids"),
        ("--provider", provider, "billing_npi", "billing provider NPIs"),
        ("--source", source, "source_system", "source systems"),
    ):
        if value is None:
            continue
        known = {
            str(v)
            for (v,) in conn.execute(
                f"SELECT DISTINCT {column} FROM claims_header WHERE {column} IS NOT NULL"
            ).fetchall()
        }
        check_known(option, value, known, what)
