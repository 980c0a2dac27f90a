"""Retention: remove raw records, offending values and clinical text past the retention period.

``claimflow purge --older-than DAYS`` sets to NULL, for rows that came in more than DAYS ago:

- bronze (``bronze_emr_raw``): ``raw_record``, the record exactly as read. Its lineage hash,
  derived from the raw record on read (migration 0005), is stored first, so the hash stays;
- every quarantine table (``<table>__quarantine``): ``dq_details`` (the offending values) and
  the row's patient identifiers and free text (:data:`claimflow.phi.PHI_COLUMNS`, the free-text
  ``denial_reason`` and ``patient_control_number``);
- ``x12_errors.bad_value`` (IK404, the offending value);
- appeal cases: ``appeal_cases.letter_text`` and ``clinical_notes.note_text`` (and its
  quarantine's).

A row came in at its run's ``runs.started_at`` (UTC); an appeal case and its clinical rows at
``appeal_cases.prepared_at``. Lineage hashes, row numbers, files, runs and every count are
kept; each purge appends one row per table to ``retention_purges`` (when, who, the cutoff,
which columns, how many rows), and ``claimflow lineage`` of a purged row says when. A second
purge with the same period finds nothing left to remove.
"""

from __future__ import annotations

import datetime as dt
import getpass
import uuid
from dataclasses import dataclass

import duckdb

from claimflow.errors import ClaimflowError
from claimflow.phi import PHI_COLUMNS
from claimflow.schema import BRONZE_EMR_ROWS, SILVER_TABLES, quarantine_table
from claimflow.schema.appeals import CLINICAL_NOTES
from claimflow.warehouse.native import lineage_hash_sql

QUARANTINE_PURGED: tuple[str, ...] = (
    "dq_details",
    *PHI_COLUMNS,
    "denial_reason",
    "patient_control_number",
)
"""Columns of a quarantine row set to NULL (those the table has)."""

_RUN_TIME = "(SELECT r.started_at FROM runs AS r WHERE r.run_id = t.run_id)"
_CASE_TIME = "(SELECT c.prepared_at FROM appeal_cases AS c WHERE c.case_id = t.case_id)"


@dataclass(frozen=True)
class Target:
    """One table purged: which columns, and the SQL time its rows came in (alias ``t``)."""

    table: str
    columns: tuple[str, ...]
    came_in: str


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed (or, dry, would remove)."""

    purge_id: str
    purged_at: dt.datetime
    purged_by: str
    older_than_days: int
    cutoff: dt.datetime
    dry_run: bool
    rows: dict[str, int]
    columns: dict[str, list[str]]

    def as_dict(self) -> dict[str, object]:
        return {
            "purge_id": self.purge_id,
            "purged_at": self.purged_at.isoformat(),
            "purged_by": self.purged_by,
            "older_than_days": self.older_than_days,
            "cutoff": self.cutoff.isoformat(),
            "dry_run": self.dry_run,
            "rows": self.rows,
            "columns": self.columns,
            "total_rows": sum(self.rows.values()),
        }


def _columns(conn: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table, column in conn.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal"
        " AND database_name = current_database() AND schema_name = 'main'"
    ).fetchall():
        found.setdefault(str(table), set()).add(str(column))
    tables = {
        str(r[0])
        for r in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    }
    return {name: cols for name, cols in found.items() if name in tables}


def targets(conn: duckdb.DuckDBPyConnection) -> list[Target]:
    """What a purge touches in this warehouse (tables it lacks are left out)."""
    present = _columns(conn)
    found: list[Target] = []
    raw = BRONZE_EMR_ROWS.stored_in or BRONZE_EMR_ROWS.name
    if "raw_record" in present.get(raw, set()):
        found.append(Target(raw, ("raw_record",), _RUN_TIME))
    for table in SILVER_TABLES:
        name = quarantine_table(table).name
        cols = present.get(name, set())
        if "run_id" in cols:
            found.append(Target(name, tuple(c for c in QUARANTINE_PURGED if c in cols), _RUN_TIME))
    if "bad_value" in present.get("x12_errors", set()):
        found.append(Target("x12_errors", ("bad_value",), _RUN_TIME))
    if "letter_text" in present.get("appeal_cases", set()):
        found.append(Target("appeal_cases", ("letter_text",), "t.prepared_at"))
    if "appeal_cases" in present:
        for name in (CLINICAL_NOTES.name, quarantine_table(CLINICAL_NOTES).name):
            if "note_text" in present.get(name, set()):
                found.append(Target(name, ("note_text",), _CASE_TIME))
    return found


def _pending(target: Target) -> str:
    """The rows of ``target`` (alias ``t``) past the cutoff ($cutoff) with a value left."""
    left = " OR ".join(f"t.{c} IS NOT NULL" for c in target.columns)
    return f"{target.came_in} < $cutoff AND ({left})"


def purge(
    conn: duckdb.DuckDBPyConnection,
    older_than_days: int,
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    purged_by: str | None = None,
) -> PurgeResult:
    """Remove the raw values of rows that came in more than ``older_than_days`` ago.

    One transaction: every table is purged and the purge recorded, or nothing is. With
    ``dry_run`` only counts what would be removed, and records nothing.

    Raises:
        ClaimflowError: A negative period.
    """
    if older_than_days < 0:
        raise ClaimflowError(f"--older-than {older_than_days}: give a number of days, 0 or more")
    at = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    cutoff = at - dt.timedelta(days=older_than_days)
    who = purged_by or _user()
    purge_id = uuid.uuid4().hex[:16]
    found = targets(conn)
    rows: dict[str, int] = {}
    conn.execute("BEGIN TRANSACTION")
    try:
        for target in found:
            where = _pending(target)
            row = conn.execute(
                f"SELECT count(*) FROM {target.table} AS t WHERE {where}", {"cutoff": cutoff}
            ).fetchone()
            rows[target.table] = int(row[0]) if row else 0
            if dry_run or not rows[target.table]:
                continue
            sets = ", ".join(f"{c} = NULL" for c in target.columns)
            if target.table == BRONZE_EMR_ROWS.stored_in:
                # the hash is derived from the raw record on read: keep it by storing it
                derived = lineage_hash_sql(
                    conn, "t.source_file_id", "t.source_row_number", "t.raw_record"
                )
                sets = f"lineage_hash = COALESCE(t.lineage_hash, {derived}), {sets}"
            conn.execute(f"UPDATE {target.table} AS t SET {sets} WHERE {where}", {"cutoff": cutoff})
        if not dry_run:
            conn.executemany(
                "INSERT INTO retention_purges (purge_id, purged_at, purged_by, older_than_days,"
                " cutoff, table_name, columns, rows_purged) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [purge_id, at, who, older_than_days, cutoff, t.table, ",".join(t.columns),
                     rows[t.table]]
                    for t in found
                ],
            )  # fmt: skip
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("ROLLBACK" if dry_run else "COMMIT")
    return PurgeResult(
        purge_id,
        at,
        who,
        older_than_days,
        cutoff,
        dry_run,
        rows,
        {t.table: list(t.columns) for t in found},
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def purged_on(conn: duckdb.DuckDBPyConnection, came_in: dt.datetime | None) -> dt.datetime | None:
    """When the raw values of a row that came in at ``came_in`` were purged (the first purge
    whose cutoff is after it), or None."""
    if came_in is None:
        return None
    try:
        row = conn.execute(
            "SELECT min(purged_at) FROM retention_purges WHERE cutoff > ?", [came_in]
        ).fetchone()
    except duckdb.CatalogException:  # a warehouse older than migration 0012: never purged
        return None
    return row[0] if row and row[0] is not None else None
