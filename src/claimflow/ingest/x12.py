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

from claimflow.ingest.counts import FileCounts
from claimflow.schema import quarantine_table
from claimflow.sources.x12 import TABLES_BY_NAME, SpooledParse, read_spool, spool_columns
from claimflow.warehouse.parts import ensure_part
from claimflow.warehouse.sql import insert_rows
from claimflow.x12 import ParseResult, TransactionInfo, X12ValidationError

__all__ = ["load_parse_result", "load_parse_results"]

Key = tuple[str | None, str | None, str | None]


def _sets_table(result: ParseResult) -> pa.Table:
    """One row per transaction set: its segment range, whether it loads, and why not."""
    errors_by_set: dict[Key, list[X12ValidationError]] = defaultdict(list)
    for error in result.errors:
        errors_by_set[(error.isa13, error.gs06, error.st02)].append(error)
    firsts, lasts, oks, rules, details = [], [], [], [], []
    for t in result.transactions:
        errors = [
            e
            for e in errors_by_set.get(t.key, [])
            if e.segment_index is None or t.holds(e.segment_index)
        ]
        first = errors[0].code if errors else "unsupported"
        text = "; ".join(_describe(e) for e in errors[:20]) or "transaction set not valid"
        if len(errors) > 20:
            text += f"; … and {len(errors) - 20} more (see x12_errors)"
        firsts.append(t.first_segment)
        lasts.append(t.last_segment or t.first_segment)
        oks.append(t.valid)
        rules.append(f"x12.{first}")
        details.append(text)
    return pa.table(
        {
            "set_no": pa.array(range(len(firsts)), pa.int64()),
            "first_segment": pa.array(firsts, pa.int64()),
            "last_segment": pa.array(lasts, pa.int64()),
            "ok": pa.array(oks, pa.bool_()),
            "dq_rule": pa.array(rules, pa.string()),
            "dq_details": pa.array(details, pa.string()),
        }
    )


def load_parse_result(
    conn: duckdb.DuckDBPyConnection,
    parsed: SpooledParse,
    *,
    source_system: str,
    run_id: str,
    ingested_at: dt.datetime,
) -> FileCounts:
    """Move one spooled parse into the warehouse (:func:`load_parse_results` of one file)."""
    return load_parse_results(
        conn, [parsed], source_system=source_system, run_id=run_id, ingested_at=ingested_at
    )[0]


def load_parse_results(
    conn: duckdb.DuckDBPyConnection,
    parses: Sequence[SpooledParse],
    *,
    source_system: str,
    run_id: str,
    ingested_at: dt.datetime,
    parts: dict[str, str] | None = None,
) -> list[FileCounts]:
    """Move spooled parses of one source system into the warehouse. The caller owns the
    transaction.

    Each row is placed by its segment position in the transaction set it came from: rows of
    valid sets go to the table, rows of sets with errors to its quarantine sibling, tagged with
    the set's first error (``dq_rule``) and its errors (``dq_details``). The parse counted
    where its rows go (``SpooledParse.placed``): a table with nothing to quarantine is loaded
    as it was spooled, one statement for all the files' spools, and only the tables of files
    with something to quarantine are placed against their sets, file by file.

    Args:
        parts: Part tables known to exist with every column (table name → part), kept by
            the caller across calls to skip the catalog lookups; filled here.

    Returns:
        Each file's counts, in order, in rows extracted: read = loaded + quarantined (X12 has
        no row duplicates; a repeated file is caught by its sha256 before parsing).
    """
    known = {} if parts is None else parts
    run_values = [source_system, source_system, run_id, ingested_at]
    run_cols = "source_system, data_source, run_id, ingested_at"
    run_params = "CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS VARCHAR), ?"
    all_counts = [FileCounts() for _ in parses]
    names = sorted({name for parsed in parses for name in parsed.files})
    for name in names:
        table = TABLES_BY_NAME[name]
        columns = ", ".join(c for c in spool_columns(table) if c != "data_source")
        target = table.name
        if table.partitioned:
            key = f"{table.name}/x12_{source_system}"
            if key not in known:
                known[key] = ensure_part(conn, table, f"x12_{source_system}", table.column_names)
            target = known[key]
        clean: list[str] = []
        dirty: list[SpooledParse] = []
        for parsed, counts in zip(parses, all_counts, strict=True):
            if name not in parsed.files:
                continue
            good, bad = parsed.placed[name]
            counts.rows_read += good + bad
            counts.rows_loaded += good
            counts.rows_quarantined += bad
            if bad:
                key_ = (f"{name}.x12_transaction_invalid", "error")
                counts.rule_failures[key_] = counts.rule_failures.get(key_, 0) + bad
                dirty.append(parsed)
            else:
                clean.extend(parsed.files[name])
        if clean:
            conn.execute(
                f"INSERT INTO {target} ({columns}, {run_cols})"
                f" SELECT {columns}, {run_params} FROM {read_spool(clean)}",
                run_values,
            )
        q = quarantine_table(table).name
        for parsed in dirty:
            placed = (
                f"SELECT r.*, coalesce(s.ok AND r.segment_index <= s.last_segment, false) AS ok,"
                f" s.dq_rule, s.dq_details FROM {read_spool(parsed.files[name])} AS r"
                f" ASOF LEFT JOIN cf_sets AS s ON r.segment_index >= s.first_segment"
            )
            conn.register("cf_sets", _sets_table(parsed.result))
            try:
                conn.execute(
                    f"INSERT INTO {target} ({columns}, {run_cols})"
                    f" SELECT {columns}, {run_params} FROM ({placed}) WHERE ok",
                    run_values,
                )
                conn.execute(
                    f"INSERT INTO {q} ({columns}, {run_cols}, dq_rule, dq_severity, dq_details)"
                    f" SELECT {columns}, {run_params},"
                    f" coalesce(dq_rule, 'x12.outside_transaction'), 'error',"
                    f" coalesce(dq_details, 'row outside any transaction set')"
                    f" FROM ({placed}) WHERE NOT ok",
                    run_values,
                )
            finally:
                conn.unregister("cf_sets")
    _record_transactions(conn, [p.result for p in parses], [p.set_rows for p in parses], run_id)
    _record_errors(conn, [p.result for p in parses], run_id)
    for parsed, counts in zip(parses, all_counts, strict=True):
        loose = parsed.result.errors_outside_sets()
        if loose:
            counts.warnings.append(
                f"{len(loose)} envelope error(s) outside the transaction sets (recorded in"
                f" x12_errors; the sets themselves loaded), the first: {_describe(loose[0])}"
            )
    return all_counts


def _describe(error: X12ValidationError) -> str:
    where = f"segment {error.segment_position or error.segment_index} {error.segment_id or ''}"
    if error.element_position:
        where += f" element {error.element_position:02d}"
    return f"{where.strip()}: {error.message}"


def _record_transactions(
    conn: duckdb.DuckDBPyConnection,
    results: Sequence[ParseResult],
    extracted: Sequence[Sequence[int]],
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
                rows[i] if i < len(rows) else 0,
                run_id,
            )
            for result, rows in zip(results, extracted, strict=True)
            for i, t in enumerate(result.transactions)
        ],
    )


def _record_errors(
    conn: duckdb.DuckDBPyConnection, results: Sequence[ParseResult], run_id: str
) -> None:
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
            for result in results
            for e in [*result.errors, *result.warnings]
        ],
    )
