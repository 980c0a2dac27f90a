"""SOFA by organ, on the SOFA window (docs/appeals.md, "SOFA by organ").

The worst value of each organ inside ``[anchor, anchor + 24 h)``, half-open intervals, every
point resting on cited rows; an organ with no value in the window is not assessable (adds 0,
listed as missing). Baseline: per organ, the points of the last value charted before
admission (a pre-admission lab), 0 with none; delta = total - baseline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from claimflow.clinical.evidence import (
    Index,
    cite,
    cite_med,
    describe,
    fmt_duration,
    fmt_num,
    fmt_quantity,
    fmt_time,
    is_sedated,
)
from claimflow.clinical.records import (
    VASOACTIVE_DRUGS,
    Chart,
    MedicationAdministration,
    Observation,
)
from claimflow.clinical.respiratory import PFPair, pairs_between, support_text
from claimflow.clinical.results import Cited, Criterion, ScoreResult, Window
from claimflow.clinical.window import sofa_window, window_text

__all__ = ["ORGANS", "SOFA_VERSION", "score_sofa", "sofa_window"]

SOFA_VERSION = "SOFA-1 (Vincent 1996)"
ORGANS = ("respiration", "coagulation", "liver", "cardiovascular", "cns", "renal")
ORGAN_LABELS = {
    "respiration": "Respiration (PaO2/FiO2)",
    "coagulation": "Coagulation (platelets)",
    "liver": "Liver (bilirubin)",
    "cardiovascular": "Cardiovascular (MAP or vasoactive drugs)",
    "cns": "Central nervous system (GCS)",
    "renal": "Renal (creatinine or urine output)",
}
PRESSOR_MIN_DURATION = dt.timedelta(minutes=60)
NOT_IN_SOFA = frozenset({"vasopressin", "phenylephrine"})

CONVENTIONS = [
    "half-open intervals: bilirubin [1.2, 2.0) 1, [2.0, 6.0) 2, [6.0, 12.0) 3, >= 12.0 4; "
    "creatinine [1.2, 2.0) 1, [2.0, 3.5) 2, [3.5, 5.0) 3, >= 5.0 4",
    "dopamine <= 5 ug/kg/min scores 2 and > 5 scores 3 (dopamine at exactly 5 scores 2)",
    "a vasoactive drug counts when it runs in the window and was given for at least 60 "
    "minutes (end - start >= 60 min, or still running with no end charted and started at "
    "least 60 minutes before the window's end)",
    "a rate in ug/min is divided by the weight charted last at or before its start (or the "
    "first charted); with no weight, epinephrine and norepinephrine score 3 (their lowest "
    "band) and dopamine 2",
    "vasopressin and phenylephrine are not in the SOFA table and score nothing themselves",
    "PaO2 paired with the FiO2 charted closest in time within 60 minutes; with none, FiO2 0.21 "
    "when the support charted last before it is room air; otherwise not assessable",
    "respiration 3-4 points only with respiratory support (NIV, invasive ventilation or ECMO "
    "charted last at or before the PaO2); without it, at most 2",
    "a computed P/F is rounded to 1 decimal and a computed rate to 3 decimals before the "
    "thresholds apply",
    "a GCS assessed under sedation is not used; when every GCS in the window is, the last GCS "
    "not under sedation before the window (within the stay) is used",
    "urine output counts only when the periods inside the window cover all 24 hours",
    "an organ with no value in the window is not assessable: it adds 0 and is listed as missing",
    "baseline per organ: the points of the last lab charted before admission (PaO2/FiO2, "
    "platelets, bilirubin, creatinine); with none, and for MAP, vasoactive drugs and GCS, "
    "baseline 0 (the Sepsis-3 assumption)",
]


def _points(value: float, cuts: Sequence[tuple[float, int]], lower_is_worse: bool) -> int:
    """The points of ``value`` for half-open cut-offs, worst first."""
    for cut, pts in cuts:
        if (value < cut) if lower_is_worse else (value >= cut):
            return pts
    return 0


PLATELET_CUTS = ((20.0, 4), (50.0, 3), (100.0, 2), (150.0, 1))
BILIRUBIN_CUTS = ((12.0, 4), (6.0, 3), (2.0, 2), (1.2, 1))
CREATININE_CUTS = ((5.0, 4), (3.5, 3), (2.0, 2), (1.2, 1))
PF_CUTS = ((100.0, 4), (200.0, 3), (300.0, 2), (400.0, 1))


def platelet_points(v: float) -> int:
    return _points(v, PLATELET_CUTS, lower_is_worse=True)


def bilirubin_points(v: float) -> int:
    return _points(v, BILIRUBIN_CUTS, lower_is_worse=False)


def creatinine_points(v: float) -> int:
    return _points(v, CREATININE_CUTS, lower_is_worse=False)


def pf_points(ratio: float, supported: bool) -> int:
    pts = _points(ratio, PF_CUTS, lower_is_worse=True)
    return pts if supported else min(pts, 2)


def gcs_points(v: float) -> int:
    g = round(v)
    if g >= 15:
        return 0
    if g >= 13:
        return 1
    if g >= 10:
        return 2
    if g >= 6:
        return 3
    return 4


def urine_points(ml: float) -> int:
    if ml < 200:
        return 4
    if ml < 500:
        return 3
    return 0


def _pts(n: int) -> str:
    return f"{n} point" if n == 1 else f"{n} points"


@dataclass(frozen=True)
class _Baseline:
    points: int
    text: str
    cited: tuple[Cited, ...] = ()


def _no_baseline(what: str) -> _Baseline:
    return _Baseline(0, f"baseline 0 (assumed: {what})")


def _lab_baseline(
    index: Index, param: str, admitted: dt.datetime, points: Callable[[float], int]
) -> _Baseline:
    o = index.last_before(param, admitted)
    while o is not None and o.value is None:
        o = index.last_before(param, o.time)
    if o is None or o.value is None:
        return _no_baseline("no value charted before admission")
    p = points(o.value)
    return _Baseline(
        p, f"baseline {_pts(p)} ({describe(o, admitted)}, before admission)", (cite(o),)
    )


def _criterion(
    organ: str,
    points: int | None,
    rule: str,
    baseline: _Baseline,
    value: float | None = None,
    unit: str = "",
    time: dt.datetime | None = None,
    cited: tuple[Cited, ...] = (),
    missing: tuple[str, ...] = (),
) -> Criterion:
    return Criterion(
        id=f"sofa.{organ}",
        label=ORGAN_LABELS[organ],
        met=None if points is None else points > 0,
        rule=f"{rule}; {baseline.text}",
        value=value,
        unit=unit,
        time=time,
        points=points,
        cited=cited,
        missing=missing,
        baseline_points=baseline.points,
        baseline_cited=baseline.cited,
    )


# -- respiration ----------------------------------------------------------------------------


def _pf_points(p: PFPair) -> int:
    assert p.ratio is not None
    return pf_points(p.ratio, p.on_ventilatory_support)


def _respiration(index: Index, w: Window, ref: dt.datetime) -> Criterion:
    organ = "respiration"
    admitted = index.chart.admitted
    first = index.of("pao2")[0].time if index.of("pao2") else admitted
    pre = [p for p in pairs_between(index, first, admitted) if p.ratio is not None]
    if pre:
        last = pre[-1]
        bp = _pf_points(last)
        baseline = _Baseline(
            bp, f"baseline {_pts(bp)} ({last.text(ref)}, before admission)", last.cited()
        )
    else:
        baseline = _no_baseline("no PaO2/FiO2 charted before admission")
    pairs = pairs_between(index, w.start, w.end)
    if not pairs:
        return _criterion(
            organ, None, "no PaO2 in the window: not assessable", baseline, missing=("pao2",)
        )
    paired = [p for p in pairs if p.ratio is not None]
    if not paired:
        return _criterion(
            organ,
            None,
            f"{len(pairs)} PaO2 in the window, none with an FiO2 charted within 60 min or room "
            "air charted before it: not assessable",
            baseline,
            missing=("fio2",),
        )
    worst = max(paired, key=lambda p: (_pf_points(p), -(p.ratio or 0.0), -p.pao2.time.timestamp()))
    pts = _pf_points(worst)
    assert worst.ratio is not None
    raw = pf_points(worst.ratio, True)
    if worst.on_ventilatory_support:
        how = f"with respiratory support ({support_text(worst.support, ref)})"
    elif raw > 2:
        how = (
            f"without respiratory support ({support_text(worst.support, ref)}): capped at 2 "
            "points (3-4 only with NIV, invasive ventilation or ECMO)"
        )
    elif worst.support is not None and worst.fio2_obs is not None:
        how = f"({support_text(worst.support, ref)})"
    else:
        how = ""  # room air is already stated with its FiO2 of 0.21
    unpaired = len(pairs) - len(paired)
    note = f"; {unpaired} PaO2 with no FiO2 within 60 min not used" if unpaired else ""
    rule = " ".join(x for x in (f"worst {worst.text(ref)}", how) if x)
    rule += f": {_pts(pts)}{note}"
    return _criterion(
        organ,
        pts,
        rule,
        baseline,
        value=worst.ratio,
        unit="mm[Hg]",
        time=worst.pao2.time,
        cited=worst.cited(),
    )


# -- coagulation, liver: the worst lab in the window -----------------------------------------


def _lab_organ(
    index: Index,
    w: Window,
    ref: dt.datetime,
    organ: str,
    param: str,
    points: Callable[[float], int],
    lowest: bool,
    cut_text: str,
) -> Criterion:
    baseline = _lab_baseline(index, param, index.chart.admitted, points)
    rows = [o for o in index.between(param, w.start, w.end) if o.value is not None]
    if not rows:
        return _criterion(
            organ, None, f"no {param} in the window: not assessable", baseline, missing=(param,)
        )

    def key(o: Observation) -> tuple[float, float]:
        assert o.value is not None
        return (-o.value if lowest else o.value, -o.time.timestamp())

    worst = max(rows, key=key)
    assert worst.value is not None
    pts = points(worst.value)
    word = "lowest" if lowest else "highest"
    rule = f"{word} {describe(worst, ref)} ({cut_text}): {_pts(pts)}"
    return _criterion(
        organ,
        pts,
        rule,
        baseline,
        value=worst.value,
        unit=worst.unit,
        time=worst.time,
        cited=(cite(worst),),
    )


# -- cardiovascular -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pressor:
    med: MedicationAdministration
    points: int
    rate: float | None  # ug/kg/min when known
    text: str
    cited: tuple[Cited, ...]


def _pressor_points(drug: str, rate: float) -> int:
    if drug == "dopamine":
        return 4 if rate > 15 else 3 if rate > 5 else 2
    if drug in ("epinephrine", "norepinephrine"):
        return 4 if rate > 0.1 else 3
    if drug == "dobutamine":
        return 2
    return 0


LOWEST_BAND = {"dopamine": 2, "epinephrine": 3, "norepinephrine": 3, "dobutamine": 2}


def _rate_units(unit: str | None) -> str:
    u = (unit or "").replace("µ", "u").replace("mcg", "ug").replace(" ", "").lower()
    return {"ug/kg/min": "ug/kg/min", "ug/min": "ug/min", "u/min": "U/min"}.get(u, unit or "")


def _given_an_hour(m: MedicationAdministration, w: Window) -> bool:
    if m.end is not None:
        return m.end - m.start >= PRESSOR_MIN_DURATION
    return m.start <= w.end - PRESSOR_MIN_DURATION


def _pressor(index: Index, m: MedicationAdministration, w: Window, ref: dt.datetime) -> _Pressor:
    drug = m.drug.strip().lower()
    when = f"from {fmt_time(m.start, ref)}" + (
        f" to {fmt_time(m.end, ref)} ({fmt_duration(m.end - m.start)})"
        if m.end is not None
        else " (no end charted)"
    )
    if m.start < w.start:
        when += ", started before the window and running in it"
    if drug == "dobutamine":
        rate_txt = (
            f" {fmt_num(m.rate)} {_unit_text(_rate_units(m.rate_unit))}"
            if m.rate is not None
            else ""
        )
        return _Pressor(
            m, 2, None, f"dobutamine{rate_txt} {when} (any dose): 2 points", (cite_med(m),)
        )
    unit = _rate_units(m.rate_unit)
    if m.rate is None:
        pts = LOWEST_BAND[drug]
        return _Pressor(
            m,
            pts,
            None,
            f"{drug} {when} with no rate charted: {_pts(pts)} (its lowest band)",
            (cite_med(m),),
        )
    if unit == "ug/kg/min":
        rate = round(m.rate, 3)
        pts = _pressor_points(drug, rate)
        text = f"{drug} {fmt_num(rate)} µg/kg/min {when}: {_pts(pts)}"
        return _Pressor(m, pts, rate, text, (cite_med(m),))
    if unit == "ug/min":
        weight = index.weight(m.start)
        if weight is None or weight.value is None:
            pts = LOWEST_BAND[drug]
            return _Pressor(
                m,
                pts,
                None,
                f"{drug} {fmt_num(m.rate)} µg/min {when}: no weight charted to convert it to "
                f"µg/kg/min, so {_pts(pts)} (its lowest band)",
                (cite_med(m),),
            )
        rate = round(m.rate / weight.value, 3)
        pts = _pressor_points(drug, rate)
        text = (
            f"{drug} {fmt_num(m.rate)} µg/min ÷ weight {fmt_quantity('weight', weight.value, 'kg')}"
            f" ({fmt_time(weight.time, ref)}) = {fmt_num(rate)} µg/kg/min {when}: {_pts(pts)}"
        )
        return _Pressor(m, pts, rate, text, (cite_med(m), cite(weight)))
    pts = LOWEST_BAND[drug]
    return _Pressor(
        m,
        pts,
        None,
        f"{drug} {fmt_num(m.rate)} {m.rate_unit} {when}: a unit that cannot be converted to "
        f"µg/kg/min, so {_pts(pts)} (its lowest band)",
        (cite_med(m),),
    )


def _unit_text(unit: str) -> str:
    return {"ug/kg/min": "µg/kg/min", "ug/min": "µg/min", "U/min": "units/min"}.get(unit, unit)


def _infusions(
    index: Index, running: Sequence[MedicationAdministration], w: Window
) -> list[list[MedicationAdministration]]:
    """Continuous infusions charted as several rates (each record starting at or before the
    previous one's end) that together ran at least 60 minutes and hold a record of under 60
    minutes running in the window: such a record is not dropped, the infusion is scored at the
    rate it held throughout (its lowest)."""
    in_window = {id(m) for m in running}
    by_drug: dict[str, list[MedicationAdministration]] = {}
    for m in index.chart.medications:
        drug = m.drug.strip().lower()
        if drug in LOWEST_BAND:
            by_drug.setdefault(drug, []).append(m)
    runs: list[list[MedicationAdministration]] = []
    for meds in by_drug.values():
        current: list[MedicationAdministration] = []
        for m in sorted(meds, key=lambda m: m.start):
            prev_end = current[-1].end if current else None
            if current and prev_end is not None and m.start <= prev_end:
                current.append(m)
            else:
                if len(current) > 1:
                    runs.append(current)
                current = [m]
        if len(current) > 1:
            runs.append(current)
    kept: list[list[MedicationAdministration]] = []
    for run in runs:
        last = run[-1]
        end = last.end
        lasted = (end - run[0].start) if end is not None else (w.end - run[0].start)
        short_inside = any(id(m) in in_window and not _given_an_hour(m, w) for m in run)
        if lasted >= PRESSOR_MIN_DURATION and short_inside:
            kept.append(run)
    return kept


def _run(
    index: Index, run: Sequence[MedicationAdministration], w: Window, ref: dt.datetime
) -> _Pressor:
    parts = [_pressor(index, m, w, ref) for m in run]
    weakest = min(parts, key=lambda p: (p.points, p.rate if p.rate is not None else 0.0))
    first, last = run[0], run[-1]
    drug = first.drug.strip().lower()
    until = (
        f"to {fmt_time(last.end, ref)} ({fmt_duration(last.end - first.start)})"
        if last.end is not None
        else "with no end charted"
    )
    rates = "; ".join(p.text.rsplit(":", 1)[0] for p in parts)
    text = (
        f"{drug} given continuously from {fmt_time(first.start, ref)} {until} at {len(run)} "
        f"charted rates ({rates}); the rate held throughout scores: {_pts(weakest.points)}"
    )
    cited = tuple(dict.fromkeys(c for p in parts for c in p.cited))
    return _Pressor(first, weakest.points, weakest.rate, text, cited)


def _cardiovascular(index: Index, w: Window, ref: dt.datetime) -> Criterion:
    organ = "cardiovascular"
    baseline = _no_baseline("MAP and vasoactive drugs are not pre-admission labs")
    maps = [o for o in index.between("map", w.start, w.end) if o.value is not None]
    running = [
        m
        for m in index.chart.medications
        if (m.drug.strip().lower() in VASOACTIVE_DRUGS or m.drug_class == "vasoactive")
        and m.start < w.end
        and (m.end is None or m.end > w.start)
    ]
    notes: list[str] = []
    scored: list[_Pressor] = []
    in_runs: set[int] = set()
    for run in _infusions(index, running, w):
        scored.append(_run(index, run, w, ref))
        in_runs |= {id(m) for m in run}
    for m in sorted(running, key=lambda m: m.start):
        drug = m.drug.strip().lower()
        if drug not in LOWEST_BAND:
            label = drug if drug in NOT_IN_SOFA else f"{drug} (not a SOFA drug)"
            notes.append(f"{label} at {fmt_time(m.start, ref)} not in the SOFA table: no points")
            continue
        if id(m) in in_runs and not _given_an_hour(m, w):
            continue  # scored with its infusion
        if not _given_an_hour(m, w):
            given = (
                fmt_duration(m.end - m.start)
                if m.end is not None
                else f"{fmt_duration(w.end - m.start)} before the window's end"
            )
            notes.append(
                f"{drug} at {fmt_time(m.start, ref)} given {given} (< 60 min): not counted"
            )
            continue
        scored.append(_pressor(index, m, w, ref))
    candidates: list[tuple[int, float, str, float | None, str, dt.datetime, tuple[Cited, ...]]] = []
    for p in scored:
        candidates.append(
            (
                p.points,
                p.rate if p.rate is not None else 0.0,
                p.text,
                p.rate if p.rate is not None else p.med.rate,
                "ug/kg/min" if p.rate is not None else _rate_units(p.med.rate_unit),
                p.med.start,
                p.cited,
            )
        )
    if maps:
        low = min(maps, key=lambda o: (o.value, o.time))
        assert low.value is not None
        mp = 1 if low.value < 70 else 0
        candidates.append(
            (
                mp,
                -1.0,
                f"lowest {describe(low, ref)} ({'below' if mp else 'not below'} 70): {_pts(mp)}",
                low.value,
                low.unit,
                low.time,
                (cite(low),),
            )
        )
    suffix = "; " + "; ".join(notes) if notes else ""
    if not candidates:
        return _criterion(
            organ,
            None,
            f"no MAP and no vasoactive drug counted in the window: not assessable{suffix}",
            baseline,
            missing=("map",),
        )
    # most points, then the earliest (rates of different drugs do not compare)
    best = max(candidates, key=lambda c: (c[0], -c[5].timestamp()))
    pts, _, text, value, unit, time, cited = best
    return _criterion(
        organ, pts, f"{text}{suffix}", baseline, value=value, unit=unit, time=time, cited=cited
    )


# -- central nervous system -----------------------------------------------------------------


def _cns(index: Index, w: Window, ref: dt.datetime) -> Criterion:
    organ = "cns"
    baseline = _no_baseline("GCS is not a pre-admission lab")
    rows = [o for o in index.between("gcs", w.start, w.end) if o.value is not None]
    if not rows:
        return _criterion(
            organ, None, "no GCS in the window: not assessable", baseline, missing=("gcs",)
        )
    awake = [o for o in rows if not is_sedated(o)]
    if awake:
        worst = min(awake, key=lambda o: (o.value, o.time))
        assert worst.value is not None
        pts = gcs_points(worst.value)
        sedated = len(rows) - len(awake)
        note = f"; {sedated} GCS assessed under sedation not used" if sedated else ""
        rule = f"lowest {describe(worst, ref)} (15: 0, 13-14: 1, 10-12: 2, 6-9: 3, < 6: 4): {_pts(pts)}{note}"
        return _criterion(
            organ,
            pts,
            rule,
            baseline,
            value=worst.value,
            unit=worst.unit,
            time=worst.time,
            cited=(cite(worst),),
        )
    before = [
        o
        for o in index.between("gcs", index.chart.admitted, w.start)
        if o.value is not None and not is_sedated(o)
    ]
    if not before:
        return _criterion(
            organ,
            None,
            f"every GCS in the window ({len(rows)}) was assessed under sedation and no GCS "
            "before sedation is charted in the stay: not assessable",
            baseline,
            missing=("gcs",),
        )
    pre = before[-1]
    assert pre.value is not None
    pts = gcs_points(pre.value)
    rule = (
        f"every GCS in the window ({len(rows)}) was assessed under sedation; the pre-sedation "
        f"{describe(pre, ref)} is used: {_pts(pts)}"
    )
    return _criterion(
        organ,
        pts,
        rule,
        baseline,
        value=pre.value,
        unit=pre.unit,
        time=pre.time,
        cited=(cite(pre),),
    )


# -- renal ----------------------------------------------------------------------------------


def urine_in_window(index: Index, w: Window) -> tuple[list[Observation], str | None]:
    """The urine-output rows whose periods lie inside the window, and why they do not cover
    all 24 hours (``None`` when they do)."""
    rows = [
        o
        for o in index.between("urine_output", w.start, w.end)
        if o.value is not None and o.end is not None and o.end <= w.end
    ]
    if not rows:
        return rows, "no urine-output period inside the window"
    cursor = w.start
    covered = dt.timedelta(0)
    overlap = False
    for o in sorted(rows, key=lambda o: (o.time, o.end)):
        assert o.end is not None
        if o.time < cursor:
            overlap = True
        start = max(o.time, cursor)
        if o.end > start:
            covered += o.end - start
        cursor = max(cursor, o.end)
    if overlap:
        return rows, "urine-output periods overlap inside the window"
    if covered < w.end - w.start:
        return rows, f"urine-output periods inside the window cover {fmt_duration(covered)} of 24 h"
    return rows, None


def _renal(index: Index, w: Window, ref: dt.datetime) -> Criterion:
    organ = "renal"
    baseline = _lab_baseline(index, "creatinine", index.chart.admitted, creatinine_points)
    creats = [o for o in index.between("creatinine", w.start, w.end) if o.value is not None]
    urine, why_not = urine_in_window(index, w)
    parts: list[tuple[int, str, float, str, dt.datetime, tuple[Cited, ...]]] = []
    if creats:
        hi = max(creats, key=lambda o: (o.value, -o.time.timestamp()))
        assert hi.value is not None
        cp = creatinine_points(hi.value)
        parts.append(
            (
                cp,
                f"highest {describe(hi, ref)} ([1.2, 2.0): 1, [2.0, 3.5): 2, [3.5, 5.0): 3, "
                f"≥ 5.0: 4): {_pts(cp)}",
                hi.value,
                hi.unit,
                hi.time,
                (cite(hi),),
            )
        )
    if why_not is None:
        total = sum(o.value or 0.0 for o in urine)
        up = urine_points(total)
        volumes = " + ".join(fmt_num(o.value or 0.0) for o in urine)
        parts.append(
            (
                up,
                f"urine output {fmt_num(total)} mL over {window_text(w, ref)} "
                f"({len(urine)} periods: {volumes} mL; < 500: 3, < 200: 4): {_pts(up)}",
                total,
                "mL",
                w.start,
                tuple(cite(o) for o in urine),
            )
        )
    if not parts:
        return _criterion(
            organ,
            None,
            f"no creatinine in the window and {why_not}: not assessable",
            baseline,
            missing=("creatinine", "urine_output"),
        )
    best = max(parts, key=lambda p: p[0])
    others = [p for p in parts if p is not best]
    rule = best[1]
    if others:
        rule += f" (the worse of the two; also {others[0][1]})"
    if why_not is not None and urine:
        rule += f"; urine output not used: {why_not}"
    cited = tuple(c for p in [best, *others] for c in p[5])
    return _criterion(
        organ, best[0], rule, baseline, value=best[2], unit=best[3], time=best[4], cited=cited
    )


# -- the score ------------------------------------------------------------------------------


def score_sofa(chart: Chart, window: Window | None = None) -> ScoreResult:
    """SOFA-1 by organ on the SOFA window (``sofa_window`` unless a window is given)."""
    w = window if window is not None else sofa_window(chart)
    index = Index(chart)
    ref = chart.admitted
    criteria = [
        _respiration(index, w, ref),
        _lab_organ(
            index,
            w,
            ref,
            "coagulation",
            "platelets",
            platelet_points,
            True,
            "< 150: 1, < 100: 2, < 50: 3, < 20: 4",
        ),
        _lab_organ(
            index,
            w,
            ref,
            "liver",
            "bilirubin",
            bilirubin_points,
            False,
            "[1.2, 2.0): 1, [2.0, 6.0): 2, [6.0, 12.0): 3, ≥ 12.0: 4",
        ),
        _cardiovascular(index, w, ref),
        _cns(index, w, ref),
        _renal(index, w, ref),
    ]
    total = sum(c.points or 0 for c in criteria)
    baseline = sum(c.baseline_points or 0 for c in criteria)
    missing = [organ for organ, c in zip(ORGANS, criteria, strict=True) if c.points is None]
    return ScoreResult(
        name="sofa",
        version=SOFA_VERSION,
        window=w,
        criteria=criteria,
        total=total,
        baseline=baseline,
        delta=total - baseline,
        missing=missing,
        conventions=list(CONVENTIONS),
    )
