"""The appeal letter, written deterministically from the profile and the scored chart.

Each payer argument is quoted from the denial and answered with the profile's rebuttal and the
patient's values, each with its time; a rebuttal appears only when the denial makes its
argument; a criterion is claimed only when the chart meets it; every number comes from a row
of the chart, a score computed from cited rows, the case's own fields, the denial's words or
the criteria's thresholds (``trace`` checks it). Bold is marked ``**so**``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from claimflow.appeals.profiles import Argument, Profile
from claimflow.appeals.scoring import CaseScores
from claimflow.clinical.evidence import fmt_num, fmt_quantity, param_text, unit_text
from claimflow.clinical.results import Cited, Criterion, ScoreResult

TIME_FORMAT = "%m/%d/%Y %H:%M"
DATE_FORMAT = "%m/%d/%Y"
UNKNOWN = "unknown"

# SEP-1 is a CMS quality measure built on SIRS: its timing facts are cited to CMS payers only.
CMS_ONLY = frozenset({"sep1"})
_CMS = re.compile(r"\b(medicare|cms|centers for medicare)\b", re.IGNORECASE)


def is_cms(payer: str | None) -> bool:
    """A payer that applies the CMS SEP-1 measure (Medicare, CMS)."""
    return bool(payer and _CMS.search(payer))


def cites(scorer: str, payer: str | None) -> bool:
    """Whether the letter to this payer cites the scorer's findings."""
    return scorer not in CMS_ONLY or is_cms(payer)


Kind = Literal["header", "heading", "body", "quote", "argument", "evidence", "closing"]


@dataclass(frozen=True)
class DenialFacts:
    """What the case says about itself: read from the denial letter and the encounter."""

    case_id: str
    condition: str
    payer: str | None
    account_number: str | None
    claim_number: str | None
    admitted: dt.datetime
    discharged: dt.datetime | None
    original_drg: str | None
    proposed_drg: str | None
    letter_date: dt.date | None
    appeal_deadline: dt.date | None
    arguments: tuple[str, ...]
    denial_text: str


@dataclass(frozen=True)
class Paragraph:
    """One paragraph: its text (``**bold**`` marked), what it is, and the argument it answers."""

    text: str
    kind: Kind
    argument: str | None = None


@dataclass(frozen=True)
class Table:
    """The appendix table (SOFA by organ, the blood gases, the creatinine series)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


@dataclass
class Letter:
    case_id: str
    condition: str
    drafted: dt.date
    paragraphs: list[Paragraph]
    table: Table | None = None
    template: str = "profile default"
    quotes: dict[str, str] = field(default_factory=dict)  # argument id -> the denial's words

    @property
    def text(self) -> str:
        """The letter as plain text, paragraphs separated by a blank line."""
        body = "\n\n".join(p.text for p in self.paragraphs)
        return body.replace("**", "")


def when(t: dt.datetime) -> str:
    """A time as every letter writes it."""
    return t.strftime(TIME_FORMAT)


def day(d: dt.date | dt.datetime | None) -> str:
    return UNKNOWN if d is None else d.strftime(DATE_FORMAT)


_SUPPORT_TEXT = {
    "room_air": "room air",
    "nasal_cannula": "nasal cannula",
    "face_mask": "face mask",
    "hfnc": "high-flow nasal cannula",
    "niv": "non-invasive ventilation",
    "invasive_ventilation": "invasive mechanical ventilation",
    "ecmo": "ECMO",
}


def cited_text(c: Cited) -> str:
    """ "PaO2 71 mmHg at 03/02/2025 04:10", "norepinephrine 0.12 µg/kg/min at ...",
    "invasive mechanical ventilation at ...", "blood culture drawn at ..."."""
    if c.value is None:
        text = c.text or ""
        if c.param == "respiratory_support":
            return f"{_SUPPORT_TEXT.get(text, text.replace('_', ' '))} at {when(c.time)}"
        if c.param == "blood_culture":
            return f"blood culture {text} at {when(c.time)}"
        if c.param == "diagnosis":
            return f"diagnosis {text} charted at {when(c.time)}"
        return f"{param_text(c.param)} {text} at {when(c.time)}"
    return f"{param_text(c.param)} {fmt_quantity(c.param, c.value, c.unit)} at {when(c.time)}"


def value_at(c: Cited) -> str:
    """ "0.8 mg/dL at 04/01/2025 15:17"."""
    if c.value is None:
        return f"{c.text or ''} at {when(c.time)}"
    return f"{fmt_quantity(c.param, c.value, c.unit)} at {when(c.time)}"


# a sentence ends at . ! ? before a capital, at a line break, or where a list item starts
_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"\u201c])|\s*\n\s*|\s+(?=[-\u2022*]\s+[A-Z])")


def _sentences(text: str) -> list[tuple[int, str]]:
    """The text's sentences (whitespace folded) with their offsets in the folded text."""
    parts = [p for p in _BREAK.split(text) if p and p.strip()]
    out: list[tuple[int, str]] = []
    offset = 0
    for part in parts:
        sentence = " ".join(part.split()).lstrip("-\u2022* ").strip()
        if sentence:
            out.append((offset, sentence))
        offset += len(" ".join(part.split())) + 1
    return out


