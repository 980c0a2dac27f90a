"""Trace a row back to the file, the position and the raw record or segments it came from."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from claimflow.errors import LineageNotFoundError
from claimflow.schema import BRONZE_EMR_ROWS, CLAIMS_HEADER, SILVER_TABLES, quarantine_table
from claimflow.schema.appeals import CLINICAL_TABLES
from claimflow.warehouse.connection import table_names
from claimflow.warehouse.native import lineage_hash_sql
from claimflow.x12 import iter_segments

_ROW_ENDS = frozenset(("SE", "GE", "IEA"))
MAX_SEGMENTS = 60


@dataclass(frozen=True)
class LineageRecord:
    """Where a row came from."""

    lineage_hash: str
    file_id: str
    path: str
    source_system: str
    row_number: int | None
    line: int | None
    raw_record: str
    disposition: str
    run_id: str
    tables: list[str] = field(default_factory=list)
    segment_index: int | None = None
    purged_on: str | None = None
    """The date (UTC) ``claimflow purge`` removed the raw record; it is then None."""


def find_lineage(conn: duckdb.DuckDBPyConnection, lineage_hash: str) -> LineageRecord:
    """Look up a lineage hash (full, or a unique prefix of at least 8 characters).

    EMR rows are found in bronze (``bronze_emr_rows``) with their raw record. X12 rows are found
    in the silver tables (or their quarantine); their raw segments are read back from the
    registered file, after checking the file still has the bytes it was loaded from.

    Raises:
        LineageNotFoundError: No row, or more than one source, carries that hash (prefix).
    """
    wanted = lineage_hash.strip().lower()
    if len(wanted) < 8:
        raise LineageNotFoundError("give at least 8 characters of the lineage hash")
    # a warehouse opened read-only is not migrated: one written by an older claimflow lacks the
    # tables added since, and none of its rows can be in them
    present = table_names(conn)
    rows = _find_emr(conn, wanted, present)
    if len({r[0] for r in rows}) > 1:
        raise LineageNotFoundError(f"{wanted} is the prefix of several lineage hashes; give more")
    if rows:
        (h, file_id, path, system, row_number, line, raw, disposition, run_id) = rows[0]
        purged = None if raw is not None else _purged_on(conn, run_id)
        return LineageRecord(
            h, file_id, path, system, row_number, line, raw, disposition, run_id,
            purged_on=purged,
        )  # fmt: skip
    clinical = _find_clinical(conn, wanted, present)
    if clinical is not None:
        return clinical
    return _find_x12(conn, wanted, present)


def _purged_on(conn: duckdb.DuckDBPyConnection, run_id: str | None) -> str | None:
    """The date the raw record of a row of run ``run_id`` was purged (``claimflow purge``)."""
    from claimflow.warehouse.purge import purged_on

    row = conn.execute("SELECT started_at FROM runs WHERE run_id = ?", [run_id]).fetchone()
    when = purged_on(conn, row[0] if row else None)
    return when.date().isoformat() if when is not None else None


def _find_clinical(
    conn: duckdb.DuckDBPyConnection, wanted: str, present: set[str]
) -> LineageRecord | None:
    """An appeal case's chart row (``claimflow appeal prepare``): the case directory's file,
    the line (or Bundle entry, as the record number) and the record read back from the file."""
    selects = [
        f"SELECT '{name}' AS t, '{disposition}' AS d, lineage_hash, case_id, file, position,"
        f" source_file_id FROM {name} WHERE starts_with(lineage_hash, $h)"
        for table in CLINICAL_TABLES
        for name, disposition in (
            (table.name, "loaded"),
            (quarantine_table(table).name, "quarantined"),
        )
        if name in present
    ]
    if not selects or "appeal_cases" not in present:
        return None
    found = conn.execute(
        f"SELECT r.*, c.case_dir FROM ({' UNION ALL '.join(selects)}) AS r"
        " LEFT JOIN appeal_cases AS c USING (case_id) LIMIT 2",
        {"h": wanted},
    ).fetchall()
    if not found:
        return None
    if len({r[2] for r in found}) > 1:
        raise LineageNotFoundError(f"{wanted} is the prefix of several lineage hashes; give more")
    table, disposition, full_hash, case_id, file, position, file_id, case_dir = found[0]
    path = Path(str(case_dir or "")) / str(file)
    entry = str(position).startswith("entry")
    number = int("".join(ch for ch in str(position) if ch.isdigit()) or 0)
    return LineageRecord(
        full_hash,
        str(file_id),
        str(path),
        f"appeal case {case_id}",
        number if entry else None,
        None if entry else number,
        read_case_record(path, str(file_id), str(position)),
        disposition,
        "",
        tables=[table],
    )


def read_case_record(path: Path, file_id: str, position: str) -> str:
    """The record of an appeal case's file at ``position`` as its lineage hash read it: an
    NDJSON line, a Bundle entry's resource (``entry N``, from 1), or a CSV record (starting
    at that line) as a JSON object of its fields.

    Raises:
        LineageNotFoundError: The file is gone, changed since, or has no such record.
    """
    try:
        data = path.read_bytes()
    except OSError:
        raise LineageNotFoundError(f"{path}: the file is no longer there") from None
    if hashlib.sha256(data).hexdigest() != file_id:
        raise LineageNotFoundError(f"{path}: the file changed since it was loaded")
    text = data.decode("utf-8-sig", errors="replace")
    number = int("".join(ch for ch in position if ch.isdigit()) or 0)
    if position.startswith("entry"):
        entries = json.loads(text).get("entry") or []
        if 1 <= number <= len(entries):
            resource = entries[number - 1].get("resource")
            return json.dumps(resource, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    elif path.suffix.lower() == ".csv":
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in next(reader, [])]
        line = reader.line_num + 1
        for values in reader:
            if line == number:
                fields = {h: values[i] if i < len(values) else None for i, h in enumerate(header)}
                return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
            line = reader.line_num + 1
    else:
        lines = text.splitlines()
        if 1 <= number <= len(lines):
            return lines[number - 1]
    raise LineageNotFoundError(f"{path}: no record at {position}")


_EMR_FIELDS = (
    "b.source_file_id, f.path, b.source_system, b.source_row_number, b.source_line,"
    " b.raw_record, b.disposition, b.run_id"
)


def _find_emr(
    conn: duckdb.DuckDBPyConnection, wanted: str, present: set[str]
) -> list[tuple[Any, ...]]:
    """The EMR records whose lineage hash starts with ``wanted`` (at most two).

    Bronze derives an EMR record's hash on read (migration 0005); hashing every record to find
    one would read all of bronze, so the hash is looked up where it is stored — the claim's
    silver or quarantine row, which gives file and row number — and derived only for the
    records no silver table holds (duplicates, a few percent); a line the reader could not
    split keeps its hash in bronze.
    """
    joined = "LEFT JOIN source_files AS f ON f.file_id = b.source_file_id"
    # an EMR record's lineage hash from its bronze row, as the load computed it
    derived = lineage_hash_sql(conn, "b.source_file_id", "b.source_row_number", "b.raw_record")
    raw = BRONZE_EMR_ROWS.stored_in
    if raw not in present:  # before migration 0005 bronze stored every hash
        return conn.execute(
            f"SELECT b.lineage_hash, {_EMR_FIELDS} FROM bronze_emr_rows AS b {joined}"
            " WHERE starts_with(b.lineage_hash, $h) LIMIT 2",
            {"h": wanted},
        ).fetchall()
    stored = [
        f"SELECT lineage_hash, source_file_id, source_row_number FROM {name}"
        " WHERE source_row_number IS NOT NULL AND starts_with(lineage_hash, $h)"
        for name in (CLAIMS_HEADER.name, quarantine_table(CLAIMS_HEADER).name)
        if name in present
    ]
    in_silver = (
        f"SELECT s.lineage_hash, {_EMR_FIELDS} FROM ({' UNION ALL '.join(stored)}) AS s"
        f" JOIN {raw} AS b ON b.source_file_id = s.source_file_id"
        f" AND b.source_row_number = s.source_row_number {joined} UNION ALL "
        if stored
        else ""
    )
    return conn.execute(
        f"{in_silver}"
        f"SELECT {derived}, {_EMR_FIELDS} FROM {raw} AS b {joined}"
        f" WHERE b.lineage_hash IS NULL AND b.disposition = 'duplicate'"
        f" AND starts_with({derived}, $h)"
        f" UNION ALL SELECT b.lineage_hash, {_EMR_FIELDS} FROM {raw} AS b {joined}"
        " WHERE b.lineage_hash IS NOT NULL AND starts_with(b.lineage_hash, $h) LIMIT 2",
        {"h": wanted},
    ).fetchall()


def _find_x12(conn: duckdb.DuckDBPyConnection, wanted: str, present: set[str]) -> LineageRecord:
    selects = []
    for table in SILVER_TABLES:
        for name, disposition in (
            (table.name, "loaded"),
            (quarantine_table(table).name, "quarantined"),
        ):
            if name not in present:
                continue
            selects.append(
                f"SELECT '{name}' AS t, '{disposition}' AS d, lineage_hash, source_file_id,"
                f" segment_index, source_system, run_id FROM {name}"
                " WHERE segment_index IS NOT NULL AND starts_with(lineage_hash, $h)"
            )
    found = conn.execute(" UNION ALL ".join(selects), {"h": wanted}).fetchall()
    if not found:
        raise LineageNotFoundError(f"no row in the warehouse has lineage hash {wanted}")
    if len({r[2] for r in found}) > 1:
        raise LineageNotFoundError(f"{wanted} is the prefix of several lineage hashes; give more")
    _, disposition, full_hash, file_id, segment_index, system, run_id = found[0]
    path_row = conn.execute("SELECT path FROM source_files WHERE file_id = ?", [file_id]).fetchone()
    path = str(path_row[0]) if path_row else ""
    return LineageRecord(
        full_hash,
        file_id,
        path,
        system,
        None,
        None,
        read_segments(Path(path), file_id, int(segment_index)),
        disposition,
        run_id,
        tables=sorted({r[0] for r in found}),
        segment_index=int(segment_index),
    )


def read_segments(path: Path, file_id: str, segment_index: int) -> str:
    """The segments of a row, from its first (1-based ``segment_index``) to the next of its kind.

    Raises:
        LineageNotFoundError: The file is gone or no longer has the bytes it was loaded from.
    """
    try:
        data = path.read_bytes()
    except OSError:
        raise LineageNotFoundError(f"{path}: the file is no longer there") from None
    if hashlib.sha256(data).hexdigest() != file_id:
        raise LineageNotFoundError(f"{path}: the file changed since it was loaded")
    lines: list[str] = []
    first = ""
    for position, (sid, elements) in enumerate(iter_segments(data), start=1):
        if position < segment_index:
            continue
        if lines and (sid == first or sid in _ROW_ENDS or len(lines) >= MAX_SEGMENTS):
            break
        first = first or sid
        lines.append(f"{position:>7}  " + "*".join(elements))
    return "\n".join(lines)
