"""Remittances (835): payments, claim and line adjudication, adjustments, remarks, PLB."""

from __future__ import annotations

from claimflow.schema._types import INT, LINEAGE, B, C, Column, D, M, N, T, Table, _cols

PAYMENTS = Table(
    "payments",
    (
        Column("payment_id", C, "hash(source_file_id, ISA13, GS06, ST02)"),
        Column("transaction_handling_code", C, "BPR01"),
        Column("total_payment_amount", M, "BPR02"),
        Column("credit_debit_flag", C, "BPR03"),
        Column("payment_method_code", C, "BPR04"),
        Column("payment_format_code", C, "BPR05"),
        *_cols(C, "sender_dfi_id", "sender_account_last4", "payer_company_id"),
        *_cols(C, "receiver_dfi_id", "receiver_account_last4"),
        Column("payment_date", D, "BPR16"),
        Column("trace_type_code", C, "TRN01"),
        Column("trace_number", C, "TRN02"),
        *_cols(C, "trace_originator_id", "trace_originator_supplemental"),
        Column("production_date", D, "DTM*405"),
        Column("payer_name", T),
        Column("payer_id", C),
        Column("payee_name", T),
        *_cols(C, "payee_id_qualifier", "payee_id", "payee_tin"),
        *LINEAGE,
    ),
    primary_key="payment_id",
    quarantine=True,
    doc="One row per 835 transaction set. DQ: BPR02 = Σ CLP04 - Σ PLB.",
)

ADJUDICATION = Table(
    "adjudication",
    (
        Column("adjudication_id", C, "hash(payment_id, segment_index)"),
        Column("payment_id", C),
        Column("patient_control_number", C, "CLP01"),
        Column("claim_status_code", C, "CLP02"),
        Column("total_charge", M, "CLP03"),
        Column("paid_amount", M, "CLP04"),
        Column("patient_responsibility", M, "CLP05"),
        Column("claim_filing_indicator", C, "CLP06"),
        Column("payer_claim_control_number", C, "CLP07"),
        *_cols(C, "facility_type_code", "claim_frequency_code", "drg_code"),
        Column("drg_weight", N),
        Column("discharge_fraction", N),
        *_cols(C, "patient_member_id", "insured_member_id", "corrected_member_id"),
        Column("rendering_npi", C),
        Column("crossover_payer_name", T),
        *_cols(D, "statement_from", "statement_to", "payer_received_date"),
        *_cols(M, "coverage_amount", "interest_amount", "discount_amount"),
        *_cols(C, "original_reference_number", "group_number", "mrn"),
        Column("claim_id", C, "set by the matcher"),
        Column("match_method", C),
        Column("match_score", N),
        Column("record_type", C, "original / reversal / correction"),
        Column("is_denied", B),
        *LINEAGE,
    ),
    primary_key="adjudication_id",
    quarantine=True,
    doc="One row per 835 claim (2100 CLP). DQ: CLP03 - CLP04 = Σ CAS.",
)

ADJUDICATION_LINE = Table(
    "adjudication_line",
    (
        Column("adjudication_line_id", C),
        Column("adjudication_id", C),
        *_cols(C, "procedure_qualifier", "procedure_code"),
        *_cols(C, "modifier_1", "modifier_2", "modifier_3", "modifier_4"),
        Column("line_charge", M, "SVC02"),
        Column("line_paid", M, "SVC03"),
        Column("revenue_code", C, "SVC04"),
        Column("units_paid", N, "SVC05"),
        *_cols(C, "original_procedure_qualifier", "original_procedure_code", "original_modifier_1"),
        Column("original_units", N, "SVC07"),
        *_cols(D, "service_from", "service_to"),
        Column("line_item_control_number", C, "REF*6R"),
        Column("allowed_amount", M, "AMT*B6"),
        Column("claim_line_id", C, "set by the matcher"),
        Column("match_method", C),
        *LINEAGE,
    ),
    primary_key="adjudication_line_id",
    quarantine=True,
    doc="One row per 2110 SVC. DQ: SVC02 - SVC03 = Σ CAS of the line.",
)

ADJUSTMENTS = Table(
    "adjustments",
    (
        Column("adjustment_id", C),
        *_cols(C, "adjudication_id", "adjudication_line_id", "claim_id", "claim_line_id"),
        Column("level", C, "claim or line"),
        Column("source", C, "835, or 837_cob for prior payers' adjustments"),
        Column("group_code", C, "CAS01"),
        Column("reason_code", C, "CARC"),
        Column("amount", M),
        Column("quantity", N),
        Column("triplet_index", INT, "1..6"),
        Column("is_patient_responsibility", B, "group = PR"),
        *LINEAGE,
    ),
    primary_key="adjustment_id",
    quarantine=True,
    doc="One row per CAS triplet, claim or line level.",
)

REMARKS = Table(
    "remarks",
    (
        Column("remark_id", C),
        *_cols(C, "adjudication_id", "adjudication_line_id"),
        Column("level", C),
        Column("source_segment", C, "LQ, MOA or MIA"),
        Column("remark_code", C, "RARC"),
        *LINEAGE,
    ),
    primary_key="remark_id",
    quarantine=True,
    doc="One row per RARC (LQ*HE, MOA03-07, MIA05/20-23).",
)

PROVIDER_ADJUSTMENTS = Table(
    "provider_adjustments",
    (
        Column("provider_adjustment_id", C),
        Column("payment_id", C),
        Column("provider_identifier", C, "PLB01"),
        Column("fiscal_period_date", D, "PLB02"),
        Column("pair_index", INT, "1..6"),
        Column("reason_code", C, "PLB03-1"),
        Column("reference_id", C, "PLB03-2"),
        Column("amount", M, "positive reduces the payment"),
        *LINEAGE,
    ),
    primary_key="provider_adjustment_id",
    quarantine=True,
    doc="One row per PLB pair.",
)

REMITTANCE_TABLES: tuple[Table, ...] = (
    PAYMENTS,
    ADJUDICATION,
    ADJUDICATION_LINE,
    ADJUSTMENTS,
    REMARKS,
    PROVIDER_ADJUSTMENTS,
)
