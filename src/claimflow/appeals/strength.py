"""How strong a letter is, deterministically, in the design's five dimensions.

Each dimension lists findings, each ``present`` / ``could_strengthen`` / ``missing``, and
scores 0-10; the overall score is 1-10 (LOW 1-4, MODERATE 5-7, HIGH 8-10). A chart that does
not meet the condition's criteria makes the appeal LOW whatever the letter says: the
assessment never invents strength.

- **source fidelity**: every number traced (``trace``); an untraced number is missing.
- **criteria coverage**: every criterion the chart meets is cited; none is claimed that the
  chart does not meet.
- **argument structure**: every payer argument quoted and answered; no rebuttal the denial did
  not call for.
- **evidence quality**: every clinical paragraph carries a value with its time; no charted
  value without its time.
- **formatting**: lint clean (assertion-only language, no internal names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from claimflow.appeals.letter import NOT_LISTED, DenialFacts, Letter, cites
from claimflow.appeals.lint import LintFinding, lint
from claimflow.appeals.profiles import Profile
from claimflow.appeals.scoring import CaseScores
from claimflow.appeals.trace import TracedNumber, trace
from claimflow.clinical.records import Chart
from claimflow.clinical.results import Criterion

_TIMED = re.compile(r"\bat \d{2}/\d{2}/\d{4} \d{2}:\d{2}")
_SOFA_RISE = re.compile(r"sofa score rose by (\d+) points from a baseline of (\d+), to (\d+)")
Status = Literal["present", "could_strengthen", "missing"]
DIMENSIONS = (
    "source_fidelity",
    "criteria_coverage",
    "argument_structure",
    "evidence_quality",
    "formatting",
)


@dataclass(frozen=True)
class Finding:
    status: Status
    item: str


@dataclass
class Dimension:
    name: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def score(self) -> int:
        if not self.findings:
            return 10
        missing = sum(f.status == "missing" for f in self.findings)
        weaker = sum(f.status == "could_strengthen" for f in self.findings)
        return max(0, 10 - 4 * missing - weaker)

    def add(self, status: Status, item: str) -> None:
        self.findings.append(Finding(status, item))


@dataclass
class Assessment:
    """The strength of one letter."""

    overall: int
    rating: str
    summary: str
    dimensions: dict[str, Dimension]
    numbers: list[TracedNumber]
    lint: list[LintFinding]
    verdict: bool | None

    @property
    def untraced(self) -> list[TracedNumber]:
        return [n for n in self.numbers if n.status != "traced"]

    @property
    def missing(self) -> set[str]:
        """Every finding marked missing, as text."""
        return {
            f"{d.name}: {f.item}"
            for d in self.dimensions.values()
            for f in d.findings
            if f.status == "missing"
        }

    def catches(self, clean: Assessment) -> bool:
        """Whether this assessment of a changed letter finds a problem the clean letter's
        assessment did not (the mutation check)."""
        return bool(self.missing - clean.missing)

    @property
    def problems(self) -> int:
        """Findings that are missing, in any dimension (the mutation check counts these)."""
        return sum(f.status == "missing" for d in self.dimensions.values() for f in d.findings)


def _flat(text: str) -> str:
    return " ".join(text.replace("**", "").split()).lower()


def _states(letter_text: str, c: Criterion) -> bool:
    """The letter states the criterion as met: its label as an evidence line starts ("label
    (3 points)", "label: ...")."""
    label = c.label.lower()
    return f"{label} (" in letter_text or f"{label}:" in letter_text


def assess(
    letter: Letter, profile: Profile, facts: DenialFacts, chart: Chart, scores: CaseScores
) -> Assessment:
    dims = {name: Dimension(name) for name in DIMENSIONS}
    own = " ".join(p.text for p in letter.paragraphs if p.kind != "quote")
    text = _flat(own)

    # source fidelity
    numbers = trace(letter, profile, facts, chart, scores)
    for n in numbers:
        if n.status == "untraced":
            dims["source_fidelity"].add("missing", f"untraced number: {n.text} ({n.source})")
    if not any(n.status == "untraced" for n in numbers):
        dims["source_fidelity"].add("present", f"all {len(numbers)} numbers traced")

    # criteria coverage, and no false assertion
    every = [c for r in scores.results.values() for c in r.criteria]
    every += list(scores.criteria.values())
    cited = {
        c.id
        for name, r in scores.results.items()
        if name in profile.cited_scorers and cites(name, facts.payer)
        for c in r.criteria
    } | set(scores.criteria)
    for c in every:
        claimed = _states(text, c)
        holds = (c.points or 0) > 0 if c.points is not None else c.met is True
        if holds and c.cited and not claimed and c.id in cited and c.id not in NOT_LISTED:
            dims["criteria_coverage"].add("could_strengthen", f"not cited: {c.label}")
        elif claimed and not holds:
            dims["criteria_coverage"].add("missing", f"claimed but not met: {c.label}")
    criteria = every
    for c in criteria:
        if c.points is None:
            continue
        for m in re.finditer(
            rf"{re.escape(c.label.lower())} \((?:stage )?(\d+)(?: points?)?\)", text
        ):
            if int(m.group(1)) != c.points:
                dims["criteria_coverage"].add(
                    "missing", f"{c.label}: {m.group(1)} points stated, {c.points} scored"
                )
    sofa = scores.sofa
    if sofa is not None:
        for m in _SOFA_RISE.finditer(text):
            stated = tuple(int(g) for g in m.groups())
            if stated != (sofa.delta, sofa.baseline, sofa.total):
                dims["criteria_coverage"].add(
                    "missing",
                    f"SOFA rise {stated[0]} from {stated[1]} to {stated[2]} stated; scored "
                    f"{sofa.delta} from {sofa.baseline} to {sofa.total}",
                )
    for claim, holds in _verdict_claims(profile, scores):
        if re.search(claim, text) and not holds:
            dims["criteria_coverage"].add("missing", f"claimed but not met: {claim}")
    if scores.verdict is not True:
        dims["criteria_coverage"].add(
            "missing",
            f"the chart does not meet the criteria for {profile.display_name.lower()}"
            if scores.verdict is False
            else f"the chart cannot decide the criteria for {profile.display_name.lower()}",
        )

    # argument structure
    for argument in profile.arguments:
        said = f"the payer states that {argument.label}".lower()
        present = said in text or any(
            s in text for s in _own_sentences(argument.rebuttal.met, argument.rebuttal.not_met)
        )
        if argument.id in facts.arguments:
            if argument.id not in letter.quotes:
                dims["argument_structure"].add("missing", f"not quoted: {argument.label}")
            answered = all(scores.met(n) is True for n in argument.answer_with)
            if not present:
                dims["argument_structure"].add("missing", f"not answered: {argument.label}")
            elif not answered and argument.rebuttal.not_met is None:
                dims["argument_structure"].add(
                    "missing", f"the chart does not rebut: {argument.label}"
                )
        elif present:
            dims["argument_structure"].add(
                "missing", f"a rebuttal the denial did not call for: {argument.label}"
            )
    if not facts.arguments:
        dims["argument_structure"].add(
            "could_strengthen", "the denial states no argument the profile recognises"
        )

    # evidence quality
    for n in numbers:
        if n.status == "no_time":
            dims["evidence_quality"].add("missing", f"a value without its time: {n.text}")
    clinical = [i for i, p in enumerate(letter.paragraphs) if p.kind == "evidence"]
    for i in clinical:
        if not _TIMED.search(letter.paragraphs[i].text):
            text = letter.paragraphs[i].text.replace("**", "")
            dims["evidence_quality"].add(
                "missing", f"a clinical paragraph with no value and time: {text[:60]}"
            )
    if not clinical:
        dims["evidence_quality"].add("missing", "no clinical evidence stated")

    # formatting
    findings = lint(letter)
    for f in findings:
        dims["formatting"].add("missing", f"{f.rule}: '{f.word}' in \u2026{f.excerpt}\u2026")

    overall = round(sum(d.score for d in dims.values()) / len(dims))
    if scores.verdict is not True:
        overall = min(overall, 3)
    overall = max(1, min(10, overall))
    rating = "HIGH" if overall >= 8 else "MODERATE" if overall >= 5 else "LOW"
    summary = _summary(profile, scores, dims, rating)
    return Assessment(overall, rating, summary, dims, numbers, findings, scores.verdict)


def _verdict_claims(profile: Profile, scores: CaseScores) -> list[tuple[str, bool]]:
    """Phrases that claim the condition, and whether the chart supports them."""
    met = scores.verdict is True
    claims = [
        (rf"meets the criteria for {re.escape(profile.display_name.lower())}", met),
        (r"meets sepsis-3", scores.met("sepsis3") is True),
        (r"meets kdigo", scores.met("kdigo") is True),
    ]
    kdigo = scores.results.get("kdigo")
    for stage in (1, 2, 3):
        claims.append((rf"kdigo stage {stage}\b", kdigo is not None and kdigo.stage == stage))
    return claims


def _own_sentences(*texts: str | None) -> list[str]:
    """A rebuttal's sentences that are its own words (no placeholder), flattened: any of them
    in a letter means the rebuttal is there."""
    out: list[str] = []
    for text in texts:
        for sentence in re.split(r"(?<=[.:])\s+", " ".join((text or "").split())):
            if "{" not in sentence and len(sentence.split()) >= 4:
                out.append(_flat(sentence))
    return out


def _summary(profile: Profile, scores: CaseScores, dims: dict[str, Dimension], rating: str) -> str:
    problems = [f.item for d in dims.values() for f in d.findings if f.status == "missing"]
    if scores.verdict is not True:
        head = (
            f"Weak appeal: the chart does not meet the criteria for {profile.display_name.lower()}."
        )
    else:
        head = f"The chart meets the criteria for {profile.display_name.lower()}."
    return f"{head} {rating}; {len(problems)} problem(s)" + (
        f": {problems[0]}" if problems else "."
    )
