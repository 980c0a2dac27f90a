"""The run's outputs: candidates JSON, the append-only rejection log, and the metrics file.

Each is written into the run's staging folder and put in place once the run has committed
(:mod:`claimflow.resubmit.publish`): whole files are renamed over their target; the rejection
log is only ever appended to, flushed and fsynced, with its header written once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from claimflow.atomic import atomic_path
from claimflow.redact import redact
from claimflow.resubmit.decide import CLAIM_COUNTS, DECISIONS, EMR_FIXES
from claimflow.warehouse.connection import unordered
from claimflow.warehouse.sql import execute, sql_str

CANDIDATES_FILE = "resubmission_candidates.json"
CORRECTED_CLAIMS_FILE = "corrected_claims.x12"
REJECTION_LOG_FILE = "rejection_log.csv"

REJECTION_LOG_COLUMNS = (
    "run_id",
    "logged_at",
    "claim_id",
    "source_system",
    "reason",
    "classification",
    "label",
    "category",
    "disposition",
    "confidence",
    "denial_reason",
    "lineage_hash",
    "recommended_fix",
)
"""The rejection log CSV's columns. It holds no patient identifier: ``denial_reason`` is the
denial text with the identifiers a person typed into it redacted (:func:`claimflow.redact.redact`;
the classifier read the text as exported, in ``claims_header``).

A log started before ``recommended_fix`` existed keeps its header: new lines are appended with
the columns that header names, so the file stays one well-formed CSV.
"""


def write_json(target: Path, payload: Any) -> None:
    """Write ``payload`` as indented JSON, atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")


def write_candidates(conn: duckdb.DuckDBPyConnection, target: Path, *, run_id: str) -> int:
    """Write the resubmission candidates (every claim with no exclusion reason), in the order
    of source system and claim id, each naming the run that wrote it.

    The EMR candidates are written in :data:`DECISIONS`'s order, which is that one; with X12
    candidates beside them, the whole file is sorted.
    """
    emr = f"""SELECT patient_control_number AS claim_id, member_id AS patient_id,
                     strftime(submission_date, '%Y-%m-%d') AS submitted_at, denial_reason,
                     classification, label, category, disposition,
                     round(confidence, 4) AS confidence, layer, model_version, source_system,
                     recommended_change, lineage_hash, claim_id AS claim_key
              FROM {DECISIONS} WHERE exclusion_reason IS NULL"""
    x12_rows = _staged_rows(conn, "cf_x12_candidates")
    query = emr
    if x12_rows is not None:
        query = f"{emr} UNION ALL BY NAME SELECT * FROM cf_x12_candidates"
    if x12_rows:
        query_in_order = f"SELECT * FROM ({query}) ORDER BY source_system, claim_id"
    else:
        query_in_order = query  # UNION ALL keeps the EMR candidates' order
    with_run = f"SELECT *, CAST($run_id AS VARCHAR) AS run_id FROM ({query_in_order})"
    _copy(
        conn, with_run, target, "FORMAT JSON, ARRAY true", {"run_id": run_id}, sort=bool(x12_rows)
    )
    row = conn.execute(f"SELECT count(*) FROM ({query})").fetchone()
    return int(row[0]) if row else 0


