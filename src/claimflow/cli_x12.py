"""``claimflow x12 …``: validate, acknowledge and parse X12 files with the engine."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Annotated, Literal

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from claimflow.atomic import atomic_path
from claimflow.errors import ClaimflowError, UnreadableFileError
from claimflow.sources.x12 import (
    TABLES_BY_NAME,
    SpooledParse,
    read_spool,
    spool_columns,
    spool_parse,
)
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE, open_warehouse
from claimflow.warehouse.control_numbers import take_control_number
from claimflow.warehouse.sql import sql_str
from claimflow.x12 import (
    ErrorLevel,
    ParseResult,
    X12Error,
    X12ValidationError,
    parse_file,
    write_999,
)

x12_app = typer.Typer(
    help="Validate, acknowledge (999) and parse X12 5010 files.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)

FileArg = Annotated[Path, typer.Argument(help="An X12 file.", exists=True, dir_okay=False)]


def _fail(message: str) -> typer.Exit:
    """Print ``error: message`` (the message's own brackets are not markup) for exit 1."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(1)


def _parse(path: Path) -> ParseResult:
    try:
        return parse_file(path, file_id=path.name, level=ErrorLevel.COLLECT)
    except X12Error as exc:
        raise _fail(f"{path}: not readable as X12: {exc}") from None
    except OSError as exc:
        raise _fail(f"{path}: cannot be read: {exc.strerror or exc}") from None


def _where(e: X12ValidationError) -> str:
    """The coordinates of an error in words: set, segment position and id, loop, element."""
    parts = []
    if e.st02 is not None:
        parts.append(f"set {e.st02}")
    position = e.segment_position or e.segment_index
    if position:
        parts.append(f"segment {position}" + (f" {e.segment_id}" if e.segment_id else ""))
    elif e.segment_id:
        parts.append(e.segment_id)
    if e.loop_id:
        parts.append(f"loop {e.loop_id}")
    if e.element_position:
        element = f"element {e.element_position:02d}"
        if e.component_position:
            element += f"-{e.component_position}"
        parts.append(element)
    return ", ".join(parts)


def _error_dict(e: X12ValidationError) -> dict[str, object]:
    d = dataclasses.asdict(e)
    d["kind"] = str(e.kind)
    d.pop("bad_value", None)  # may be PHI; the message says what was expected
    return d


@x12_app.command()
def validate(
    file: FileArg,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per error.")] = False,
) -> None:
    """Check envelopes, structure, elements and balancing. Exit 0 valid, 3 invalid."""
    result = _parse(file)
    if as_json:
        for e in [*result.errors, *result.warnings]:
            line = json.dumps(_error_dict(e), default=str)
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    else:
        kinds = ", ".join(sorted({t.kind for t in result.transactions})) or "none"
        out.print(
            f"{file}: {len(result.transactions)} transaction set(s) ({kinds}), "
            f"{result.segment_count} segments, {len(result.errors)} error(s), "
            f"{len(result.warnings)} warning(s)",
            markup=False,
            highlight=False,
        )
        if result.errors or result.warnings:
            table = RichTable(show_lines=False)
            for col in ("sev", "ISA13/GS06/ST02", "seg#", "seg", "loop", "elem", "rule", "what"):
                table.add_column(col, overflow="fold")
            for e in [*result.errors, *result.warnings]:
                cells = (
                    e.severity,
                    f"{e.isa13 or '-'}/{e.gs06 or '-'}/{e.st02 or '-'}",
                    str(e.segment_position or e.segment_index or ""),
                    e.segment_id or "",
                    e.loop_id or "",
                    f"{e.element_position:02d}" if e.element_position else "",
                    e.code,
                    e.message,
                )
                table.add_row(*(Text(cell) for cell in cells))  # values are data, not markup
            out.print(table)
    unsupported = [t for t in result.transactions if not t.supported]
    for t in unsupported:
        err.print(
            f"note: transaction set {t.st02} ({t.guide or t.transaction_set}) is a guide not "
            "supported yet",
            markup=False,
            highlight=False,
        )
    if result.errors or not result.transactions:
        raise typer.Exit(3)


@x12_app.command()
def ack(
    file: FileArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the 999.")],
    warehouse: Annotated[
        Path,
        typer.Option(
            "--warehouse",
            "-w",
            help="Whose control number counter to take ISA13 from.",
            envvar="CLAIMFLOW_WAREHOUSE",
        ),
    ] = DEFAULT_WAREHOUSE,
    control_number: Annotated[
        int | None,
        typer.Option(help="ISA13/GS06 to use instead of the warehouse's counter (yours to keep)."),
    ] = None,
) -> None:
    """Write the 999 a receiver would send for an inbound 837 (IK3/IK4/IK5/AK9, CTX).

    Its interchange control number is the next of the warehouse's counter for this sender and
    receiver (taken, and committed, before the file is written: never given twice).
    """
    result = _parse(file)
    if not result.groups:
        raise _fail(f"{file}: cannot acknowledge: there is no functional group (GS) in it")
    if control_number is None:
        first = result.groups[0]  # the 999 goes back: its sender is the 837's receiver
        sender, receiver = first.isa_receiver_id or "RECEIVER", first.isa_sender_id or "SENDER"
        try:
            conn = open_warehouse(warehouse)
        except ClaimflowError as exc:
            raise _fail(str(exc)) from None
        try:
            control_number = take_control_number(conn, sender.strip(), receiver.strip())
        except ClaimflowError as exc:
            raise _fail(str(exc)) from None
        finally:
            conn.close()
    try:
        data = write_999(result, control_number=control_number)
    except X12Error as exc:
        raise _fail(f"{file}: cannot acknowledge: {exc}") from None
    try:
        with atomic_path(output) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise _fail(f"{output}: cannot be written: {exc.strerror or exc}") from None
    accepted = sum(1 for t in result.transactions if t.valid)
    out.print(
        f"wrote {output}: {accepted} of {len(result.transactions)} transaction set(s) accepted"
        f" (interchange {control_number:09d})",
        markup=False,
        highlight=False,
    )


@x12_app.command()
def parse(
    file: FileArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for one file per table.")],
    fmt: Annotated[
        Literal["parquet", "ndjson"], typer.Option("--format", help="parquet or ndjson.")
    ] = "parquet",
) -> None:
    """Parse into the canonical tables, one file per table that has rows.

    Rows stream to disk as they are read: memory stays flat whatever the file size.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".claimflow-spool-", dir=out_dir) as spool:
            try:
                # Parquet: the parse writes the tables themselves (no second pass, issue 23)
                whole = fmt == "parquet"
                parsed = spool_parse(str(file), file.name, "x12", spool, whole=whole)
            except UnreadableFileError as exc:
                raise _fail(str(exc)) from None
            except OSError as exc:
                raise _fail(f"{file}: cannot be read: {exc.strerror or exc}") from None
            if whole:
                for name, (path,) in parsed.files.items():
                    Path(path).replace(out_dir / f"{name}.{fmt}")
            else:
                _write_tables(parsed, out_dir, fmt)
    except OSError as exc:
        raise _fail(f"{out_dir}: cannot write the tables: {exc.strerror or exc}") from None
    for name, n in parsed.rows.items():
        out.print(f"{out_dir / (name + '.' + fmt)}: {n} rows", markup=False, highlight=False)
    errors = parsed.result.errors
    if errors:
        for e in errors[:PARSE_ERRORS_SHOWN]:
            err.print(f"{file}: {e.message} ({_where(e)})", markup=False, highlight=False)
        more = (
            f" ({len(errors) - PARSE_ERRORS_SHOWN} more)"
            if len(errors) > PARSE_ERRORS_SHOWN
            else ""
        )
        err.print(
            f"{len(errors)} validation error(s){more}; their sets are invalid (a run quarantines "
            f"them): run `claimflow x12 validate {file}` for the list",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(3)


PARSE_ERRORS_SHOWN = 3
"""``x12 parse`` names this many errors (``x12 validate`` lists them all)."""


def _write_tables(parsed: SpooledParse, out_dir: Path, fmt: str) -> None:
    """Copy each spooled table into ``out_dir/<table>.<fmt>`` with every column of the table."""
    conn = duckdb.connect()
    try:
        options = "FORMAT PARQUET" if fmt == "parquet" else "FORMAT JSON"
        for name, paths in parsed.files.items():
            table = TABLES_BY_NAME[name]
            spooled = set(spool_columns(table))
            columns = ", ".join(
                c.name if c.name in spooled else f"CAST(NULL AS {c.sql_type}) AS {c.name}"
                for c in table.columns
            )
            with atomic_path(out_dir / f"{name}.{fmt}") as part:
                conn.execute(
                    f"COPY (SELECT {columns} FROM {read_spool(paths)})"
                    f" TO {sql_str(str(part))} ({options})"
                )
    finally:
        conn.close()