def quote_argument(argument: Argument, denial_text: str) -> str | None:
    """The denial's first sentence (or list item) that makes the argument, as written."""
    for _, sentence in _sentences(denial_text):
        if any(re.search(p, sentence, re.IGNORECASE) for p in argument.patterns):
            return sentence
    return None


def _placeholders(facts: DenialFacts, scores: CaseScores) -> dict[str, str | None]:
    values: dict[str, str | None] = {
        "admitted": day(facts.admitted),
        "discharged": day(facts.discharged) if facts.discharged else None,
        "account_number": facts.account_number,
        "claim_number": facts.claim_number,
        "original_drg": facts.original_drg,
        "proposed_drg": facts.proposed_drg,
        "payer": facts.payer,
    }
    sofa = scores.sofa
    if sofa is not None:
        values["sofa_total"] = None if sofa.total is None else str(sofa.total)
        values["sofa_baseline"] = None if sofa.baseline is None else str(sofa.baseline)
        values["sofa_delta"] = None if sofa.delta is None else str(sofa.delta)
        values["sofa_window"] = (
            None if sofa.window is None else f"{when(sofa.window.start)} to {when(sofa.window.end)}"
        )
    kdigo = scores.results.get("kdigo")
    if kdigo is not None:
        values["kdigo_stage"] = None if kdigo.stage is None else str(kdigo.stage)
        baseline = _kdigo_baseline(kdigo)
        values["kdigo_baseline"] = None if baseline is None else value_at(baseline)
    return values


def _kdigo_baseline(kdigo: ScoreResult) -> Cited | None:
    for c in kdigo.criteria:
        if "baseline" in c.id and c.cited:
            return c.cited[0]
    return None


def fill(template: str | None, values: dict[str, str | None]) -> str | None:
    """The template's sentences with their placeholders filled; a sentence whose placeholder
    has no value is left out (never "unknown" in a claim); ``None`` when none is left."""
    if not template:
        return None
    kept: list[str] = []
    for _, sentence in _sentences(template):
        names = re.findall(r"\{(\w+)\}", sentence)
        if any(values.get(n) is None for n in names):
            continue
        kept.append(re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), sentence))
    return " ".join(kept) if kept else None


def _criterion_line(c: Criterion) -> str:
    """A met criterion with its values and their times: "**Respiration** (3 points): P/F 142
    from PaO2 71 mmHg at ... and FiO2 0.50 at ...; invasive mechanical ventilation at ..."."""
    head = f"**{c.label}**"
    if c.points is not None and c.id.startswith("kdigo"):
        head += f" (stage {c.points})"
    elif c.points is not None:
        head += f" ({c.points} point{'s' if c.points != 1 else ''})"
    shown = {x.value for x in c.cited}
    derived = ""
    if c.value is not None and c.value not in shown:
        derived = f"{_derived(c, c.value)} from "
    return f"{head}: {derived}{'; '.join(cited_text(x) for x in c.cited)}."


def _derived(c: Criterion, value: float) -> str:
    """A value the scorer computed from the rows it cites: "PaO2/FiO2 ratio 140", "0.78
    mg/dL"."""
    if c.id in ("sofa.respiration", "arf.pf_ratio"):
        return f"PaO2/FiO2 ratio {fmt_num(value, 0, 1)}"
    unit = unit_text(c.unit)
    return f"{fmt_num(value, 0, 3)} {unit}".strip()


# Criteria stated another way: the SOFA rise by the rebuttal and the organs one by one.
NOT_LISTED = frozenset({"sepsis3.sofa_delta"})


