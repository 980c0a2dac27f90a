"""Load a staged EMR file: type it, check it, deduplicate it, and write bronze and silver.

Every staged record gets exactly one disposition — ``loaded``, ``quarantined`` or
``duplicate`` — recorded beside its raw form in bronze (``bronze_emr_rows``). Deduplication
rule: within a ``source_system`` the first record of a claim id wins (earlier files first, then
file order); later records with the same claim id are counted as duplicates and loaded nowhere
but bronze.

Cost model (see ``docs/benchmarks.md``): DuckDB spends most of an append on compressing
high-entropy strings — the claim id, the lineage hash, the raw record. Each of them is therefore
written once per table that must hold it: the typing query computes every value once into a
temporary table, duplicates are marked by a second, small pass over it, and an EMR source's
``claims_line`` part is a view over its ``claims_header`` part (one line per claim) rather than
another copy of the claim id, the lineage hash and a line id; bronze stores the raw record
but not its lineage hash, which is a function of the file id, row number and raw record it
already holds (``bronze_emr_rows`` derives it on read).
"""

from __future__ import annotations

import datetime as dt

import duckdb

from claimflow.config import SourceDefinition
from claimflow.ingest.counts import FileCounts
from claimflow.quality.coverage import coverage_checks, empty_column_warning
from claimflow.quality.expectations import (
    Expectation,
    clean_sql,
    expectations_for,
    text_var,
    trim_sql,
    typed_sql,
)
from claimflow.schema import (
    BRONZE_EMR_ROWS,
    CLAIMS_HEADER,
    CLAIMS_LINE,
    EMR_HEADER_FIELDS,
    EMR_LINE_FIELDS,
    LINEAGE,
    Column,
    Kind,
    part_table_name,
    quarantine_table,
)
from claimflow.sources.tabular import STAGE, UNREADABLE_ROW_RULE, StagedFile
from claimflow.warehouse.native import lineage_hash_sql
from claimflow.warehouse.parts import (
    columns_of,
    ensure_derived_part,
    ensure_part,
    part_kind,
)
from claimflow.warehouse.sql import execute, insert_rows, sql_str

TYPED = "cf_typed"

LINEAGE_HASH_SQL = "sha256"
"""The lineage hash: sha256 (hex) over file id, position and the raw record's bytes — the same
function as an X12 row's, so one hash identifies a record whatever its source. A staged record's
is computed by :func:`claimflow.warehouse.native.lineage_hash_sql` (the compiled function
where it is loaded, the same value)."""

BRONZE = BRONZE_EMR_ROWS.stored_in
"""Where bronze stores the records. ``bronze_emr_rows`` is a view over it that derives each
record's lineage hash from its file id, row number and raw record (migration 0005); the
stored ``lineage_hash`` is NULL except for lines the reader could not split, whose hash is over
their line number instead."""

ZSTD_COLUMNS = {
    name: "zstd" for name in ("claim_id", "patient_control_number", "member_id", "lineage_hash")
}
"""High-entropy strings of an EMR ``claims_header`` part: zstd writes them 2-3x faster than
DuckDB's default analysis (dictionary, FSST) at a similar size, and reads them as fast."""

HAS_LINE = Column("emr_has_line", Kind.BOOLEAN, "the record's file mapped a claims_line field")
"""Kept in an EMR ``claims_header`` part (not in the view): which records have a line."""


