"""What people read: human labels for claimflow's column names, and how each kind of value is
written.

One vocabulary for every surface that shows the warehouse to people — the dashboard now, the
command line and the HTTP API next (issue 22). A column name maps to a :class:`Term`: its label
(``denied_amount`` → "Denied amount") and the kind of value it holds, and each kind is written
one way:

- **money**: dollars with thousands separators, whole dollars for a total (``$226,021``) and
  cents for one claim or line (``$80.50``); computed in :class:`~decimal.Decimal`, rounded half
  to even (as the tables of the dashboard round too);
- **rate**: a percentage with one decimal (``12.3%``);
- **count**: thousands separators (``10,000``);
- **days**: one decimal (``23.0``); **number**: two decimals (``3.33``);
- **date**: ``2025-03-10``, never a time of day (a week's start stored as a timestamp included);
  **timestamp**: to the minute (``2025-03-10 14:05``);
- **enum**: one of claimflow's own identifiers written as words (``medical_necessity`` →
  "Medical necessity"); **text**: as it is (codes, ids, names);
- **flag**: "Yes" or "No";
- a missing value of any kind: ``—``.

Columns not listed get a label made from their name (:func:`humanize`) and a kind from their
suffix (``_amount`` money, ``_rate`` rate, ``_date`` date, ``_at`` timestamp, ``_days`` days).
Where one report gives a name another meaning (``paid`` is dollars in the payer scorecard but a
count of resubmissions in ``resubmission_outcomes``), the term is keyed ``"report.column"``.

Pure Python — no pandas, no Streamlit — so that every surface can build on it.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Literal

Kind = Literal[
    "text", "enum", "count", "money", "rate", "days", "number", "date", "timestamp", "flag"
]

MISSING = "—"
"""How a missing value reads, whatever its kind."""


@dataclass(frozen=True)
class Term:
    """A column as people read it: its label and the kind of value it holds."""

    label: str
    kind: Kind = "text"


# terms several column names share (one definition each)
_BILLED = Term("Billed", "money")
_PAID = Term("Paid", "money")
_ALLOWED = Term("Allowed", "money")
_PROVIDER = Term("Billing provider (NPI)")
_WEEK = Term("Week", "date")
_FREQUENCY = Term("Frequency code")
_KIND = Term("Kind", "enum")

TERMS: dict[str, Term] = {
    # the claims: claim_id is the warehouse's internal key (claims_header.claim_id, a hash), the
    # provider's claim number is patient_control_number (CLM01)
    "claim_id": Term("Claim ID (internal)"),
    "patient_control_number": Term("Claim number (PCN)"),
    "payer_name": Term("Payer"),
    "payer_id": Term("Payer ID"),
    "billing_npi": _PROVIDER,
    "provider": _PROVIDER,
    "submission_date": Term("Submitted", "date"),
    "total_charge": Term("Total charge", "money"),
    "paid_amount": _PAID,
    "allowed_amount": _ALLOWED,
    "contractual_amount": Term("Contractual adjustment", "money"),
    "written_off_amount": Term("Written off", "money"),
    "patient_paid_amount": Term("Patient paid", "money"),
    "first_payment_date": Term("First 835", "date"),
    "initially_denied": Term("Initially denied", "flag"),
    "frequency": _FREQUENCY,
    "frequency_code": _FREQUENCY,
    "ik501": Term("999 IK501"),
    "first_status": Term("First 277CA status"),
    "latest_status": Term("Latest 277CA status"),
    "latest_status_code": Term("Latest 277CA status code"),
    "latest_entity_code": Term("Latest 277CA entity code"),
    # the KPIs (the Overview's tiles) and the daily mart
    "claims_submitted": Term("Claims submitted", "count"),
    "total_billed": _BILLED,
    "billed": _BILLED,
    "total_allowed": _ALLOWED,
    "total_paid": _PAID,
    "paid": _PAID,
    "first_pass_clean_claim_rate": Term("First-pass clean claim rate", "rate"),
    "initial_denial_rate": Term("Initial denial rate", "rate"),
    "initial_denial_rate_dollars": Term("Initial denial rate, dollars", "rate"),
    "initial_denial_rate_hfma_3m": Term("Initial denial rate, HFMA 3-month", "rate"),
    "rejection_rate_999": Term("999 rejection rate", "rate"),
    "rejection_rate_277ca": Term("277CA rejection rate", "rate"),
    "payer_lag_days_median": Term("Payer lag, median days", "days"),
    "payer_lag_days_p90": Term("Payer lag, 90th percentile days", "days"),
    "net_collection_rate": Term("Net collection rate", "rate"),
    "days_in_ar": Term("Days in A/R", "days"),
    "ar_total": Term("A/R", "money"),
    "ar_0_30": Term("A/R 0–30 days", "money"),
    "ar_31_60": Term("A/R 31–60 days", "money"),
    "ar_61_90": Term("A/R 61–90 days", "money"),
    "ar_91_120": Term("A/R 91–120 days", "money"),
    "ar_over_120": Term("A/R over 120 days", "money"),
    "charges_90d": Term("Charges, last 90 days", "money"),
    "auto_posting_rate": Term("835 auto-posting rate", "rate"),
    "final_denial_write_off_amount": Term("Final denial write-offs", "money"),
    "final_denial_write_off_rate": Term("Final denial write-off rate", "rate"),
    "initial_denial_rate_dollars_hfma_3m": Term(
        "Initial denial rate, dollars, HFMA 3-month", "rate"
    ),
    "resubmissions_sent": Term("Resubmissions sent", "count"),
    "resubmission_recovered_amount": Term("Recovered by resubmissions", "money"),
    "kpi": Term("KPI"),
    "resubmission_success_rate": Term("Resubmission success rate", "rate"),
    "day": Term("Day", "date"),
    "lines": Term("835 lines", "count"),
    "auto_posted_lines": Term("Lines posted without review", "count"),
    "auto_posted": Term("Posted without review", "flag"),
    "adjudication_line_id": Term("835 line"),
    "line_paid": Term("Line paid", "money"),
    # denials and rejections
    "category": Term("Category", "enum"),
    "top_denial_category": Term("Top denial category", "enum"),
    "carc": Term("CARC"),
    "claims": Term("Claims", "count"),
    "denied_amount": Term("Denied amount", "money"),
    "amount": Term("Amount", "money"),
    "rank": Term("Rank", "count"),
    "share_of_acknowledged": Term("Share of claims with a 277CA", "rate"),
    # payers
    "lag_days": Term("Lag, days", "days"),
    "lag_days_median": Term("Lag, median days", "days"),
    "lag_days_p90": Term("Lag, 90th percentile days", "days"),
    "first_pass_acceptance": Term("First-pass acceptance", "rate"),
    "underpayment": Term("Underpayment", "money"),
    # reconciliation and the cash forecast
    "week": _WEEK,
    "week_start": _WEEK,
    "expected_week": _WEEK,
    "claims_837": Term("Claims sent (837)", "count"),
    "claims_835": Term("Claims with an 835", "count"),
    "claims_without_835": Term("Claims without an 835", "count"),
    "expected_payment": Term("Expected payment", "money"),
    "difference": Term("Difference", "money"),
    "open_claims": Term("Open claims", "count"),
    "forecast": Term("Forecast", "money"),
    "actual": Term("Paid that week", "money"),
    "claims_paid": Term("Claims paid", "count"),
    "error": Term("Error", "money"),
    "abs_pct_error": Term("Absolute error, share of paid", "rate"),
    "balance": Term("Balance", "money"),
    "paid_and_contractual": Term("Paid and contractual", "money"),
    "age_days": Term("Age, days", "count"),
    "bucket": Term("Age bucket"),
    "reporting_months_counted": Term("Reporting months counted", "count"),
    # resubmissions
    "attempt": Term("Attempt", "count"),
    "created_at": Term("Created", "timestamp"),
    "resubmitted": Term("Resubmitted", "count"),
    "answered": Term("Answered", "count"),
    "resubmission_outcomes.paid": Term("Paid", "count"),
    "denied_again": Term("Denied again", "count"),
    "pending": Term("Pending", "count"),
    "success_rate": Term("Success rate", "rate"),
    "recovered_amount": Term("Recovered", "money"),
    "outcome": Term("Outcome", "enum"),
    "answered_on": Term("Answered on", "date"),
    "trigger": Term("Trigger", "enum"),
    # the rejection log, SLA alerts, what matched nothing
    "reason": Term("Reason", "enum"),
    "sources": Term("Sources"),
    "claim_ids": Term("Claim IDs (internal)"),
    "kind": _KIND,
    "left_kind": _KIND,
    "left_id": Term("835 or acknowledgment ID"),
    "disposition": Term("Disposition", "enum"),
    "classification": Term("Classification", "enum"),
    "confidence": Term("Confidence", "rate"),
    "logged_at": Term("Logged", "timestamp"),
    "due_at": Term("Due", "timestamp"),
    "first_raised_at": Term("First raised", "timestamp"),
    "notified_at": Term("Notified", "timestamp"),
    "resolved_at": Term("Resolved", "timestamp"),
    "open_alerts": Term("Open alerts", "count"),
    "oldest_due_at": Term("Oldest due", "timestamp"),
    # data quality and runs
    "dq_rule": Term("Rule"),
    "dq_details": Term("Details"),
    "rows": Term("Rows", "count"),
    "size_bytes": Term("Size, bytes", "count"),
    "received_at": Term("Received", "timestamp"),
    "status": Term("Status", "enum"),
    "run_id": Term("Run"),
    "started_at": Term("Started", "timestamp"),
    "files": Term("Files", "count"),
    "files_seen": Term("Files seen", "count"),
    "files_loaded": Term("Files loaded", "count"),
    "files_skipped": Term("Files skipped", "count"),
    "files_failed": Term("Files failed", "count"),
    "rows_read": Term("Rows read", "count"),
    "rows_loaded": Term("Rows loaded", "count"),
    "rows_quarantined": Term("Rows quarantined", "count"),
    "rows_duplicate": Term("Duplicate rows", "count"),
    "seconds": Term("Seconds", "number"),
    "source_row_number": Term("Source row", "count"),
    # denial risk before submission
    "model_version": Term("Model version"),
    "test_months": Term("Test months"),
    "auc": Term("AUC", "number"),
    "ece": Term("ECE", "number"),
    "brier": Term("Brier", "number"),
    "probability": Term("Denial risk", "rate"),
    "risk_band": Term("Risk band", "enum"),
    "predicted_category": Term("Likely denial category", "enum"),
    "detail": Term("Detail"),
    # the dashboard's Risk page
    "mean_risk": Term("Mean denial risk", "rate"),
    "high_risk_claims": Term("High-risk claims", "count"),
    "top_factor": Term("Top factor"),
    "second_factor": Term("Second factor"),
    "third_factor": Term("Third factor"),
    "factor_title": Term("Factor"),
    "factor_words": Term("Why"),
    "contribution": Term("Contribution (log-odds)", "number"),
    "actions": Term("What to do before sending"),
    "mean_predicted": Term("Mean predicted risk", "rate"),
    "observed_rate": Term("Observed denial rate", "rate"),
    "bin": Term("Bin", "count"),
    "psi": Term("PSI", "number"),
    "subject": Term("Measured on"),
    "alert": Term("Alert", "flag"),
    "train_from": Term("Trained from", "date"),
    "train_to": Term("Trained to", "date"),
    "test_from": Term("Tested from", "date"),
    "test_to": Term("Tested to", "date"),
    "test_claims": Term("Test claims", "count"),
    "window_from": Term("Window from", "date"),
    "window_to": Term("Window to", "date"),
    "risk_monitoring.metric": Term("Figure", "enum"),
    "risk_monitoring.value": Term("Value", "number"),
    "risk_monitoring.reference": Term("Reference", "number"),
    "risk_monitoring.threshold": Term("Threshold", "number"),
}
"""Column name (or ``"report.column"``) → its term; the columns :func:`humanize` names well
enough and whose kind their suffix tells are left out."""

_AR_BUCKET = "Open balance (as in A/R) of the claims {} days after their submission."
_LAG = (
    "Days from a claim's submission to the payment date (BPR16) of its first 835, {}, over the"
    " claims with an 835."
)

DEFINITIONS: dict[str, str] = {
    "claims_submitted": "Claims (837, or EMR when no 837 of it was loaded) submitted in the"
    " window, each claim once.",
    "total_billed": "Σ claim charge (CLM02) of the claims submitted.",
    "total_allowed": "Σ allowed amount (AMT*B6; a line without it counts its paid amount) of"
    " every matched 835 service line, net of reversals.",
    "total_paid": "Σ paid (CLP04) of every matched 835 claim, net of reversals.",
    "rejection_rate_999": "Transaction sets whose 999 (IK501) is R, M, W or X ÷ transaction"
    " sets with a 999.",
    "rejection_rate_277ca": "Claims whose latest claim-level 277CA status (STC01-1) is A3, A4,"
    " A6, A7 or A8 ÷ claims with a 277CA.",
    "first_pass_clean_claim_rate": "Original claims (CLM05-3 = 1) whose 999, if any, accepts"
    " them and whose first 277CA status is A1, A2 or A5 ÷ original claims with a 999 or a"
    " 277CA.",
    "initial_denial_rate": "Claims whose first 835 denies them (CLP02 = 4, or pays 0 with an"
    " adjustment that is neither patient cost share nor contractual) ÷ claims submitted.",
    "initial_denial_rate_dollars": "Charges of the initially denied claims ÷ charges submitted.",
    "initial_denial_rate_hfma_3m": "Initial denials in each reporting month ÷ the monthly"
    " average of claims submitted in the three months before it (HFMA Claim Integrity Task"
    " Force); no full reporting month in the window: none.",
    "payer_lag_days_median": _LAG.format("median"),
    "payer_lag_days_p90": _LAG.format("90th percentile"),
    "lag_days_median": _LAG.format("median"),
    "lag_days_p90": _LAG.format("90th percentile"),
    "net_collection_rate": "Σ paid ÷ Σ (charge − contractual adjustments), over the claims with"
    " an 835; denial write-offs are not subtracted.",
    "ar_total": "Σ open balance as of the day (charge − paid − contractual adjustments, from the"
    " 835s dated by then) of the claims submitted by then that still have a balance.",
    "days_in_ar": "A/R ÷ average daily charges of the last 90 days (charges of the claims"
    " submitted in the 90 days up to the day, ÷ 90).",
    "ar_0_30": _AR_BUCKET.format("0–30"),
    "ar_31_60": _AR_BUCKET.format("31–60"),
    "ar_61_90": _AR_BUCKET.format("61–90"),
    "ar_91_120": _AR_BUCKET.format("91–120"),
    "ar_over_120": _AR_BUCKET.format("over 120"),
    "charges_90d": "Charges of the claims submitted in the 90 days up to the day.",
    "auto_posting_rate": "835 service lines on payments dated in the window matched to a claim"
    " line without review (REF*6R, or code, date and charge) ÷ all such lines.",
    "final_denial_write_off_amount": "Denied dollars of the claims whose latest 835 still"
    " denies, that the rejection log writes off (or whose filing window closed) and that no"
    " automatic resubmission answered.",
    "final_denial_write_off_rate": "Final denial write-offs ÷ Σ (charge − contractual"
    " adjustments) over the claims submitted, the warehouse's stand-in for net patient service"
    " revenue.",
    "initial_denial_rate_dollars_hfma_3m": "Charges of the claims initially denied in each"
    " reporting month ÷ the monthly average of charges submitted in the three months before it"
    " (HFMA Claim Integrity Task Force).",
    "resubmissions_sent": "Automatic resubmissions (EMR candidates and corrected 837s) of the"
    " claims submitted.",
    "resubmission_recovered_amount": "Σ paid (CLP04) of the payers' answers to the"
    " resubmissions that paid.",
    "resubmission_success_rate": "Automatic resubmissions the payer paid ÷ those it answered"
    " (its first later 835 on the claim or its replacement).",
    "resubmission_outcomes.success_rate": "Resubmissions the payer paid ÷ those it answered.",
    "recovered_amount": "Σ paid (CLP04) of the payers' answers to the resubmissions that paid.",
    "first_pass_acceptance": "Claims whose first 277CA status is A1, A2 or A5 ÷ claims with a"
    " 277CA.",
    "share_of_acknowledged": "These claims ÷ the group's claims with a 277CA (a group's shares"
    " add up to its 277CA rejection rate).",
    "underpayment": "EMR expected payment − paid, over the payer's claims with an 835.",
    # the dashboard's Risk page
    "mean_risk": "Mean of the champion model's calibrated probability of denial over the open"
    " claims it scored.",
    "auc": "Area under the ROC curve on the model's test months: the chance that a denied"
    " claim is scored above a paid one (0.5 is chance).",
    "ece": "Expected calibration error on the test months: Σ over bins of predicted risk of"
    " the bin's share of claims × |mean predicted − observed denial rate|.",
    "brier": "Mean of (predicted risk − outcome)² on the test months, outcome 1 if denied.",
    "psi": "Population stability index of a feature (or of the predicted risk) between the"
    " training window and the recent scored claims: Σ (recent − training share) × ln(recent"
    " ÷ training share) over its bins (by the usual rule, 0.1 a shift, 0.25 a large one).",
}
"""What a figure means (column name or ``"report.column"`` → one sentence), shown where the
figure is (a tile's or a column's help): the KPIs of docs/kpis.md, defined once here."""

WORDS: dict[str, str] = {
    "id": "ID",
    "ids": "IDs",
    "npi": "NPI",
    "tin": "TIN",
    "carc": "CARC",
    "rarc": "RARC",
    "dq": "DQ",
    "ar": "A/R",
    "mrn": "MRN",
    "drg": "DRG",
    "dob": "date of birth",
    "emr": "EMR",
    "x12": "X12",
    "csv": "CSV",
    "json": "JSON",
    "isa": "ISA",
    "gs": "GS",
    "st": "ST",
    "ik501": "IK501",
    "277ca": "277CA",
    "cob": "COB",
    "hfma": "HFMA",
    "sla": "SLA",
    "auc": "AUC",
    "ece": "ECE",
    "psi": "PSI",
}
"""Words of column names and identifiers written otherwise than in lower case."""

VALUES: dict[str, str] = {
    "non_covered": "Non-covered",
    "non_retryable": "Non-retryable",
    "277ca": "277CA",
}
"""Identifiers (of an ``enum`` column) whose words :func:`humanize` would not write right."""

SUFFIXES: tuple[tuple[str, Kind], ...] = (
    ("_amount", "money"),
    ("_charge", "money"),
    ("_payment", "money"),
    ("_rate", "rate"),
    ("_date", "date"),
    ("_at", "timestamp"),
    ("_days", "days"),
)
"""The kind of a column not in :data:`TERMS`, by the end of its name."""


def humanize(name: str) -> str:
    """``"source_file_id"`` → ``"Source file ID"``: words, acronyms as written, the first
    letter capitalised."""
    words = [WORDS.get(word, word) for word in name.strip("_").split("_") if word]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def term(column: str, report: str | None = None) -> Term:
    """The term of ``column`` (of ``report``, where a report gives the name its own meaning)."""
    if report is not None and f"{report}.{column}" in TERMS:
        return TERMS[f"{report}.{column}"]
    if column in TERMS:
        return TERMS[column]
    kind: Kind = next((k for suffix, k in SUFFIXES if column.endswith(suffix)), "text")
    return Term(humanize(column), kind)


def label(column: str, report: str | None = None) -> str:
    """The human label of ``column``: ``"denied_amount"`` → ``"Denied amount"``."""
    return term(column, report).label


def definition(column: str, report: str | None = None) -> str:
    """What the figure ``column`` (of ``report``) means, in one sentence; ``""`` when it is
    not a defined figure."""
    if report is not None and f"{report}.{column}" in DEFINITIONS:
        return DEFINITIONS[f"{report}.{column}"]
    return DEFINITIONS.get(column, "")


def inline(text: str) -> str:
    """A label inside a sentence: its first letter in lower case, unless the first word is an
    acronym (``"Total charge"`` → ``"total charge"``, ``"A/R"`` stays)."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and not first[1:].islower():
        return text
    return text[:1].lower() + text[1:]