def stage_rejection_log(
    conn: duckdb.DuckDBPyConnection,
    staged: Path,
    log_file: Path,
    *,
    run_id: str,
    logged_at: dt.datetime,
) -> tuple[int, int]:
    """Log every denied claim excluded for a reason a person must look at, once ever.

    The warehouse's ``rejection_log`` table remembers what was logged: the same decision
    (claim, reason, classification, label) on the same claim is never logged twice. The run's
    lines go to ``staged``, to be appended to ``log_file`` once the run commits: with the
    header when the log is new or empty, else with the columns its header names. They are in
    the order of source system, claim id, reason and label. When the run logs EMR lines only,
    they are written straight from :data:`DECISIONS` (a filter of it, nothing joined), whose
    order that is; with X12 lines beside them, the run's lines are read back from the table and
    sorted, once the decisions are dropped (that sort gets their memory).

    Returns:
        The number of lines (0: nothing is staged), and ``log_file``'s size before them.
    """
    fixes = [
        str(r[0]) for r in conn.execute(f"SELECT fix FROM {EMR_FIXES} ORDER BY fix_id").fetchall()
    ]
    conn.execute(f"DROP TABLE {EMR_FIXES}")
    x12_staged = _staged_rows(conn, "cf_x12_log")
    redacted, texts = _redactions(conn, x12=x12_staged is not None)
    # the EMR lines: a plain filter of the decisions, so they keep the decisions' order (the
    # CSV's); the columns in the table's order
    emr_lines = f"""SELECT CAST($run_id AS VARCHAR) AS run_id,
               CAST($logged_at AS TIMESTAMP) AS logged_at, d.claim_id, d.patient_control_number,
               d.source_system, d.exclusion_reason AS reason, d.classification, d.label,
               d.category, d.disposition,
               round(d.confidence, 4) AS confidence, {redacted("d.denial_reason")} AS denial_reason,
               d.lineage_hash,
               d.total_charge AS amount, $fixes[d.fix_id] AS recommended_fix
        FROM {DECISIONS} AS d
        WHERE d.to_log"""
    params: dict[str, object] = {
        "run_id": run_id, "logged_at": logged_at, "fixes": fixes, **texts
    }  # fmt: skip
    with unordered(conn):  # the table's order does not matter (the CSV is written below)
        count = _inserted(conn, f"INSERT INTO rejection_log {emr_lines}", params)
    x12_count = 0
    if x12_staged:
        x12_count = _inserted(
            conn,
            "INSERT INTO rejection_log SELECT n.* REPLACE"
            f" ({redacted('n.denial_reason')} AS denial_reason) FROM cf_x12_log AS n"
            " WHERE NOT EXISTS (SELECT 1 FROM rejection_log AS l WHERE l.claim_id = n.claim_id"
            " AND l.reason = n.reason AND l.label IS NOT DISTINCT FROM n.label)",
            texts,
        )
    if x12_count:
        conn.execute(f"DROP TABLE {DECISIONS}")
    count += x12_count
    size = log_file.stat().st_size if log_file.exists() else 0
    if count:
        header = size == 0
        columns = REJECTION_LOG_COLUMNS if header else _existing_header(log_file)
        cols = ", ".join(_log_column(c) for c in columns)
        options = f"FORMAT CSV, HEADER {str(header).lower()}, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S'"
        if not x12_count:  # in the decisions' order, which is the CSV's
            _copy(conn, f"SELECT {cols} FROM ({emr_lines})", staged, options, params, sort=False)
        else:
            lines = (
                f"SELECT {cols} FROM rejection_log WHERE run_id = $run_id"
                " ORDER BY source_system, patient_control_number, reason, label"
            )
            _copy(conn, lines, staged, options, {"run_id": run_id}, sort=True)
    conn.execute(f"DROP TABLE IF EXISTS {DECISIONS}")
    return count, size


def _redactions(
    conn: duckdb.DuckDBPyConnection, *, x12: bool
) -> tuple[Callable[[str], str], dict[str, object]]:
    """How the log's lines read their denial text: the SQL of a column's text redacted, and
    its parameters. Each distinct text to log is redacted once, here; the lines look theirs up
    (a map of the texts that change: a lookup keeps the decisions' order, a join would not)."""
    sources = [f"SELECT CAST(denial_reason AS VARCHAR) FROM {DECISIONS} WHERE to_log"]
    if x12:
        sources.append("SELECT denial_reason FROM cf_x12_log")
    texts = [
        str(r[0])
        for r in conn.execute(
            f"SELECT DISTINCT t FROM ({' UNION ALL '.join(sources)}) AS s(t) WHERE t IS NOT NULL"
        ).fetchall()
    ]
    changed = {t: r for t in texts if (r := redact(t)) != t}
    if not changed:
        return (lambda column: column), {}

    def redacted(column: str) -> str:
        text = f"CAST({column} AS VARCHAR)"
        return f"coalesce(MAP($redact_from, $redact_to)[{text}], {text})"

    return redacted, {"redact_from": list(changed), "redact_to": list(changed.values())}


