"""Load a parsed X12 file: good transaction sets to silver, bad ones to quarantine, whole.

A transaction set (ST…SE) with any error goes to the quarantine sibling of each table it fills,
with its first error as ``dq_rule`` and every error in ``dq_details``; the good sets of the
same file load. Every set is recorded in ``x12_transactions`` and every error, with its
coordinates, in ``x12_errors``. Nothing is dropped without a record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from claimflow.schema import (
    SILVER_TABLES,
    Table,
    quarantine_table,
)
from claimflow.warehouse.load import FileCounts
from claimflow.warehouse.parts import ensure_part
from claimflow.warehouse.sql import insert_rows
from claimflow.x12 import ParseResult, TransactionInfo, X12ValidationError

TABLES_BY_NAME = {t.name: t for t in SILVER_TABLES}
Key = tuple[str | None, str | None, str | None]


def _row_key(row: dict[str, object]) -> Key:
    return (
        _s(row.get("isa_control_number")),
        _s(row.get("group_control_number")),
        _s(row.get("st_control_number")),
    )


def _s(value: object) -> str | None:
    return None if value is None else str(value)


_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "DECIMAL(18,2)": pa.decimal128(18, 2),
    "BIGINT": pa.int64(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
}


def _arrow_column(values: list[object], sql_type: str) -> pa.Array:
    kind = _ARROW_TYPES[sql_type]
    if kind == pa.string():
        return pa.array([None if v is None else str(v) for v in values], type=kind)
    if kind == pa.int64():
        return pa.array([None if v is None else int(str(v)) for v in values], type=kind)
    if kind == pa.float64():
        return pa.array([None if v is None else float(str(v)) for v in values], type=kind)
    return pa.array(values, type=kind)


def insert_dict_rows(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    target: str,
    rows: Sequence[dict[str, object]],
    extra: dict[str, object],
) -> None:
    """Insert dict rows into ``target`` (columns of ``table`` plus ``extra``), typed by the schema.

    The rows go through one Arrow table (a columnar hand-off DuckDB reads without copying).
    """
    if not rows:
        return
    present = {k for row in rows for k in row}
    columns = [c for c in table.columns if c.name in present or c.name in extra]
    arrays = [
        _arrow_column(
            [extra[c.name]] * len(rows) if c.name in extra else [row.get(c.name) for row in rows],
            c.sql_type,
        )
        for c in columns
    ]
    batch = pa.Table.from_arrays(arrays, names=[c.name for c in columns])
    conn.register("cf_rows", batch)
    try:
        conn.execute(
            f"INSERT INTO {target} ({', '.join(c.name for c in columns)})"
            f" SELECT {', '.join(c.name for c in columns)} FROM cf_rows"
        )
    finally:
        conn.unregister("cf_rows")


def load_parse_result(
    conn: duckdb.DuckDBPyConnection,
    result: ParseResult,
    *,
    source_system: str,
    run_id: str,
    ingested_at: dt.datetime,
) -> FileCounts:
    """Write a parse result into the warehouse. The caller owns the transaction.

    Returns:
        Counts in rows extracted: read = loaded + quarantined (X12 has no row duplicates; a
        repeated file is caught by its sha256 before parsing).
    """
    errors_by_set: dict[Key, list[X12ValidationError]] = defaultdict(list)
    for error in result.errors:
        errors_by_set[(error.isa13, error.gs06, error.st02)].append(error)
    valid = {t.key for t in result.transactions if t.valid}
    extra: dict[str, object] = {
        "source_system": source_system,
        "data_source": source_system,
        "run_id": run_id,
        "ingested_at": ingested_at,
    }
    counts = FileCounts()
    extracted: dict[Key, int] = defaultdict(int)
    for name, rows in result.tables.items():
        if not rows:
            continue
        table = TABLES_BY_NAME[name]
        good = [r for r in rows if _row_key(r) in valid]
        bad = [r for r in rows if _row_key(r) not in valid]
        for row in rows:
            extracted[_row_key(row)] += 1
        target = table.name
        if table.partitioned:
            target = ensure_part(conn, table, f"x12_{source_system}", table.column_names)
        insert_dict_rows(conn, table, target, good, extra)
        if bad:
            _quarantine(conn, table, bad, errors_by_set, extra)
        counts.rows_read += len(rows)
        counts.rows_loaded += len(good)
        counts.rows_quarantined += len(bad)
        if bad:
            key = (f"{name}.x12_transaction_invalid", "error")
            counts.rule_failures[key] = counts.rule_failures.get(key, 0) + len(bad)
    _record_transactions(conn, result, extracted, run_id)
    _record_errors(conn, result, run_id)
    return counts


def _quarantine(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    rows: list[dict[str, object]],
    errors_by_set: dict[Key, list[X12ValidationError]],
    extra: dict[str, object],
) -> None:
    q = quarantine_table(table)
    by_set: dict[Key, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        by_set[_row_key(row)].append(row)
    for key, set_rows in by_set.items():
        errors = errors_by_set.get(key, [])
        first = errors[0].code if errors else "x12.unsupported"
        details = "; ".join(_describe(e) for e in errors[:20]) or "transaction set not valid"
        if len(errors) > 20:
            details += f"; … and {len(errors) - 20} more (see x12_errors)"
        tagged = {**extra, "dq_rule": f"x12.{first}", "dq_severity": "error", "dq_details": details}
        insert_dict_rows(conn, q, q.name, set_rows, tagged)


def _describe(error: X12ValidationError) -> str:
    where = f"segment {error.segment_position or error.segment_index} {error.segment_id or ''}"
    if error.element_position:
        where += f" element {error.element_position:02d}"
    return f"{where.strip()}: {error.message}"


def _record_transactions(
    conn: duckdb.DuckDBPyConnection,
    result: ParseResult,
    extracted: dict[Key, int],
    run_id: str,
) -> None:
    def status(t: TransactionInfo) -> str:
        if not t.supported:
            return "unsupported"
        return "loaded" if t.valid else "quarantined"

    insert_rows(
        conn,
        "x12_transactions",
        [
            (
                result.file_id,
                t.isa13,
                t.gs06,
                t.st02,
                t.transaction_set,
                t.guide,
                t.kind,
                t.first_segment,
                t.last_segment,
                t.error_count,
                status(t),
                extracted.get(t.key, 0),
                run_id,
            )
            for t in result.transactions
        ],
    )


def _record_errors(conn: duckdb.DuckDBPyConnection, result: ParseResult, run_id: str) -> None:
    insert_rows(
        conn,
        "x12_errors",
        [
            (
                result.file_id,
                e.isa13,
                e.gs06,
                e.st02,
                e.severity,
                str(e.kind),
                e.code,
                e.segment_index,
                e.segment_position,
                e.segment_id,
                e.loop_id,
                e.element_position,
                e.component_position,
                e.segment_error_code,
                e.element_error_code,
                e.bad_value,
                e.context,
                e.message,
                run_id,
            )
            for e in [*result.errors, *result.warnings]
        ],
    )
