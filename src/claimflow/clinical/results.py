"""What a scorer returns: every point, verdict and criterion with the rows it rests on.

The letter, the strength assessment and the review read these types only, whatever the
condition: a new condition's scorer returns the same shapes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from claimflow.clinical.records import Source


@dataclass(frozen=True)
class Cited:
    """A charted value a finding rests on: what, how much, when, and where it came from."""

    param: str
    value: float | None
    unit: str
    time: dt.datetime
    source: Source
    text: str | None = None


@dataclass(frozen=True)
class Window:
    """The period a score looks at, and the rule that chose it, in words ("24 h from
    admission", "24 h from the first sign of infection (blood culture drawn)")."""

    start: dt.datetime
    end: dt.datetime
    rule: str
    anchor: str  # "admission" | "infection" | another anchor a profile names
    cited: tuple[Cited, ...] = ()  # the rows the anchor rests on (culture, antibiotic, diagnosis)


@dataclass(frozen=True)
class Criterion:
    """One criterion evaluated on the chart.

    ``met`` is True or False when the chart can decide it, ``None`` when it cannot (a value is
    missing): never guessed. ``points`` for scored criteria (a SOFA organ), else ``None``.
    ``value``/``unit``/``time`` are the deciding value (the worst in the window); ``cited`` the
    rows it rests on (a P/F ratio cites its PaO2 and its FiO2); ``rule`` the threshold applied,
    in words.
    """

    id: str  # stable: "sofa.respiration", "sepsis3", "qsofa.resp_rate", "kdigo.stage"
    label: str
    met: bool | None
    rule: str
    value: float | None = None
    unit: str = ""
    time: dt.datetime | None = None
    points: int | None = None
    cited: tuple[Cited, ...] = ()
    missing: tuple[str, ...] = ()  # the parameters whose absence left it undecided
    # A scored criterion's baseline (SOFA: the points of the last value before admission, 0
    # when there is none) and the rows it rests on.
    baseline_points: int | None = None
    baseline_cited: tuple[Cited, ...] = ()


@dataclass
class ScoreResult:
    """One score or verdict (SOFA, qSOFA, SIRS, SEP-1, ARF, KDIGO) on one window.

    ``total`` for a summed score, ``verdict`` for a yes/no/undecided conclusion (Sepsis-3 met,
    ARF present, KDIGO stage >= 1), ``stage`` for a graded one (KDIGO 0-3). ``conventions``
    records the choices the published tables leave open (dopamine at exactly 5, half-open
    intervals) and ``version`` the scorer's (``sofa_version``).
    """

    name: str  # "sofa", "qsofa", "sirs", "sep1", "arf", "kdigo", "sepsis3"
    version: str
    window: Window | None
    criteria: list[Criterion] = field(default_factory=list)
    total: int | None = None
    verdict: bool | None = None
    stage: int | None = None
    baseline: int | None = None
    delta: int | None = None
    missing: list[str] = field(default_factory=list)
    conventions: list[str] = field(default_factory=list)

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)
