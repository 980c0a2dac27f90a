"""The oracle: docs/appeals.md's scoring rules, implemented here from the planted chart.

Independent of the engine on purpose (claimflow.synth imports nothing else of claimflow): the
truth a benchmark compares the engine with is this module's reading of the same rules.
Where the rules leave a tie open, the worst value is the one with the most points, then the
most extreme value, then the earliest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from claimflow.synth.appeals.chart import BLOOD_CULTURE, RESPIRATORY_SUPPORT, Chart, Med, Obs

SOFA_VERSION = "SOFA-1 (Vincent 1996)"
ORGANS = ("respiration", "coagulation", "liver", "cardiovascular", "cns", "renal")
SEPSIS_CODES = ("A40", "A41", "R65.2")
# Infection diagnoses (a sign of infection for Sepsis-3), by code prefix.
INFECTION_CODES = (*SEPSIS_CODES, "J18", "J15", "N39.0", "L03", "K65", "N10", "A49")
SUPPORT = frozenset({"niv", "invasive_ventilation", "ecmo"})
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(hours=24)


@dataclass
class OrganScore:
    points: int = 0
    assessable: bool = False
    value: float | None = None
    unit: str = ""
    time: dt.datetime | None = None
    baseline: int = 0
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "assessable": self.assessable,
            "value": None if self.value is None else round(self.value, 4),
            "unit": self.unit,
            "time": None if self.time is None else self.time.isoformat(),
            "baseline": self.baseline,
            "detail": self.detail,
        }


@dataclass
class Sofa:
    anchor: str
    start: dt.datetime
    end: dt.datetime
    organs: dict[str, OrganScore] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(o.points for o in self.organs.values())

    @property
    def baseline(self) -> int:
        return sum(o.baseline for o in self.organs.values())

    @property
    def delta(self) -> int:
        return self.total - self.baseline

    @property
    def missing(self) -> list[str]:
        return [name for name in ORGANS if not self.organs[name].assessable]

    def as_json(self) -> dict[str, Any]:
        return {
            "version": SOFA_VERSION,
            "window": {
                "anchor": self.anchor,
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
            },
            "organs": {name: self.organs[name].as_json() for name in ORGANS},
            "total": self.total,
            "baseline": self.baseline,
            "delta": self.delta,
            "missing": self.missing,
        }


def first_infection_sign(chart: Chart) -> dt.datetime | None:
    """The earlier of the first blood culture drawn and the first antibiotic started, at or
    after admission (every blood culture row is a culture drawn at its time)."""
    times = [o.time for o in chart.of(BLOOD_CULTURE) if o.time >= chart.admitted]
    times += [
        m.start
        for m in chart.medications
        if m.drug_class == "antibiotic" and m.start >= chart.admitted
    ]
    return min(times) if times else None


def sofa_window(chart: Chart) -> tuple[str, dt.datetime]:
    """The anchor (``admission`` or ``infection``) and its time."""
    poa_sepsis = any(
        d.code.startswith(SEPSIS_CODES) and d.poa in ("Y", "W") for d in chart.diagnoses
    )
    sign = first_infection_sign(chart)
    if poa_sepsis or sign is None:
        return "admission", chart.admitted
    return "infection", sign


def _inside(t: dt.datetime, start: dt.datetime, end: dt.datetime) -> bool:
    return start <= t < end


def support_at(chart: Chart, t: dt.datetime) -> str | None:
    """The respiratory support charted last at or before ``t``."""
    before = [o for o in chart.of(RESPIRATORY_SUPPORT) if o.time <= t]
    return before[-1].text if before else None


def paired_fio2(chart: Chart, pao2: Obs) -> float | None:
    """The FiO2 charted closest to a PaO2 within 60 minutes; else 0.21 on room air; else
    ``None`` (not assessable)."""
    near = [
        (abs(f.time - pao2.time), f) for f in chart.of("fio2") if abs(f.time - pao2.time) <= HOUR
    ]
    if near:
        value = min(near, key=lambda pair: pair[0])[1].value
        assert value is not None
        return value
    if support_at(chart, pao2.time) == "room_air":
        return 0.21
    return None


def _band(value: float, edges: tuple[float, ...]) -> int:
    """Points for a value rising through ``edges`` (half-open: value >= edge scores)."""
    return sum(1 for edge in edges if value >= edge)


def _band_down(value: float, edges: tuple[float, ...]) -> int:
    """Points for a value falling below ``edges``."""
    return sum(1 for edge in edges if value < edge)


def pf_points(ratio: float, supported: bool) -> int:
    points = _band_down(ratio, (400, 300, 200, 100))
    return points if supported else min(points, 2)


def platelet_points(v: float) -> int:
    return _band_down(v, (150, 100, 50, 20))


def bilirubin_points(v: float) -> int:
    return _band(v, (1.2, 2.0, 6.0, 12.0))


def creatinine_points(v: float) -> int:
    return _band(v, (1.2, 2.0, 3.5, 5.0))


def gcs_points(v: float) -> int:
    if v >= 15:
        return 0
    if v >= 13:
        return 1
    if v >= 10:
        return 2
    if v >= 6:
        return 3
    return 4


def weight_before(chart: Chart, t: dt.datetime) -> float | None:
    """The weight (kg) charted last at or before ``t``, or the first charted."""
    weights = chart.of("weight")
    if not weights:
        return None
    before = [w for w in weights if w.time <= t]
    value = (before[-1] if before else weights[0]).value
    assert value is not None
    return value


def pressor_rate(chart: Chart, med: Med) -> float | None:
    """The rate in ug/kg/min, or ``None`` when a mcg/min rate has no weight to convert it."""
    assert med.rate is not None
    if med.rate_unit == "mcg/kg/min":
        return med.rate
    weight = weight_before(chart, med.start)
    return None if weight is None else round(med.rate / weight, 3)


def pressor_points(drug: str, rate: float | None) -> int:
    if drug == "dobutamine":
        return 2
    if rate is None:  # no convertible rate: the drug's lowest band
        return {"epinephrine": 3, "norepinephrine": 3, "dopamine": 2}.get(drug, 0)
    if drug == "dopamine":
        return 4 if rate > 15 else 3 if rate > 5 else 2
    if drug in ("epinephrine", "norepinephrine"):
        return 4 if rate > 0.1 else 3
    return 0  # vasopressin, phenylephrine: not in the SOFA table


def infusions(chart: Chart) -> list[tuple[str, dt.datetime, dt.datetime, float, str]]:
    """Each vasoactive infusion as (drug, start, end, rate, unit): records of one drug each
    starting where the last ended are one infusion, at the lowest rate it held (in ug/kg/min;
    in ug/min when it cannot be converted)."""
    out: list[tuple[str, dt.datetime, dt.datetime, float, str]] = []
    meds = sorted(
        (m for m in chart.medications if m.drug_class == "vasoactive" and m.rate is not None),
        key=lambda m: (m.drug, m.start),
    )
    chains: list[list[Med]] = []
    for m in meds:
        if chains and chains[-1][-1].drug == m.drug and chains[-1][-1].end == m.start:
            chains[-1].append(m)
        else:
            chains.append([m])
    for chain in chains:
        rates = [(pressor_rate(chart, m), m) for m in chain]
        if any(r is None for r, _ in rates):
            low = min(m.rate or 0.0 for m in chain)
            out.append((chain[0].drug, chain[0].start, chain[-1].end, low, "ug/min"))
        else:
            low = min(r for r, _ in rates if r is not None)
            out.append((chain[0].drug, chain[0].start, chain[-1].end, low, "ug/kg/min"))
    return sorted(out, key=lambda c: c[1])


def _worst(
    candidates: list[tuple[int, float, dt.datetime]], extreme_high: bool
) -> tuple[int, float, dt.datetime]:
    """Most points, then the most extreme value, then the earliest."""
    return min(candidates, key=lambda c: (-c[0], -c[1] if extreme_high else c[1], c[2]))


def _lab_organ(
    chart: Chart,
    param: str,
    unit: str,
    score: Callable[[float], int],
    start: dt.datetime,
    end: dt.datetime,
    extreme_high: bool,
) -> OrganScore:
    rows = [o for o in chart.of(param) if _inside(o.time, start, end)]
    organ = OrganScore(unit=unit)
    before = [o for o in chart.of(param) if o.time < chart.admitted]
    if before:
        last = before[-1].value
        assert last is not None
        organ.baseline = score(last)
    if not rows:
        return organ
    cands = [(score(o.value), float(o.value), o.time) for o in rows if o.value is not None]
    organ.points, organ.value, organ.time = _worst(cands, extreme_high)
    organ.assessable = True
    return organ


def score_sofa(chart: Chart) -> Sofa:
    anchor, start = sofa_window(chart)
    end = start + DAY
    sofa = Sofa(anchor, start, end)

    # respiration
    resp = OrganScore(unit="mm[Hg]")
    cands: list[tuple[int, float, dt.datetime]] = []
    for pao2 in chart.of("pao2"):
        if not _inside(pao2.time, start, end):
            continue
        fio2 = paired_fio2(chart, pao2)
        if fio2 is None or pao2.value is None:
            continue
        ratio = round(pao2.value / fio2, 1)
        cands.append((pf_points(ratio, support_at(chart, pao2.time) in SUPPORT), ratio, pao2.time))
    if cands:
        resp.points, resp.value, resp.time = _worst(cands, extreme_high=False)
        resp.assessable = True
        resp.detail = "PaO2/FiO2"
    sofa.organs["respiration"] = resp

    sofa.organs["coagulation"] = _lab_organ(
        chart, "platelets", "10*3/uL", platelet_points, start, end, extreme_high=False
    )
    sofa.organs["liver"] = _lab_organ(
        chart, "bilirubin", "mg/dL", bilirubin_points, start, end, extreme_high=True
    )

    # cardiovascular: MAP < 70, or a vasoactive drug given for an hour
    cardio = OrganScore(unit="mm[Hg]")
    cands5: list[tuple[int, float, dt.datetime, str, str]] = []
    maps = [o for o in chart.of("map") if _inside(o.time, start, end)]
    if maps:
        p, v, t = _worst(
            [(1 if (o.value or 0) < 70 else 0, float(o.value or 0), o.time) for o in maps],
            extreme_high=False,
        )
        cands5.append((p, v, t, "mm[Hg]", "MAP"))
    for drug, run_start, run_end, rate, unit in infusions(chart):
        # running in the window, given for at least 60 minutes
        if not (run_start < end and run_end > start) or run_end - run_start < HOUR:
            continue
        p = pressor_points(drug, rate)
        if p:
            cands5.append((p, rate, run_start, unit, drug))
    if cands5:
        best = min(cands5, key=lambda c: (-c[0], c[2]))
        cardio.points, cardio.value, cardio.time, cardio.unit, cardio.detail = best
        cardio.assessable = True
    sofa.organs["cardiovascular"] = cardio

    # central nervous system
    cns = OrganScore(unit="{score}")
    gcs = [o for o in chart.of("gcs") if _inside(o.time, start, end)]
    awake = [o for o in gcs if not o.sedated]
    if awake:
        cns.points, cns.value, cns.time = _worst(
            [(gcs_points(float(o.value or 0)), float(o.value or 0), o.time) for o in awake],
            extreme_high=False,
        )
        cns.assessable = True
    elif gcs:
        pre = [o for o in chart.of("gcs") if not o.sedated and chart.admitted <= o.time < start]
        if pre:
            last = pre[-1]
            cns.points, cns.value, cns.time = (
                gcs_points(float(last.value or 0)),
                last.value,
                last.time,
            )
            cns.assessable = True
            cns.detail = "pre-sedation"
    sofa.organs["cns"] = cns

    # renal: the worse of creatinine and a full 24 hours of urine output
    renal = _lab_organ(chart, "creatinine", "mg/dL", creatinine_points, start, end, True)
    urine = [
        o
        for o in chart.of("urine_output")
        if o.end is not None and start <= o.time and o.end <= end
    ]
    if urine and _covers(urine, start, end):
        volume = sum(float(o.value or 0) for o in urine)
        points = 4 if volume < 200 else 3 if volume < 500 else 0
        if not renal.assessable or points > renal.points:
            renal.points, renal.value, renal.time, renal.unit = points, volume, start, "mL"
            renal.detail = "urine output over the window"
        renal.assessable = True
    sofa.organs["renal"] = renal
    return sofa


def _covers(periods: list[Obs], start: dt.datetime, end: dt.datetime) -> bool:
    cursor = start
    for o in sorted(periods, key=lambda o: o.time):
        assert o.end is not None
        if o.time > cursor:
            return False
        cursor = max(cursor, o.end)
    return cursor >= end


def has_infection_sign(chart: Chart) -> bool:
    return bool(
        chart.of(BLOOD_CULTURE)
        or any(m.drug_class == "antibiotic" for m in chart.medications)
        or any(d.code.startswith(INFECTION_CODES) for d in chart.diagnoses)
    )


def sepsis3(chart: Chart, sofa: Sofa) -> bool:
    return has_infection_sign(chart) and sofa.delta >= 2


def _values(chart: Chart, param: str, start: dt.datetime, end: dt.datetime) -> list[float]:
    return [o.value for o in chart.of(param) if _inside(o.time, start, end) and o.value is not None]


def _any(values: list[float], test: Callable[[float], bool]) -> bool | None:
    """Met by any value; ``None`` with no value to decide."""
    return None if not values else any(test(v) for v in values)


def _either(*parts: bool | None) -> bool | None:
    if any(parts):
        return True
    return None if all(p is None for p in parts) else False


def _count(flags: dict[str, bool | None], need: int) -> tuple[int, bool | None]:
    """How many are met, and whether ``need`` are: undecided only when the ones that
    cannot be decided could still make it."""
    met = sum(1 for f in flags.values() if f)
    open_ = sum(1 for f in flags.values() if f is None)
    if met >= need:
        return met, True
    return met, (False if met + open_ < need else None)


def qsofa(chart: Chart, sofa: Sofa) -> dict[str, Any]:
    """qSOFA in the SOFA window."""
    start, end = sofa.start, sofa.end
    gcs = [o for o in chart.of("gcs") if _inside(o.time, start, end) and o.value is not None]
    awake = [float(o.value or 0) for o in gcs if not o.sedated]
    flags = {
        "resp_rate": _any(_values(chart, "resp_rate", start, end), lambda v: v >= 22),
        "mentation": _any(awake, lambda v: v < 15),
        "sbp": _any(_values(chart, "sbp", start, end), lambda v: v <= 100),
    }
    score, risk = _count(flags, 2)
    return {"score": score, "risk": risk, "flags": flags}


def sirs(chart: Chart, sofa: Sofa) -> dict[str, Any]:
    """SIRS in the SOFA window."""
    start, end = sofa.start, sofa.end

    def v(param: str) -> list[float]:
        return _values(chart, param, start, end)

    flags = {
        "temperature": _any(v("temperature"), lambda t: t > 38.0 or t < 36.0),
        "heart_rate": _any(v("heart_rate"), lambda h: h > 90),
        "resp_rate_or_paco2": _either(
            _any(v("resp_rate"), lambda r: r > 20), _any(v("paco2"), lambda p: p < 32)
        ),
        "wbc_or_bands": _either(
            _any(v("wbc"), lambda w: w > 12 or w < 4), _any(v("bands"), lambda b: b > 10)
        ),
    }
    count, met = _count(flags, 2)
    return {"count": count, "met": met, "criteria": flags}


def arf(chart: Chart) -> dict[str, Any]:
    """Acute respiratory failure in the 24 hours from admission; a part that cannot be
    decided (no blood gas, an SpO2 with no support charted before it) is left out, and the
    verdict is ``None`` only when no part can be decided."""
    start, end = chart.admitted, chart.admitted + DAY
    hypoxemic: bool | None = None
    pf_min: float | None = None

    def part(current: bool | None, met: bool) -> bool:
        return bool(current) or met

    for pao2 in chart.of("pao2"):
        if not _inside(pao2.time, start, end) or pao2.value is None:
            continue
        hypoxemic = part(hypoxemic, pao2.value < 60)
        fio2 = paired_fio2(chart, pao2)
        if fio2 is not None:
            ratio = round(pao2.value / fio2, 1)
            pf_min = ratio if pf_min is None else min(pf_min, ratio)
            hypoxemic = part(hypoxemic, ratio < 300)
    for spo2 in chart.of("spo2"):
        support = support_at(chart, spo2.time)
        if _inside(spo2.time, start, end) and support is not None:
            room_air_low = support == "room_air" and (spo2.value or 100) < 91
            hypoxemic = part(hypoxemic, room_air_low)
    hypercapnic: bool | None = None
    ph_at = {o.time: o.value for o in chart.of("ph")}
    for paco2 in chart.of("paco2"):
        ph = ph_at.get(paco2.time)
        if _inside(paco2.time, start, end) and ph is not None:
            hypercapnic = part(hypercapnic, (paco2.value or 0) > 50 and ph < 7.35)
    verdict: bool | None
    if hypoxemic or hypercapnic:
        verdict = True
    elif hypoxemic is None and hypercapnic is None:
        verdict = None
    else:
        verdict = False
    return {
        "verdict": verdict,
        "hypoxemic": hypoxemic,
        "hypercapnic": hypercapnic,
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "pf_min": pf_min,
    }


def kdigo(chart: Chart) -> dict[str, Any]:
    """KDIGO 2012 over the whole stay."""
    creat = chart.of("creatinine")
    pre = [o for o in creat if chart.admitted - dt.timedelta(days=7) <= o.time < chart.admitted]
    stay = [o for o in creat if chart.admitted <= o.time <= chart.discharged]
    baseline: float | None
    if pre:
        baseline, rule = min(float(o.value or 0) for o in pre), "pre-admission"
    elif stay:
        baseline, rule = float(stay[0].value or 0), "first value of the stay"
    else:
        baseline, rule = None, "none"
    creat_stage = 0
    peak: float | None = None
    if stay and baseline:
        peak = max(float(o.value or 0) for o in stay)
        ratio = round(peak / baseline, 2)
        # a rise of 0.3 within 48 hours ending in the stay (the earlier value may precede it)
        rise = any(
            round(float(b.value or 0) - float(a.value or 0), 2) >= 0.3
            for a in creat
            for b in stay
            if dt.timedelta(0) < b.time - a.time <= dt.timedelta(hours=48)
        )
        if ratio >= 3.0 or (peak >= 4.0 and (ratio >= 1.5 or rise)):
            creat_stage = 3
        elif ratio >= 2.0:
            creat_stage = 2
        elif ratio >= 1.5 or rise:
            creat_stage = 1
    urine_stage = _urine_stage(chart)
    return {
        "stage": max(creat_stage, urine_stage),
        "baseline_creatinine": None if baseline is None else round(baseline, 4),
        "baseline_rule": rule,
        "peak_creatinine": None if peak is None else round(peak, 4),
        "creatinine_stage": creat_stage,
        "urine_output_stage": urine_stage,
    }


def _urine_stage(chart: Chart) -> int:
    """Runs of consecutive charted periods below 0.5 (and 0.3) mL/kg/h."""
    periods = [o for o in chart.of("urine_output") if o.end is not None]
    stage = 0
    for limit, needs in ((0.5, ((6, 1), (12, 2))), (0.3, ((24, 3),))):
        run = dt.timedelta(0)
        last_end: dt.datetime | None = None
        for o in periods:
            assert o.end is not None
            weight = weight_before(chart, o.time)
            hours = (o.end - o.time) / HOUR
            low = weight is not None and float(o.value or 0) / weight / hours < limit
            if low and last_end is not None and o.time == last_end and run > dt.timedelta(0):
                run += o.end - o.time
            elif low:
                run = o.end - o.time
            else:
                run = dt.timedelta(0)
            last_end = o.end
            for hours_needed, points in needs:
                if run >= dt.timedelta(hours=hours_needed):
                    stage = max(stage, points)
    return stage
