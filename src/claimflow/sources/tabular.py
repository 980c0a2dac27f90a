"""The tabular adapter: stage one EMR export (CSV, JSON, NDJSON, Parquet) in DuckDB as text.

Staging reads every field as text, exactly as the file has it, keeps each record's position
and its raw form (a JSON object of its fields), and registers the lines a CSV reader could
not split. Typing and rules happen afterwards, in SQL, so that no value is lost on the way.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import duckdb

from claimflow.config import SourceDefinition
from claimflow.errors import MissingColumnError, UnreadableFileError
from claimflow.warehouse.sql import sql_str

STAGE = "cf_stage"
"""Temporary table holding the staged records as read; its ``rowid`` is the record order."""

_CHUNK = 1 << 20
_UTF8 = {"utf-8", "utf8", "utf_8", "utf-8-sig"}

MAX_LINE_BYTES = 2_000_000
"""The longest CSV line the reader splits (DuckDB's ``max_line_size``); a longer one is a
rejected line, quarantined with its size. The header line must fit in it too."""

RAW_KEEP_BYTES = 16 << 20
"""A rejected CSV record is kept whole in bronze up to this size; a longer one (an unclosed
quote swallowing the rest of a large file) keeps its first 16 MiB, and the details say so."""

UNREADABLE_ROW_RULE = "row.parse"
"""The quarantine rule of a record the CSV reader could not split into fields; its details
name the line(s), the field and what was expected."""

_DUCKDB_CSV_LINE_CAP = 10_000
"""DuckDB's rejects table keeps at most this many characters of a rejected line's text."""

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "utf-32", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "utf-16", "UTF-16 (little-endian)"),
    (b"\xfe\xff", "utf-16", "UTF-16 (big-endian)"),
)
"""Byte-order marks of the Unicode encodings other than UTF-8, longest first."""


def text_encoding(head: bytes, definition: SourceDefinition) -> str:
    """The encoding to read a text file in: its source's, unless that is UTF-8 (the default)
    and the file starts with the byte-order mark of UTF-16 or UTF-32.

    Such a file cannot be UTF-8 (those bytes never start UTF-8 text) and the mark says what it
    is, so it is read as what it is; an explicitly declared other encoding is honoured as is.
    """
    if definition.encoding.lower() in _UTF8:
        for bom, codec, _ in _BOMS:
            if head.startswith(bom):
                return codec
    return definition.encoding


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4)


@dataclass(frozen=True)
class FileFingerprint:
    """What reading a file's bytes once tells: its id, its size, and what is wrong with it."""

    file_id: str
    size_bytes: int
    problem: str | None = None


@dataclass
class StagedFile:
    """A file staged in ``cf_stage``, with how to reach each canonical field in SQL.

    The SQL expressions refer to ``from_sql`` (the staged table, or a projection of it) under
    the alias ``s``; ``row_sql`` is the staged table's ``rowid`` there (the record order).
    """

    path: Path
    file_id: str
    rows_parsed: int
    columns: list[str]
    raw_sql: str
    field_sql: dict[str, str] = field(default_factory=dict)
    rejected_lines: list[tuple[int, str, str]] = field(default_factory=list)
    """Records the CSV reader could not split: (first line, details, raw text)."""
    warnings: list[str] = field(default_factory=list)
    """What the user should know about the file (a mapped column it lacks, lines rejected)."""
    from_sql: str = f"{STAGE} AS s"
    row_sql: str = "s.rowid"

    @property
    def rows_read(self) -> int:
        """Records read: parsed rows plus lines the reader could not split."""
        return self.rows_parsed + len(self.rejected_lines)


def fingerprint(path: Path, definition: SourceDefinition) -> FileFingerprint:
    """Hash a file's bytes and check it is what its source says it is, in one pass.

    The file id is always computed, so that a bad file is registered under it too.
    """
    digest = hashlib.sha256()
    size = 0
    problem: str | None = None
    binary = definition.format in ("parquet", "x12")  # X12: the engine finds its own encoding
    encoding = definition.encoding
    decoder: codecs.IncrementalDecoder | None = None
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if not binary and size == 0:
                encoding = text_encoding(chunk, definition)
                decoder = codecs.getincrementaldecoder(encoding)()
                if definition.format == "csv" and encoding.lower() in _UTF8:
                    # the reader quarantines a UTF-8 CSV's lines that are not valid UTF-8, one
                    # by one, and loads the rest (only a NUL byte fails the file: not text)
                    decoder = _NulCheck()
            if decoder is not None and problem is None:
                problem = _text_problem(decoder, chunk, size, encoding, definition)
            size += len(chunk)
    if decoder is not None and problem is None and size:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            problem = f"not valid {encoding}: the file ends mid-character"
    if size == 0:
        problem = "empty file (0 bytes)"
    return FileFingerprint(digest.hexdigest(), size, problem)


class _NulCheck(codecs.IncrementalDecoder):
    """A decoder that accepts any byte: for text whose invalid bytes are the reader's to
    reject line by line (:func:`_text_problem` still looks for NUL bytes)."""

    def decode(self, input: object, final: bool = False) -> str:
        return ""


def _text_problem(
    decoder: codecs.IncrementalDecoder,
    chunk: bytes,
    offset: int,
    encoding: str,
    definition: SourceDefinition,
) -> str | None:
    if encoding.lower() in _UTF8 and b"\x00" in chunk:
        at = offset + chunk.index(0)
        utf16 = _utf16_without_bom(chunk) if offset == 0 else None
        if utf16:
            return (
                f"the file looks like {utf16.upper()} text without a byte-order mark (NUL byte"
                f" at byte {at}, every other byte); add `encoding: {utf16}` to source"
                f" {definition.name}"
            )
        return f"binary content (NUL byte at byte {at}); expected {definition.format} text"
    try:
        decoder.decode(chunk)
    except UnicodeDecodeError as exc:
        return (
            f"not valid {encoding} at byte {offset + exc.start} "
            f"(set `encoding` in the source definition {definition.name})"
        )
    return None


def _utf16_without_bom(chunk: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the start of a file reads as ASCII in UTF-16."""
    head = chunk[: min(len(chunk), 512) & ~1]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if not odd.strip(b"\x00") and even.isascii() and b"\x00" not in even:
        return "utf-16-le"
    if not even.strip(b"\x00") and odd.isascii() and b"\x00" not in odd:
        return "utf-16-be"
    return None


def safe_reason(exc: BaseException) -> str:
    """The first line of a reader's error, without the raw record some readers echo."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"(?i)original line:.*", "", first).strip()


@contextmanager
def _utf8_copy(path: Path, encoding: str) -> Iterator[Path]:
    """Yield ``path`` itself when UTF-8, else a temporary UTF-8 copy of it."""
    if encoding.lower() in _UTF8:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="claimflow-") as tmp:
        target = Path(tmp) / (path.stem + ".utf8" + path.suffix)
        with (
            path.open("r", encoding=encoding, newline="") as src,
            target.open("w", encoding="utf-8", newline="") as dst,
        ):
            while chunk := src.read(_CHUNK):
                dst.write(chunk)
        yield target


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _resolve_columns(
    path: Path, definition: SourceDefinition, present: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Map each canonical column to the file's column (case and spaces ignored).

    Returns:
        The mapping, and a warning for each mapped optional column the file lacks (its
        canonical column would be empty in every row: an export that renamed it).
    """
    by_key = {c.strip().lower(): c for c in present}
    resolved: dict[str, str] = {}
    warnings: list[str] = []
    for canonical, wanted in definition.columns.items():
        actual = by_key.get(wanted.strip().lower())
        if actual is None:
            if canonical in definition.required or canonical == "patient_control_number":
                raise MissingColumnError(
                    str(path),
                    f"required column {wanted!r} (→ {canonical}) is missing; "
                    + _file_columns(present, definition),
                )
            warnings.append(_missing_column_warning(definition, canonical, wanted, by_key))
            continue
        resolved[canonical] = actual
    return resolved, warnings


def _file_columns(present: list[str], definition: SourceDefinition) -> str:
    """What a message may say of the file's first line: its column names when it is a header
    (one of them is a column the source maps), else only how many fields it has — a file
    exported without its header line has a record there, patient identifiers included, and a
    message never carries a record's values."""
    if not present:
        return "the file has no columns"
    if _mapped_keys(definition) & {c.strip().lower() for c in present}:
        return f"the file has: {', '.join(present)}"
    return (
        f"none of the {len(present)} fields of the file's first line is a column this source"
        " maps, so the line is not shown (it may be a record: was the file exported without"
        " its header line?)"
    )


def _missing_column_warning(
    definition: SourceDefinition, canonical: str, wanted: str, by_key: dict[str, str]
) -> str:
    unmapped = {k: v for k, v in by_key.items() if k not in _mapped_keys(definition)}
    header = bool(_mapped_keys(definition) & set(by_key))  # else the first line may be a record
    close = difflib.get_close_matches(wanted.strip().lower(), list(unmapped), n=1)
    hint = (
        f"did you mean {unmapped[close[0]]!r}?"
        if close and header
        else _file_columns(list(by_key.values()), definition)
    )
    return (
        f"source {definition.name}: mapped column {wanted!r} ({canonical}) is not in the file,"
        f" so {canonical} is empty in every row; {hint} (update `columns` if the export"
        " renamed it)"
    )


def _mapped_keys(definition: SourceDefinition) -> set[str]:
    return {w.strip().lower() for w in definition.columns.values()}


def stage_file(
    conn: duckdb.DuckDBPyConnection, path: Path, file_id: str, definition: SourceDefinition
) -> StagedFile:
    """Read one file into the temporary table ``cf_stage`` as text.

    Args:
        conn: The warehouse connection.
        path: The file.
        file_id: sha256 of its bytes (from :func:`fingerprint`).
        definition: Its source definition.

    Returns:
        The staged file: row counts, columns, and SQL reaching each mapped field.

    Raises:
        UnreadableFileError: The reader cannot make records of the file.
        MissingColumnError: A required column is absent.
    """
    conn.execute(f"DROP TABLE IF EXISTS {STAGE}")
    binary = definition.format == "parquet"
    encoding = "utf-8" if binary else text_encoding(_head(path), definition)
    with _utf8_copy(path, encoding) as readable:
        try:
            if definition.format == "csv":
                staged = _stage_csv(conn, path, readable, file_id, definition)
            elif definition.format in ("json", "ndjson"):
                staged = _stage_json(conn, path, readable, file_id, definition)
            else:
                staged = _stage_parquet(conn, path, readable, file_id, definition)
        except duckdb.Error as exc:
            raise UnreadableFileError(
                str(path), f"cannot read as {definition.format}: {safe_reason(exc)}"
            ) from None
    return staged


def _stage_csv(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    readable: Path,
    file_id: str,
    definition: SourceDefinition,
) -> StagedFile:
    """Stage a CSV file; the lines the reader cannot split are kept aside, not fatal.

    The columns are named from the header beforehand (:func:`_csv_columns`), so that the
    reader runs without its sniffer: a sniffer gives up on a whole file for one bad line
    ("Error when sniffing file"), where the reader itself records each line it cannot split
    in a rejects table (``store_rejects``) and goes on with the next one.
    """
    opts = definition.csv
    delim = _delimiter(definition)
    names = _csv_columns(conn, path, readable, definition)
    columns = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"

    def read(parallel: bool) -> tuple[int, int]:
        """Stage the file; its rows and rejected lines."""
        conn.execute(f"DROP TABLE IF EXISTS {STAGE}")
        conn.execute("DROP TABLE IF EXISTS cf_rejects")
        conn.execute("DROP TABLE IF EXISTS cf_reject_scans")
        conn.execute(
            f"CREATE TEMP TABLE {STAGE} AS SELECT * FROM read_csv(?, columns = {columns},"
            " auto_detect = false, header = ?, delim = ?, quote = ?, escape = ?,"
            " store_rejects = true, rejects_table = 'cf_rejects',"
            " rejects_scan = 'cf_reject_scans', null_padding = false, strict_mode = true,"
            f" max_line_size = {MAX_LINE_BYTES}, parallel = {str(parallel).lower()})",
            [str(readable), opts.header, delim, opts.quote, opts.escape],
        )
        found = conn.execute(
            f"SELECT (SELECT count(*) FROM {STAGE}), (SELECT count(DISTINCT line) FROM cf_rejects)"
        ).fetchone()
        assert found is not None
        return int(found[0]), int(found[1])

    # DuckDB 2.0.1 loses records when lines are rejected, silently, in two ways: its parallel
    # reader can stop early (450,000 lines with every other one rejected: 360,493 read), and
    # its serial reader drops a record whose quote is never closed before the end of the file.
    # A file with rejected lines is therefore read both ways and the read that accounts for
    # more records is kept (clean files are read once, in parallel, as before).
    parallel = read(parallel=True)
    rejects = parallel[1]
    if rejects:
        for table in (STAGE, "cf_rejects"):
            conn.execute(f"ALTER TABLE {table} RENAME TO {table}_parallel")
        serial = read(parallel=False)
        keep = "parallel" if sum(parallel) > sum(serial) else "serial"
        rejects = parallel[1] if keep == "parallel" else serial[1]
        for table in (STAGE, "cf_rejects"):
            if keep == "parallel":
                conn.execute(f"DROP TABLE {table}")
                conn.execute(f"ALTER TABLE {table}_parallel RENAME TO {table}")
            else:
                conn.execute(f"DROP TABLE {table}_parallel")
    rejected = _rejected_lines(conn, readable, definition, len(names)) if rejects else []
    conn.execute("DROP TABLE IF EXISTS cf_rejects")
    conn.execute("DROP TABLE IF EXISTS cf_reject_scans")
    staged = _finish(conn, path, file_id, definition, names, "to_json(s)::VARCHAR", _column)
    staged.rejected_lines = [(r.line, r.details, r.raw) for r in rejected]
    if rejected:
        more = f"; and {len(rejected) - 1} more" if len(rejected) > 1 else ""
        staged.warnings.append(
            f"{len(rejected)} line(s) could not be read into fields and are quarantined"
            f" (rule {UNREADABLE_ROW_RULE}): {rejected[0].details}{more}"
        )
    return staged


def _delimiter(definition: SourceDefinition) -> str:
    return "\t" if definition.csv.delimiter == "\\t" else definition.csv.delimiter


def _csv_columns(
    conn: duckdb.DuckDBPyConnection, path: Path, readable: Path, definition: SourceDefinition
) -> list[str]:
    """The column names DuckDB gives the file, read from its first record alone.

    The first record (the header, or the first row when ``header: false``) is cut out of the
    file, at most :data:`MAX_LINE_BYTES` of it, and given to DuckDB's sniffer by itself, so the
    names are exactly those it would give the whole file (trimmed, ``a_1`` for a repeated
    ``a``, ``column3`` for an empty one) while no later line can make it fail.
    """
    opts = definition.csv
    delim = _delimiter(definition)
    with readable.open("rb") as handle:
        head = handle.read(MAX_LINE_BYTES + 2)
        end = _record_end(head, 0, opts.quote.encode(), opts.escape.encode())
        expected = "a header of column names" if opts.header else "one record per line"
        if end is None and len(head) > MAX_LINE_BYTES and b"\n" in head:
            raise UnreadableFileError(
                str(path),
                f"line 1 opens a quoted value ({opts.quote!r}) that is never closed; expected"
                f" {expected}, separated by {delim!r}: check the quotes on line 1",
            )
        if end is None and len(head) > MAX_LINE_BYTES:
            size = len(head) + _bytes_to_line_end(handle)
            raise UnreadableFileError(
                str(path),
                f"line 1 is {_size(size)} with no line break (a CSV line may have at most"
                f" {_MAX_LINE}); expected {expected}: check that the file is CSV"
                f" with delimiter {delim!r} and line breaks, and that its first line"
                f" {'names the columns' if opts.header else 'is a record'}",
            )
    first = head if end is None else head[:end]
    try:
        first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            str(path),
            f"line 1 is not valid UTF-8 at byte {exc.start}; expected"
            f" {'column names' if opts.header else 'a record'} in UTF-8 (if the export is in"
            " another encoding, such as Latin-1 or Windows-1252, set `encoding` in source"
            f" {definition.name})",
        ) from None
    with tempfile.TemporaryDirectory(prefix="claimflow-") as tmp:
        sample = Path(tmp) / "first_record.csv"
        sample.write_bytes(first)
        try:
            described = conn.execute(
                "DESCRIBE SELECT * FROM read_csv(?, all_varchar = true, header = ?, delim = ?,"
                " quote = ?, escape = ?, strict_mode = true)",
                [str(sample), opts.header, delim, opts.quote, opts.escape],
            ).fetchall()
        except duckdb.Error:
            raise UnreadableFileError(
                str(path),
                f"line 1 cannot be read as {'a header' if opts.header else 'a record'};"
                f" expected {'column names' if opts.header else 'fields'} separated by"
                f" {delim!r}, quoted with {opts.quote!r}: check the quotes on line 1 and the"
                " source's `csv` options",
            ) from None
    return [str(row[0]) for row in described]


def _record_end(data: bytes, start: int, quote: bytes, escape: bytes) -> int | None:
    """Where the CSV record starting at ``start`` ends (just past its line break), quotes
    respected as a reader does; None when ``data`` ends first."""
    outside = re.compile(b"[\r\n]" + (b"|" + re.escape(quote) if quote else b""))
    inside = (
        re.compile(re.escape(quote))
        if not escape or escape == quote  # a doubled quote closes and reopens: same parity
        else re.compile(re.escape(escape) + b".|" + re.escape(quote), re.DOTALL)
    )
    i = start
    while True:
        hit = outside.search(data, i)
        if hit is None:
            return None
        if hit.group() in (b"\r", b"\n"):
            end = hit.end()
            if hit.group() == b"\r":
                if end == len(data):
                    return None  # a \r\n may be cut in two
                if data[end : end + 1] == b"\n":
                    end += 1
            return end
        i = hit.end()
        while True:  # inside quotes: find the closing one
            close = inside.search(data, i)
            if close is None:
                return None
            i = close.end()
            if close.group() == quote:
                break


def _bytes_to_line_end(handle: BinaryIO) -> int:
    """Bytes from the handle's position to the end of its line (or of the file)."""
    n = 0
    while chunk := handle.read(_CHUNK):
        newline = chunk.find(b"\n")
        if newline >= 0:
            return n + newline
        n += len(chunk)
    return n


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


_MAX_LINE = f"{MAX_LINE_BYTES // 1_000_000} MB"


@dataclass(frozen=True)
class RejectedLine:
    """A record the CSV reader could not split into the header's fields."""

    line: int
    """Its first line in the file, as an editor numbers them."""
    details: str
    """Why, where and what was expected, without its text (it may hold PHI)."""
    raw: str
    """Its text, whole up to :data:`RAW_KEEP_BYTES`."""


_ENCODING_ERRORS = {"INVALID ENCODING", "INVALID UNICODE"}
"""DuckDB's kinds of rejected line for bytes that are not text in the file's encoding."""


def _rejected_lines(
    conn: duckdb.DuckDBPyConnection, readable: Path, definition: SourceDefinition, width: int
) -> list[RejectedLine]:
    """The reader's rejected records, numbered by physical line and explained.

    DuckDB numbers records (a quoted value spanning lines shifts its numbers) and keeps at
    most 10,000 characters of a rejected line; the line a user opens and the whole record
    come from the file itself, read only when the reader rejected something.
    """
    found = conn.execute(
        "SELECT line, min(line_byte_position),"
        " arg_min(error_type::VARCHAR, coalesce(column_idx, -1)),"
        " arg_min(column_name, coalesce(column_idx, -1)),"
        " arg_min(error_message, coalesce(column_idx, -1)),"
        " arg_min(csv_line, coalesce(column_idx, -1))"
        " FROM cf_rejects GROUP BY line ORDER BY line"
    ).fetchall()
    starts = _line_starts(readable, [int(r[1]) for r in found])
    opts = definition.csv
    result = []
    reasons: dict[tuple[str, str | None, str, bool], str] = {}
    with readable.open("rb") as handle:
        for (_, _, kind, column, message, text), (line, offset) in zip(found, starts, strict=True):
            raw, cut = str(text or ""), False
            if len(raw) >= _DUCKDB_CSV_LINE_CAP or kind in _ENCODING_ERRORS:
                # DuckDB's copy of a line it could not decode has lost the bytes: the file's
                # bytes are kept, those that are not UTF-8 written \xNN
                raw, cut = _read_record(handle, offset, opts.quote.encode(), opts.escape.encode())
            # without its line break (DuckDB starts a line after a CRLF at the LF)
            raw = raw.strip("\r\n")
            last = line + raw.count("\n")
            # one wording per kind of error (a file can have a rejected line in every other)
            key = (str(kind), column, str(message or ""), last > line)
            why = reasons.get(key) or reasons.setdefault(
                key, _reject_reason(*key[:3], len(raw.encode()), width, definition, spans=key[3])
            )
            if cut:
                where = f"line {line} onwards"
                why += (
                    f" (bronze keeps the record's first {RAW_KEEP_BYTES >> 20} MiB; the file"
                    f" holds the rest from byte {offset})"
                )
            else:
                where = f"line {line}" if last == line else f"lines {line}-{last}"
            result.append(RejectedLine(line, f"{where}: {why}", raw))
    return result


def _line_starts(readable: Path, positions: list[int]) -> list[tuple[int, int]]:
    """For each of DuckDB's line byte positions, the line's number and its first byte.

    DuckDB's ``line_byte_position`` falls on a line's first byte or the one after it, so the
    line breaks before it are exactly those of the lines above. One pass over the file up to
    the last position, counting line breaks.
    """
    todo = sorted(set(positions))
    found: dict[int, tuple[int, int]] = {}
    lines, line_start, offset, k = 1, 0, 0, 0
    with readable.open("rb") as handle:
        while k < len(todo):
            chunk = handle.read(_CHUNK)
            if not chunk:
                found.update((p, (lines, line_start)) for p in todo[k:])
                break
            end = offset + len(chunk)
            i = 0
            while k < len(todo) and todo[k] < end:
                upto = max(todo[k] - offset, i)
                lines += chunk.count(b"\n", i, upto)
                brk = chunk.rfind(b"\n", i, upto)
                if brk >= 0:
                    line_start = offset + brk + 1
                found[todo[k]] = (lines, line_start)
                i, k = upto, k + 1
            lines += chunk.count(b"\n", i)
            brk = chunk.rfind(b"\n", i)
            if brk >= 0:
                line_start = offset + brk + 1
            offset = end
    return [found[p] for p in positions]


def _read_record(handle: BinaryIO, offset: int, quote: bytes, escape: bytes) -> tuple[str, bool]:
    """The record starting at ``offset``, up to :data:`RAW_KEEP_BYTES`; and whether it was cut."""
    handle.seek(offset)
    data = b""
    want = 1 << 16
    while True:
        more = handle.read(want - len(data))
        data += more
        end = _record_end(data, 0, quote, escape)
        if end is not None:
            return data[:end].decode("utf-8", errors="backslashreplace"), False
        if not more:
            return data.decode("utf-8", errors="backslashreplace"), False
        if len(data) >= RAW_KEEP_BYTES:
            return data[:RAW_KEEP_BYTES].decode("utf-8", errors="backslashreplace"), True
        want = min(want * 4, RAW_KEEP_BYTES)


def _reject_reason(
    kind: str,
    column: str | None,
    message: str,
    size: int,
    width: int,
    definition: SourceDefinition,
    *,
    spans: bool,
) -> str:
    """Why the reader rejected a record, and what it expected, in words a user acts on."""
    delim = _delimiter(definition)
    quote = definition.csv.quote
    field_name = f"field {column!r}" if column else "a field"
    found = re.search(r"Found:\s*(\d+)", message)
    header = "the header" if definition.csv.header else "line 1"
    if kind == "MISSING COLUMNS":
        n = int(found.group(1)) if found else None
        got = "fewer fields" if n is None else f"{n} field{'' if n == 1 else 's'}"
        return (
            f"{got} where {header} has {width}; expected {width} fields separated by"
            f" {delim!r} (is the line cut short, or a line break inside a value not quoted?)"
        )
    if kind == "TOO MANY COLUMNS":
        return (
            f"more fields than {header}'s {width}; expected {width} fields separated by"
            f" {delim!r} (does a value hold a {delim!r} without quotes around it?)"
        )
    if kind == "UNQUOTED VALUE" and spans:
        return (
            f"{field_name} opens a quoted value that is never closed, so the reader took the"
            f" lines after it as part of that value; expected a closing {quote!r} (a {quote!r}"
            " inside a value is written twice)"
        )
    if kind == "UNQUOTED VALUE":
        return (
            f"{field_name} has a quote that does not close right before the next {delim!r} or"
            f" the line break; expected a quoted value to end with {quote!r} (a {quote!r}"
            " inside a value is written twice)"
        )
    if kind == "LINE SIZE OVER MAXIMUM":
        actual = re.search(r"Actual Size:\s*(\d+)", message)
        n = int(actual.group(1)) if actual else size
        return (
            f"the line is {_size(n)}, longer than the {_MAX_LINE} a CSV line may"
            " have; expected one record per line (is a line break or a closing quote missing?)"
        )
    if kind in _ENCODING_ERRORS:
        return (
            f"{field_name} holds bytes that are not valid UTF-8; expected UTF-8 text (if the"
            " export is in another encoding, such as Latin-1 or Windows-1252, set `encoding`"
            f" in source {definition.name})"
        )
    # DuckDB's message may quote the value (a cast): the kind of error is said, never the text
    return (
        f"{kind.lower()} in {field_name}; expected {width} fields separated by {delim!r}"
        " that the reader can split"
    )


JSON_KINDS = {
    "array": "an array",
    "varchar": "a string",
    "null": "null",
    "boolean": "true or false",
    "ubigint": "a number",
    "bigint": "a number",
    "double": "a number",
    "hugeint": "a number",
}
"""How an error names a JSON value that is not an object, by DuckDB's ``json_type``."""


def _stage_json(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    readable: Path,
    file_id: str,
    definition: SourceDefinition,
) -> StagedFile:
    with readable.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    layout = "array" if head.startswith(b"[") else "newline_delimited"
    if definition.format == "json" and layout != "array" and not head.startswith(b"{"):
        raise UnreadableFileError(str(path), "not JSON: expected an array or one object per line")
    conn.execute(
        f"CREATE TEMP TABLE {STAGE} AS SELECT json::VARCHAR AS __raw"
        " FROM read_json_objects(?, format = ?)",
        [str(readable), layout],
    )
    # the reader hands each value over as its own text, so an object is a value starting with
    # "{": a prefix test instead of parsing every value again (5M rows: 0.14 s → none)
    not_objects = conn.execute(
        f"SELECT count(*) FROM {STAGE} WHERE NOT starts_with(__raw, '{{')"
    ).fetchone()
    if not_objects and not_objects[0]:
        # where the first one is and what it is (its type, never its text: it may be PHI)
        first = conn.execute(
            f"SELECT rowid - (SELECT min(rowid) FROM {STAGE}) + 1, lower(json_type(__raw))"
            f" FROM {STAGE} WHERE NOT starts_with(__raw, '{{') ORDER BY rowid LIMIT 1"
        ).fetchone()
        assert first is not None
        kind = JSON_KINDS.get(str(first[1]), str(first[1]))
        raise UnreadableFileError(
            str(path),
            f"{not_objects[0]} JSON value(s) are not objects (expected one object per record;"
            f" the first is value {first[0]}, {kind})",
        )
    present = [
        row[0]
        for row in conn.execute(
            f"SELECT k FROM (SELECT DISTINCT unnest(json_keys(__raw)) AS k FROM {STAGE}) ORDER BY k"
        ).fetchall()
    ]
    paths: list[str] = []

    def reach(column: str) -> str:
        # Every mapped key is extracted in one parse of the object (a list of paths), not one
        # parse per key: same values as json_extract_string of each path alone.
        paths.append(sql_str("$." + _quote_ident(column)))
        return f"s.__v[{len(paths)}]"

    staged = _finish(conn, path, file_id, definition, present, "s.__raw", reach)
    if paths:
        staged.from_sql = (
            f"(SELECT rowid AS __rid, __raw, json_extract_string(__raw, [{', '.join(paths)}])"
            f" AS __v FROM {STAGE}) AS s"
        )
        staged.row_sql = "s.__rid"
    return staged


def _stage_parquet(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    readable: Path,
    file_id: str,
    definition: SourceDefinition,
) -> StagedFile:
    conn.execute(f"CREATE TEMP TABLE {STAGE} AS SELECT * FROM read_parquet(?)", [str(readable)])
    present = [row[0] for row in conn.execute(f"DESCRIBE {STAGE}").fetchall()]

    def reach(column: str) -> str:
        return f"CAST({_column(column)} AS VARCHAR)"

    return _finish(conn, path, file_id, definition, present, "to_json(s)::VARCHAR", reach)


def _column(name: str) -> str:
    return "s." + _quote_ident(name)


def _finish(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    file_id: str,
    definition: SourceDefinition,
    present: list[str],
    raw_sql: str,
    reach: Callable[[str], str],
) -> StagedFile:
    resolved, warnings = _resolve_columns(path, definition, present)
    count = conn.execute(f"SELECT count(*) FROM {STAGE}").fetchone()
    rows = int(count[0]) if count else 0
    return StagedFile(
        path=path,
        file_id=file_id,
        rows_parsed=rows,
        columns=present,
        raw_sql=raw_sql,
        field_sql={canonical: reach(actual) for canonical, actual in resolved.items()},
        warnings=warnings,
    )
