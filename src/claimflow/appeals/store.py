"""A prepared case in the warehouse: written whole, read back as a Chart.

:func:`store_case` replaces a case's rows in ``appeal_cases``, ``clinical_*`` and their
quarantine siblings in one transaction (after a crash the case is either fully loaded or not at
all; preparing it again replaces it). :func:`read_chart` gives the
:class:`~claimflow.clinical.records.Chart` back by case id, every row with its ``Source``;
:func:`read_case` the ``appeal_cases`` row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from typing import Any, TypeVar

import duckdb

from claimflow.appeals.case import Case, ordered
from claimflow.appeals.ehr_csv import DIAGNOSES, MEDICATIONS, NOTES, OBSERVATIONS
from claimflow.clinical.records import (
    Chart,
    Diagnosis,
    MedicationAdministration,
    Note,
    Observation,
    Source,
)
from claimflow.errors import ClaimflowError
from claimflow.schema import Table, quarantine_table
from claimflow.schema.appeals import (
    APPEAL_CASES,
    APPEAL_TABLES,
    CLINICAL_DIAGNOSES,
    CLINICAL_MEDICATIONS,
    CLINICAL_NOTES,
    CLINICAL_OBSERVATIONS,
    CLINICAL_TABLES,
)

T = TypeVar("T")


class CaseNotFoundError(ClaimflowError):
    """No prepared case has that id."""


@dataclasses.dataclass(frozen=True)
class Stored:
    """What :func:`store_case` wrote: rows loaded and quarantined per clinical table, and the
    warehouse claim matched (``None``: none)."""

    loaded: dict[str, int]
    quarantined: dict[str, int]
    claim_id: str | None
    prepared_at: dt.datetime


def _lineage(source: Source, file_ids: dict[str, str]) -> dict[str, Any]:
    return {
        "file": source.file,
        "position": source.position,
        "source_file_id": file_ids.get(source.file),
        "lineage_hash": source.lineage_hash,
    }


def _observation(case_id: str, o: Observation, ids: dict[str, str]) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "param": o.param,
        "observed_at": o.time,
        "observed_until": o.end,
        "value": o.value,
        "unit": o.unit,
        "value_text": o.text,
        "qualifier": o.qualifier,
        "raw_value": o.raw_value,
        "raw_unit": o.raw_unit,
        **_lineage(o.source, ids),
    }


def _medication(case_id: str, m: MedicationAdministration, ids: dict[str, str]) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "drug": m.drug,
        "drug_class": m.drug_class,
        "started_at": m.start,
        "ended_at": m.end,
        "rate": m.rate,
        "rate_unit": m.rate_unit,
        "dose": m.dose,
        "dose_unit": m.dose_unit,
        **_lineage(m.source, ids),
    }


def _diagnosis(case_id: str, d: Diagnosis, ids: dict[str, str]) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "code": d.code,
        "description": d.description,
        "poa": d.poa,
        "onset_at": d.onset,
        **_lineage(d.source, ids),
    }


def _note(case_id: str, n: Note, ids: dict[str, str]) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "note_type": n.note_type,
        "written_at": n.time,
        "author": n.author,
        "note_text": n.text,
        **_lineage(n.source, ids),
    }


_TABLE_OF = {
    OBSERVATIONS: CLINICAL_OBSERVATIONS,
    MEDICATIONS: CLINICAL_MEDICATIONS,
    DIAGNOSES: CLINICAL_DIAGNOSES,
    NOTES: CLINICAL_NOTES,
}


def _insert(conn: duckdb.DuckDBPyConnection, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows`` in one statement: each column passed as one list and unnested (no
    Arrow table to register: DuckDB's registration imports pandas, a second per command)."""
    if not rows:
        return 0
    params = {f"c{i}": [row.get(c.name) for row in rows] for i, c in enumerate(table.columns)}
    select = ", ".join(f"CAST(unnest($c{i}) AS {c.sql_type})" for i, c in enumerate(table.columns))
    conn.execute(
        f"INSERT INTO {table.name} ({', '.join(table.column_names)}) SELECT {select}", params
    )
    return len(rows)


