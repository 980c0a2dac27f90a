"""The generic fields of a denial letter, read by rules (no model).

Account and claim numbers, member id, payer, the letter's date, the admission and discharge
dates, the original and proposed DRG and the appeal deadline. A DRG is read only when the
letter writes it as a 3-digit number in a DRG context ("from DRG 871 to DRG 872", "Revised
DRG: 872"); otherwise it is ``None`` and shown ``unknown`` — never guessed from words. The
deadline is a date the letter writes, or "within N days of the date of this letter" counted
from the letter's date; ``deadline_rule`` says which.

The condition and the payer's arguments are the condition profile's rules
(``claimflow.appeals.profiles``), not this module's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

UNKNOWN = "unknown"

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
DATE = (
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,\s*|\s+)\d{{4}}"
    rf"|\d{{1,2}}\s+{_MONTH}(?:,\s*|\s+)\d{{4}}"
    r"|\d{1,2}/\d{1,2}/\d{4}|\d{1,2}-\d{1,2}-\d{4}|\d{4}-\d{2}-\d{2})"
)
"""A date as letters write it: March 5, 2025; 5 March 2025; 03/05/2025; 2025-03-05."""

_ID = r"(?P<v>[A-Z0-9][A-Z0-9-]{2,24}[A-Z0-9])"
_SEP = r"[ \t]*(?:[:#.][ \t]*)*"

_ACCOUNT_LABEL = (
    r"\b(?:patient\s+)?(?:account|acct\.?|patient\s+control)\s*(?:number|num\.?|no\.?|#|id)?"
)
_CLAIM_LABEL = r"\bclaim\s*(?:number|num\.?|no\.?|#|id|control\s+number|reference(?:\s+number)?)"
_MEMBER_LABEL = (
    r"\b(?:member|subscriber|insured|beneficiary)\s*(?:id|identification|number|no\.?|#)"
    r"(?:\s*(?:number|no\.?|#))?"
)


def _id_patterns(label: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a label ending its line's identifier, in upper case and digit groups that OCR may have
    split with a space; the label followed by an identifier anywhere)."""
    return (
        re.compile(rf"(?i:{label}){_SEP}(?P<v>[A-Z0-9][A-Z0-9 -]{{2,30}}?)[ \t]*$", re.MULTILINE),
        re.compile(rf"{label}{_SEP}{_ID}", re.IGNORECASE),
    )


_ACCOUNT = _id_patterns(_ACCOUNT_LABEL)
_CLAIM = _id_patterns(_CLAIM_LABEL)
_MEMBER = _id_patterns(_MEMBER_LABEL)
_PAYER_WORDS = re.compile(
    r"\b(?:health|healthcare|insurance|plan|care|medicare|medicaid|mutual|alliance|assurance"
    r"|blue|shield|cross|benefits?)\b",
    re.IGNORECASE,
)
_PAYER_LABEL = re.compile(
    r"^[ \t]*(?:payer|payor|health\s+plan|insurance(?:\s+company)?|insurer|plan(?:\s+name)?)"
    r"[ \t]*:[ \t]*(?P<v>\S[^\n]{1,80})$",
    re.IGNORECASE | re.MULTILINE,
)
KNOWN_PAYERS: tuple[tuple[str, str], ...] = (
    (r"united\s*health\s*care|\buhc\b", "UnitedHealthcare"),
    (r"\baetna\b", "Aetna"),
    (r"\bcigna\b", "Cigna"),
    (r"\bhumana\b", "Humana"),
    (r"\banthem\b", "Anthem"),
    (r"\bblue\s+cross(?:\s+(?:and\s+|&\s*)?blue\s+shield)?|\bbcbs\b", "Blue Cross Blue Shield"),
    (r"\bkaiser\b", "Kaiser Permanente"),
    (r"\bmolina\b", "Molina Healthcare"),
    (r"\bcentene\b", "Centene"),
    (r"\bwellcare\b", "WellCare"),
    (r"\bhighmark\b", "Highmark"),
    (r"\bmedicare\b", "Medicare"),
    (r"\bmedicaid\b", "Medicaid"),
)
"""Payer names recognised in a letter without a ``Payer:`` line (the first one written)."""

_LETTER_DATE = re.compile(
    rf"^[ \t]*(?:date(?:\s+of\s+(?:this\s+)?(?:letter|notice))?|letter\s+date|notice\s+date)"
    rf"[ \t]*:?[ \t]*(?P<d>{DATE})",
    re.IGNORECASE | re.MULTILINE,
)
_NOT_LETTER_DATE = re.compile(
    r"admi|discharg|service|birth|\bdob\b|\bdos\b|received|through|deadline|by\b", re.IGNORECASE
)
_SERVICE = re.compile(
    rf"(?:dates?\s+of\s+service|service\s+dates?|\bDOS\b|dates?\s+of\s+stay)\s*:?\s*(?:from\s+)?"
    rf"(?P<a>{DATE})\s*(?:-|–|—|to|through|thru)\s*(?P<b>{DATE})",
    re.IGNORECASE,
)
_ADMITTED = re.compile(
    rf"(?:date\s+of\s+admission|admission\s+date|admit\s+date|admitted(?:\s+on)?|admission)"
    rf"\s*:?\s*(?:on\s+)?(?P<d>{DATE})",
    re.IGNORECASE,
)
_DISCHARGED = re.compile(
    rf"(?:date\s+of\s+discharge|discharge\s+date|discharged(?:\s+on)?|discharge)"
    rf"\s*:?\s*(?:on\s+)?(?P<d>{DATE})",
    re.IGNORECASE,
)

