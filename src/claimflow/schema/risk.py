"""Denial-risk tables: the features of each claim as of its submission, and the history behind them.

The feature catalogue lives here because it *is* the ``risk_features`` table's columns: one
definition gives the DDL, the docs and the flag that says whether a biller can change a feature
before sending the claim (``claimflow.risk.features`` computes them; docs/risk.md lists them).
"""

from __future__ import annotations

from dataclasses import dataclass

from claimflow.schema._types import INT, TS, B, C, Column, D, J, Kind, M, N, Table


@dataclass(frozen=True)
class Feature:
    """One feature of the denial-risk model: its column and whether a biller can change it."""

    column: Column
    modifiable: bool
    """True when a person can change it before sending (prior auth, modifiers, NPI, units, ...);
    False for context nobody changes (payer, provider, history)."""

    @property
    def name(self) -> str:
        """The feature's column name."""
        return self.column.name


def _f(name: str, kind: Kind, meaning: str, *, modifiable: bool = False) -> Feature:
    return Feature(Column(name, kind, meaning), modifiable)


HISTORY_KINDS: tuple[tuple[str, str], ...] = (
    ("payer", "the payer"),
    ("payer_provider", "the payer and this billing provider"),
    ("payer_procedure", "the payer and the principal line's procedure"),
    ("payer_member", "the payer and this member (the subscriber's member id)"),
)
"""Key kinds of ``risk_history`` (its ``key_kind``) → what the key is, in words."""


ELIGIBILITY_KINDS = frozenset({"payer_member"})
"""History a biller changes before sending: verifying the member's eligibility (270/271)
corrects the member id or the payer (another policy primary) that the history is keyed on."""


def _history(kind: str, words: str) -> tuple[Feature, ...]:
    before = "first remittances dated before the claim's as-of time"
    mod = kind in ELIGIBILITY_KINDS
    return (
        _f(f"hist_{kind}_claims", INT, f"claims of {words} with {before}", modifiable=mod),
        _f(
            f"hist_{kind}_denial_rate",
            N,
            "share of those initially denied (NULL: none)",
            modifiable=mod,
        ),
        _f(
            f"hist_{kind}_days_to_pay",
            N,
            "their mean days from submission to first remittance",
            modifiable=mod,
        ),
    )


FEATURES: tuple[Feature, ...] = (
    _f("payer_id", C, "the payer (2010BB NM109)"),
    _f("claim_type", C, "837P, 837I or 837D for an X12 claim; the EMR source system otherwise"),
    _f("billing_npi", C, "the billing provider's NPI"),
    _f(
        "rendering_npi",
        C,
        "the rendering provider's NPI (header, else a line's)",
        modifiable=True,
    ),
    _f(
        "place_of_service",
        C,
        "place of service (header, else the principal line's)",
        modifiable=True,
    ),
    _f("frequency_code", C, "CLM05-3: 1 original, 7 replacement, 8 void", modifiable=True),
    _f("line_count", INT, "number of service lines", modifiable=True),
    _f("distinct_procedures", INT, "number of distinct CPT/HCPCS codes on the lines"),
    _f("principal_procedure", C, "CPT/HCPCS of the principal line (largest charge, then first)"),
    _f(
        "principal_modifiers",
        C,
        "the principal line's modifiers, sorted, joined by '+' ('' none)",
        modifiable=True,
    ),
    _f("modifier_count", INT, "modifiers over all lines", modifiable=True),
    _f("total_units", N, "units over all lines", modifiable=True),
    _f("max_line_units", N, "the largest units of one line", modifiable=True),
    _f("total_charge", M, "charges over all lines"),
    _f("max_line_charge", M, "the largest charge of one line"),
    _f("diagnosis_count", INT, "number of diagnosis codes", modifiable=True),
    _f(
        "principal_dx_chapter",
        C,
        "ICD-10-CM chapter (01-22) of the first diagnosis",
        modifiable=True,
    ),
    _f("dx_chapter_count", INT, "number of distinct ICD-10-CM chapters among the diagnoses"),
    _f("dx_chapters", C, "the distinct chapters, sorted, joined by ','"),
    _f("age_band", C, "patient age at the first date of service, banded; 90 and over is '90+'"),
    _f("has_prior_auth", B, "a prior-authorization number is present (REF*G1)", modifiable=True),
    _f(
        "days_to_submission",
        INT,
        "days from the first date of service to submission",
        modifiable=True,
    ),
    _f(
        "billing_npi_valid",
        B,
        "the billing NPI passes the CMS check digit (Luhn over 80840)",
        modifiable=True,
    ),
    _f(
        "rendering_npi_valid",
        B,
        "the rendering NPI passes the check digit (NULL: none)",
        modifiable=True,
    ),
    *(feature for kind, words in HISTORY_KINDS for feature in _history(kind, words)),
    _f(
        "hist_payer_procedure_max_denial_rate",
        N,
        "the largest payer × procedure denial rate over all the claim's procedures",
    ),
)
"""Every feature of the current feature set, in column order (one definition)."""