def _shows(c: Criterion) -> bool:
    """A criterion the letter states: met, or scored with points, and resting on rows."""
    if not c.cited or c.id in NOT_LISTED:
        return False
    if c.points is not None:
        return c.points > 0
    return c.met is True


def evidence_lines(result: ScoreResult) -> list[str]:
    return [_criterion_line(c) for c in result.criteria if _shows(c)]


def _answers(scores: CaseScores, names: list[str]) -> list[str]:
    lines: list[str] = []
    for name in names:
        if name in scores.criteria and _shows(scores.criteria[name]):
            lines.append(_criterion_line(scores.criteria[name]))
        elif name in scores.results:
            result = scores.results[name]
            lines += evidence_lines(result)
            if name == "sepsis3" and "sofa" in scores.results:
                lines += evidence_lines(scores.results["sofa"])
    return list(dict.fromkeys(lines))


def compose(
    profile: Profile,
    facts: DenialFacts,
    scores: CaseScores,
    drafted: dt.date,
    template_text: dict[str, str] | None = None,
    template_name: str = "profile default",
) -> Letter:
    """The letter. ``template_text`` may replace a section's fixed text (from a past winning
    letter), by section kind."""
    values = _placeholders(facts, scores)
    met = scores.verdict is True
    paragraphs: list[Paragraph] = [
        Paragraph(day(drafted), "header"),
        Paragraph(facts.payer or "Appeals Department", "header"),
        Paragraph(f"**RE: Appeal of DRG revision: {profile.display_name}**", "header"),
    ]
    for label, value in (
        ("Patient account", facts.account_number),
        ("Claim number", facts.claim_number),
        ("Dates of service", f"{day(facts.admitted)} to {day(facts.discharged)}"),
        ("Billed DRG", _drg(profile, facts.original_drg)),
        ("Revised DRG", _drg(profile, facts.proposed_drg)),
    ):
        paragraphs.append(Paragraph(f"{label}: {value or UNKNOWN}", "header"))
    quotes: dict[str, str] = {}
    for section in profile.sections:
        if section.title:
            paragraphs.append(Paragraph(f"**{section.title}**", "heading"))
        own = (template_text or {}).get(section.kind)
        if section.kind == "opening":
            text = fill(own or section.text or "", values)
            if text:
                paragraphs.append(Paragraph(text, "body"))
        elif section.kind == "denial":
            dated = f" of {day(facts.letter_date)}" if facts.letter_date else ""
            paragraphs.append(Paragraph(f"The denial{dated} states:", "body"))
            for argument_id in facts.arguments:
                quote = quote_argument(profile.argument(argument_id), facts.denial_text)
                if quote:
                    quotes[argument_id] = quote
                    paragraphs.append(Paragraph(f"\u201c{quote}\u201d", "quote", argument_id))
        elif section.kind == "rebuttals":
            for argument_id in facts.arguments:
                paragraphs += _rebuttal(profile.argument(argument_id), scores, values)
        elif section.kind == "evidence":
            for name in [*profile.cited_scorers, *(c.id for c in profile.criteria)]:
                if not cites(name, facts.payer):
                    continue
                if name in scores.criteria and _shows(scores.criteria[name]):
                    paragraphs.append(Paragraph(_criterion_line(scores.criteria[name]), "evidence"))
                elif name in scores.results:
                    for line in evidence_lines(scores.results[name]):
                        paragraphs.append(Paragraph(line, "evidence"))
        elif section.kind == "definition":
            paragraphs.append(Paragraph(profile.definition, "body"))
        elif section.kind == "conclusion":
            chosen = section.met if met else section.not_met
            text = fill(own or chosen or section.text or "", values)
            if text:
                paragraphs.append(Paragraph(text, "closing"))
    paragraphs = _dedupe_evidence(paragraphs)
    return Letter(
        facts.case_id,
        profile.condition,
        drafted,
        paragraphs,
        table=appendix(profile, scores),
        template=template_name,
        quotes=quotes,
    )


def _drg(profile: Profile, drg: str | None) -> str | None:
    if drg is None:
        return None
    title = profile.drgs.get(drg)
    return f"{drg} ({title})" if title else drg


