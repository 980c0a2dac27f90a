"""What a run would make of one source file, without a warehouse: its columns against the
source's mapping, and its first rows as they would load (``claimflow check``).

The file is staged and typed by the run's own code (:func:`claimflow.sources.tabular.stage_file`
and the EMR loader's typing query, with the source's rules) in the caller's connection, which is
meant to be an in-memory DuckDB: nothing is written anywhere.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from claimflow.config import SourceDefinition
from claimflow.errors import SourceError
from claimflow.ingest.emr import TYPED, _typed_query
from claimflow.quality.expectations import expectations_for
from claimflow.sources.tabular import STAGE, StagedFile, fingerprint, stage_file
from claimflow.warehouse.sql import execute
from claimflow.x12 import iter_segments
from claimflow.x12.errors import X12Error

SAMPLE_ROWS = 5


@dataclass(frozen=True)
class MissingColumn:
    """A mapped column the file lacks."""

    canonical: str
    mapped_to: str
    did_you_mean: str | None
    required: bool


@dataclass
class FilePreview:
    """One file against its source definition."""

    path: Path
    problem: str | None = None
    """Why the file cannot be read (it would fail in a run)."""
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    """The file's columns that no mapping uses."""
    missing: list[MissingColumn] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    """The first rows as they would load: canonical column → typed value, ``row``, and
    ``would_be`` (``loaded``, or ``quarantined:`` and the rule that would quarantine it)."""
    notes: list[str] = field(default_factory=list)
    """What the run would warn of (lines the reader cannot split)."""
    transactions: dict[str, int] = field(default_factory=dict)
    """X12: transaction sets by type (``837 005010X222A1`` → how many)."""


def _key(name: str) -> str:
    return name.strip().lower()  # as the run matches a mapped column to the file's


def preview_file(
    conn: duckdb.DuckDBPyConnection, path: Path, definition: SourceDefinition
) -> FilePreview:
    """What a run would make of ``path`` (a file of ``definition``'s source)."""
    if definition.format == "x12":
        return preview_x12(path)
    found = FilePreview(path)
    try:
        print_ = fingerprint(path, definition)
    except OSError as exc:
        found.problem = f"cannot be read ({exc.strerror})"
        return found
    if print_.problem:
        found.problem = print_.problem
        return found
    try:  # with the mapping as it is, else only to learn the file's columns
        staged = stage_file(conn, path, print_.file_id, definition)
    except SourceError:
        probe = definition.model_copy(update={"columns": {}, "required": ()})
        try:
            staged = stage_file(conn, path, print_.file_id, probe)
        except SourceError as exc:
            found.problem = str(exc).removeprefix(f"{path}: ")
            return found
    found.notes = [w for w in staged.warnings if "mapped column" not in w]  # those: `missing`
    found.rows = staged.rows_read
    present = {_key(c): c for c in staged.columns}
    mapped = {_key(w) for w in definition.columns.values()}
    if mapped and not mapped & set(present):
        # no mapped column at all: the first line may be a record (a file exported without
        # its header), patient identifiers included, so its fields are not shown as names
        found.notes.append(
            f"none of the {len(present)} fields of the first line is a column this source maps,"
            " so they are not shown (was the file exported without its header line?)"
        )
        present = {}
    else:
        found.columns = list(staged.columns)
    found.unused = [c for c in found.columns if _key(c) not in mapped]
    unused = {_key(c): c for c in found.unused}
    for canonical, wanted in definition.columns.items():
        if _key(wanted) in present:
            continue
        close = difflib.get_close_matches(_key(wanted), list(unused), n=1)
        required = canonical in definition.required or canonical == "patient_control_number"
        found.missing.append(
            MissingColumn(canonical, wanted, unused[close[0]] if close else None, required)
        )
    if staged.field_sql and "patient_control_number" in staged.field_sql:
        found.sample = _sample(conn, staged, definition)
    conn.execute(f"DROP TABLE IF EXISTS {STAGE}")
    return found


def _sample(
    conn: duckdb.DuckDBPyConnection, staged: StagedFile, definition: SourceDefinition
) -> list[dict[str, Any]]:
    """The first rows typed and checked as the loader would (no lineage hash, no dedup)."""
    columns = list(staged.field_sql)
    rules = expectations_for(definition, columns)
    conn.execute(f"DROP TABLE IF EXISTS {TYPED}")
    execute(
        conn,
        _typed_query(staged, definition, rules, "NULL"),
        {"source_system": definition.source_system},
    )
    cursor = conn.execute(
        f"SELECT __row AS row, {', '.join(columns)},"
        " coalesce('quarantined: ' || dq_rule, 'loaded') AS would_be"
        f" FROM {TYPED} ORDER BY __row LIMIT {SAMPLE_ROWS}"
    )
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    conn.execute(f"DROP TABLE {TYPED}")
    return rows


def preview_x12(path: Path) -> FilePreview:
    """An X12 file's transaction sets by type (ST01 and the guide of GS08)."""
    found = FilePreview(path)
    sets: Counter[str] = Counter()
    guide = ""
    try:
        with path.open("rb") as stream:  # streamed: an X12 file may be large
            if not stream.read(1):
                found.problem = "empty file (0 bytes)"
                return found
            stream.seek(0)
            for sid, elements in iter_segments(stream):
                if sid == "GS":
                    guide = elements[8] if len(elements) > 8 else ""
                elif sid == "ST":
                    kind = elements[1] if len(elements) > 1 else "?"
                    version = elements[3] if len(elements) > 3 and elements[3] else guide
                    sets[f"{kind} {version}".strip()] += 1
    except OSError as exc:
        found.problem = f"cannot be read ({exc.strerror})"
        return found
    except X12Error as exc:
        found.problem = f"not readable as X12: {str(exc).splitlines()[0]}"
        return found
    if not sets:
        found.problem = "no transaction set (no ST segment)"
    found.transactions = dict(sets)
    found.rows = sum(sets.values())
    return found