def _typed_query(
    staged: StagedFile, definition: SourceDefinition, rules: list[Expectation], hash_sql: str
) -> str:
    """One pass over the staged file: typed values, rule flags, lineage hash and claim id.

    Every row leaves it ``quarantined`` (a rule of severity error failed) or ``loaded``;
    :func:`_mark_duplicates` then turns later records of a claim id into ``duplicate``.
    """
    mapped = list(staged.field_sql)
    trimmed = ",\n  ".join(f"{trim_sql(sql)} AS t__{col}" for col, sql in staged.field_sql.items())
    cleaned = ",\n  ".join(
        f"{clean_sql(f't__{col}', definition.null_tokens_lower)} AS {text_var(col)}"
        for col in mapped
    )
    typed = ",\n  ".join(f"{typed_sql(col, definition)} AS {col}" for col in mapped)
    flags = ",\n  ".join(f"({r.fails_sql}) AS __f{i}" for i, r in enumerate(rules)) or "NULL AS __f"
    flag_names = [f"__f{i}" for i in range(len(rules))]
    errors = [(i, r) for i, r in enumerate(rules) if r.severity == "error"]
    first_rule = (
        "COALESCE("
        + ", ".join(f"CASE WHEN __f{i} THEN {sql_str(r.rule)} END" for i, r in errors)
        + ", NULL)"
        if errors
        else "NULL"
    )
    details = (
        "NULLIF(concat_ws('; ', "
        + ", ".join(f"CASE WHEN __f{i} THEN {r.message_sql} END" for i, r in errors)
        + "), '')"
        if errors
        else "NULL"
    )
    return f"""
CREATE TEMP TABLE {TYPED} AS
WITH trimmed AS (
  SELECT {staged.row_sql} - (SELECT min(rowid) FROM {STAGE}) + 1 AS __row,
  {staged.raw_sql} AS __raw,
  {trimmed}
  FROM {staged.from_sql}
), cleaned AS (
  SELECT __row, __raw,
  {cleaned}
  FROM trimmed
), typed AS (
  SELECT *,
  {typed}
  FROM cleaned
), checked AS (
  SELECT *,
  {flags}
  FROM typed
), ruled AS (
  SELECT __row, __raw, {", ".join(mapped)}, {", ".join(flag_names) or "NULL AS __f"},
         {first_rule} AS dq_rule, {details} AS dq_details
  FROM checked
)
SELECT *,
  {hash_sql} AS lineage_hash,
  md5($source_system || chr(31) || patient_control_number) AS claim_id,
  CASE WHEN dq_rule IS NULL THEN 'loaded' ELSE 'quarantined' END AS disposition
FROM ruled
"""


def _mark_duplicates(conn: duckdb.DuckDBPyConnection, params: dict[str, object]) -> None:
    """Turn every ``loaded`` record whose claim id is already taken into ``duplicate``.

    Taken: by an earlier record of the same file (the first one wins), or by a claim of the
    same ``source_system`` already in the warehouse. Only the claim ids that occur more than
    once are joined back, so the pass costs one aggregation over the file.
    """
    execute(
        conn,
        f"""
UPDATE {TYPED} SET disposition = 'duplicate'
WHERE __row IN (
  SELECT t.__row FROM {TYPED} AS t
  JOIN (
    SELECT patient_control_number, min(__row) AS first_row FROM {TYPED}
    WHERE disposition = 'loaded' GROUP BY patient_control_number HAVING count(*) > 1
  ) AS f ON f.patient_control_number = t.patient_control_number
  WHERE t.disposition = 'loaded' AND t.__row <> f.first_row
  UNION ALL
  SELECT __row FROM {TYPED}
  WHERE disposition = 'loaded' AND patient_control_number IN (
    SELECT patient_control_number FROM claims_header WHERE source_system = $source_system)
)
""",
        params,
    )


def _lineage_exprs() -> dict[str, str]:
    return {
        "source_system": "$source_system",
        "data_source": "$source_system",
        "source_file_id": "$file_id",
        "source_row_number": "t.__row",
        "lineage_hash": "t.lineage_hash",
        "run_id": "$run_id",
        "ingested_at": "$ingested_at",
    }


def _insert(
    conn: duckdb.DuckDBPyConnection,
    target: str,
    exprs: dict[str, str],
    disposition: str,
    params: dict[str, object],
) -> None:
    execute(
        conn,
        f"INSERT INTO {target} ({', '.join(exprs)}) SELECT {', '.join(exprs.values())}"
        f" FROM {TYPED} AS t WHERE t.disposition = '{disposition}'",
        params,
    )


def _part_name(definition: SourceDefinition) -> str:
    return f"emr_{definition.source_system}"


def prepare_parts(conn: duckdb.DuckDBPyConnection, definition: SourceDefinition) -> None:
    """Create (or widen) the source's parts for every column its definition maps.

    Loading a file then changes no catalog entry shared with another source (the
    ``claims_header`` and ``claims_line`` views), so files of different source systems can load
    concurrently, each in its own transaction (:func:`claimflow.pipeline.run`).
    """
    _claims_layout(conn, list(definition.columns), _part_name(definition))


