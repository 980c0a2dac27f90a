"""Acknowledgments: 999 (with its errors) and 277CA (with its batch summary)."""

from __future__ import annotations

from claimflow.schema._types import INT, LINEAGE, C, Column, D, M, T, Table, _cols

ACK_999 = Table(
    "ack_999",
    (
        Column("ack_id", C),
        Column("functional_id_code", C, "AK101"),
        Column("ack_group_control_number", C, "AK102 = the original GS06"),
        Column("version", C, "AK103"),
        Column("ack_transaction_set_id", C, "AK201"),
        Column("ack_st_control_number", C, "AK202 = the original ST02"),
        Column("implementation_ref", C, "AK203"),
        Column("transaction_ack_code", C, "IK501"),
        Column("transaction_error_codes", C, "IK502-506"),
        Column("group_ack_code", C, "AK901"),
        *_cols(INT, "ts_included", "ts_received", "ts_accepted"),
        Column("group_error_codes", C, "AK905-909"),
        *LINEAGE,
    ),
    primary_key="ack_id",
    quarantine=True,
    doc="One row per acknowledged transaction set (AK2).",
)

ACK_999_ERRORS = Table(
    "ack_999_errors",
    (
        Column("ack_error_id", C),
        Column("ack_id", C),
        Column("segment_id", C, "IK301"),
        Column("segment_position", INT, "IK302"),
        Column("loop_id", C, "IK303"),
        Column("segment_error_code", C, "IK304"),
        *_cols(INT, "element_position", "component_position", "repeat_position"),
        Column("element_ref", C, "IK402"),
        Column("element_error_code", C, "IK403"),
        Column("bad_value", T, "IK404"),
        Column("context", T, "CTX, e.g. CLM01:<patient control number>"),
        *LINEAGE,
    ),
    primary_key="ack_error_id",
    quarantine=True,
    doc="One row per IK3 segment error (with its IK4 element error).",
)

ACK_277CA = Table(
    "ack_277ca",
    (
        Column("ack_id", C),
        Column("bht_reference", C, "BHT03"),
        Column("bht_date", D, "BHT04"),
        Column("level", C, "receiver / provider / claim / line"),
        Column("payer_id", C),
        Column("billing_npi", C),
        Column("patient_member_id", C),
        Column("patient_control_number", C, "2200D TRN02 = CLM01"),
        Column("payer_claim_control_number", C, "REF*1K"),
        *_cols(C, "clearinghouse_trace", "bill_type"),
        Column("status_category_code", C, "STC01-1"),
        Column("status_code", C, "STC01-2"),
        Column("entity_code", C, "STC01-3"),
        Column("status_date", D, "STC02"),
        Column("action_code", C, "STC03"),
        Column("total_charge", M, "STC04"),
        *_cols(C, "extra_status_1", "extra_status_2"),
        Column("message", T, "STC12"),
        *_cols(D, "service_from", "service_to"),
        Column("procedure_code", C),
        Column("line_charge", M),
        Column("line_item_control_number", C, "REF*FJ = 837 REF*6R"),
        *LINEAGE,
    ),
    primary_key="ack_id",
    quarantine=True,
    doc="One row per STC, at claim or line level.",
)

ACK_277CA_SUMMARY = Table(
    "ack_277ca_summary",
    (
        Column("summary_id", C),
        Column("bht_reference", C),
        Column("level", C),
        *_cols(C, "payer_id", "billing_npi", "trace_number"),
        *_cols(INT, "accepted_quantity", "rejected_quantity"),
        *_cols(M, "accepted_amount", "rejected_amount"),
        *LINEAGE,
    ),
    primary_key="summary_id",
    quarantine=True,
    doc="Batch counts at 2200B/2200C (QTY/AMT accepted vs rejected).",
)

ACK_TABLES: tuple[Table, ...] = (ACK_999, ACK_999_ERRORS, ACK_277CA, ACK_277CA_SUMMARY)