def enum(value: str) -> str:
    """One of claimflow's identifiers as words: ``"medical_necessity"`` → ``"Medical
    necessity"``."""
    return VALUES.get(value) or humanize(value)


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Decimal):
        return value.is_nan()
    try:  # pandas' NA and NaT are not equal to themselves
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def _decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, numbers.Integral):
        return Decimal(int(value))
    if isinstance(value, numbers.Real):
        return Decimal(repr(float(value)))  # the shortest decimal that reads as this float
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


def money(value: object, *, cents: bool = False) -> str:
    """Dollars: ``$226,021`` (a total, whole dollars) or ``$80.50`` (with ``cents``: one claim
    or line); ``-$1,234`` below zero; rounded half to even."""
    if _missing(value):
        return MISSING
    amount = _decimal(value).quantize(Decimal("0.01") if cents else Decimal(1), ROUND_HALF_EVEN)
    sign = "-" if amount < 0 else ""  # no "-$0" for an amount that rounds to nothing
    return f"{sign}${abs(amount):,}"


def rate(value: object) -> str:
    """A share as a percentage with one decimal: ``0.123`` → ``12.3%``."""
    if _missing(value):
        return MISSING
    return f"{float(_decimal(value)):.1%}"


def count(value: object) -> str:
    """A count with thousands separators: ``10000`` → ``10,000``."""
    if _missing(value):
        return MISSING
    amount = _decimal(value)
    if amount != amount.to_integral_value():
        return number(amount)
    return f"{int(amount):,}"


