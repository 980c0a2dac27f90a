"""Assertion-only language: the words a letter must not use outside the denial's own quoted
words (hedging, conceding, the internal criteria's name)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from claimflow.appeals.letter import Letter

# Hedging and conceding words (the design's list) and phrases; whole words, any case.
FORBIDDEN_WORDS = (
    "although",
    "while",
    "despite",
    "however",
    "nonetheless",
    "unfortunately",
    "regrettably",
    "only",
    "merely",
    "just",
    "may",
    "might",
    "could possibly",
    "potentially",
    "admittedly",
    "we acknowledge",
    "we concede",
    "it is possible",
    "appears to",
    "seems",
)
# Uses that are not hedges: a patient "while on BiPAP".
ALLOWED_PHRASES = (r"\bwhile on\b",)
# Names of internal criteria sets the payer must never read.
INTERNAL_NAMES = ("Propel",)

_FORBIDDEN = re.compile(
    r"\b(" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in FORBIDDEN_WORDS) + r")\b",
    re.IGNORECASE,
)
_INTERNAL = re.compile(r"\b(" + "|".join(map(re.escape, INTERNAL_NAMES)) + r")\b", re.IGNORECASE)
_ALLOWED = [re.compile(p, re.IGNORECASE) for p in ALLOWED_PHRASES]


@dataclass(frozen=True)
class LintFinding:
    paragraph: int
    word: str
    excerpt: str
    rule: str  # "hedging" | "internal name"


def lint(letter: Letter) -> list[LintFinding]:
    """Every forbidden word in the letter's own words (the denial's quotes are the payer's)."""
    findings: list[LintFinding] = []
    for i, paragraph in enumerate(letter.paragraphs):
        if paragraph.kind == "quote":
            continue
        text = paragraph.text.replace("**", "")
        allowed = [m.span() for p in _ALLOWED for m in p.finditer(text)]
        for match in _FORBIDDEN.finditer(text):
            if any(a <= match.start() < b for a, b in allowed):
                continue
            findings.append(LintFinding(i, match.group(0), _excerpt(text, match), "hedging"))
        for match in _INTERNAL.finditer(text):
            findings.append(LintFinding(i, match.group(0), _excerpt(text, match), "internal name"))
    return findings


def _excerpt(text: str, match: re.Match[str]) -> str:
    start = max(0, match.start() - 40)
    return text[start : match.end() + 40].strip()