def _rebuttal(
    argument: Argument, scores: CaseScores, values: dict[str, str | None]
) -> list[Paragraph]:
    answered = all(scores.met(name) is True for name in argument.answer_with)
    text = argument.rebuttal.met if answered else argument.rebuttal.not_met
    out = [Paragraph(f"**The payer states that {argument.label}.**", "argument", argument.id)]
    if text:
        filled = fill(text, values)
        if filled:
            out.append(Paragraph(filled, "body", argument.id))
    out += [
        Paragraph(line, "evidence", argument.id) for line in _answers(scores, argument.answer_with)
    ]
    return out


def _dedupe_evidence(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """An evidence line stated under a rebuttal is not repeated in the evidence section."""
    seen: set[str] = set()
    out: list[Paragraph] = []
    for p in paragraphs:
        if p.kind == "evidence":
            if p.text in seen:
                continue
            seen.add(p.text)
        out.append(p)
    return out


# The SOFA table's thresholds as the appendix states them (Vincent 1996; docs/appeals.md).
SOFA_CRITERIA: dict[tuple[str, int], str] = {
    ("respiration", 1): "PaO2/FiO2 < 400",
    ("respiration", 2): "PaO2/FiO2 < 300",
    ("respiration", 3): "PaO2/FiO2 < 200 with respiratory support",
    ("respiration", 4): "PaO2/FiO2 < 100 with respiratory support",
    ("coagulation", 1): "platelets < 150 ×10³/µL",
    ("coagulation", 2): "platelets < 100 ×10³/µL",
    ("coagulation", 3): "platelets < 50 ×10³/µL",
    ("coagulation", 4): "platelets < 20 ×10³/µL",
    ("liver", 1): "bilirubin 1.2–1.9 mg/dL",
    ("liver", 2): "bilirubin 2.0–5.9 mg/dL",
    ("liver", 3): "bilirubin 6.0–11.9 mg/dL",
    ("liver", 4): "bilirubin ≥ 12.0 mg/dL",
    ("cardiovascular", 1): "MAP < 70 mmHg",
    ("cardiovascular", 2): "dopamine ≤ 5 or dobutamine (any dose), µg/kg/min for ≥ 1 h",
    ("cardiovascular", 3): "dopamine > 5, epinephrine ≤ 0.1 or norepinephrine ≤ 0.1 µg/kg/min",
    ("cardiovascular", 4): "dopamine > 15, epinephrine > 0.1 or norepinephrine > 0.1 µg/kg/min",
    ("cns", 1): "GCS 13–14",
    ("cns", 2): "GCS 10–12",
    ("cns", 3): "GCS 6–9",
    ("cns", 4): "GCS < 6",
    ("renal", 1): "creatinine 1.2–1.9 mg/dL",
    ("renal", 2): "creatinine 2.0–3.4 mg/dL",
    ("renal", 3): "creatinine 3.5–4.9 mg/dL or urine output < 500 mL/day",
    ("renal", 4): "creatinine ≥ 5.0 mg/dL or urine output < 200 mL/day",
}


def appendix(profile: Profile, scores: CaseScores) -> Table | None:
    """The profile's table: SOFA by organ (zero rows left out, a bold total), or the
    criteria of the verdict scorer with their values."""
    if profile.table is None:
        return None
    if profile.table == "sofa" and scores.sofa is not None:
        sofa = scores.sofa
        rows = [
            (
                c.label,
                str(c.points),
                "; ".join(cited_text(x) for x in c.cited),
                SOFA_CRITERIA.get((c.id.removeprefix("sofa."), c.points), ""),
            )
            for c in sofa.criteria
            if c.points
        ]
        rows.append(("**Total**", f"**{sofa.total}**", "", ""))
        return Table(
            "SOFA score by organ system",
            ("Organ system", "Score", "Value", "Criteria"),
            tuple(rows),
            _window_note(sofa),
        )
    result = scores.results.get(profile.table)
    if result is None:
        return None
    met_rows = [
        (c.label, "met", "; ".join(cited_text(x) for x in c.cited))
        for c in result.criteria
        if c.cited and c.met is True
    ]
    return Table(
        f"{profile.display_name}: criteria met",
        ("Criterion", "Result", "Value"),
        tuple(met_rows),
        _window_note(result),
    )


def _window_note(result: ScoreResult) -> str:
    w = result.window
    if w is None:
        return ""
    anchor = {"admission": "admission", "infection": "the first sign of infection"}.get(
        w.anchor, w.anchor
    )
    return f"Scoring window: {when(w.start)} to {when(w.end)}, from {anchor}."