def _claims_layout(
    conn: duckdb.DuckDBPyConnection, mapped: list[str], part: str
) -> tuple[str, dict[str, str], dict[str, str], dict[str, str] | None]:
    """Make the parts hold ``mapped``; return the header part, its insert expressions, the
    kept line fields, and the line fields of a stored (legacy) line part, if it has one."""
    header = {c: f"t.{c}" for c in mapped if c in EMR_HEADER_FIELDS}
    line = {c: f"t.{c}" for c in mapped if c in EMR_LINE_FIELDS}
    exprs = {"claim_id": "t.claim_id", **header, **_lineage_exprs()}
    line_part = part_table_name(CLAIMS_LINE, part)
    legacy_lines = part_kind(conn, line_part) == "BASE TABLE"
    kept = {} if legacy_lines or not line else {**line, HAS_LINE.name: "true"}
    extra = [CLAIMS_LINE.column(c) for c in line if c in kept] + [HAS_LINE]
    target = ensure_part(conn, CLAIMS_HEADER, part, {**exprs, **kept}, extra, ZSTD_COLUMNS)
    if legacy_lines:
        ensure_part(conn, CLAIMS_LINE, part, _legacy_line_exprs(line))
    elif line:
        _derive_lines(conn, target, part)
    return target, exprs, kept, (line if legacy_lines else None)


def _insert_claims(
    conn: duckdb.DuckDBPyConnection, mapped: list[str], part: str, params: dict[str, object]
) -> None:
    """Loaded records to the source's ``claims_header`` part (and its lines), quarantined ones
    to ``claims_header__quarantine``."""
    target, exprs, kept, legacy_line = _claims_layout(conn, mapped, part)
    _insert(conn, target, {**exprs, **kept}, "loaded", params)
    quarantine = quarantine_table(CLAIMS_HEADER).name
    extra_q = {"dq_rule": "t.dq_rule", "dq_severity": "'error'", "dq_details": "t.dq_details"}
    _insert(conn, quarantine, {**exprs, **extra_q}, "quarantined", params)
    if legacy_line is not None:
        _insert_lines_legacy(conn, legacy_line, part, params)


def _derive_lines(conn: duckdb.DuckDBPyConnection, header_part: str, part: str) -> None:
    """Define the source's ``claims_line`` part as a view over its ``claims_header`` part.

    An EMR record is one claim with one line; the line's id is derived from the claim id and
    the line number exactly as when it was stored (``md5(claim_id || chr(31) || number)``).
    Only records from files that mapped a line field have a line (``HAS_LINE``).
    """
    have = set(columns_of(conn, header_part))
    number = "COALESCE(line_number, 1)" if "line_number" in have else "1"
    fields = [c for c in EMR_LINE_FIELDS if c in have and c != "line_number"]
    lineage = [c.name for c in LINEAGE if c.name in have]
    select = ", ".join(
        [
            f"md5(claim_id || chr(31) || {number}) AS claim_line_id",
            "claim_id",
            f"CAST({number} AS BIGINT) AS line_number",
            *fields,
            *lineage,
        ]
    )
    ensure_derived_part(
        conn, CLAIMS_LINE, part, f"SELECT {select} FROM {header_part} WHERE {HAS_LINE.name}"
    )


def _insert_lines_legacy(
    conn: duckdb.DuckDBPyConnection, line: dict[str, str], part: str, params: dict[str, object]
) -> None:
    """Warehouses made before lines were derived keep a stored ``claims_line`` part: fill it."""
    exprs = _legacy_line_exprs(line)
    target = ensure_part(conn, CLAIMS_LINE, part, exprs)
    _insert(conn, target, exprs, "loaded", params)


def _legacy_line_exprs(line: dict[str, str]) -> dict[str, str]:
    fields = dict(line)
    line_number = fields.pop("line_number", None)
    number = f"COALESCE({line_number}, 1)" if line_number else "1"
    return {
        "claim_line_id": f"md5(t.claim_id || chr(31) || {number})",
        "claim_id": "t.claim_id",
        "line_number": number,
        **fields,
        **_lineage_exprs(),
    }


