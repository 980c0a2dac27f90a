"""Crosswalks from what came back (999, 277CA, 835) to what went out (837 or EMR claims)."""

from __future__ import annotations

from claimflow.schema._types import TS, B, C, Column, Kind, N, T, Table

CLAIM_MATCH = Table(
    "claim_match",
    (
        Column("left_kind", C, "999, 277ca or 835"),
        Column("left_id", C, "ack_999.ack_id, ack_277ca.ack_id or adjudication.adjudication_id"),
        Column("right_id", C, "claims_header.claim_id"),
        Column(
            "match_method",
            C,
            "transaction_set, ctx, trn02, exact_pcn, pcn_prefix20, payer_icn, fuzzy",
        ),
        Column("match_score", N, "1 for exact methods; under 1 for fuzzy"),
        Column("needs_review", B, "a person should confirm it (fuzzy)"),
        Column("matched_at", TS),
        Column("run_id", C),
    ),
    doc="One row per matched acknowledgment or remittance claim; rebuilt by every run.",
)

CLAIM_LINE_MATCH = Table(
    "claim_line_match",
    (
        Column("left_id", C, "adjudication_line.adjudication_line_id"),
        Column("right_id", C, "claims_line.claim_line_id"),
        Column("match_method", C, "line_control, code_date_charge, ordinal"),
        Column("match_score", N),
        Column("needs_review", B, "ordinal matches are flagged"),
        Column("matched_at", TS),
        Column("run_id", C),
    ),
    doc="One row per matched 835 service line; rebuilt by every run.",
)

UNMATCHED = Table(
    "unmatched",
    (
        Column("left_kind", C, "835, 835_line, 277ca or 999"),
        Column("left_id", C),
        Column("reason", T),
        Column("run_id", C),
    ),
    doc="Every remittance claim or line, and every claim-level acknowledgment, that matched nothing.",
)

SLA_ALERTS = Table(
    "sla_alerts",
    (
        Column("claim_id", C),
        Column("patient_control_number", C),
        Column("payer_id", C),
        Column(
            "kind",
            C,
            "999_missing or 277ca_missing; denial_risk_model:<metric>:<subject> for the"
            " denial-risk model's monitoring (no claim: claim_id NULL)",
        ),
        Column("submission_date", Kind.DATE),
        Column("due_at", TS),
        Column("first_raised_at", TS),
        Column("resolved_at", TS, "when the acknowledgment arrived (the alert closed)"),
        Column("notified_at", TS, "when the webhook accepted it"),
        Column("run_id", C, "the run that raised it"),
        Column("model_version", C, "the denial-risk model's version (its alerts only)"),
        Column("detail", T, "what crossed which threshold, in words (denial-risk model alerts)"),
    ),
    doc="Alerts: acknowledgment SLAs (a claim's 999 or 277CA overdue) and the denial-risk"
    " model's monitoring (a figure past its threshold); open while resolved_at is NULL.",
)

MATCHING_TABLES: tuple[Table, ...] = (CLAIM_MATCH, CLAIM_LINE_MATCH, UNMATCHED, SLA_ALERTS)
