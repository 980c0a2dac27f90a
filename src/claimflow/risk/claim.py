"""The features of one claim that is not in the warehouse, from ``risk_history`` alone.

The claim is a mapping shaped like what an 837 carries::

    {"payer_id": "P03", "claim_type": "837P", "billing_npi": "1234567893",
     "rendering_npi": "...", "place_of_service": "11", "frequency_code": "1",
     "submission_date": "2025-03-02", "statement_from": "2025-02-27",
     "diagnoses": ["E119", "I10"], "prior_auth_number": "PA123",
     "patient_age": 67,  # or "patient_birth_date": "1958-04-01"
     "lines": [{"procedure_code": "99214", "modifiers": ["25"], "units": 1,
                "charge": "125.00", "service_from": "2025-02-27"}]}

Its fields fill the same relations the batch path fills from the warehouse, and the same query
(``claimflow.risk.features.FEATURES_SQL``) computes the features; the history is the newest
``risk_history`` stored at or before the claim's as-of time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import duckdb

from claimflow.risk.features import FEATURES_SQL, check_npis
from claimflow.risk.features import prepare as prepare_macros
from claimflow.risk.history import latest_history_as_of, resolve_from_history

_CLAIMS_DDL = """
CREATE OR REPLACE TEMP TABLE cf_risk_claims (
  claim_id VARCHAR, as_of TIMESTAMP, payer_id VARCHAR, claim_type VARCHAR, billing_npi VARCHAR,
  rendering_npi VARCHAR, place_of_service VARCHAR, frequency_code VARCHAR,
  prior_auth_number VARCHAR, patient_dob DATE, patient_age BIGINT, submission_date DATE,
  statement_from DATE)
"""
_LINES_DDL = """
CREATE OR REPLACE TEMP TABLE cf_risk_lines (
  claim_id VARCHAR, line_number BIGINT, procedure_code VARCHAR, modifier_1 VARCHAR,
  modifier_2 VARCHAR, modifier_3 VARCHAR, modifier_4 VARCHAR, units DOUBLE,
  line_charge DECIMAL(18,2), service_from DATE, place_of_service_code VARCHAR,
  rendering_npi VARCHAR)
"""
_DX_DDL = (
    "CREATE OR REPLACE TEMP TABLE cf_risk_dx (claim_id VARCHAR, sequence BIGINT, code VARCHAR)"
)


def _date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def features_of_claim(
    conn: duckdb.DuckDBPyConnection,
    claim: Mapping[str, Any],
    *,
    as_of: dt.datetime | None = None,
) -> dict[str, object]:
    """The features of one claim, as of ``as_of``, with history from ``risk_history``.

    Args:
        conn: A connection to the warehouse (or its published snapshot); only ``risk_history``
            is read. The relations are temporary tables of this connection (use a cursor per
            request).
        claim: The claim's fields (see the module docstring).
        as_of: The point in time; default the claim's ``submission_date`` at midnight, else now.
            A claim without a submission date is taken as submitted on the as-of day.

    Returns:
        Column → value, in the column order of ``risk_features`` (without ``built_at``).
    """
    submitted = _date(claim.get("submission_date"))
    if as_of is None:
        as_of = (
            dt.datetime.combine(submitted, dt.time()) if submitted else dt.datetime.now()
        ).replace(microsecond=0)
    if submitted is None:
        submitted = as_of.date()
    claim_id = _text(claim.get("claim_id")) or "claim"
    prepare_macros(conn)
    conn.execute(_CLAIMS_DDL)
    conn.execute(
        "INSERT INTO cf_risk_claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            claim_id,
            as_of,
            _text(claim.get("payer_id")),
            _text(claim.get("claim_type")),
            _text(claim.get("billing_npi")),
            _text(claim.get("rendering_npi")),
            _text(claim.get("place_of_service")),
            _text(claim.get("frequency_code")),
            _text(claim.get("prior_auth_number")),
            _date(claim.get("patient_birth_date")),
            None if claim.get("patient_age") is None else int(claim["patient_age"]),
            submitted,
            _date(claim.get("statement_from")),
        ],
    )
    conn.execute(_LINES_DDL)
    lines: Sequence[Mapping[str, Any]] = claim.get("lines") or ()
    if lines:
        conn.executemany(
            "INSERT INTO cf_risk_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_line_row(claim_id, number, line) for number, line in enumerate(lines, start=1)],
        )
    conn.execute(_DX_DDL)
    codes = [_text(code) for code in claim.get("diagnoses") or ()]
    rows = [(claim_id, seq, code) for seq, code in enumerate(codes, start=1) if code]
    if rows:
        conn.executemany("INSERT INTO cf_risk_dx VALUES (?, ?, ?)", rows)
    check_npis(conn)
    resolve_from_history(conn, latest_history_as_of(conn, as_of))
    cursor = conn.execute(FEATURES_SQL)
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    assert row is not None  # one claim in, one row out
    return dict(zip(names, row, strict=True))


def _line_row(claim_id: str, number: int, line: Mapping[str, Any]) -> list[object]:
    modifiers = [_text(m) for m in line.get("modifiers") or ()][:4]
    modifiers += [None] * (4 - len(modifiers))
    charge = line.get("charge")
    units = line.get("units")
    return [
        claim_id,
        int(line.get("line_number") or number),
        _text(line.get("procedure_code")),
        *modifiers,
        None if units is None else float(units),
        None if charge is None else Decimal(str(charge)),
        _date(line.get("service_from")),
        _text(line.get("place_of_service")),
        _text(line.get("rendering_npi")),
    ]
