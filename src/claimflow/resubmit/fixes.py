"""Recommended fixes in a biller's words, and the NPI check-digit repair.

Every denial or rejection that is not resubmitted automatically goes to the worklist with a
sentence a biller can act on, built from its category, its codes and the claim ("Appeal with
medical records: medical necessity (CARC 50)"). When the codes point at provider data and the
claim's NPI fails its check digit, the sentence says so, and a valid NPI the warehouse already
knows for the same provider is proposed (and used in the corrected claim only when it is the
only candidate).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb

ROLE_COLUMN = {
    "billing": "billing_npi",
    "rendering": "rendering_npi",
    "referring": "referring_npi",
    "attending": "attending_npi",
    "service facility": "facility_npi",
}
RARC_ROLE = {"N290": "rendering", "N286": "referring", "N257": "billing"}
"""Remark codes that name the provider whose identifier is wrong."""
ENTITY_ROLE = {"85": "billing", "82": "rendering", "DN": "referring", "DK": "referring"}
ENTITY_ROLE |= {"77": "service facility", "FA": "service facility", "71": "attending"}
"""277CA STC01-3 entity codes that name a provider."""
LOOP_ROLE = {"2010AA": "billing", "2310B": "rendering", "2420A": "rendering"}
LOOP_ROLE |= {"2310A": "referring", "2310C": "service facility", "2310D": "service facility"}
"""837P loops whose NM109 carries a provider's NPI (for a 999 IK3/IK4 on NM109)."""


def npi_is_valid(npi: str | None) -> bool:
    """Whether ``npi`` is 10 digits whose last is the Luhn check digit over ``80840`` + the rest.

    >>> npi_is_valid("1234567893"), npi_is_valid("1234567890"), npi_is_valid(None)
    (True, False, False)
    """
    if npi is None:
        return False
    from claimflow.x12 import rules  # the X12 package, only when an NPI is checked

    return rules.npi_is_valid(npi)


def _one_typo_apart(a: str, b: str) -> bool:
    """One digit changed, or two adjacent digits swapped: the typos a check digit catches."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) == 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and (a[diff[1]] == b[diff[0]])
    )


@dataclass(frozen=True)
class NpiFinding:
    """A provider NPI on the claim that fails its check digit, and what the warehouse offers."""

    role: str  # billing, rendering, ...
    column: str
    npi: str
    candidates: tuple[str, ...]  # valid NPIs known for the same provider

    @property
    def replacement(self) -> str | None:
        """The one valid NPI to use, when there is exactly one."""
        return self.candidates[0] if len(self.candidates) == 1 else None

    def sentence(self) -> str:
        """The fix in a biller's words."""
        head = f"Replace {self.role} NPI {self.npi}: it fails the check digit"
        if self.replacement:
            return f"{head}; use {self.replacement}, the valid NPI on file for this provider"
        if self.candidates:
            known = ", ".join(self.candidates)
            return (
                f"{head}; several valid NPIs are on file for this provider ({known}): confirm which"
            )
        return (
            f"{head}; no valid NPI is on file for this provider: get it from the provider (NPPES)"
        )


def provider_roles(state: dict[str, Any], category: str) -> list[str]:
    """The provider roles a denial or rejection points at (empty when it is not about them)."""
    roles = [RARC_ROLE[r] for r in (state.get("rarcs") or ()) if r in RARC_ROLE]
    entity = (state.get("entity_code") or "").upper()
    if entity in ENTITY_ROLE and state.get("status_category_code"):
        roles.append(ENTITY_ROLE[entity])
    segment, element = state.get("error_segment"), state.get("error_element_position")
    if segment == "NM1" and element == 9 and state.get("error_loop") in LOOP_ROLE:
        roles.append(LOOP_ROLE[str(state["error_loop"])])
    if not roles and category == "provider_data":
        roles = ["billing", "rendering"]
    return list(dict.fromkeys(roles))


