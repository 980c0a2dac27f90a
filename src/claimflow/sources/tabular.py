"""The tabular adapter: stage one EMR export (CSV, JSON, NDJSON, Parquet) in DuckDB as text.

Staging reads every field as text, exactly as the file has it, keeps each record's position
and its raw form (a JSON object of its fields), and registers the lines a CSV reader could
not split. Typing and rules happen afterwards, in SQL, so that no value is lost on the way.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from claimflow.config import SourceDefinition
from claimflow.errors import MissingColumnError, UnreadableFileError
from claimflow.warehouse.sql import sql_str

STAGE = "cf_stage"
"""Temporary table holding the staged records as read; its ``rowid`` is the record order."""

_CHUNK = 1 << 20
_UTF8 = {"utf-8", "utf8", "utf_8", "utf-8-sig"}


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
    encoding = definition.encoding.lower()
    binary = definition.format in ("parquet", "x12")  # X12: the engine finds its own encoding
    decoder = None if binary else codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if decoder is not None and problem is None:
                problem = _text_problem(decoder, chunk, size, definition.encoding)
            size += len(chunk)
    if decoder is not None and problem is None and size:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            problem = f"not valid {definition.encoding}: the file ends mid-character"
    if size == 0:
        problem = "empty file (0 bytes)"
    return FileFingerprint(digest.hexdigest(), size, problem)


def _text_problem(
    decoder: codecs.IncrementalDecoder, chunk: bytes, offset: int, encoding: str
) -> str | None:
    if encoding.lower() in _UTF8 and b"\x00" in chunk:
        return f"binary content (NUL byte at byte {offset + chunk.index(0)})"
    try:
        decoder.decode(chunk)
    except UnicodeDecodeError as exc:
        return (
            f"not valid {encoding} at byte {offset + exc.start} "
            "(set `encoding` in the source definition)"
        )
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
) -> dict[str, str]:
    """Map each canonical column to the file's column (case and spaces ignored)."""
    by_key = {c.strip().lower(): c for c in present}
    resolved: dict[str, str] = {}
    for canonical, wanted in definition.columns.items():
        actual = by_key.get(wanted.strip().lower())
        if actual is None:
            if canonical in definition.required or canonical == "patient_control_number":
                raise MissingColumnError(
                    str(path),
                    f"required column {wanted!r} (→ {canonical}) is missing; "
                    f"the file has: {', '.join(present) or '(no columns)'}",
                )
            continue
        resolved[canonical] = actual
    return resolved


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
    with _utf8_copy(path, definition.encoding) as readable:
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
    opts = definition.csv
    delim = "\t" if opts.delimiter == "\\t" else opts.delimiter
    conn.execute("DROP TABLE IF EXISTS cf_rejects")
    conn.execute("DROP TABLE IF EXISTS cf_reject_scans")
    conn.execute(
        f"CREATE TEMP TABLE {STAGE} AS SELECT * FROM read_csv(?, all_varchar = true,"
        " header = ?, delim = ?, quote = ?, escape = ?, store_rejects = true,"
        " rejects_table = 'cf_rejects', rejects_scan = 'cf_reject_scans',"
        " null_padding = false, strict_mode = true, sample_size = -1)",
        [str(readable), opts.header, delim, opts.quote, opts.escape],
    )
    present = [row[0] for row in conn.execute(f"DESCRIBE {STAGE}").fetchall()]
    rejected = [
        (int(line), str(err_type), safe_reason(Exception(str(message))), str(csv_line))
        for line, err_type, message, csv_line in conn.execute(
            "SELECT line, min(error_type)::VARCHAR, min(error_message), min(csv_line)"
            " FROM cf_rejects GROUP BY line ORDER BY line"
        ).fetchall()
    ]
    conn.execute("DROP TABLE IF EXISTS cf_rejects")
    conn.execute("DROP TABLE IF EXISTS cf_reject_scans")
    return _finish(
        conn, path, file_id, definition, present, "to_json(s)::VARCHAR", _column, rejected
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

    staged = _finish(conn, path, file_id, definition, present, "s.__raw", reach, [])
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

    return _finish(conn, path, file_id, definition, present, "to_json(s)::VARCHAR", reach, [])


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
    rejected: list[tuple[int, str, str, str]],
) -> StagedFile:
    resolved = _resolve_columns(path, definition, present)
    count = conn.execute(f"SELECT count(*) FROM {STAGE}").fetchone()
    rows = int(count[0]) if count else 0
    return StagedFile(
        path=path,
        file_id=file_id,
        rows_parsed=rows,
        columns=present,
        raw_sql=raw_sql,
        field_sql={canonical: reach(actual) for canonical, actual in resolved.items()},
        rejected_lines=[(line, f"{kind}: {msg}", raw) for line, kind, msg, raw in rejected],
    )
