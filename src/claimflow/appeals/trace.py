"""Every number in a letter, traced to where it came from.

The trace reads the letter's text, not the composer's intentions, so it checks a rephrased
letter as well as a drafted one. A number is traced when it is:

- a charted value written with its time ("lactate 4.2 mmol/L at 03/02/2025 06:10"): a row of
  the chart with that value (at the precision written) within 5 minutes of that time, and of
  that parameter when the words before it name one;
- a time or a date of the chart, of a score's window, or of the case (admission, discharge, the
  denial's date, the drafting date);
- a DRG, account or claim number of the case;
- inside the denial's quoted words, which the denial must contain;
- in a sentence about a score (SOFA, stage, points, total, baseline), a figure of the scores
  (points, totals, baseline, delta, stage, a derived value such as a P/F ratio), or a threshold
  when written as one ("2 points or more", "below 91%");
- elsewhere, a figure of the scores or a number of the criteria themselves (the profile's
  definitions, labels, rebuttals and the SOFA table's thresholds).

A charted parameter stated with a number but without its time is reported as ``no_time``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from claimflow.appeals.crosscheck import MENTION
from claimflow.appeals.letter import SOFA_CRITERIA, DenialFacts, Letter, Table
from claimflow.appeals.profiles import Profile
from claimflow.appeals.scoring import CaseScores
from claimflow.clinical.evidence import PARAM_TEXT
from claimflow.clinical.records import VASOACTIVE_DRUGS, Chart

TIME_SLACK = dt.timedelta(minutes=5)
_NUM = r"\d+(?:\.\d+)?"
_TIME = r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}"
_DATE = r"\d{2}/\d{2}/\d{4}"
VALUE_AT = re.compile(
    rf"(?<![\w.])(?P<value>{_NUM})(?P<unit>%|/min|\s+[^\s;,()]+)?\s+at\s+(?P<time>{_TIME})"
)
TIME_OR_DATE = re.compile(rf"(?<![\d/])(?P<date>{_DATE})(?: (?P<clock>\d{{2}}:\d{{2}}))?")
DRG = re.compile(r"\bDRG\s*#?\s*:?\s*(?P<drg>\d{3})\b|\bDRG: (?P<drg2>\d{3})\b")
NUMBER = re.compile(rf"(?<![\w.\-/])-?(?P<n>{_NUM})(?![\w]|\.\d)")
_SCORE_WORDS = re.compile(r"\b(SOFA|qSOFA|SIRS|KDIGO|stage|points?|total|baseline|score)\b", re.I)
_THRESHOLD_BEFORE = re.compile(
    r"(below|above|under|over|at least|less than|more than|greater than|[<>≥≤]|of)\s*$", re.I
)
_THRESHOLD_AFTER = re.compile(r"^\s*(points? )?or more\b", re.I)


_YEAR = re.compile(r"(19|20)\d\d")


def _sentence_at(text: str, position: int) -> str:
    """The sentence of ``text`` that holds ``position``."""
    start = max(text.rfind(". ", 0, position), text.rfind("; ", 0, position))
    end = min(
        (i for i in (text.find(". ", position), text.find("; ", position)) if i >= 0),
        default=len(text),
    )
    return text[start + 1 : end]


@dataclass(frozen=True)
class TracedNumber:
    """A number of the letter and what it was traced to (``source``), or why not."""

    paragraph: int
    text: str
    status: str  # "traced" | "untraced" | "no_time"
    source: str
    lineage_hash: str | None = None


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _same(text: str, value: float) -> bool:
    return abs(round(value, _decimals(text)) - float(text)) < 1e-9


_NAME_TO_PARAM: dict[str, str] = {
    **{v.lower(): k for k, v in PARAM_TEXT.items()},
    **{k.replace("_", " "): k for k in PARAM_TEXT},
    "lactate": "lactate",
    "creatinine": "creatinine",
    "bilirubin": "bilirubin",
    "platelets": "platelets",
    "temperature": "temperature",
    "weight": "weight",
    **{d: d for d in VASOACTIVE_DRUGS},
}


def _param_before(text: str, names: dict[str, str]) -> str | None:
    """The parameter (or drug) the words right before a number name, if any."""
    clause = re.split(r"[;:(]|\bfrom\b|\band\b|\bwith\b", text)[-1].strip().lower()
    for name in sorted(names, key=len, reverse=True):
        if clause.endswith(name):
            return names[name]
    return None


class Tracer:
    """The sources a letter's numbers may come from, for one case."""

    def __init__(
        self, profile: Profile, facts: DenialFacts, chart: Chart, scores: CaseScores
    ) -> None:
        self.facts = facts
        # what names a charted value: the parameters and every drug of this chart
        self.names = {**_NAME_TO_PARAM, **{m.drug.lower(): m.drug for m in chart.medications}}
        self.rows: list[tuple[str, float, dt.datetime, str]] = [
            (o.param, o.value, o.time, o.source.lineage_hash)
            for o in chart.observations
            if o.value is not None
        ]
        for m in chart.medications:
            for value in (m.rate, m.dose):
                if value is not None:
                    self.rows.append((m.drug, value, m.start, m.source.lineage_hash))
        self.times: set[dt.datetime] = {o.time for o in chart.observations}
        self.times |= {m.start for m in chart.medications}
        self.times |= {d.onset for d in chart.diagnoses if d.onset}
        self.times |= {chart.admitted} | ({chart.discharged} if chart.discharged else set())
        self.figures: set[float] = set()
        for result in scores.results.values():
            for figure in (result.total, result.baseline, result.delta, result.stage):
                if figure is not None:
                    self.figures.add(float(figure))
            if result.window is not None:
                self.times |= {result.window.start, result.window.end}
            for c in result.criteria:
                self._criterion_figures(c.points, c.value, c.baseline_points)
                self.times |= {x.time for x in c.cited}
        for c in scores.criteria.values():
            self._criterion_figures(c.points, c.value, None)
            self.times |= {x.time for x in c.cited}
        self.dates: set[dt.date] = {t.date() for t in self.times}
        for d in (facts.letter_date, facts.appeal_deadline):
            if d is not None:
                self.dates.add(d)
        rule_text = " ".join(
            [
                profile.definition,
                *profile.drgs.values(),
                *(a.label for a in profile.arguments),
                *(a.rebuttal.met for a in profile.arguments),
                *(a.rebuttal.not_met or "" for a in profile.arguments),
                *(s.text or "" for s in profile.sections),
                *(s.met or "" for s in profile.sections),
                *(s.not_met or "" for s in profile.sections),
                *(f"{c.label} {c.threshold}" for c in profile.criteria),
                *SOFA_CRITERIA.values(),
            ]
        )
        self.rule_numbers = {float(m.group("n")) for m in NUMBER.finditer(rule_text)}
        # the criteria's own words (labels, definitions, fixed sentences): their numbers are
        # thresholds, traced as such wherever the letter quotes them whole
        labels = [c.label for r in scores.results.values() for c in r.criteria]
        labels += [c.label for c in scores.criteria.values()]
        fixed = [*labels, *(a.label for a in profile.arguments), *SOFA_CRITERIA.values()]
        fixed += [*profile.drgs.values(), *(m.drug for m in chart.medications)]
        for text in (
            profile.definition,
            *(a.rebuttal.met for a in profile.arguments),
            *(a.rebuttal.not_met or "" for a in profile.arguments),
            *(x for s in profile.sections for x in (s.text, s.met, s.not_met) if x),
        ):
            fixed += [s for s in re.split(r"(?<=[.:;])\s+", " ".join(text.split())) if "{" not in s]
        self.fixed = sorted({f for f in fixed if re.search(r"\d", f)}, key=len, reverse=True)
        self.case_tokens = {t for t in (facts.account_number, facts.claim_number) if t}
        self.drgs = {d for d in (facts.original_drg, facts.proposed_drg) if d}
        self.denial = " ".join(facts.denial_text.split())

    def _criterion_figures(
        self, points: int | None, value: float | None, baseline: int | None
    ) -> None:
        for figure in (points, value, baseline):
            if figure is not None:
                self.figures.add(float(figure))

    def _row(
        self, value: str, t: dt.datetime, param: str | None
    ) -> tuple[str, float, dt.datetime, str] | None:
        for row in self.rows:
            if param is not None and row[0] != param:
                continue
            if abs(row[2] - t) <= TIME_SLACK and _same(value, row[1]):
                return row
        return None

    def trace_text(self, index: int, text: str) -> list[TracedNumber]:
        """The numbers of one paragraph of the letter's own words."""
        found: list[TracedNumber] = []
        text = text.replace("**", "")
        taken: list[tuple[int, int]] = []

        def free(a: int, b: int) -> bool:
            return not any(x < b and a < y for x, y in taken)

        for phrase in self.fixed:
            for m in re.finditer(re.escape(phrase), text):
                if free(*m.span()):
                    taken.append(m.span())
                    found += [
                        TracedNumber(index, n.group(0), "traced", "the criteria's own words")
                        for n in NUMBER.finditer(phrase)
                    ]
        for m in VALUE_AT.finditer(text):
            if not free(*m.span()):
                continue
            t = dt.datetime.strptime(m.group("time"), "%m/%d/%Y %H:%M")
            param = _param_before(text[: m.start()], self.names)
            row = self._row(m.group("value"), t, param)
            if row is None:
                found.append(TracedNumber(index, m.group(0), "untraced", "no charted value"))
            else:
                found.append(TracedNumber(index, m.group(0), "traced", f"row {row[0]}", row[3]))
            taken.append(m.span())
        for m in TIME_OR_DATE.finditer(text):
            if not free(*m.span()):
                continue
            taken.append(m.span())
            d = dt.datetime.strptime(m.group("date"), "%m/%d/%Y")
            ok = (
                d.date() in self.dates | {self.facts.admitted.date()}
                if m.group("clock") is None
                else dt.datetime.strptime(m.group(0), "%m/%d/%Y %H:%M") in self.times
            )
            found.append(TracedNumber(index, m.group(0), "traced" if ok else "untraced", "time"))
        for m in DRG.finditer(text):
            drg = m.group("drg") or m.group("drg2")
            span = m.span("drg") if m.group("drg") else m.span("drg2")
            taken.append(span)
            found.append(
                TracedNumber(
                    index, drg, "traced" if drg in self.drgs else "untraced", "the case's DRG"
                )
            )
        for token in self.case_tokens:
            for m in re.finditer(re.escape(token), text):
                taken.append(m.span())
                found.append(TracedNumber(index, token, "traced", "the case"))
        for m in MENTION.finditer(text):
            if free(m.start("value"), m.end("value")):
                taken.append(m.span("value"))
                found.append(
                    TracedNumber(index, m.group(0), "no_time", "a charted value without its time")
                )
        for m in NUMBER.finditer(text):
            if not free(*m.span()):
                continue
            n = float(m.group("n"))
            if _param_before(text[: m.start()], self.names) is not None:
                # a charted parameter's value written without "at <time>"
                taken.append(m.span())
                found.append(
                    TracedNumber(index, m.group(0), "no_time", "a charted value without its time")
                )
                continue
            scored = bool(_SCORE_WORDS.search(_sentence_at(text, m.start())))
            before, after = text[: m.start()], text[m.end() :]
            threshold = bool(_THRESHOLD_BEFORE.search(before[-20:])) or bool(
                _THRESHOLD_AFTER.match(after)
            )
            if _YEAR.fullmatch(m.group("n")):
                ok = n in self.rule_numbers  # a reference's year (JAMA 2016)
            elif scored and not threshold:
                ok = n in self.figures
            else:
                ok = n in self.figures or n in self.rule_numbers
            found.append(
                TracedNumber(index, m.group(0), "traced" if ok else "untraced", "score or criteria")
            )
        return found

    def trace_quote(self, index: int, text: str) -> list[TracedNumber]:
        quote = " ".join(text.strip('\u201c\u201d"').split())
        ok = quote in self.denial
        return [
            TracedNumber(index, m.group(0), "traced" if ok else "untraced", "the denial's words")
            for m in NUMBER.finditer(quote)
        ] or ([] if ok else [TracedNumber(index, quote[:40], "untraced", "not in the denial")])


def trace(
    letter: Letter, profile: Profile, facts: DenialFacts, chart: Chart, scores: CaseScores
) -> list[TracedNumber]:
    """Every number of the letter (its paragraphs and its table), traced."""
    tracer = Tracer(profile, facts, chart, scores)
    tracer.dates.add(letter.drafted)
    out: list[TracedNumber] = []
    for i, p in enumerate(letter.paragraphs):
        if p.kind == "quote":
            out += tracer.trace_quote(i, p.text)
        else:
            out += tracer.trace_text(i, p.text)
    if letter.table is not None:
        out += _trace_table(tracer, letter.table, len(letter.paragraphs))
    return out


def _trace_table(tracer: Tracer, table: Table, index: int) -> list[TracedNumber]:
    out: list[TracedNumber] = tracer.trace_text(index, table.note)
    for row in table.rows:
        for column, cell in zip(table.columns, row, strict=True):
            if column == "Criteria":
                continue  # the SOFA table's thresholds, fixed text
            if column in ("Score", "Result"):
                out += tracer.trace_text(index, f"score {cell}")
            else:
                out += tracer.trace_text(index, cell)
    return out
