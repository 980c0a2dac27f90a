"""Claims as submitted: header, lines, diagnoses (837 or EMR)."""

from __future__ import annotations

from claimflow.schema._types import (
    INT,
    LINEAGE,
    C,
    Column,
    D,
    Kind,
    M,
    N,
    T,
    Table,
    _cols,
)

CLAIMS_HEADER = Table(
    "claims_header",
    (
        Column("claim_id", C, "surrogate key"),
        Column("patient_control_number", C, "CLM01, or the EMR claim id"),
        Column("claim_type", C, "professional / institutional / dental"),
        Column("claim_status", C, "EMR status: approved, denied, pending, submitted, void"),
        Column("denial_reason", T, "EMR free-text denial reason, as exported"),
        Column("total_charge", M, "CLM02"),
        *_cols(C, "place_of_service_code", "bill_type_code", "claim_frequency_code"),
        *_cols(C, "assignment_code", "benefits_assignment", "release_of_info"),
        *_cols(C, "related_causes", "delay_reason_code"),
        *_cols(C, "payer_responsibility_seq", "subscriber_relationship_code", "group_number"),
        *_cols(C, "claim_filing_indicator", "member_id", "person_id"),
        Column("patient_dob", D, "DMG02"),
        Column("patient_gender", C, "DMG03"),
        Column("payer_id", C),
        Column("payer_name", T),
        *_cols(C, "billing_npi", "billing_tin", "billing_taxonomy", "rendering_npi"),
        *_cols(C, "attending_npi", "operating_npi", "referring_npi", "facility_npi"),
        *_cols(D, "statement_from", "statement_to", "admission_date"),
        *_cols(C, "discharge_hour", "admission_type_code", "admission_source_code"),
        *_cols(C, "discharge_status_code", "drg_code", "prior_auth_number", "referral_number"),
        *_cols(C, "original_payer_claim_control_number", "clearinghouse_trace_number"),
        Column("medical_record_number", C),
        Column("patient_paid_amount", M, "AMT*F5"),
        Column("expected_payment", M, "EMR: the amount the provider expects to be paid"),
        Column("submission_date", D, "BHT04, or the EMR submission date"),
        Column("batch_id", C, "BHT03"),
        *LINEAGE,
    ),
    primary_key="claim_id",
    quarantine=True,
    partitioned=True,
    doc="One row per submitted claim version (one 2300 CLM, or one EMR claim).",
)

CLAIMS_LINE = Table(
    "claims_line",
    (
        Column("claim_line_id", C, "surrogate key: hash(claim_id, line_number)"),
        Column("claim_id", C),
        Column("line_number", INT, "LX01"),
        Column("line_item_control_number", C, "REF*6R"),
        Column("revenue_code", C, "SV201"),
        Column("procedure_qualifier", C),
        Column("procedure_code", C),
        *_cols(C, "modifier_1", "modifier_2", "modifier_3", "modifier_4"),
        Column("line_charge", M),
        Column("unit_basis", C),
        Column("units", N),
        Column("place_of_service_code", C),
        *_cols(INT, "dx_pointer_1", "dx_pointer_2", "dx_pointer_3", "dx_pointer_4"),
        Column("non_covered_charge", M),
        Column("emergency_indicator", C),
        *_cols(D, "service_from", "service_to"),
        Column("ndc_code", C),
        Column("drug_qty", N),
        Column("drug_unit", C),
        Column("rendering_npi", C),
        *LINEAGE,
    ),
    primary_key="claim_line_id",
    quarantine=True,
    partitioned=True,
    doc="One row per 2400 LX, or per EMR line.",
)

DIAGNOSES = Table(
    "diagnoses",
    (
        Column("diagnosis_id", C, "surrogate key: hash(claim_id, sequence)"),
        Column("claim_id", C),
        Column("sequence", INT, "1..n in HI order; what SV107 pointers refer to"),
        Column("qualifier", C, "ABK principal, ABF other, ..."),
        Column("code", C, "ICD-10-CM without the dot"),
        Column("poa_indicator", C),
        Column("is_principal", Kind.BOOLEAN),
        *LINEAGE,
    ),
    primary_key="diagnosis_id",
    quarantine=True,
    partitioned=True,
    doc="One row per diagnosis code on a claim (long).",
)

PROCEDURES_ICD = Table(
    "procedures_icd",
    (
        Column("procedure_id", C),
        Column("claim_id", C),
        Column("sequence", INT),
        Column("qualifier", C, "BBR principal, BBQ other"),
        Column("code", C, "ICD-10-PCS"),
        Column("procedure_date", D, "HIxx-4"),
        Column("is_principal", Kind.BOOLEAN),
        *LINEAGE,
    ),
    primary_key="procedure_id",
    quarantine=True,
    doc="One row per ICD-10-PCS procedure on an institutional claim.",
)

CLAIM_LINE_TEETH = Table(
    "claim_line_teeth",
    (
        Column("tooth_id", C, "surrogate key: hash(claim_line_id, sequence)"),
        Column("claim_id", C),
        Column("claim_line_id", C),
        Column("sequence", INT, "1..n in TOO order within the line"),
        Column("code_qualifier", C, "TOO01 (JP: universal national tooth designation)"),
        Column("tooth_code", C, "TOO02, e.g. 3, 14, A"),
        Column("surfaces", C, "TOO03-1..5 joined, e.g. MOD (mesial, occlusal, distal)"),
        *LINEAGE,
    ),
    primary_key="tooth_id",
    quarantine=True,
    doc="One row per tooth on an 837D service line (2400 TOO).",
)

CLAIM_TABLES: tuple[Table, ...] = (
    CLAIMS_HEADER,
    CLAIMS_LINE,
    DIAGNOSES,
    PROCEDURES_ICD,
    CLAIM_LINE_TEETH,
)

# Canonical columns an EMR source may map, and the table each lands in. A claim-grain export
# fills one header row per record and, when it maps line columns, one line per record.
EMR_HEADER_FIELDS: tuple[str, ...] = tuple(
    c.name
    for c in CLAIMS_HEADER.columns
    if c not in LINEAGE and c.name not in {"claim_id", "person_id"}
)
EMR_LINE_FIELDS: tuple[str, ...] = tuple(
    c.name
    for c in CLAIMS_LINE.columns
    if c not in LINEAGE
    and c.name not in {"claim_line_id", "claim_id", "rendering_npi"}
    and c.name not in EMR_HEADER_FIELDS
)
EMR_FIELDS: tuple[str, ...] = EMR_HEADER_FIELDS + EMR_LINE_FIELDS

CLAIM_STATUSES: tuple[str, ...] = ("approved", "denied", "pending", "submitted", "void")


def emr_field(name: str) -> Column:
    """Return the canonical column an EMR source maps to ``name``.

    Raises:
        KeyError: ``name`` is not a column an EMR export can fill.
    """
    if name in EMR_HEADER_FIELDS:
        return CLAIMS_HEADER.column(name)
    if name in EMR_LINE_FIELDS:
        return CLAIMS_LINE.column(name)
    raise KeyError(name)
