"""Acute kidney injury by KDIGO 2012 over the whole stay (docs/appeals.md, "Acute kidney
injury").

Baseline creatinine: the lowest value in the 7 days before admission; with none, the first
value of the stay. Stage from creatinine (the highest value of the stay against the baseline,
or a rise of 0.3 mg/dL within 48 hours) and from urine output (mL/kg/h over consecutive charted
periods); the stage is the higher of the two, the verdict met at stage 1 or more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from claimflow.clinical.evidence import (
    Index,
    cite,
    describe,
    fmt_duration,
    fmt_num,
    fmt_time,
)
from claimflow.clinical.records import Chart, Observation
from claimflow.clinical.results import Cited, Criterion, ScoreResult, Window

KDIGO_VERSION = "KDIGO 2012 AKI"
BASELINE_LOOKBACK = dt.timedelta(days=7)
RISE_WINDOW = dt.timedelta(hours=48)
RISE_MG_DL = 0.3
STAGE3_ABSOLUTE = 4.0

# Urine output: (mL/kg/h below, for at least, stage), most severe first.
URINE_RULES: tuple[tuple[float, dt.timedelta, int], ...] = (
    (0.3, dt.timedelta(hours=24), 3),
    (0.5, dt.timedelta(hours=12), 2),
    (0.5, dt.timedelta(hours=6), 1),
)

CONVENTIONS = [
    "baseline creatinine: the lowest value in the 7 days before admission; with none, the "
    "first value of the stay",
    "creatinine stage: the highest value of the stay against the baseline: >= 3.0 x, or >= 4.0 "
    "mg/dL with an acute rise (>= 1.5 x or >= 0.3 mg/dL within 48 hours), 3; [2.0, 3.0) x 2; "
    "[1.5, 2.0) x or a rise >= 0.3 mg/dL within 48 hours 1",
    "ratios and rises are rounded to 2 decimals before the thresholds apply",
    "urine output: each charted period's mL/kg/h (the weight charted last at or before its "
    "start, or the first charted); a run of consecutive periods (each starting where the last "
    "ended) every one below the threshold, its duration from the first start to the last end",
    "the stage is the higher of the creatinine and urine-output stages; the verdict is met at "
    "stage 1 or more",
]


def _v(o: Observation) -> float:
    assert o.value is not None
    return o.value


def _stay_end(chart: Chart) -> dt.datetime:
    if chart.discharged is not None:
        return chart.discharged
    times = [o.end or o.time for o in chart.observations] + [
        m.end or m.start for m in chart.medications
    ]
    return max([chart.admitted, *times]) + dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class _Baseline:
    obs: Observation
    rule: str


def _baseline(chart: Chart, index: Index, stay: Sequence[Observation]) -> _Baseline | None:
    ref = chart.admitted
    pre = [
        o
        for o in index.between("creatinine", chart.admitted - BASELINE_LOOKBACK, chart.admitted)
        if o.value is not None
    ]
    if pre:
        low = min(pre, key=lambda o: (_v(o), o.time))
        return _Baseline(
            low,
            f"baseline {describe(low, ref)} (the lowest creatinine in the 7 days before admission)",
        )
    if stay:
        first = stay[0]
        return _Baseline(
            first,
            f"baseline {describe(first, ref)} (no creatinine in the 7 days before admission, so "
            "the first value of the stay)",
        )
    return None


def _rise_48h(
    index: Index, stay: Sequence[Observation]
) -> tuple[Observation, Observation, float] | None:
    """The largest rise within 48 hours ending at a value of the stay, if >= 0.3 mg/dL."""
    best: tuple[Observation, Observation, float] | None = None
    for later in stay:
        for earlier in index.between("creatinine", later.time - RISE_WINDOW, later.time):
            if earlier.value is None:
                continue
            rise = round(_v(later) - earlier.value, 2)
            if rise >= RISE_MG_DL and (best is None or rise > best[2]):
                best = (earlier, later, rise)
    return best


def _creatinine(
    chart: Chart, index: Index, stay: Sequence[Observation], base: _Baseline | None
) -> tuple[Criterion, Criterion]:
    ref = chart.admitted
    rise = _rise_48h(index, stay)
    if rise is not None:
        e, lt, r = rise
        rise_c = Criterion(
            "kdigo.rise_48h",
            "Creatinine rise of 0.3 mg/dL or more within 48 hours",
            True,
            f"{describe(e, ref)} to {describe(lt, ref)} ({fmt_duration(lt.time - e.time)}): a "
            f"rise of {fmt_num(r, 1)} mg/dL, at least 0.3 within 48 hours",
            value=r,
            unit="mg/dL",
            time=lt.time,
            cited=(cite(e), cite(lt)),
        )
    elif len(stay) >= 1 and len([o for o in index.of("creatinine") if o.value is not None]) >= 2:
        rise_c = Criterion(
            "kdigo.rise_48h",
            "Creatinine rise of 0.3 mg/dL or more within 48 hours",
            False,
            "no creatinine rose by 0.3 mg/dL or more within 48 hours",
        )
    else:
        rise_c = Criterion(
            "kdigo.rise_48h",
            "Creatinine rise of 0.3 mg/dL or more within 48 hours",
            None,
            "fewer than two creatinine values: no rise can be measured",
            missing=("creatinine",),
        )
    label = "KDIGO stage from creatinine"
    if base is None or not stay:
        return (
            Criterion(
                "kdigo.creatinine",
                label,
                None,
                "no creatinine charted in the stay",
                missing=("creatinine",),
            ),
            rise_c,
        )
    peak = max(stay, key=lambda o: (_v(o), -o.time.timestamp()))
    b = _v(base.obs)
    p = _v(peak)
    ratio = round(p / b, 2) if b > 0 else 0.0
    stage = 0
    why = ""
    acute = ratio >= 1.5 or rise is not None
    if ratio >= 3.0:
        stage, why = 3, f"{fmt_num(ratio, 1, 2)} × baseline (>= 3.0 ×)"
    elif p >= STAGE3_ABSOLUTE and acute:
        stage, why = 3, "at least 4.0 mg/dL with an acute rise"
        if ratio < 1.5:
            why += f" ({rise_c.rule})"
    elif ratio >= 2.0:
        stage, why = 2, f"{fmt_num(ratio, 1, 2)} × baseline ([2.0, 3.0) ×)"
    elif ratio >= 1.5:
        stage, why = 1, f"{fmt_num(ratio, 1, 2)} × baseline ([1.5, 2.0) ×)"
    elif rise is not None:
        stage, why = 1, rise_c.rule
    else:
        why = f"{fmt_num(ratio, 1, 2)} × baseline (below 1.5 ×) and no rise of 0.3 mg/dL within 48 hours"
    cited: list[Cited] = [cite(base.obs)]
    if peak is not base.obs:
        cited.append(cite(peak))
    if stage in (1, 3) and ratio < 1.5 and rise is not None:
        cited.extend(c for c in rise_c.cited if c not in cited)
    rule = f"highest {describe(peak, ref)} against {base.rule}: {why}: stage {stage}"
    return (
        Criterion(
            "kdigo.creatinine",
            label,
            stage >= 1,
            rule,
            value=p,
            unit=peak.unit,
            time=peak.time,
            points=stage,
            cited=tuple(cited),
        ),
        rise_c,
    )


@dataclass(frozen=True)
class _Period:
    obs: Observation
    rate: float  # mL/kg/h, 2 decimals
    weight: Observation


def _urine(chart: Chart, index: Index, stay_end: dt.datetime) -> Criterion:
    ref = chart.admitted
    label = "KDIGO stage from urine output"
    rows = [
        o
        for o in index.between("urine_output", chart.admitted, stay_end)
        if o.value is not None and o.end is not None and o.end > o.time
    ]
    if not rows:
        return Criterion(
            "kdigo.urine_output",
            label,
            None,
            "no urine output with its period charted",
            missing=("urine_output",),
        )
    periods: list[_Period] = []
    for o in rows:
        w = index.weight(o.time)
        if w is None or w.value is None:
            return Criterion(
                "kdigo.urine_output",
                label,
                None,
                "urine output charted but no weight to express it in mL/kg/h",
                missing=("weight",),
            )
        assert o.end is not None
        hours = (o.end - o.time).total_seconds() / 3600
        periods.append(_Period(o, round(_v(o) / w.value / hours, 2), w))
    best: tuple[int, list[_Period], float, dt.timedelta] | None = None
    for limit, need, stage in URINE_RULES:
        for run in _runs(periods, limit):
            start, end = run[0].obs.time, run[-1].obs.end
            assert end is not None
            if end - start >= need and (best is None or stage > best[0]):
                best = (stage, run, limit, end - start)
        if best is not None:
            break
    if best is None:
        low = min(periods, key=lambda p: (p.rate, p.obs.time))
        return Criterion(
            "kdigo.urine_output",
            label,
            False,
            f"no run of periods below 0.5 mL/kg/h for 6 hours; lowest {_period_text(low, ref)}: "
            "stage 0",
            value=low.rate,
            unit="mL/kg/h",
            time=low.obs.time,
            points=0,
            cited=(cite(low.obs), cite(low.weight)),
        )
    stage, run, limit, length = best
    need_h = {3: "24", 2: "12", 1: "6"}[stage]
    shown = "; ".join(_period_text(p, ref) for p in run)
    cited: list[Cited] = []
    for p in run:
        cited.append(cite(p.obs))
        wc = cite(p.weight)
        if wc not in cited:
            cited.append(wc)
    worst = max(run, key=lambda p: -p.rate)
    return Criterion(
        "kdigo.urine_output",
        label,
        True,
        f"below {fmt_num(limit)} mL/kg/h for {fmt_duration(length)} (at least {need_h} h) from "
        f"{fmt_time(run[0].obs.time, ref)}: {shown}: stage {stage}",
        value=worst.rate,
        unit="mL/kg/h",
        time=run[0].obs.time,
        points=stage,
        cited=tuple(cited),
    )


def _period_text(p: _Period, ref: dt.datetime) -> str:
    o = p.obs
    assert o.end is not None
    return (
        f"{fmt_num(_v(o))} mL from {fmt_time(o.time, ref)} to {fmt_time(o.end, ref)} ÷ "
        f"{fmt_num(_v(p.weight))} kg = {fmt_num(p.rate)} mL/kg/h"
    )


def _runs(periods: Sequence[_Period], limit: float) -> list[list[_Period]]:
    """Runs of consecutive periods (each starting where the previous ended, or earlier) every
    one below ``limit``."""
    runs: list[list[_Period]] = []
    current: list[_Period] = []
    for p in sorted(periods, key=lambda p: p.obs.time):
        if p.rate < limit:
            prev_end = current[-1].obs.end if current else None
            if current and prev_end is not None and p.obs.time <= prev_end:
                current.append(p)
            else:
                if current:
                    runs.append(current)
                current = [p]
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def score_kdigo(chart: Chart) -> ScoreResult:
    """KDIGO 2012 stage over the whole stay (stage 0-3; verdict at stage 1 or more)."""
    index = Index(chart)
    end = _stay_end(chart)
    ref = chart.admitted
    window = Window(
        start=chart.admitted,
        end=end,
        rule=(
            f"the whole stay, from admission ({fmt_time(chart.admitted, ref)}) to "
            + (f"discharge ({fmt_time(end, ref)})" if chart.discharged else "the last charted row")
        ),
        anchor="admission",
    )
    stay = [o for o in index.between("creatinine", chart.admitted, end) if o.value is not None]
    base = _baseline(chart, index, stay)
    if base is None:
        base_c = Criterion(
            "kdigo.baseline",
            "Baseline creatinine",
            None,
            "no creatinine charted before or during the stay",
            missing=("creatinine",),
        )
    else:
        base_c = Criterion(
            "kdigo.baseline",
            "Baseline creatinine",
            True,
            base.rule,
            value=_v(base.obs),
            unit=base.obs.unit,
            time=base.obs.time,
            cited=(cite(base.obs),),
        )
    creat, rise = _creatinine(chart, index, stay, base)
    urine = _urine(chart, index, end)
    stages = [c.points for c in (creat, urine) if c.points is not None]
    stage = max(stages) if stages else None
    deciding = [c for c in (creat, urine) if c.points is not None and c.points == stage]
    stage_rule = (
        "no creatinine and no urine output to stage"
        if stage is None
        else f"stage {stage}, the higher of creatinine (stage "
        f"{'n/a' if creat.points is None else creat.points}) and urine output (stage "
        f"{'n/a' if urine.points is None else urine.points}): "
        + "; ".join(c.rule for c in deciding)
    )
    stage_c = Criterion(
        "kdigo.stage",
        "KDIGO AKI stage",
        None if stage is None else stage >= 1,
        stage_rule,
        value=deciding[0].value if deciding else None,
        unit=deciding[0].unit if deciding else "",
        time=deciding[0].time if deciding else None,
        points=stage,
        cited=tuple(r for c in deciding for r in c.cited) if stage else (),
        missing=() if stage is not None else ("creatinine", "urine_output"),
    )
    criteria = [stage_c, base_c, creat, rise, urine]
    missing: list[str] = []
    for c in criteria:
        for m in c.missing:
            if m not in missing:
                missing.append(m)
    return ScoreResult(
        name="kdigo",
        version=KDIGO_VERSION,
        window=window,
        criteria=criteria,
        stage=stage,
        verdict=None if stage is None else stage >= 1,
        missing=missing,
        conventions=list(CONVENTIONS),
    )