def check_npis(
    conn: duckdb.DuckDBPyConnection,
    header: dict[str, Any],
    lines: Iterable[dict[str, Any]],
    roles: Iterable[str],
) -> list[NpiFinding]:
    """Check the claim's NPIs for ``roles``; for each failing one, look for the valid one.

    Args:
        conn: The warehouse, searched only when an NPI fails.
        header: The claim's ``claims_header`` row (``billing_tin`` and the NPI columns).
        lines: Its ``claims_line`` rows (``rendering_npi``).
        roles: The provider roles the denial points at (:func:`provider_roles`).

    A valid NPI counts as the same provider's when the warehouse has it under the same billing
    tax id: for the billing provider, any valid billing NPI of that tax id; for the others, a
    valid NPI of that role one typo away (one digit changed or two adjacent digits swapped),
    the errors a check digit exists to catch.
    """
    line_npis = [x["rendering_npi"] for x in lines if x.get("rendering_npi")]
    findings = []
    for role in roles:
        column = ROLE_COLUMN[role]
        present = [header[column]] if header.get(column) else []
        if column == "rendering_npi":
            present += [n for n in dict.fromkeys(line_npis) if n not in present]
        for npi in present:
            if npi_is_valid(npi):
                continue
            candidates = _known_npis(conn, column, header.get("billing_tin"), npi)
            findings.append(NpiFinding(role, column, npi, candidates))
    return findings


def _known_npis(
    conn: duckdb.DuckDBPyConnection, column: str, tin: str | None, bad: str
) -> tuple[str, ...]:
    if not tin:
        return ()
    known = {
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT {column} FROM claims_header WHERE billing_tin = ?"
            f" AND {column} IS NOT NULL",
            [tin],
        ).fetchall()
    }
    if column == "rendering_npi":
        known |= {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT l.rendering_npi FROM claims_line AS l JOIN claims_header AS h"
                " ON h.claim_id = l.claim_id WHERE h.billing_tin = ? AND l.rendering_npi IS NOT NULL",
                [tin],
            ).fetchall()
        }
    valid = sorted(n for n in known if n != bad and npi_is_valid(n))
    if column != "billing_npi":
        valid = [n for n in valid if _one_typo_apart(n, bad)]
    return tuple(valid)


CATEGORY_FIX = {
    "eligibility": "Verify the member's coverage and member id with the payer (eligibility"
    " response), then bill the right payer or the patient",
    "authorization": "Find or obtain the prior authorization for the service and send a corrected"
    " claim with its number",
    "coding": "Have a coder review the procedure, modifier and diagnosis codes against the record",
    "missing_information": "Complete the claim data the payer names and send the claim again",
    "provider_data": "Correct the provider's NPI, taxonomy or tax id on the claim",
    "documentation": "Send the requested medical records or attachment to the payer",
    "medical_necessity": "Appeal with medical records",
    "timely_filing": "Appeal only with proof of timely filing (clearinghouse or 277CA acceptance);"
    " otherwise write it off",
    "duplicate": "Do not resubmit: check the original claim's status",
    "coordination_of_benefits": "Bill the primary payer first and attach its remittance",
    "bundling": "Review the NCCI edit; appeal with a modifier only if the record supports a"
    " separate service",
    "non_covered": "Bill the patient if an advance notice (ABN) was signed; otherwise write it off",
    "provider_enrollment": "Check the provider's enrollment and credentialing with the payer,"
    " then resubmit",
    "patient_responsibility": "Bill the patient's share",
    "contractual": "Post the contractual adjustment; check the payment against the contract",
    "other": "Read the payer's letter or remark codes, or call the payer, to learn the cause",
}
"""What a biller does about each category, when nothing more specific is known."""

