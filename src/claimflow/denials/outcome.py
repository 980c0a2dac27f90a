"""From a category to what a biller does about it: disposition and the auto-resubmit gate.

Safety is asymmetric: a wrong automatic resubmission costs money and payer goodwill, a wrong
"review" costs a minute. So ``auto_resubmit`` is true only when the deciding layer names a
deterministic fix (a text label marked ``auto``, or a CARC the reviewed map marks ``Y``), the
confidence clears the threshold, and the category is not one that is never resubmitted.
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "eligibility",
    "authorization",
    "coding",
    "missing_information",
    "provider_data",
    "documentation",
    "medical_necessity",
    "timely_filing",
    "duplicate",
    "coordination_of_benefits",
    "bundling",
    "non_covered",
    "provider_enrollment",
    "patient_responsibility",
    "contractual",
    "other",
)

DISPOSITIONS: tuple[str, ...] = (
    "resubmit",
    "correct_and_review",
    "appeal",
    "write_off",
    "bill_patient",
    "wait",
    "none",
)

DEFAULT_DISPOSITION: dict[str, str] = {
    "eligibility": "correct_and_review",
    "authorization": "correct_and_review",
    "coding": "correct_and_review",
    "missing_information": "resubmit",
    "provider_data": "resubmit",
    "documentation": "correct_and_review",
    "medical_necessity": "appeal",
    "timely_filing": "write_off",
    "duplicate": "none",
    "coordination_of_benefits": "correct_and_review",
    "bundling": "appeal",
    "non_covered": "write_off",
    "provider_enrollment": "correct_and_review",
    "patient_responsibility": "bill_patient",
    "contractual": "none",
    "other": "correct_and_review",
}

NEVER_AUTO: frozenset[str] = frozenset(
    ("duplicate", "timely_filing", "medical_necessity", "non_covered", "bundling")
)
"""Categories never resubmitted automatically, whatever the confidence."""


def disposition_for(
    category: str, *, group_code: str | None = None, rejection: bool = False
) -> str:
    """The default disposition of a category.

    Args:
        category: A denial category.
        group_code: The CAS group (PR: the patient owes the amount).
        rejection: A 999/277CA rejection: never adjudicated, so never appealed; it is
            corrected and sent again as a new original claim.
    """
    disposition = DEFAULT_DISPOSITION.get(category, "correct_and_review")
    if rejection:
        return "resubmit" if disposition == "resubmit" else "correct_and_review"
    if (group_code or "").upper() == "PR" and category in ("non_covered", "patient_responsibility"):
        return "bill_patient"
    return disposition


def auto_resubmit(category: str, confidence: float, threshold: float, *, fix_known: bool) -> bool:
    """The gate: a deterministic fix, a confident answer, and a category that allows it."""
    return fix_known and confidence >= threshold and category not in NEVER_AUTO
