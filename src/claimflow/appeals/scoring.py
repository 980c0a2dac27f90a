"""Score a chart with its condition's profile: the profile's scorers, its data criteria, and the
verdict that says whether the chart meets the condition's criteria."""

from __future__ import annotations

import datetime as dt
import importlib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

from claimflow.appeals.profiles import DataCriterion, Profile, ProfileError
from claimflow.clinical import kidney, respiratory, sepsis, sofa
from claimflow.clinical.records import CANONICAL_UNITS, Chart, Observation
from claimflow.clinical.results import Cited, Criterion, ScoreResult, Window

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_OP_WORDS = {">": "above", ">=": "at or above", "<": "below", "<=": "at or below"}


@dataclass
class CaseScores:
    """Every score of a case, by scorer name, its data criteria, and the verdict."""

    condition: str
    results: dict[str, ScoreResult]
    criteria: dict[str, Criterion]
    verdict: bool | None
    verdict_from: str
    notes: list[str] = field(default_factory=list)

    def met(self, name: str) -> bool | None:
        """Whether a scorer's verdict or a data criterion is met (``None``: undecided)."""
        if name in self.results:
            result = self.results[name]
            if result.verdict is not None:
                return result.verdict
            if result.total is not None:
                return result.total > 0
            return None
        if name in self.criteria:
            return self.criteria[name].met
        return None

    @property
    def sofa(self) -> ScoreResult | None:
        return self.results.get("sofa")


def _need_sofa(chart: Chart, done: dict[str, ScoreResult]) -> ScoreResult:
    if "sofa" not in done:
        done["sofa"] = sofa.score_sofa(chart)
    return done["sofa"]


def _sepsis3(chart: Chart, done: dict[str, ScoreResult]) -> ScoreResult:
    return sepsis.score_sepsis3(chart, _need_sofa(chart, done))


def _window(chart: Chart, done: dict[str, ScoreResult]) -> Window:
    window = _need_sofa(chart, done).window
    return window if window is not None else sofa.sofa_window(chart)


# The scorers a profile may name; a profile may also name ``module:function`` taking the chart
# and returning a ScoreResult.
SCORERS: dict[str, Callable[[Chart, dict[str, ScoreResult]], ScoreResult]] = {
    "sofa": _need_sofa,
    "sepsis3": _sepsis3,
    "qsofa": lambda chart, done: sepsis.score_qsofa(chart, _window(chart, done)),
    "sirs": lambda chart, done: sepsis.score_sirs(chart, _window(chart, done)),
    "sep1": lambda chart, done: sepsis.sep1_timing(chart),
    "arf": lambda chart, done: respiratory.score_arf(chart),
    "kdigo": lambda chart, done: kidney.score_kdigo(chart),
}


def _external(name: str) -> Callable[[Chart, dict[str, ScoreResult]], ScoreResult]:
    module_name, _, attr = name.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ProfileError(f"scorer {name!r}: {exc}") from None
    return lambda chart, done: function(chart)


def score_case(chart: Chart, profile: Profile) -> CaseScores:
    """Run the profile's scorers and data criteria on the chart."""
    done: dict[str, ScoreResult] = {}
    criteria = {c.id: evaluate_criterion(chart, c, done) for c in profile.criteria}
    for name in profile.scorers:
        if name in criteria or name in done:
            continue
        scorer = SCORERS.get(name) or (_external(name) if ":" in name else None)
        if scorer is None:
            raise ProfileError(
                f"profile {profile.condition}: scorer {name!r} is not one of "
                f"{', '.join(SCORERS)} nor a module:function"
            )
        done[name] = scorer(chart, done)
    results = {name: done[name] for name in done}
    scores = CaseScores(profile.condition, results, criteria, None, profile.verdict)
    scores.verdict = scores.met(profile.verdict)
    return scores


def _window_of(chart: Chart, kind: str, done: dict[str, ScoreResult]) -> Window:
    if kind == "sofa":
        return _window(chart, done)
    if kind == "admission_24h":
        return Window(
            chart.admitted,
            chart.admitted + dt.timedelta(hours=24),
            "24 h from admission",
            "admission",
        )
    end = chart.discharged or max(
        (o.time for o in chart.observations), default=chart.admitted
    ) + dt.timedelta(seconds=1)
    return Window(chart.admitted, end, "the whole stay", "admission")


def _worst(values: list[Observation], *, high: bool) -> Observation:
    """The highest (or lowest) value, the earliest of equal ones."""
    extreme = (max if high else min)(o.value for o in values if o.value is not None)
    return next(o for o in values if o.value == extreme)


def evaluate_criterion(
    chart: Chart, criterion: DataCriterion, done: dict[str, ScoreResult] | None = None
) -> Criterion:
    """A data criterion: the worst value of its parameter in its window against its
    threshold; undecided (``met=None``) when the window holds no value."""
    window = _window_of(chart, criterion.window, done if done is not None else {})
    values = [
        o
        for o in chart.of(criterion.param)
        if o.value is not None and window.start <= o.time < window.end
    ]
    unit = CANONICAL_UNITS[criterion.param]
    rule = f"{criterion.label}: the worst value in {window.rule}"
    if not values:
        return Criterion(criterion.id, criterion.label, None, rule, missing=(criterion.param,))
    worst = _worst(values, high=criterion.op in (">", ">="))
    assert worst.value is not None
    met = _OPS[criterion.op](worst.value, criterion.threshold)
    return Criterion(
        criterion.id,
        criterion.label,
        met,
        f"{rule} is {_OP_WORDS[criterion.op]} {criterion.threshold:g} {unit}"
        if met
        else f"{rule} is not {_OP_WORDS[criterion.op]} {criterion.threshold:g} {unit}",
        value=worst.value,
        unit=unit,
        time=worst.time,
        cited=(Cited(worst.param, worst.value, unit, worst.time, worst.source),),
    )
