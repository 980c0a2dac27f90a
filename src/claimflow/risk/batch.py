"""Batch features: every claim of the warehouse (or some), each as of its submission date."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from claimflow.risk.features import FEATURE_NAMES, FEATURE_SET_VERSION, FEATURES_SQL, check_npis
from claimflow.risk.features import prepare as prepare_macros
from claimflow.risk.history import resolve_as_of_each_claim

CLAIMS_SQL = """
CREATE OR REPLACE TEMP TABLE cf_risk_claims AS
SELECT h.claim_id, h.submission_date::TIMESTAMP AS as_of, h.payer_id,
       cf_claim_type(h.claim_type, h.segment_index, h.source_system) AS claim_type,
       h.billing_npi, h.rendering_npi, h.place_of_service_code AS place_of_service,
       h.claim_frequency_code AS frequency_code, h.prior_auth_number, h.patient_dob, h.member_id,
       NULL::BIGINT AS patient_age, h.submission_date, h.statement_from
FROM claims_header AS h
WHERE h.submission_date IS NOT NULL
  AND ($ids::VARCHAR[] IS NULL OR h.claim_id IN (SELECT unnest($ids::VARCHAR[])))
"""
"""The claims to describe: as of their submission date (a claim without one has no point in
time to describe, and is left out)."""

LINES_SQL = """
CREATE OR REPLACE TEMP TABLE cf_risk_lines AS
SELECT claim_id, line_number, procedure_code, modifier_1, modifier_2, modifier_3, modifier_4,
       units, line_charge, service_from, place_of_service_code, rendering_npi
FROM claims_line WHERE claim_id IN (SELECT claim_id FROM cf_risk_claims)
"""

DX_SQL = """
CREATE OR REPLACE TEMP TABLE cf_risk_dx AS
SELECT claim_id, sequence, code
FROM diagnoses WHERE claim_id IN (SELECT claim_id FROM cf_risk_claims) AND code IS NOT NULL
"""


def build_features(
    conn: duckdb.DuckDBPyConnection,
    claim_ids: Sequence[str] | None = None,
    *,
    events_ready: bool = False,
) -> int:
    """Write ``risk_features`` for every claim (or ``claim_ids``), each as of its submission.

    A claim's rows of this feature-set version are replaced. History counts only the
    remittances dated before the claim's submission date (an as-of join on payment dates).
    The caller owns the transaction.

    Args:
        conn: The warehouse.
        claim_ids: Only these claims; None for every claim with a submission date.
        events_ready: The outcomes and events (``claimflow.risk.history.load_events``) were
            built on this connection since the warehouse last changed.

    Returns:
        The number of claims described.
    """
    prepare_macros(conn)
    conn.execute(CLAIMS_SQL, {"ids": list(claim_ids) if claim_ids is not None else None})
    conn.execute(LINES_SQL)
    conn.execute(DX_SQL)
    check_npis(conn)
    resolve_as_of_each_claim(conn, events_ready=events_ready)
    columns = ", ".join(("claim_id", "as_of", "feature_set_version", *FEATURE_NAMES, "built_at"))
    conn.execute(
        "DELETE FROM risk_features WHERE feature_set_version = ?"
        " AND claim_id IN (SELECT claim_id FROM cf_risk_claims)",
        [FEATURE_SET_VERSION],
    )
    conn.execute(
        f"INSERT INTO risk_features ({columns}) SELECT *, now()::TIMESTAMP FROM ({FEATURES_SQL})"
    )
    row = conn.execute("SELECT count(*) FROM cf_risk_claims").fetchone()
    return int(row[0]) if row else 0
