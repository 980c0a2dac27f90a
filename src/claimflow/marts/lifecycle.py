"""A claim's lifecycle: what went out, what came back, and what claimflow did about it.

The claim is found by ``claims_header.claim_id`` (the warehouse's internal key) or by its
patient control number (CLM01 or the EMR claim id: the provider's claim number); a claim sent
both as an EMR row and as an 837 has one version of each, and every section below covers all
its versions.
Acknowledgments and remittances are the ones the matcher linked to it (``claim_match`` and
``adjudication.claim_id``). The HTTP API (``/claims/{claim_id}``) and ``claimflow claim``
both read it.
"""

from __future__ import annotations

from typing import Any

import duckdb

from claimflow.warehouse.sql import fetch_dicts

_IDS = "IN (SELECT unnest($ids))"
_OF_REMITS = (
    f"JOIN adjudication AS a ON a.adjudication_id = x.adjudication_id WHERE a.claim_id {_IDS}"
)

SECTIONS: dict[str, str] = {
    "lines": f"SELECT * FROM claims_line WHERE claim_id {_IDS} ORDER BY claim_id, line_number",
    "diagnoses": f"SELECT * FROM diagnoses WHERE claim_id {_IDS} ORDER BY claim_id, sequence",
    "acks_999": f"""
        SELECT m.right_id AS claim_id, m.match_method, x.*
        FROM claim_match AS m JOIN ack_999 AS x ON m.left_kind = '999' AND x.ack_id = m.left_id
        WHERE m.right_id {_IDS} ORDER BY x.ingested_at, x.ack_id""",
    "acks_277ca": f"""
        SELECT m.right_id AS claim_id, m.match_method, x.*
        FROM claim_match AS m JOIN ack_277ca AS x ON m.left_kind = '277ca' AND x.ack_id = m.left_id
        WHERE m.right_id {_IDS} ORDER BY coalesce(x.status_date, x.bht_date), x.ack_id""",
    "adjudications": f"""
        SELECT x.*, p.payment_date, p.payer_id AS payment_payer_id
        FROM adjudication AS x LEFT JOIN payments AS p ON p.payment_id = x.payment_id
        WHERE x.claim_id {_IDS} ORDER BY p.payment_date, x.segment_index, x.adjudication_id""",
    "adjudication_lines": f"""
        SELECT x.* FROM adjudication_line AS x {_OF_REMITS}
        ORDER BY x.adjudication_id, x.adjudication_line_id""",
    "adjustments": f"""
        SELECT x.* FROM adjustments AS x {_OF_REMITS}
        ORDER BY x.adjudication_id, x.adjudication_line_id NULLS FIRST, x.adjustment_id""",
    "remarks": f"""
        SELECT x.* FROM remarks AS x {_OF_REMITS}
        ORDER BY x.adjudication_id, x.adjudication_line_id NULLS FIRST, x.remark_code""",
    "resubmissions": f"SELECT * FROM resubmissions WHERE claim_id {_IDS} ORDER BY created_at, attempt",
    "rejection_log": f"SELECT * FROM rejection_log WHERE claim_id {_IDS} ORDER BY logged_at",
    "sla_alerts": f"SELECT * FROM sla_alerts WHERE claim_id {_IDS} ORDER BY due_at, kind",
}
"""Section of the lifecycle → its rows, for the claim versions ``$ids``."""


def claim_lifecycle(
    conn: duckdb.DuckDBPyConnection, key: str
) -> dict[str, list[dict[str, Any]]] | None:
    """Every row the warehouse holds about one claim, by section; None when no claim matches.

    Args:
        conn: The warehouse.
        key: A ``claims_header.claim_id`` or a patient control number.
    """
    claims = fetch_dicts(
        conn,
        "SELECT * FROM claims_header WHERE claim_id = ? OR patient_control_number = ?"
        " ORDER BY submission_date, segment_index NULLS FIRST, claim_id",
        [key, key],
    )
    if not claims:
        return None
    ids = [c["claim_id"] for c in claims]
    result: dict[str, list[dict[str, Any]]] = {"claims": claims}
    for section, sql in SECTIONS.items():
        cursor = conn.execute(sql, {"ids": ids})
        names = [d[0] for d in cursor.description]
        result[section] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return result


CODE_SETS = ("claim_frequency", "ik501", "claim_status_category", "clp02")
"""The reference code sets a claim's timeline (``claimflow claim``) explains codes from."""


def code_descriptions(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """``(code set, code)`` → its description, for :data:`CODE_SETS` (none in a warehouse
    without reference tables)."""
    try:
        rows = conn.execute(
            "SELECT code_set, code, description FROM ref_codes"
            " WHERE in_latest AND code_set IN (SELECT unnest($sets))",
            {"sets": list(CODE_SETS)},
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {(str(s), str(c)): str(d) for s, c, d in rows}