_DRG = r"(?:MS-?|APR-?)?DRG"
_N = r"(?:#\s*)?(\d{3})(?![\d,]|\.\d)"
_TO_N = rf"(?:{_DRG}\s*(?:code\s+|#\s*)?)?{_N}"
_LABEL_VERB = r"\s*(?:code|number|assignment)?\s*(?:was|of|is|will\s+be|:|=|-)?\s*"
_ORIGINAL_LABELS = re.compile(
    rf"\b(?:original|originally\s+billed|billed|submitted|claimed|initial|coded|hospital'?s?)"
    rf"\s+{_DRG}{_LABEL_VERB}{_N}"
    rf"|\b{_DRG}\s+(?:billed|submitted|claimed|on\s+the\s+claim)\s*(?:was|:)?\s*{_N}",
    re.IGNORECASE,
)
_PROPOSED_LABELS = re.compile(
    rf"\b(?:revised|proposed|approved|adjusted|new|recommended|corrected|final|audited|allowed"
    rf"|reassigned|validated|appropriate|supported)\s+{_DRG}{_LABEL_VERB}{_N}"
    rf"|\b{_DRG}\s+(?:approved|allowed|assigned\s+after\s+review|after\s+review)\s*"
    rf"(?:was|is|:)?\s*{_N}"
    rf"|\b(?:changed|adjusted|downgraded|revised|reassigned|modified|reduced|lowered|moved"
    rf"|re-?coded)\s+(?:\w+\s+){{0,3}}?to\s+{_DRG}\s*{_N}",
    re.IGNORECASE,
)
_DRG_CHANGES = (
    re.compile(rf"\bfrom\s+{_DRG}\s*{_N}.{{0,160}}?\bto\s+{_TO_N}", re.IGNORECASE),
    re.compile(
        rf"\b{_DRG}\s*{_N}.{{0,160}}?\b(?:changed|adjusted|downgraded|revised|reassigned"
        rf"|modified|reduced|lowered|moved|re-?coded|re-?assigned)\b.{{0,80}}?\bto\s+{_TO_N}",
        re.IGNORECASE,
    ),
    re.compile(rf"\b{_DRG}\s*{_N}\s*(?:to|->|→)\s*{_TO_N}", re.IGNORECASE),
    re.compile(rf"\b{_DRG}\s+from\s+{_N}\s+to\s+{_TO_N}", re.IGNORECASE),
)

_NUMBER_WORDS = {
    "seven": 7,
    "ten": 10,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty-five": 45,
    "forty five": 45,
    "sixty": 60,
    "ninety": 90,
    "one hundred twenty": 120,
    "one hundred and twenty": 120,
    "one hundred eighty": 180,
    "one hundred and eighty": 180,
    "three hundred sixty-five": 365,
}
_WITHIN = re.compile(
    r"\bwithin\s+(?:(?P<w>[a-z][a-z -]{2,30}?)\s*\(\s*(?P<n1>\d{1,3})\s*\)|(?P<n2>\d{1,3})"
    r"|(?P<w2>" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r"))"
    r"\s*(?P<kind>calendar\s+|business\s+|working\s+)?days?\b(?P<of>[^.]{0,80})",
    re.IGNORECASE,
)
_BY_DATE = re.compile(
    rf"(?:appeal|request|reconsideration|submission|deadline)[^.]{{0,120}}?"
    rf"(?:no\s+later\s+than|on\s+or\s+before|by|before|deadline\s+(?:is|of)|:)\s+(?P<d>{DATE})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DenialFields:
    """What the letter says, by rule. ``None``: the letter does not say it (shown unknown)."""

    account_number: str | None = None
    claim_number: str | None = None
    member_id: str | None = None
    payer: str | None = None
    letter_date: dt.date | None = None
    admitted: dt.date | None = None
    discharged: dt.date | None = None
    original_drg: str | None = None
    proposed_drg: str | None = None
    appeal_deadline: dt.date | None = None
    deadline_rule: str | None = None
    """How the deadline was read: ``"written: <date>"`` or ``"within N days of the letter
    date"`` (or why there is none)."""


def shown(value: object) -> str:
    """A field for people: its value, or ``unknown``."""
    return UNKNOWN if value is None or value == "" else str(value)


def parse_date(text: str) -> dt.date | None:
    """A date written in one of the :data:`DATE` forms (US order for 03/05/2025)."""
    text = text.strip().rstrip(".")
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        return _date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})", text)
    if m:
        return _date(int(m[3]), int(m[1]), int(m[2]))
    # "April 12,2025": OCR drops the space after the comma
    m = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,\s*|\s+)(\d{4})", text)
    if m and m[1][:3].lower() in _MONTHS:
        return _date(int(m[3]), _MONTHS[m[1][:3].lower()], int(m[2]))
    m = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?(?:,\s*|\s+)(\d{4})", text)
    if m and m[2][:3].lower() in _MONTHS:
        return _date(int(m[3]), _MONTHS[m[2][:3].lower()], int(m[1]))
    return None


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _identifier(patterns: tuple[re.Pattern[str], re.Pattern[str]], text: str) -> str | None:
    """The identifier after a label: on the label's line (spaces OCR put in it removed), else
    anywhere after the label; it has a digit."""
    by_line, anywhere = patterns
    for m in by_line.finditer(text):
        value = m.group("v").replace(" ", "")
        if any(ch.isdigit() for ch in value) and len(value) >= 4:
            return value.upper()
    for m in anywhere.finditer(" ".join(text.split())):
        value = m.group("v")
        if any(ch.isdigit() for ch in value):
            return value.upper()
    return None