def _insert_rejected_lines(
    conn: duckdb.DuckDBPyConnection, staged: StagedFile, params: dict[str, object]
) -> None:
    """Register records the CSV reader could not split: bronze + quarantine, nothing lost.

    Bronze keeps each one's text at its first line (``source_line``); the quarantine has the
    rule, and details naming the line, the field and what was expected, never the text.
    """
    if not staged.rejected_lines:
        return
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE cf_rejected (line BIGINT, reason VARCHAR, raw VARCHAR)"
    )
    insert_rows(conn, "cf_rejected", staged.rejected_lines)
    hash_sql = f"{LINEAGE_HASH_SQL}($file_id || ':line:' || r.line || ':' || r.raw)"
    execute(
        conn,
        f"INSERT INTO {BRONZE} SELECT $file_id, $source_system, NULL, r.line,"
        f" to_json(r.raw)::VARCHAR, {hash_sql}, 'quarantined', $run_id FROM cf_rejected AS r",
        params,
    )
    q = quarantine_table(CLAIMS_HEADER)
    values = {
        "source_system": "$source_system",
        "data_source": "$source_system",
        "source_file_id": "$file_id",
        "lineage_hash": hash_sql,
        "run_id": "$run_id",
        "ingested_at": "$ingested_at",
        "dq_rule": sql_str(UNREADABLE_ROW_RULE),
        "dq_severity": "'error'",
        "dq_details": "r.reason",
    }
    select = [values.get(c, "NULL") for c in q.column_names]
    execute(
        conn,
        f"INSERT INTO {q.name} ({', '.join(q.column_names)}) SELECT {', '.join(select)} FROM cf_rejected AS r",
        params,
    )
    conn.execute("DROP TABLE cf_rejected")


def load_staged(
    conn: duckdb.DuckDBPyConnection,
    staged: StagedFile,
    definition: SourceDefinition,
    *,
    run_id: str,
    ingested_at: dt.datetime,
) -> FileCounts:
    """Type, check, deduplicate and load one staged file. The caller owns the transaction.

    Returns:
        The file's counts; ``rows_read == rows_loaded + rows_quarantined + rows_duplicate``.
    """
    mapped = list(staged.field_sql)
    rules = expectations_for(definition, mapped)
    params: dict[str, object] = {
        "file_id": staged.file_id,
        "source_system": definition.source_system,
        "run_id": run_id,
        "ingested_at": ingested_at,
    }
    conn.execute(f"DROP TABLE IF EXISTS {TYPED}")
    hash_sql = lineage_hash_sql(conn, "$file_id", "__row", "__raw")
    execute(conn, _typed_query(staged, definition, rules, hash_sql), params)
    _mark_duplicates(conn, params)
    _insert_claims(conn, mapped, _part_name(definition), params)
    execute(
        conn,
        f"INSERT INTO {BRONZE} SELECT $file_id, $source_system, t.__row, NULL,"
        f" t.__raw, NULL, t.disposition, $run_id FROM {TYPED} AS t",
        params,
    )
    _insert_rejected_lines(conn, staged, params)

    counts = FileCounts(rows_read=staged.rows_read, warnings=list(staged.warnings))
    checks = coverage_checks(mapped)
    sums = [f"count(*) FILTER (WHERE __f{i})" for i in range(len(rules))]
    sums += [f"count({c.column})" for c in checks]
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE disposition = 'loaded'),"
        " count(*) FILTER (WHERE disposition = 'quarantined'),"
        " count(*) FILTER (WHERE disposition = 'duplicate')"
        + "".join(f", {expr}" for expr in sums)
        + f" FROM {TYPED}"
    ).fetchone()
    assert row is not None
    counts.rows_loaded = int(row[0])
    counts.rows_quarantined = int(row[1]) + len(staged.rejected_lines)
    counts.rows_duplicate = int(row[2])
    for i, rule in enumerate(rules):
        if row[3 + i]:
            counts.rule_failures[(rule.rule, rule.severity)] = int(row[3 + i])
    if staged.rejected_lines:
        counts.rule_failures[(UNREADABLE_ROW_RULE, "error")] = len(staged.rejected_lines)
    at = 3 + len(rules)
    for j, check in enumerate(checks):
        if row[at + j]:
            continue
        rows = int(row[0]) + int(row[1]) + int(row[2])
        if check.rows_where:
            n = conn.execute(f"SELECT count(*) FROM {TYPED} WHERE {check.rows_where}").fetchone()
            rows = int(n[0]) if n else 0
        failed = any(  # values were there, and their rows were quarantined (which says so)
            r.column == check.column and r.severity == "error" and row[3 + i]
            for i, r in enumerate(rules)
        )
        warning = empty_column_warning(definition, check, rows, failed)
        if warning:
            counts.warnings.append(warning)
    conn.execute(f"DROP TABLE {TYPED}")
    conn.execute(f"DROP TABLE IF EXISTS {STAGE}")
    return counts
