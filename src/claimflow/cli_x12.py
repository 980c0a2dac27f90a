"""``claimflow x12 …``: validate, acknowledge and parse X12 files with the engine.

``claimflow x12 validate`` exits 0 when every file is valid, 3 when a file is invalid (a
validation error, no transaction set, or an empty file), 1 when a file cannot be read (that
comes before 3: not every file was checked) and 2 on a usage mistake (a path that does not
exist, no path at all).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

import duckdb
import typer
from rich.padding import Padding
from rich.text import Text

from claimflow.atomic import atomic_path
from claimflow.cli_common import EXIT_ERROR, EXIT_OK, EXIT_QUARANTINE, WarehouseOpt, err, fail, out
from claimflow.errors import ClaimflowError, UnreadableFileError
from claimflow.phi import MASK
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
from claimflow.x12.tokens import SegmentReader, escape_text

x12_app = typer.Typer(
    help="Validate, acknowledge (999) and parse X12 5010 files.", no_args_is_help=True
)

FileArg = Annotated[Path, typer.Argument(help="An X12 file.", exists=True, dir_okay=False)]

EXIT_INVALID = EXIT_QUARANTINE
"""``x12 validate``/``x12 parse``: a file is invalid (3, as a run with quarantined input)."""


def _fail(message: str) -> typer.Exit:
    """``error: message`` on stderr for exit 1 (the message's own brackets are not markup)."""
    return fail(message)


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


# ------------------------------------------------------------------ x12 validate

PERSON_ENTITIES = frozenset({"IL", "QC", "74", "QD"})
"""NM101 of a person the claim is about: insured/subscriber, patient, corrected insured,
responsible party; their NM1 holds names and member ids."""
PERSON_LOOPS = frozenset({"2010BA", "2010CA", "2100C", "2100D"})
"""Loops of the subscriber and the patient (837, 277CA): their addresses and ids are theirs."""
ELEMENT_SHOWN = 40
"""Characters of one element shown in a segment's text (a longer value is cut with …)."""
SEGMENT_SHOWN = 160
"""Characters of a segment's text shown at most."""


def _masked(elements: list[str], loop_id: str | None) -> list[str]:
    """The elements of a segment with the patient identifiers in it masked (names, member ids,
    birth dates, addresses of the subscriber or patient, and a 999's copy of a bad value)."""
    seg = elements[0]
    keep: set[int] | None = None  # positions shown; None: all
    if seg == "NM1" and len(elements) > 1 and elements[1] in PERSON_ENTITIES:
        keep = {0, 1, 2, 8}  # entity, type and id qualifier; names and the id masked
    elif seg == "DMG" or (seg in ("N3", "N4", "REF") and loop_id in PERSON_LOOPS):
        keep = {0, 1} if seg in ("DMG", "REF") else {0}
    elif seg == "IK4":
        keep = {0, 1, 2, 3}  # IK404: the offending value as the file held it
    shown = []
    for i, value in enumerate(elements):
        if keep is not None and i not in keep and value:
            value = MASK
        elif len(value) > ELEMENT_SHOWN:
            value = value[:ELEMENT_SHOWN] + "…"
        shown.append(value)
    return shown


def _segment_texts(path: Path, wanted: dict[int, str | None]) -> dict[int, str]:
    """The text of the segments at the file positions ``wanted`` (each with its loop), as the
    file holds them (characters outside X12's set escaped, patient identifiers masked)."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    last = max(wanted)
    position = 0
    try:
        with path.open("rb") as fh:
            reader = SegmentReader(fh)
            for delims, texts in reader.batches():
                unclean = set(reader.unclean)
                for i, text in enumerate(texts):
                    position += 1
                    if position in wanted:
                        elements = text.split(delims.element)
                        if i in unclean:
                            elements = [escape_text(e) for e in elements]
                        shown = delims.element.join(_masked(elements, wanted[position]))
                        if len(shown) > SEGMENT_SHOWN:
                            shown = shown[:SEGMENT_SHOWN] + "…"
                        found[position] = shown + delims.segment.strip()
                if position >= last:
                    break
    except OSError:
        pass  # the texts are a help: the errors stand without them
    return found


def _position(e: X12ValidationError) -> tuple[int, int, int]:
    """Sort key: errors of the whole file first, then by file position, element, component."""
    return (e.segment_index or 0, e.element_position or 0, e.component_position or 0)


def _error_dict(e: X12ValidationError, segment: str | None) -> dict[str, object]:
    d = dataclasses.asdict(e)
    d["kind"] = e.kind.value
    d.pop("bad_value", None)  # may be PHI; the message says what was expected
    d.pop("file_id", None)  # the file's object names it
    d["segment_text"] = segment
    return d


@dataclasses.dataclass
class _Checked:
    """One file's validation: what ``x12 validate`` prints for it."""

    path: Path
    problem: str | None = None
    """What makes the file invalid as a whole (empty, no transaction set), or unreadable."""
    readable: bool = True
    result: ParseResult | None = None
    issues: list[X12ValidationError] = dataclasses.field(default_factory=list)
    texts: dict[int, str] = dataclasses.field(default_factory=dict)

    @property
    def errors(self) -> list[X12ValidationError]:
        return [e for e in self.issues if e.severity == "error"]

    @property
    def warnings(self) -> list[X12ValidationError]:
        return [e for e in self.issues if e.severity != "error"]

    @property
    def valid(self) -> bool:
        return self.readable and self.problem is None and not self.errors


def _check(path: Path) -> _Checked:
    try:
        if path.stat().st_size == 0:
            return _Checked(path, "empty file (0 bytes): there is no interchange to check")
        result = parse_file(path, file_id=path.name, level=ErrorLevel.COLLECT)
    except X12Error as exc:
        return _Checked(path, f"not readable as X12: {exc}")
    except OSError as exc:
        return _Checked(path, f"cannot be read: {exc.strerror or exc}", readable=False)
    issues = sorted([*result.errors, *result.warnings], key=_position)
    wanted = {e.segment_index: e.loop_id for e in issues if e.segment_index}
    problem = None
    if not result.transactions:
        problem = "no transaction set (ST…SE) in it: nothing X12 was found"
    return _Checked(path, problem, True, result, issues, _segment_texts(path, wanted))


def _files(paths: list[Path]) -> Iterator[Path]:
    """Each path given, a folder's files (all below it, in name order, hidden ones left out)."""
    for path in paths:
        if path.is_dir():
            inside = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not inside:
                raise fail(f"{path}: a folder without any file in it", EXIT_ERROR)
            yield from inside
        else:
            yield path


def _summary(c: _Checked) -> str:
    if not c.readable:
        return f"{c.path}: unreadable: {c.problem}"
    result = c.result
    if result is None:
        return f"{c.path}: invalid: {c.problem}"
    kinds = ", ".join(sorted({t.kind for t in result.transactions})) or "none"
    verdict = "valid" if c.valid else "invalid"
    return (
        f"{c.path}: {verdict}: {len(result.transactions)} transaction set(s) ({kinds}), "
        f"{result.segment_count} segments, {len(c.errors)} error(s), "
        f"{len(c.warnings)} warning(s)"
    )


def _say(text: str, indent: int = 0) -> None:
    """Print data as it is (no markup, no emoji codes such as ``:B:``), a long line folding
    under its own indent."""
    line = Text(text, no_wrap=False)
    shown = Padding(line, (0, 0, 0, indent), expand=False) if indent else line
    out.print(shown, highlight=False, emoji=False)


def _print_text(c: _Checked) -> None:
    out.print(_summary(c), markup=False, highlight=False, soft_wrap=True, emoji=False)
    if c.result is not None and c.problem:
        _say(c.problem, 2)
    for e in c.issues:
        _say(f"{e.severity} {e.code} ({_where(e) or 'the whole file'})", 2)
        _say(e.message, 4)
        text = c.texts.get(e.segment_index or 0)
        if text:
            _say(f"> {text}", 4)
    if c.result is not None:
        for t in c.result.transactions:
            if not t.supported:
                err.print(
                    f"note: {c.path}: transaction set {t.st02} ({t.guide or t.transaction_set})"
                    " is a guide not supported yet",
                    markup=False,
                    highlight=False,
                    emoji=False,
                )


def _as_json(c: _Checked) -> dict[str, object]:
    result = c.result
    return {
        "file": str(c.path),
        "valid": c.valid,
        "readable": c.readable,
        "problem": c.problem,
        "transaction_sets": len(result.transactions) if result else 0,
        "kinds": sorted({t.kind for t in result.transactions}) if result else [],
        "unsupported_sets": [t.st02 for t in result.transactions if not t.supported]
        if result
        else [],
        "segments": result.segment_count if result else 0,
        "error_count": len(c.errors),
        "warning_count": len(c.warnings),
        "errors": [_error_dict(e, c.texts.get(e.segment_index or 0)) for e in c.errors],
        "warnings": [_error_dict(e, c.texts.get(e.segment_index or 0)) for e in c.warnings],
    }


@x12_app.command()
def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="X12 files, or folders of them (every file below).",
            exists=True,
            metavar="PATH",
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file, one per line.")
    ] = False,
) -> None:
    """Check envelopes, structure, elements and balancing: a summary line per file, then its errors.

    Errors come in file order, each with its segment's text (patient identifiers masked).

    Exit: 0 every file valid; 3 a file invalid (errors, no transaction set, empty); 1 unreadable.
    """
    counts = {"valid": 0, "invalid": 0, "unreadable": 0}
    for path in _files(paths):
        checked = _check(path)
        counts["valid" if checked.valid else "invalid" if checked.readable else "unreadable"] += 1
        if as_json:
            line = json.dumps(_as_json(checked), default=str)
            out.print(line, markup=False, highlight=False, soft_wrap=True, emoji=False)
        else:
            _print_text(checked)
    files = sum(counts.values())
    if files > 1 and not as_json:
        out.print(
            f"{files} files: {counts['valid']} valid, {counts['invalid']} invalid"
            + (f", {counts['unreadable']} unreadable" if counts["unreadable"] else ""),
            highlight=False,
        )
    if counts["unreadable"]:
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(EXIT_INVALID if counts["invalid"] else EXIT_OK)


@x12_app.command()
def ack(
    file: FileArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the 999.")],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    control_number: Annotated[
        int | None,
        typer.Option(help="ISA13/GS06 to use instead of the warehouse's counter (yours to keep)."),
    ] = None,
) -> None:
    """Write the 999 a receiver would send for an inbound 837 (IK3/IK4/IK5/AK9, CTX).

    Its interchange control number is the next of the warehouse's counter for this sender and
    receiver (taken, and committed, before the file is written: never given twice), unless
    --control-number gives one.
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
        emoji=False,
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
        out.print(
            f"{out_dir / (name + '.' + fmt)}: {n} rows", markup=False, highlight=False, emoji=False
        )
    errors = parsed.result.errors
    if errors:
        for e in errors[:PARSE_ERRORS_SHOWN]:
            err.print(
                f"{file}: {e.message} ({_where(e)})", markup=False, highlight=False, emoji=False
            )
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
            emoji=False,
        )
        raise typer.Exit(EXIT_INVALID)


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
