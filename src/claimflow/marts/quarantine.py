"""Quarantined rows as a person reads them: the rule each broke, the field and the offending
value, with patient identifiers masked unless the reader may see them.

Each silver table ``T`` keeps the rows that failed an error rule in ``T__quarantine`` with
``dq_rule`` and ``dq_details``. Where the field and the value come from:

- an EMR rule is named ``<column>.<check>`` (:mod:`claimflow.quality.expectations`): the field
  is that column, and the value the text the file held, which the rule's message quotes as
  JSON after ``"<column>: "`` (a value that did not parse is NULL in the row itself); a
  missing value (``not_null``) has none;
- an X12 rule is ``x12.<code>`` of the transaction set's first error: the field is that
  error's segment and element (``SE01``) and the value its ``bad_value``, from ``x12_errors``;
- ``row.parse`` (a CSV line the reader could not split) names lines, not a field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from claimflow.phi import MASK, PHI_COLUMNS
from claimflow.schema import SILVER_TABLES, quarantine_table
from claimflow.warehouse.connection import table_names

X12_PHI_SEGMENTS = frozenset({"NM1", "N3", "N4", "DMG", "REF", "PER"})
"""X12 segments that can hold a patient's name, member id, address, birth date or other
identifiers: a bad value in one of them is masked like a patient identifier column."""

_JSON = json.JSONDecoder()
_X12_PIECE = re.compile(r"segment \d+ ([A-Z0-9]{2,3})\b")
_QUOTED = re.compile(r"'[^']*'")
_EMR_PIECE = re.compile(r"(?:^|; )([a-z0-9_]+): ")


@dataclass(frozen=True)
class Quarantined:
    """One page of quarantined rows and how many match in all."""

    rows: list[dict[str, Any]]
    total: int
    rules: list[str] = field(default_factory=list)
    """Every rule that quarantined a row (whatever the filters), for "did you mean"."""


def _tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    present = table_names(conn)
    names = [quarantine_table(t).name for t in SILVER_TABLES]
    return [n for n in names if n in present]


def quarantined(
    conn: duckdb.DuckDBPyConnection,
    *,
    rule: str | None = None,
    file: str | None = None,
    limit: int = 50,
    show_phi: bool = False,
) -> Quarantined:
    """The quarantined rows, latest run first, with ``rule``, ``field`` and ``value``.

    Args:
        conn: The warehouse.
        rule: Only rows of this rule (``submission_date.date_format``, ``x12.se_count``).
        file: Only rows of this file: its path, its name, or the start of its file id.
        limit: Rows to return (0: all).
        show_phi: Whether values (and the messages quoting them) of patient identifiers are
            shown; masked (``•••``) otherwise.
    """
    tables = _tables(conn)
    if not tables:
        return Quarantined([], 0)
    union = " UNION ALL ".join(
        f"SELECT '{name.removesuffix('__quarantine')}' AS table_name, source_file_id,"
        " source_system, source_row_number, segment_index, isa_control_number,"
        " group_control_number, st_control_number, lineage_hash, run_id, dq_rule,"
        f" dq_severity, dq_details FROM {name}"
        for name in tables
    )
    where = []
    params: dict[str, Any] = {}
    if rule is not None:
        where.append("q.dq_rule = $rule")
        params["rule"] = rule
    if file is not None:
        where.append(
            "(f.path = $file OR ends_with(f.path, '/' || $file)"
            " OR (length($file) >= 8 AND starts_with(q.source_file_id, lower($file))))"
        )
        params["file"] = file
    base = f"FROM ({union}) AS q LEFT JOIN source_files AS f ON f.file_id = q.source_file_id" + (
        f" WHERE {' AND '.join(where)}" if where else ""
    )
    total_row = conn.execute(f"SELECT count(*) {base}", params).fetchone()
    total = int(total_row[0]) if total_row else 0
    cursor = conn.execute(
        f"SELECT q.*, f.path {base} ORDER BY q.run_id DESC, f.path,"
        " coalesce(q.source_row_number, q.segment_index), q.table_name, q.lineage_hash"
        + (f" LIMIT {int(limit)}" if limit else ""),
        params,
    )
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    rules = [str(r[0]) for r in conn.execute(f"SELECT DISTINCT dq_rule FROM ({union})").fetchall()]
    for row in rows:
        _explain(conn, row, show_phi=show_phi)
    return Quarantined(rows, total, sorted(rules))


def _explain(conn: duckdb.DuckDBPyConnection, row: dict[str, Any], *, show_phi: bool) -> None:
    """Set the row's ``field`` and ``value`` (masked where a patient identifier) and mask
    ``dq_details`` the same way."""
    rule = str(row.get("dq_rule") or "")
    details = str(row.get("dq_details") or "")
    row["field"], row["value"] = None, None
    if rule.startswith("x12."):
        found = conn.execute(
            "SELECT segment_id, element_position, bad_value FROM x12_errors"
            " WHERE source_file_id = $file AND code = $code"
            " AND isa_control_number IS NOT DISTINCT FROM $isa"
            " AND group_control_number IS NOT DISTINCT FROM $gs"
            " AND st_control_number IS NOT DISTINCT FROM $st"
            " ORDER BY segment_index NULLS LAST LIMIT 1",
            {
                "file": row["source_file_id"], "code": rule.removeprefix("x12."),
                "isa": row["isa_control_number"], "gs": row["group_control_number"],
                "st": row["st_control_number"],
            },
        ).fetchone()  # fmt: skip
        if found is not None:
            segment, element, bad = found
            row["field"] = f"{segment or ''}{element:02d}" if element else segment
            private = str(segment) in X12_PHI_SEGMENTS
            row["value"] = MASK if private and bad is not None and not show_phi else bad
        if not show_phi:
            row["dq_details"] = _mask_x12_details(details)
        return
    column, dot, _ = rule.partition(".")
    if not dot or rule == "row.parse":
        return
    row["field"] = column
    value = _quoted_value(details, column)
    private = column in PHI_COLUMNS
    if value is not None:
        row["value"] = MASK if private and not show_phi else value
    if not show_phi:
        row["dq_details"] = _mask_emr_details(details)


def _quoted_value(details: str, column: str) -> str | None:
    """The value an EMR rule's message quotes (``submission_date: "2025-13-45" is not ...``)."""
    prefix = f"{column}: "
    if not details.startswith(prefix):
        return None
    try:
        value, _ = _JSON.raw_decode(details[len(prefix) :])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, str) else None


def _mask_emr_details(details: str) -> str:
    """``dq_details`` of an EMR row with the values its messages quote for patient identifier
    columns masked: every failed rule of the row has its message there, joined by ``; ``
    (``submission_date: "2025-13-45" is not ...; patient_dob: ••• is not ...``)."""
    spans = []
    for match in _EMR_PIECE.finditer(details):
        if match.group(1) not in PHI_COLUMNS:
            continue
        try:
            _, end = _JSON.raw_decode(details, match.end())
        except json.JSONDecodeError:
            continue
        spans.append((match.end(), end))
    for start, end in reversed(spans):
        details = f"{details[:start]}{MASK}{details[end:]}"
    return details


def _mask_x12_details(details: str) -> str:
    """``dq_details`` of an X12 set with the values quoted in the errors of segments that can
    hold patient identifiers masked (``Element 02 holds '•••', which is not a date``)."""
    pieces = re.split(r"(?=; segment \d+ )", details)
    masked = []
    for piece in pieces:
        match = _X12_PIECE.search(piece)
        if match and match.group(1) in X12_PHI_SEGMENTS:
            piece = _QUOTED.sub(f"'{MASK}'", piece)
        masked.append(piece)
    return "".join(masked)