CATEGORY_WORDS = {
    "missing_information": "missing or invalid information",
    "provider_data": "provider data",
    "coordination_of_benefits": "coordination of benefits",
    "non_covered": "non-covered service",
    "provider_enrollment": "provider enrollment",
    "patient_responsibility": "patient responsibility",
    "other": "unclear denial",
}

REASON_FIX = {
    "timely_filing_window_closed": "The payer's filing window has closed: appeal with proof of"
    " timely filing, or write it off",
    "max_attempts": "Resubmitted the maximum number of times already: call the payer before"
    " sending it again",
    "no_payer_claim_control_number": "Find the payer's claim control number (835 CLP07) so that"
    " a replacement claim can reference it",
    "missing_patient_id": "Add the patient's member id from the registration or eligibility"
    " response, then resubmit",
    "missing_submitted_at": "Find the claim's submission date in the EMR or clearinghouse report",
    "missing_denial_reason": "Find the denial reason (payer letter, portal or remittance) and"
    " record it",
}
"""Reasons a claim went to a person that say more than its category."""


def codes_phrase(state: dict[str, Any]) -> str:
    """The codes behind a denial or rejection, for the end of a sentence (may be empty)."""
    parts = []
    if state.get("carc"):
        group = f"{state['group_code']}-" if state.get("group_code") else ""
        parts.append(f"CARC {group}{state['carc']}")
    rarcs = [r for r in (state.get("rarcs") or ()) if r]
    if rarcs:
        parts.append("RARC " + "/".join(rarcs))
    if state.get("status_category_code"):
        stc = ":".join(
            str(x)
            for x in (state["status_category_code"], state.get("status_code"),
                      state.get("entity_code"))
            if x
        )  # fmt: skip
        parts.append(f"277CA {stc}")
    if state.get("segment_error_code") or state.get("element_error_code"):
        where = state.get("error_segment") or "segment"
        if state.get("error_element_position"):
            where += f"{int(state['error_element_position']):02d}"
        codes = "/".join(
            str(c) for c in (state.get("segment_error_code"), state.get("element_error_code")) if c
        )
        parts.append(f"999 error {codes} on {where}")
    return ", ".join(parts)


def recommend(
    category: str,
    *,
    reason: str | None = None,
    state: dict[str, Any] | None = None,
    label_fix: str | None = None,
    npi_findings: Iterable[NpiFinding] = (),
    lines: Iterable[dict[str, Any]] = (),
) -> str:
    """One sentence a biller acts on, for a denial or rejection that went to a person.

    Args:
        category: The classifier's category.
        reason: Why it was not resubmitted (``plan.reason`` / the EMR exclusion reason).
        state: The claim's denial state (codes), when it came from an 835/277CA/999.
        label_fix: The classifier label's own fix text (EMR free text), if any.
        npi_findings: NPIs on the claim that fail their check digit.
        lines: The claim's lines (for the procedure codes an authorization is for).
    """
    codes = codes_phrase(state or {})
    why = CATEGORY_WORDS.get(category, category.replace("_", " "))
    tail = f": {why} ({codes})" if codes else f": {why}"
    findings = list(npi_findings)
    if findings:
        return "; ".join(f.sentence() for f in findings) + (f" ({codes})" if codes else "")
    base = reason.split(" ")[0] if reason else ""
    if base in REASON_FIX:
        return REASON_FIX[base] + tail
    if base == "ambiguous":
        return "Read the denial and decide its cause: the classifier is not sure" + tail
    if label_fix and not codes:
        return label_fix + tail
    if category == "eligibility":
        return "Verify the member id and coverage with the payer" + tail
    if category == "authorization":
        procedures = sorted({str(x["procedure_code"]) for x in lines if x.get("procedure_code")})
        what = f" for {', '.join(procedures)}" if procedures else ""
        return (
            f"Find or obtain the prior authorization{what} and send a corrected claim with its"
            f" number{tail}"
        )
    return CATEGORY_FIX.get(category, CATEGORY_FIX["other"]) + tail