def _letter_date(text: str) -> dt.date | None:
    m = _LETTER_DATE.search(text)
    if m:
        return parse_date(m["d"])
    lines = [line for line in text.splitlines() if line.strip()][:15]
    for line in lines:
        if _NOT_LETTER_DATE.search(line):
            continue
        found = re.search(DATE, line, re.IGNORECASE)
        if found:
            return parse_date(found.group(0))
    return None


def _payer(text: str, flat: str) -> str | None:
    """A ``Payer:`` line; else the letterhead (the first line) when it names an organisation
    the letter names again or a payer's word (Health Plan, Insurance, ...); else the first
    known payer name written."""
    m = _PAYER_LABEL.search(text)
    if m:
        return " ".join(m["v"].split()).rstrip(".,;")
    head = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if (
        4 <= len(head) <= 60
        and not any(ch.isdigit() for ch in head)
        and not re.search(r"[:;]|^(?:dear|re)\b", head, re.IGNORECASE)
        and not re.search(DATE, head, re.IGNORECASE)
        and (flat.count(head) >= 2 or _PAYER_WORDS.search(head))
    ):
        return head.rstrip(".,;")
    best: tuple[int, str] | None = None
    for pattern, name in KNOWN_PAYERS:
        found = re.search(pattern, flat, re.IGNORECASE)
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), name)
    return best[1] if best else None


def _drgs(flat: str) -> tuple[str | None, str | None]:
    original = proposed = None
    m = _ORIGINAL_LABELS.search(flat)
    if m:
        original = next(g for g in m.groups() if g)
    m = _PROPOSED_LABELS.search(flat)
    if m:
        proposed = next(g for g in m.groups() if g)
    for pattern in _DRG_CHANGES:
        m = pattern.search(flat)
        if m:
            original = original or m.group(1)
            proposed = proposed or m.group(2)
            break
    return original, proposed


def _add_days(start: dt.date, days: int, business: bool) -> dt.date:
    if not business:
        return start + dt.timedelta(days=days)
    day = start
    while days:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _deadline(flat: str, letter_date: dt.date | None) -> tuple[dt.date | None, str | None]:
    m = _BY_DATE.search(flat)
    if m:
        written = parse_date(m["d"])
        if written is not None:
            return written, f"written: {written.isoformat()}"
    m = _WITHIN.search(flat)
    if not m:
        return None, None
    if m["n1"] or m["n2"]:
        days = int(m["n1"] or m["n2"])
    else:
        days = _NUMBER_WORDS[" ".join(m["w2"].lower().split())]
    business = bool(m["kind"]) and not m["kind"].lower().startswith("calendar")
    of = " ".join(m["of"].split()).lower()
    counted = "business days" if business else "days"
    what = of.rstrip(" ,;:") if of.startswith(("of", "from", "after")) else ""
    if letter_date is None:
        return None, f"within {days} {counted} {what} (the letter's date is unknown)".replace(
            "  ", " "
        )
    return (
        _add_days(letter_date, days, business),
        f"within {days} {counted} {what or 'of the letter'}: the letter date"
        f" {letter_date.isoformat()} + {days} {counted}",
    )


def read_denial(text: str) -> DenialFields:
    """The generic fields of a denial letter's text."""
    flat = " ".join(text.split())
    letter_date = _letter_date(text)
    admitted = discharged = None
    m = _SERVICE.search(flat)
    if m:
        admitted, discharged = parse_date(m["a"]), parse_date(m["b"])
    if admitted is None:
        m = _ADMITTED.search(flat)
        admitted = parse_date(m["d"]) if m else None
    if discharged is None:
        m = _DISCHARGED.search(flat)
        discharged = parse_date(m["d"]) if m else None
    original, proposed = _drgs(flat)
    deadline, rule = _deadline(flat, letter_date)
    return DenialFields(
        account_number=_identifier(_ACCOUNT, text),
        claim_number=_identifier(_CLAIM, text),
        member_id=_identifier(_MEMBER, text),
        payer=_payer(text, flat),
        letter_date=letter_date,
        admitted=admitted,
        discharged=discharged,
        original_drg=original,
        proposed_drg=proposed,
        appeal_deadline=deadline,
        deadline_rule=rule,
    )