def match_claim(conn: duckdb.DuckDBPyConnection, *numbers: str | None) -> str | None:
    """The warehouse claim whose patient control number is one of ``numbers`` (the account,
    then the claim number): its 837 rather than its EMR row, the latest submitted; ``None``
    when none is, or the warehouse has no claims table."""
    wanted = [n.strip().upper() for n in numbers if n and n.strip()]
    if not wanted:
        return None
    try:
        row = conn.execute(
            "SELECT claim_id FROM claims_header WHERE upper(trim(patient_control_number))"
            " IN (SELECT unnest($n))"
            # as the 835 matcher chooses (match_claims.sql, exact_pcn): the 837 over the EMR
            # row of the same claim, then the latest submitted
            " ORDER BY (segment_index IS NOT NULL) DESC, submission_date DESC NULLS LAST,"
            " claim_id LIMIT 1",
            {"n": wanted},
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return str(row[0]) if row else None


def _transaction(conn: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    conn.execute("BEGIN TRANSACTION")
    try:
        result = work()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def store_case(
    conn: duckdb.DuckDBPyConnection, case: Case, *, prepared_at: dt.datetime | None = None
) -> Stored:
    """Write a case (replacing any earlier preparation of the same case id) in one transaction.

    Args:
        conn: A migrated warehouse connection, outside a transaction.
        case: The case :func:`~claimflow.appeals.case.load_case` read.
        prepared_at: When (default: now, UTC).
    """
    when = prepared_at or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    cid = case.case_id
    ids = case.record.files
    chart = case.chart
    rows: dict[str, list[dict[str, Any]]] = {
        CLINICAL_OBSERVATIONS.name: [_observation(cid, o, ids) for o in chart.observations],
        CLINICAL_MEDICATIONS.name: [_medication(cid, m, ids) for m in chart.medications],
        CLINICAL_DIAGNOSES.name: [_diagnosis(cid, d, ids) for d in chart.diagnoses],
        CLINICAL_NOTES.name: [_note(cid, n, ids) for n in chart.notes],
    }
    held: dict[str, list[dict[str, Any]]] = {t.name: [] for t in CLINICAL_TABLES}
    for q in case.quarantined:
        held[_TABLE_OF[q.table].name].append(
            {
                **q.values,
                "case_id": cid,
                "file": q.file,
                "position": q.position,
                "source_file_id": q.source_file_id,
                "lineage_hash": q.lineage_hash,
                "dq_rule": q.rule,
                "dq_severity": "error",
                "dq_details": f"{q.field}: {q.details}",
            }
        )

    def work() -> Stored:
        claim_id = match_claim(conn, case.account_number, case.denial.claim_number)
        for table in APPEAL_TABLES:
            conn.execute(f"DELETE FROM {table.name} WHERE case_id = ?", [cid])
        d, letter = case.denial, case.letter
        _insert(
            conn,
            APPEAL_CASES,
            [
                {
                    "case_id": cid,
                    "case_dir": str(case.case_dir),
                    "condition": case.condition,
                    "account_number": case.account_number,
                    "claim_number": d.claim_number,
                    "payer": d.payer,
                    "member_id": case.member_id,
                    "admitted": chart.admitted,
                    "discharged": chart.discharged,
                    "original_drg": d.original_drg,
                    "proposed_drg": d.proposed_drg,
                    "letter_date": d.letter_date,
                    "appeal_deadline": d.appeal_deadline,
                    "deadline_rule": d.deadline_rule,
                    "arguments": json.dumps(case.arguments),
                    "letter_file": letter.file,
                    "letter_file_id": letter.file_id,
                    "letter_format": letter.format,
                    "ocr": letter.ocr,
                    "ocr_confidence": letter.confidence,
                    "letter_text": letter.text,
                    "record_format": case.record.format,
                    "record_files": json.dumps(case.record.files, sort_keys=True),
                    "claim_id": claim_id,
                    "warnings": json.dumps(case.warnings),
                    "prepared_at": when,
                }
            ],
        )
        loaded = {t.name: _insert(conn, t, rows[t.name]) for t in CLINICAL_TABLES}
        quarantined = {
            t.name: _insert(conn, quarantine_table(t), held[t.name]) for t in CLINICAL_TABLES
        }
        return Stored(loaded, quarantined, claim_id, when)

    return _transaction(conn, work)


def read_case(conn: duckdb.DuckDBPyConnection, case_id: str) -> dict[str, Any]:
    """The ``appeal_cases`` row of a case, its JSON columns decoded.

    Raises:
        CaseNotFoundError: No prepared case has that id.
    """
    cursor = conn.execute("SELECT * FROM appeal_cases WHERE case_id = ?", [case_id])
    row = cursor.fetchone()
    if row is None:
        raise CaseNotFoundError(
            f"no prepared case {case_id!r} (claimflow appeal prepare CASE_DIR first)"
        )
    names = [d[0] for d in cursor.description]
    record = dict(zip(names, row, strict=True))
    for column in ("arguments", "record_files", "warnings"):
        if record.get(column) is not None:
            record[column] = json.loads(record[column])
    return record


def _source(row: dict[str, Any]) -> Source:
    return Source(str(row["lineage_hash"]), str(row["file"]), str(row["position"]))


def _rows(conn: duckdb.DuckDBPyConnection, table: Table, case_id: str) -> list[dict[str, Any]]:
    cursor = conn.execute(f"SELECT * FROM {table.name} WHERE case_id = ?", [case_id])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def read_chart(conn: duckdb.DuckDBPyConnection, case_id: str) -> Chart:
    """The chart of a prepared case, as :func:`~claimflow.appeals.case.load_case` built it.

    Raises:
        CaseNotFoundError: No prepared case has that id.
    """
    case = read_case(conn, case_id)
    observations = [
        Observation(
            r["param"],
            r["observed_at"],
            r["value"],
            r["unit"] or "",
            _source(r),
            text=r["value_text"],
            end=r["observed_until"],
            qualifier=r["qualifier"],
            raw_value=r["raw_value"] or "",
            raw_unit=r["raw_unit"] or "",
        )
        for r in _rows(conn, CLINICAL_OBSERVATIONS, case_id)
    ]
    medications = [
        MedicationAdministration(
            r["drug"],
            r["drug_class"],
            r["started_at"],
            r["ended_at"],
            r["rate"],
            r["rate_unit"],
            r["dose"],
            r["dose_unit"],
            _source(r),
        )
        for r in _rows(conn, CLINICAL_MEDICATIONS, case_id)
    ]
    diagnoses = [
        Diagnosis(r["code"], r["description"] or "", r["poa"] or "", r["onset_at"], _source(r))
        for r in _rows(conn, CLINICAL_DIAGNOSES, case_id)
    ]
    notes = [
        Note(r["note_type"], r["written_at"], r["note_text"], _source(r), r["author"] or "")
        for r in _rows(conn, CLINICAL_NOTES, case_id)
    ]
    return ordered(
        Chart(
            case_id=case_id,
            admitted=case["admitted"],
            discharged=case["discharged"],
            observations=observations,
            medications=medications,
            diagnoses=diagnoses,
            notes=notes,
        )
    )


def read_quarantine(conn: duckdb.DuckDBPyConnection, case_id: str) -> list[dict[str, Any]]:
    """The rows of a case that were not loaded: table, file, position, rule and details."""
    selects = " UNION ALL ".join(
        f"SELECT '{t.name}' AS table_name, file, position, dq_rule, dq_details, lineage_hash"
        f" FROM {quarantine_table(t).name} WHERE case_id = $c"
        for t in CLINICAL_TABLES
    )
    cursor = conn.execute(f"{selects} ORDER BY file, position", {"c": case_id})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
