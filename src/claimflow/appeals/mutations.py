"""Mutations of a drafted letter, to test the strength check itself: a checker that never fails
is not a checker. Each mutation makes one mistake a writer (or a rephrasing model) could make:

- ``wrong_number``: a charted value changed;
- ``wrong_score``: a score figure changed;
- ``dropped_time``: a value's time removed;
- ``hedging``: a hedging or conceding word added;
- ``uncalled_rebuttal``: the rebuttal of an argument the denial did not make;
- ``false_claim``: a criterion claimed that the chart does not meet.

``mutants`` returns every mutation it can make of one letter (none of a kind when the letter
gives it nothing to work on), each a new ``Letter``.
"""

from __future__ import annotations

import dataclasses
import random
import re
from dataclasses import dataclass

from claimflow.appeals.letter import DenialFacts, Letter, Paragraph, cited_text
from claimflow.appeals.profiles import Profile
from claimflow.appeals.scoring import CaseScores
from claimflow.appeals.trace import VALUE_AT
from claimflow.clinical.records import Chart

KINDS = (
    "wrong_number",
    "wrong_score",
    "dropped_time",
    "hedging",
    "uncalled_rebuttal",
    "false_claim",
)
HEDGES = (
    "The record may support this finding.",
    "However, the values are borderline.",
    "This could possibly meet the criteria.",
    "We acknowledge that the documentation is limited.",
    "The patient was only mildly affected.",
)


@dataclass(frozen=True)
class Mutant:
    kind: str
    description: str
    letter: Letter


def _replace(letter: Letter, index: int, paragraph: Paragraph) -> Letter:
    paragraphs = list(letter.paragraphs)
    paragraphs[index] = paragraph
    return dataclasses.replace(letter, paragraphs=paragraphs)


def _insert(letter: Letter, index: int, paragraph: Paragraph) -> Letter:
    paragraphs = list(letter.paragraphs)
    paragraphs.insert(index, paragraph)
    return dataclasses.replace(letter, paragraphs=paragraphs)


def _changed(value: str, rng: random.Random) -> str:
    decimals = len(value.split(".")[1]) if "." in value else 0
    number = float(value)
    factor = rng.choice((0.5, 0.7, 1.3, 1.6, 2.0))
    new = round(number * factor if number else 1.0, decimals)
    if new == number:
        new = round(number + 10 ** (-decimals) * rng.choice((3, 7)), decimals)
    return f"{new:.{decimals}f}"


def _evidence(letter: Letter) -> list[int]:
    return [
        i
        for i, p in enumerate(letter.paragraphs)
        if p.kind == "evidence" and VALUE_AT.search(p.text)
    ]


def mutants(
    letter: Letter,
    profile: Profile,
    facts: DenialFacts,
    chart: Chart,
    scores: CaseScores,
    seed: int = 0,
) -> list[Mutant]:
    """Every mutation of the letter, at most one per evidence paragraph and kind."""
    rng = random.Random(seed)
    out: list[Mutant] = []
    for i in _evidence(letter):
        p = letter.paragraphs[i]
        m = rng.choice(list(VALUE_AT.finditer(p.text)))
        value = m.group("value")
        wrong = _changed(value, rng)
        text = p.text[: m.start("value")] + wrong + p.text[m.end("value") :]
        out.append(
            Mutant(
                "wrong_number",
                f"{value} -> {wrong}",
                _replace(letter, i, dataclasses.replace(p, text=text)),
            )
        )
        text = p.text[: m.end("value") + len(m.group("unit") or "")] + p.text[m.end("time") :]
        out.append(
            Mutant(
                "dropped_time",
                f"dropped {m.group('time')}",
                _replace(letter, i, dataclasses.replace(p, text=text)),
            )
        )
    for i, p in enumerate(letter.paragraphs):
        for m in re.finditer(
            r"\((\d+) points?\)|rose by (\d+) points|to (\d+), in the window", p.text
        ):
            group = next(g for g in (1, 2, 3) if m.group(g))
            old = int(m.group(group))
            new = old + rng.choice((1, 2, 3)) if old < 20 else old - 1
            text = p.text[: m.start(group)] + str(new) + p.text[m.end(group) :]
            out.append(
                Mutant(
                    "wrong_score",
                    f"{old} -> {new}",
                    _replace(letter, i, dataclasses.replace(p, text=text)),
                )
            )
    bodies = [i for i, p in enumerate(letter.paragraphs) if p.kind in ("body", "closing")]
    for n, i in enumerate(bodies):
        p = letter.paragraphs[i]
        hedge = HEDGES[n % len(HEDGES)]
        out.append(
            Mutant(
                "hedging",
                hedge,
                _replace(letter, i, dataclasses.replace(p, text=f"{p.text} {hedge}")),
            )
        )
    last_rebuttal = max(
        (i for i, p in enumerate(letter.paragraphs) if p.argument and p.kind != "quote"),
        default=len(letter.paragraphs) - 1,
    )
    for argument in profile.arguments:
        if argument.id in facts.arguments:
            continue
        rebuttal = argument.rebuttal.met
        mutant = _insert(
            letter,
            last_rebuttal + 1,
            Paragraph(f"**The payer states that {argument.label}.**", "argument", argument.id),
        )
        out.append(Mutant("uncalled_rebuttal", argument.id, mutant))
        plain = [s for s in re.split(r"(?<=\.)\s+", rebuttal) if "{" not in s]
        if plain:
            mutant = _insert(letter, last_rebuttal + 1, Paragraph(plain[0], "body", argument.id))
            out.append(Mutant("uncalled_rebuttal", f"{argument.id} (text)", mutant))
    out += _false_claims(letter, profile, scores, rng)
    return out


def _false_claims(
    letter: Letter, profile: Profile, scores: CaseScores, rng: random.Random
) -> list[Mutant]:
    out: list[Mutant] = []
    at = len(letter.paragraphs) - 1
    unmet = [
        c
        for r in scores.results.values()
        for c in r.criteria
        if c.cited and ((c.points == 0) if c.points is not None else c.met is False)
    ] + [c for c in scores.criteria.values() if c.cited and c.met is False]
    for c in unmet:
        points = " (2 points)" if c.points is not None else ""
        line = f"**{c.label}**{points}: {'; '.join(cited_text(x) for x in c.cited)}."
        out.append(Mutant("false_claim", c.label, _insert(letter, at, Paragraph(line, "evidence"))))
    if scores.verdict is not True:
        claim = f"The record meets the criteria for {profile.display_name.lower()} stated above."
        out.append(
            Mutant("false_claim", "the verdict", _insert(letter, at, Paragraph(claim, "closing")))
        )
    kdigo = scores.results.get("kdigo")
    if kdigo is not None and kdigo.stage is not None:
        wrong = rng.choice([s for s in (1, 2, 3) if s != kdigo.stage])
        out.append(
            Mutant(
                "false_claim",
                f"KDIGO stage {wrong}",
                _insert(letter, at, Paragraph(f"The patient meets KDIGO stage {wrong}.", "body")),
            )
        )
    return out
