"""The code layer: CARC + RARC + group code (835), status codes (277CA), error codes (999).

Data comes from the shipped reference files (``claimflow/reference``): the reviewed CARC →
category map, the CARC/RARC texts and their status. A few RARCs that CARC 16/A1/96/234/252
need to be classified at all are mapped here, each checked against its RARC text.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

from claimflow.denials.reference import CATEGORY_NAMES, NEEDS_RARC, RARC_CATEGORY

CODE_CONFIDENCE = 0.97
"""A CARC whose meaning does not depend on a remark code."""
NEEDS_RARC_CONFIDENCE = 0.55
"""A CARC that needs a remark code (16, A1, 96, 234, 252, 226) but came without a known one."""

NEVER_AUTO_CARCS = frozenset(("18", "29", "B13", "50", "55", "56", "285", "286"))
"""Duplicate, timely filing, medical necessity, appeal limits: never resubmitted automatically."""

STATUS_CATEGORY_REJECTED = frozenset(("A3", "A4", "A6", "A7", "A8"))
STATUS_CODE_CATEGORY: dict[str, str] = {
    "21": "missing_information",  # Missing or invalid information.
    "33": "coding",  # Claim/service spans multiple months.
    "88": "eligibility",  # Entity not eligible for benefits for submitted dates of service.
    "97": "eligibility",  # Patient eligibility not found with entity.
    "509": "eligibility",  # Claim being researched for Insured ID/Group Policy Number error.
    "454": "coding",  # Procedure code for services rendered.
    "187": "missing_information",  # Date(s) of service.
    "24": "provider_enrollment",  # Entity not approved as an electronic submitter.
    "25": "provider_enrollment",  # Entity not approved.
}
PROVIDER_ENTITIES = frozenset(("85", "82", "77", "DN", "DK", "FA", "QB", "1P", "PE"))
PATIENT_ENTITIES = frozenset(("IL", "QC", "03"))


@dataclass(frozen=True)
class CodeVerdict:
    """What the codes alone say."""

    category: str
    confidence: float
    explanation: str
    auto_eligible: str  # Y, N or CONDITIONAL (from the reviewed map)
    is_rejection: bool = False


def _read(name: str) -> list[dict[str, str]]:
    text = (resources.files("claimflow.reference") / name).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


class CodeMap:
    """The shipped CARC map and code texts, ready for lookups."""

    def __init__(self) -> None:
        self.carc_category = {
            r["carc"].strip(): (
                CATEGORY_NAMES[r["category"].strip()],
                r["auto_resubmit_eligible"].strip(),
            )
            for r in _read("carc_denial_category_map.csv")
        }
        self.carc_text = {r["code"]: (r["description"], r["status"]) for r in _read("carc.csv")}
        self.rarc_text = {r["code"]: (r["description"], r["status"]) for r in _read("rarc.csv")}

    def adjustment(self, group: str | None, carc: str, rarcs: tuple[str, ...] = ()) -> CodeVerdict:
        """Classify an 835 adjustment from its group code, CARC and remark codes."""
        carc = carc.strip().upper()
        group = (group or "").strip().upper()
        text, status = self.carc_text.get(carc, ("", "unknown"))
        known = f"CARC {carc}" + (f" ({status})" if status != "current" else "")
        category, auto = self.carc_category.get(carc, ("other", "N"))
        confidence = CODE_CONFIDENCE if carc in self.carc_category else 0.5
        why = f"{group + '-' if group else ''}{known}: {text[:90] or 'not in the CARC list'}"
        if carc in NEEDS_RARC:
            mapped = [RARC_CATEGORY[r] for r in rarcs if r.upper() in RARC_CATEGORY]
            if mapped:
                category = mapped[0]
                rarc = next(r for r in rarcs if r.upper() in RARC_CATEGORY)
                why += f"; remark {rarc.upper()}: {self.rarc_text.get(rarc.upper(), ('',))[0][:80]}"
            else:
                confidence = NEEDS_RARC_CONFIDENCE
                why += "; it needs a remark code to say what is wrong, and none known came with it"
        if group == "PR" and category not in ("patient_responsibility", "non_covered"):
            why += "; group PR: the patient owes it"
        if group == "CO" and carc == "45":
            category = "contractual"
        if carc in NEVER_AUTO_CARCS:
            auto = "N"
        return CodeVerdict(category, confidence, why, auto)

    def claim_status(
        self, category_code: str, status_code: str | None, entity: str | None
    ) -> CodeVerdict:
        """Classify a 277CA status (STC01): a rejection is never a denial."""
        cat = category_code.strip().upper()
        if cat not in STATUS_CATEGORY_REJECTED:
            return CodeVerdict("other", CODE_CONFIDENCE, f"277CA {cat}: not a rejection", "N")
        code = (status_code or "").strip()
        entity = (entity or "").strip().upper()
        if code in STATUS_CODE_CATEGORY:
            category = STATUS_CODE_CATEGORY[code]
        elif entity in PROVIDER_ENTITIES:
            category = "provider_data"
        elif entity in PATIENT_ENTITIES:
            category = "eligibility"
        else:
            category = "missing_information"
        why = f"277CA rejection {cat}:{code or '-'}:{entity or '-'} (not adjudicated: fix and send as a new original claim)"
        return CodeVerdict(category, 0.9, why, "CONDITIONAL", is_rejection=True)

    def ack_999(self, segment_error: str | None, element_error: str | None) -> CodeVerdict:
        """Classify a 999 rejection: the file broke a syntax or guide rule."""
        codes = ", ".join(c for c in (segment_error, element_error) if c) or "-"
        why = f"999 rejection (IK304/IK403 {codes}): the transaction broke an X12 rule"
        return CodeVerdict("missing_information", 0.9, why, "N", is_rejection=True)