def counted(value: int, population: str) -> str:
    """A count of a named population (its name in the plural): ``counted(2000, "claims
    submitted")`` → ``2,000 claims submitted``, ``counted(1, "transaction sets with a 999")``
    → ``1 transaction set with a 999`` (the first plural of its first two words made
    singular)."""
    words = population.split(" ")
    if value == 1:
        for i, word in enumerate(words[:2]):
            if word.endswith("s") and len(word) > 2:
                words[i] = word[:-1]
                break
    return f"{count(value)} {' '.join(words)}"


def days(value: object) -> str:
    """Days, to one decimal: ``23`` → ``23.0``."""
    if _missing(value):
        return MISSING
    return f"{float(_decimal(value)):,.1f}"


def number(value: object) -> str:
    """Any other number, to two decimals: ``3.3333`` → ``3.33``."""
    if _missing(value):
        return MISSING
    return f"{float(_decimal(value)):,.2f}"


def date(value: object) -> str:
    """A date, without a time of day: ``2025-03-10``."""
    if _missing(value):
        return MISSING
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def timestamp(value: object) -> str:
    """A moment, to the minute: ``2025-03-10 14:05``."""
    if _missing(value):
        return MISSING
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:16]


def flag(value: object) -> str:
    """``True`` → ``Yes``, ``False`` → ``No``."""
    if _missing(value):
        return MISSING
    return "Yes" if value else "No"