RISK_FEATURES = Table(
    "risk_features",
    (
        Column("claim_id", C, "the claim (claims_header)"),
        Column("as_of", TS, "the point in time the features describe: the claim's submission"),
        Column("feature_set_version", C, "claimflow.risk.features.FEATURE_SET_VERSION"),
        *(f.column for f in FEATURES),
        Column("built_at", TS, "when the row was computed"),
    ),
    doc="risk: the features of each claim as of its submission date, computed from what was"
    " known then (history only from remittances dated before it). docs/risk.md lists them.",
)

RISK_HISTORY = Table(
    "risk_history",
    (
        Column("key_kind", C, "payer, payer_provider, payer_procedure or payer_member"),
        Column("payer_id", C),
        Column("billing_npi", C, "payer_provider only"),
        Column("procedure_code", C, "payer_procedure only"),
        Column("member_id", C, "payer_member only (PHI: the subscriber's member id)"),
        Column("as_of", TS, "remittances dated before this time count"),
        Column("claims", INT, "claims of the key whose first remittance is dated before as_of"),
        Column("denied", INT, "of those, claims initially denied (the KPIs' definition)"),
        Column("denial_rate", N, "denied / claims"),
        Column("avg_days_to_pay", N, "mean days from submission to the first remittance"),
        Column("feature_set_version", C),
        Column("built_at", TS),
    ),
    doc="risk: the history aggregates as of a date, from which the features of a claim that is"
    " not in the warehouse are built (the same numbers the batch features hold).",
)

RISK_MODELS = Table(
    "risk_models",
    (
        Column(
            "model_version",
            C,
            "the version: training end date, a counter and the data's fingerprint",
        ),
        Column("feature_set_version", C, "the features it was trained on"),
        Column("trained_at", TS),
        Column("train_from", D, "first submission date of the training claims"),
        Column("train_to", D, "last submission date of the training claims"),
        Column("calibration_from", D, "first submission date of the calibration claims"),
        Column("calibration_to", D),
        Column("test_from", D, "first submission date of the test claims"),
        Column("test_to", D),
        Column("train_claims", INT),
        Column("calibration_claims", INT),
        Column("test_claims", INT),
        Column("data_fingerprint", C, "SHA-256 of the training rows (features and outcomes)"),
        Column("seed", INT),
        Column("model_file", C, "the model file, relative to the models folder"),
        Column("model_sha256", C, "SHA-256 of the model file: a file that differs is corrupt"),
        Column("metrics", J, "AUC, ECE, Brier, category accuracy ... on its test months"),
        Column(
            "calibration_curve", J, "per bin of the test months: mean predicted, observed, claims"
        ),
        Column("status", C, "candidate, champion or retired"),
        Column("promoted_at", TS, "when it became the champion"),
        Column("promoted_by", C, "who promoted it (forced: the reason)"),
    ),
    primary_key="model_version",
    doc="risk: every trained denial-risk model (the registry); one row has status 'champion'."
    " docs/risk.md.",
)

RISK_SCORES = Table(
    "risk_scores",
    (
        Column("claim_id", C, "the claim (claims_header)"),
        Column("model_version", C, "risk_models.model_version"),
        Column("probability", N, "calibrated probability that the payer denies or rejects it"),
        Column("risk_band", C, "low, medium or high"),
        Column("predicted_category", C, "the most likely denial category (docs/denials.md)"),
        Column("factors", J, "the top three factors: feature, words, value, contribution"),
        Column("actions", J, "what a biller can do before sending, for the modifiable factors"),
        Column("scored_at", TS),
        Column("lineage_hash", C, "lineage hash of the claims_header row scored"),
        Column("run_id", C, "the run that scored it"),
    ),
    doc="risk: the champion's score of every claim without an outcome yet, one row per claim"
    " and model version (a later run replaces it).",
)

RISK_MONITORING = Table(
    "risk_monitoring",
    (
        Column("run_id", C),
        Column("model_version", C),
        Column("computed_at", TS),
        Column("metric", C, "psi, auc, ece, brier or expected_auc"),
        Column("subject", C, "the feature (psi), 'probability', or 'outcomes'"),
        Column("window_from", D, "first submission date of the claims measured"),
        Column("window_to", D),
        Column("claims", INT, "claims measured"),
        Column("value", N),
        Column("reference", N, "the model's own figure on its test months (NULL for psi)"),
        Column("threshold", N, "the alert threshold (config risk.monitoring)"),
        Column("alert", B, "the value crossed the threshold"),
    ),
    doc="risk: per run and model version, feature and score drift (PSI) against the training"
    " window, and once outcomes arrive AUC, ECE and Brier; alerts when a threshold is crossed.",
)

RISK_TABLES: tuple[Table, ...] = (
    RISK_FEATURES,
    RISK_HISTORY,
    RISK_MODELS,
    RISK_SCORES,
    RISK_MONITORING,
)