def _staged_rows(conn: duckdb.DuckDBPyConnection, table: str) -> int | None:
    """The rows of temporary table ``table``, or None when the run did not stage it."""
    found = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]
    ).fetchone()
    if not found or not found[0]:
        return None
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _copy(
    conn: duckdb.DuckDBPyConnection,
    query: str,
    target: Path,
    options: str,
    params: dict[str, object],
    *,
    sort: bool,
) -> None:
    """COPY ``query`` to ``target``. ``sort``: the query's ORDER BY sets the order, so DuckDB's
    writers may run in parallel, unordered; else the rows keep the order the query reads them
    in (a plain filter of a table keeps the table's order)."""
    with unordered(conn) if sort else contextlib.nullcontext():
        execute(conn, f"COPY ({query}) TO {sql_str(str(target))} ({options})", params)


def _inserted(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> int:
    """Run an INSERT; the number of rows it inserted."""
    row = execute(conn, sql, params).fetchone()
    return int(row[0]) if row else 0


def _log_column(name: str) -> str:
    """The SQL of one rejection-log CSV column over the log's rows (the table's columns)."""
    if name == "claim_id":  # the log names the provider's claim id, as the candidates do
        return "patient_control_number AS claim_id"
    return name


def _existing_header(target: Path) -> tuple[str, ...]:
    """The columns an existing log was started with (an older log lacks recommended_fix)."""
    with target.open("rb") as log:
        first = log.readline().decode("utf-8").strip()
    named = tuple(first.split(","))
    known = [c for c in named if c in REJECTION_LOG_COLUMNS]
    return tuple(known) if len(known) == len(named) else REJECTION_LOG_COLUMNS


def decision_metrics(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The decision counts of the run, as the first design reported them and a bit more.

    ``total_claims``, ``total_denied`` and ``total_flagged_for_resubmission`` are the first
    design's keys (monitoring built on its metrics reads them); ``denied`` and
    ``flagged_for_resubmission`` carry the same values under this design's names.
    """
    counts = conn.execute(
        f"SELECT source_system, claims, denied FROM {CLAIM_COUNTS} ORDER BY 1"
    ).fetchall()
    row = conn.execute(
        f"SELECT count(*) FILTER (WHERE exclusion_reason IS NULL) FROM {DECISIONS}"
    ).fetchone()
    assert row is not None
    total = sum(int(c) for _, c, _ in counts)
    denied = sum(int(d) for _, _, d in counts)

    def grouped(sql: str) -> dict[str, int]:
        return {str(k): int(v) for k, v in conn.execute(sql).fetchall()}

    reasons = grouped(
        f"SELECT exclusion_reason, count(*) FROM {DECISIONS}"
        " WHERE exclusion_reason IS NOT NULL GROUP BY 1 ORDER BY 1"
    )
    if total > denied:
        reasons = dict(sorted({**reasons, "not_denied": total - denied}.items()))
    flagged = int(row[0])
    return {
        "total_claims": total,
        "total_denied": denied,
        "total_flagged_for_resubmission": flagged,
        "denied": denied,
        "flagged_for_resubmission": flagged,
        "denied_excluded": denied - flagged,
        "claims_by_source": {str(s): int(c) for s, c, _ in counts if c},
        "flagged_by_source": grouped(
            f"SELECT source_system, count(*) FROM {DECISIONS}"
            " WHERE exclusion_reason IS NULL GROUP BY 1 ORDER BY 1"
        ),
        "exclusion_reasons": reasons,
        "classifications": grouped(
            f"SELECT classification, count(*) FROM {DECISIONS}"
            " WHERE classification IS NOT NULL GROUP BY 1 ORDER BY 1"
        ),
        "decided_by_layer": grouped(
            f"SELECT layer, count(*) FROM {DECISIONS} WHERE layer IS NOT NULL GROUP BY 1 ORDER BY 1"
        ),
    }
