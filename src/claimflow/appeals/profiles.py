"""Condition profiles: what the engine knows about one condition, as a data file.

A profile (``profiles/<condition>.yaml``) declares the condition's DRGs and ICD-10 codes, the
words that name it in a denial, the scorers it runs (``claimflow.clinical``, by name, or a
``module:function`` of a new scorer), criteria as data (the worst value of a parameter in a
window against a threshold), the payer arguments it recognises with the rebuttals they
trigger, and the letter's sections. Adding a condition is adding a file: ``load_profiles``
reads the packaged profiles and any directory given to it.
"""

from __future__ import annotations

import re
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from claimflow.clinical.records import CANONICAL_UNITS
from claimflow.config import load_yaml
from claimflow.errors import ClaimflowError

PROFILE_SUFFIX = ".yaml"


class ProfileError(ClaimflowError):
    """A profile file that cannot be read or does not hold a valid profile."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataCriterion(_Model):
    """A criterion as data: the worst value of ``param`` in ``window`` compared with
    ``threshold`` by ``op`` (the worst is the highest for ``>``/``>=``, the lowest for
    ``<``/``<=``)."""

    id: str
    label: str
    param: str
    op: Literal[">", ">=", "<", "<="]
    threshold: float
    # sofa: the SOFA window; admission_24h: the 24 hours from admission; stay: the whole stay
    window: Literal["sofa", "admission_24h", "stay"] = "sofa"


class Rebuttal(_Model):
    """What the letter answers to an argument: ``met`` when the criteria it answers with are
    met; ``not_met``, when given, a rebuttal that holds either way (else the argument stays
    unanswered and the review says so)."""

    met: str
    not_met: str | None = None


class Argument(_Model):
    """A payer argument: the phrases that recognise it in a denial (regular expressions, case
    insensitive) and the criteria (scorer names or data criteria ids) that answer it."""

    id: str
    label: str
    patterns: list[str] = Field(min_length=1)
    answer_with: list[str] = Field(min_length=1)
    rebuttal: Rebuttal


class Section(_Model):
    """A letter section. ``kind`` says what the engine puts in it; ``text`` is fixed text,
    ``met``/``not_met`` text chosen by the verdict; ``{placeholders}`` name case fields and
    score figures."""

    kind: Literal["opening", "denial", "rebuttals", "evidence", "definition", "conclusion"]
    title: str | None = None
    text: str | None = None
    met: str | None = None
    not_met: str | None = None


class Profile(_Model):
    """One condition."""

    condition: str
    display_name: str
    drgs: dict[str, str]
    icd10: list[str]
    keywords: list[str]
    definition: str
    scorers: list[str] = Field(min_length=1)
    # the scorers whose findings the letter states (default: all); the others are in the
    # review only (SIRS in a Sepsis-3 letter)
    cite: list[str] | None = None
    verdict: str
    criteria: list[DataCriterion] = []
    table: str | None = None
    arguments: list[Argument] = []
    sections: list[Section] = Field(min_length=1)

    @property
    def cited_scorers(self) -> list[str]:
        return self.scorers if self.cite is None else self.cite

    @cached_property
    def _patterns(self) -> list[tuple[str, list[re.Pattern[str]]]]:
        return [(a.id, [re.compile(p, re.IGNORECASE) for p in a.patterns]) for a in self.arguments]

    def match_arguments(self, text: str) -> list[str]:
        """The arguments the denial makes, in the order the letter first makes them."""
        flat = " ".join(text.split())  # OCR and PDF text break lines anywhere
        found: list[tuple[int, str]] = []
        for argument_id, patterns in self._patterns:
            starts = [m.start() for p in patterns if (m := p.search(flat))]
            if starts:
                found.append((min(starts), argument_id))
        return [argument_id for _, argument_id in sorted(found)]

    def argument(self, argument_id: str) -> Argument:
        for a in self.arguments:
            if a.id == argument_id:
                return a
        raise KeyError(argument_id)

    def names_condition(self, text: str) -> int:
        """How many of the profile's keywords the text contains."""
        return sum(1 for k in self.keywords if re.search(k, text, re.IGNORECASE))

    def has_diagnosis(self, codes: list[str]) -> bool:
        """True when a code (with or without its dot) starts with one of the profile's."""
        wanted = [c.replace(".", "").upper() for c in self.icd10]
        return any(c.replace(".", "").upper().startswith(w) for c in codes for w in wanted)


def load_profiles(*directories: Path) -> dict[str, Profile]:
    """The packaged profiles, then those in ``directories`` (a later file of the same
    condition replaces an earlier one), by condition.

    Raises:
        ProfileError: A file that is not YAML or not a valid profile, naming the file and the
            field.
    """
    profiles: dict[str, Profile] = {}
    packaged = resources.files("claimflow.appeals") / "profiles"
    sources: list[tuple[str, str]] = [
        (f"claimflow/appeals/profiles/{p.name}", p.read_text(encoding="utf-8"))
        for p in sorted(packaged.iterdir(), key=lambda t: t.name)
        if p.name.endswith(PROFILE_SUFFIX)
    ]
    for directory in directories:
        sources += [
            (str(p), p.read_text(encoding="utf-8"))
            for p in sorted(directory.glob(f"*{PROFILE_SUFFIX}"))
        ]
    for name, text in sources:
        profile = _parse(name, text)
        profiles[profile.condition] = profile
    return profiles


def _parse(name: str, text: str) -> Profile:
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{name}: not YAML: {exc}") from None
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise ProfileError(f"{name}: not a condition profile: {problems}") from None
    for criterion in profile.criteria:
        if criterion.param not in CANONICAL_UNITS:
            raise ProfileError(
                f"{name}: criteria.{criterion.id}.param: {criterion.param!r} is not a parameter "
                f"the engine reads (one of {', '.join(sorted(CANONICAL_UNITS))})"
            )
    for argument in profile.arguments:
        for pattern in argument.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ProfileError(
                    f"{name}: arguments.{argument.id}.patterns: {pattern!r}: {exc}"
                ) from None
    return profile


def detect_condition(
    profiles: dict[str, Profile],
    original_drg: str | None,
    proposed_drg: str | None,
    text: str,
    diagnosis_codes: list[str],
) -> Profile | None:
    """The condition a denial disputes: the profile whose DRGs hold the original DRG (then the
    proposed one); else the one whose words the denial names most, with a diagnosis of the
    condition on the encounter breaking ties; else the one whose diagnosis is on the
    encounter, when only one is. ``None`` when nothing decides it."""
    for drg in (original_drg, proposed_drg):
        if drg:
            owners = [p for p in profiles.values() if drg in p.drgs]
            if len(owners) == 1:
                return owners[0]
    ranked = sorted(
        ((p.names_condition(text), p.has_diagnosis(diagnosis_codes), p) for p in profiles.values()),
        key=lambda t: (t[0], t[1]),
        reverse=True,
    )
    if ranked and ranked[0][0] > 0:
        best = ranked[0]
        if len(ranked) == 1 or (ranked[1][0], ranked[1][1]) < (best[0], best[1]):
            return best[2]
    with_dx = [p for p in profiles.values() if p.has_diagnosis(diagnosis_codes)]
    return with_dx[0] if len(with_dx) == 1 else None
