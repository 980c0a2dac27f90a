"""``claimflow sql``: one read-only query on what the warehouse published, for the analyst who
would otherwise need the DuckDB CLI."""

from __future__ import annotations

from typing import Annotated, Any

import duckdb
import typer

from claimflow.cli_common import (
    EXIT_USAGE,
    JsonOpt,
    ShowPhiOpt,
    WarehouseOpt,
    fail,
    print_json,
    reading,
)
from claimflow.cli_tables import FormatOpt, TableFormat, WideOpt, print_table
from claimflow.phi import mask_row
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE

READS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
"""The statements ``claimflow sql`` runs: queries (SELECT, WITH, FROM, VALUES, DESCRIBE,
SHOW, SUMMARIZE) and EXPLAIN."""

TABLE_ROWS = 100
"""Rows a table shows unless ``--limit`` says otherwise (CSV and JSON: every row)."""

_LIMIT_HELP = f"Rows to print (0: all; default {TABLE_ROWS} in a table, all as CSV or JSON)."

_QUOTES_VALUES = (
    duckdb.ConversionException,
    duckdb.OutOfRangeException,
    duckdb.InvalidInputException,
)
"""Errors whose message may quote a value of the warehouse (a patient identifier, maybe)."""

_KINDS: dict[type[BaseException], str] = {
    duckdb.ConversionException: "a conversion",
    duckdb.OutOfRangeException: "an out-of-range",
    duckdb.InvalidInputException: "an invalid-input",
}


def _statement(query: str) -> str:
    """The one read statement of ``query``; a usage error for anything else."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise fail(f"not valid SQL: {_first_line(exc)}", EXIT_USAGE) from None
    if len(statements) != 1:
        raise fail(f"give one statement, not {len(statements)}", EXIT_USAGE)
    kind = statements[0].type
    if kind not in READS:
        raise fail(
            f"claimflow sql only reads; this is a {kind.name} statement (the warehouse is"
            " written by `claimflow run` alone)",
            EXIT_USAGE,
        )
    return query.strip().rstrip(";")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _names(description: list[Any]) -> list[str]:
    """The result's column names, a repeated one numbered (``claim_id``, ``claim_id_2``)."""
    names: list[str] = []
    for column in description:
        name, n = str(column[0]), 1
        while (name if n == 1 else f"{name}_{n}") in names:
            n += 1
        names.append(name if n == 1 else f"{name}_{n}")
    return names


def sql(
    query: Annotated[str, typer.Argument(help='One query, e.g. "SELECT * FROM runs".')],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=0, help=_LIMIT_HELP)] = None,
    show_phi: ShowPhiOpt = False,
    fmt: FormatOpt = TableFormat.table,
    wide: WideOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run one read-only SQL query on the warehouse and print its rows.

    The query (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE or EXPLAIN) reads the snapshot the
    last run published; anything else is refused. Columns named as patient identifiers
    (member_id, patient_dob, raw_record, ...) are masked unless --show-phi.
    """
    statement = _statement(query)
    table = fmt == TableFormat.table and not as_json
    wanted = (TABLE_ROWS if table else 0) if limit is None else limit
    with reading(warehouse) as conn:
        try:
            conn.execute("SET enable_external_access = false")  # the warehouse, no other file
            cursor = conn.execute(statement)
            names = _names(cursor.description or [])
            fetched = cursor.fetchmany(wanted + 1) if wanted else cursor.fetchall()
        except _QUOTES_VALUES as exc:
            kind = _KINDS.get(type(exc), "value")
            raise fail(
                f"the query failed: {kind} error on a value of the warehouse (DuckDB's message"
                " is not shown: it may quote a patient identifier)"
            ) from None
        except duckdb.Error as exc:
            raise fail(f"the query failed: {_first_line(exc)}") from None
    more = bool(wanted) and len(fetched) > wanted
    rows = [
        mask_row(dict(zip(names, row, strict=True)), show_phi=show_phi)
        for row in fetched[: wanted or None]
    ]
    if as_json:
        print_json(rows)
    elif not table:
        print_table(rows, names, "", cents=True, fmt=fmt)
    else:
        shown = f"first {len(rows):,} rows (more: --limit 0, or --format csv)" if more else (
            f"{len(rows):,} row{'s' if len(rows) != 1 else ''}"
        )  # fmt: skip
        print_table(rows, names, shown, cents=True, wide=wide)