def write(value: object, kind: Kind, *, cents: bool = False) -> str:
    """``value`` written as its kind says (``cents`` for money of one claim or line); a list
    of values (a claim's sources, say) as each of them written so, separated by commas."""
    if isinstance(value, list | tuple):
        return ", ".join(write(v, kind, cents=cents) for v in value) or MISSING
    if _missing(value):
        return MISSING
    if kind == "money":
        return money(value, cents=cents)
    if kind == "enum":
        return enum(str(value))
    writer = {
        "rate": rate,
        "count": count,
        "days": days,
        "number": number,
        "date": date,
        "timestamp": timestamp,
        "flag": flag,
    }.get(kind)
    if writer is not None:
        return writer(value)
    if isinstance(value, bool):
        return flag(value)
    if isinstance(value, numbers.Integral):
        return count(value)
    if isinstance(value, numbers.Real):
        return number(value)
    if isinstance(value, dt.datetime):
        return timestamp(value)
    if isinstance(value, dt.date):
        return date(value)
    return str(value)


def show(column: str, value: object, report: str | None = None, *, cents: bool = False) -> str:
    """A value of ``column`` as people read it: ``show("denied_amount", 226021.4)`` →
    ``"$226,021"``, ``show("category", "eligibility")`` → ``"Eligibility"``."""
    return write(value, term(column, report).kind, cents=cents)
