"""Sepsis-3 (a sign of infection and a SOFA delta of 2 or more), qSOFA, SIRS and the SEP-1
bundle's timing facts (docs/appeals.md, "Sepsis")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from claimflow.clinical.evidence import (
    Index,
    cite,
    cite_dx,
    cite_med,
    describe,
    fmt_duration,
    fmt_num,
    fmt_time,
    is_sedated,
    missing_of,
    param_text,
)
from claimflow.clinical.records import Chart, MedicationAdministration, Observation
from claimflow.clinical.results import Cited, Criterion, ScoreResult, Window
from claimflow.clinical.sofa import LOWEST_BAND
from claimflow.clinical.window import (
    SEPSIS_CODES,
    InfectionSign,
    antibiotics,
    blood_cultures,
    first_sign_of_infection,
    infection_diagnoses,
    window_text,
)

__all__ = [
    "SEPSIS_CODES",
    "score_qsofa",
    "score_sepsis3",
    "score_sirs",
    "sep1_timing",
]

SEPSIS3_VERSION = "Sepsis-3 (Singer 2016): infection and SOFA delta >= 2"
QSOFA_VERSION = "qSOFA (Seymour 2016)"
SIRS_VERSION = "SIRS (Bone 1992)"
SEP1_VERSION = "SEP-1 timing facts (CMS)"


def _valued(rows: Sequence[Observation]) -> list[Observation]:
    return [o for o in rows if o.value is not None]


def _v(o: Observation) -> float:
    assert o.value is not None
    return o.value


# -- Sepsis-3 -------------------------------------------------------------------------------


def score_sepsis3(chart: Chart, sofa: ScoreResult) -> ScoreResult:
    """Sepsis-3: a sign of infection (a blood culture drawn, an antibiotic given, or an
    infection diagnosis, at any time of the chart) and a SOFA delta of 2 or more."""
    ref = chart.admitted
    cultures = blood_cultures(chart)
    abx = antibiotics(chart)
    dxs = infection_diagnoses(chart)
    signs: list[str] = []
    cited: list[Cited] = []
    if cultures:
        signs.append(f"blood culture drawn at {fmt_time(cultures[0].time, ref)}")
        cited.append(cultures[0].cited)
    if abx:
        signs.append(f"{abx[0].what} at {fmt_time(abx[0].time, ref)}")
        cited.append(abx[0].cited)
    if dxs:
        signs.append("infection diagnosis " + ", ".join(d.code for d in dxs))
        cited.extend(cite_dx(d, chart.admitted) for d in dxs)
    infection = Criterion(
        "sepsis3.infection",
        "Suspected or documented infection",
        bool(signs),
        "; ".join(signs)
        if signs
        else "no blood culture, antibiotic or infection diagnosis charted",
        time=min((c.time for c in cited), default=None),
        cited=tuple(cited),
    )
    delta = sofa.delta if sofa.delta is not None else 0
    total = sofa.total if sofa.total is not None else 0
    baseline = sofa.baseline if sofa.baseline is not None else 0
    organs = [c for c in sofa.criteria if c.points]
    parts = "; ".join(
        f"{c.id.removeprefix('sofa.')} {c.points}: {c.rule.split('; baseline')[0]}" for c in organs
    )
    missing_txt = f"; not assessable (counted 0): {', '.join(sofa.missing)}" if sofa.missing else ""
    window_txt = f" from {window_text(sofa.window, ref)}" if sofa.window else ""
    delta_met = delta >= 2
    delta_c = Criterion(
        "sepsis3.sofa_delta",
        "Acute rise in SOFA of 2 points or more",
        delta_met,
        f"SOFA {total}{window_txt} ({parts or 'no points'}) minus baseline {baseline} = delta {delta}: "
        f"{'at least' if delta_met else 'below'} 2{missing_txt}",
        value=float(delta),
        unit="points",
        cited=tuple(r for c in organs for r in c.cited),
        missing=tuple(sofa.missing) if not delta_met else (),
    )
    verdict = bool(signs) and delta_met
    return ScoreResult(
        name="sepsis3",
        version=SEPSIS3_VERSION,
        window=sofa.window,
        criteria=[infection, delta_c],
        verdict=verdict,
        total=total,
        baseline=baseline,
        delta=delta,
        missing=list(sofa.missing) if not verdict else [],
        conventions=[
            "a sign of infection: a blood culture drawn, an antibiotic given or an infection "
            "diagnosis (A40, A41, R65.2x and common infections) anywhere in the chart",
            "the SOFA delta of the SOFA score (" + sofa.version + "); organs not assessable "
            "count 0, so the verdict is not met when the charted organs do not reach 2",
        ],
    )


# -- qSOFA and SIRS -------------------------------------------------------------------------


def _count_verdict(criteria: Sequence[Criterion], need: int) -> tuple[int, bool | None]:
    met = sum(1 for c in criteria if c.met)
    undecided = sum(1 for c in criteria if c.met is None)
    if met >= need:
        return met, True
    if met + undecided < need:
        return met, False
    return met, None


def _extreme(
    cid: str,
    label: str,
    rows: Sequence[Observation],
    param: str,
    highest: bool,
    test: str,
    limit: float,
    ref: dt.datetime,
) -> Criterion:
    """A threshold on the highest (or lowest) value in the window."""
    rows = _valued(rows)
    if not rows:
        return Criterion(
            cid, label, None, f"no {param_text(param)} charted in the window", missing=(param,)
        )
    key = (
        (lambda o: (_v(o), -o.time.timestamp()))
        if highest
        else (lambda o: (-_v(o), -o.time.timestamp()))
    )
    worst = max(rows, key=key)
    v = _v(worst)
    met = {">": v > limit, ">=": v >= limit, "<": v < limit, "<=": v <= limit}[test]
    word = "highest" if highest else "lowest"
    return Criterion(
        cid,
        label,
        met,
        f"{word} {describe(worst, ref)}: {'' if met else 'not '}{_WORDS[test]} {fmt_num(limit)}",
        value=v,
        unit=worst.unit,
        time=worst.time,
        cited=(cite(worst),),
    )


_WORDS = {">": "above", ">=": "at or above", "<": "below", "<=": "at or below"}


def _rules(parts: Sequence[Criterion]) -> str:
    return "; ".join(dict.fromkeys(p.rule for p in parts))


def _either(cid: str, label: str, parts: Sequence[Criterion]) -> Criterion:
    """Met when one part is met (the first met decides); undecided when no part could be
    decided; otherwise not met."""
    met_parts = [p for p in parts if p.met]
    if met_parts:
        d = met_parts[0]
        return Criterion(
            cid,
            label,
            True,
            _rules(met_parts),
            value=d.value,
            unit=d.unit,
            time=d.time,
            cited=tuple(r for p in met_parts for r in p.cited),
        )
    decided = [p for p in parts if p.met is not None]
    if not decided:
        return Criterion(cid, label, None, _rules(parts), missing=missing_of(parts))
    d = decided[0]
    return Criterion(
        cid,
        label,
        False,
        _rules(parts),
        value=d.value,
        unit=d.unit,
        time=d.time,
        cited=tuple(r for p in decided for r in p.cited),
        missing=missing_of(parts),
    )


def score_qsofa(chart: Chart, window: Window) -> ScoreResult:
    """qSOFA in the window: respiratory rate >= 22, GCS < 15 (not under sedation), systolic
    <= 100; 2 or more flags risk."""
    index = Index(chart)
    ref = chart.admitted
    w = window
    rr = _extreme(
        "qsofa.resp_rate",
        "Respiratory rate 22/min or more",
        index.between("resp_rate", w.start, w.end),
        "resp_rate",
        True,
        ">=",
        22,
        ref,
    )
    gcs_rows = index.between("gcs", w.start, w.end)
    awake = [o for o in gcs_rows if not is_sedated(o)]
    mentation = _extreme(
        "qsofa.mentation",
        "Altered mentation (GCS below 15, not under sedation)",
        awake,
        "gcs",
        False,
        "<",
        15,
        ref,
    )
    if mentation.met is None and gcs_rows:
        mentation = Criterion(
            mentation.id,
            mentation.label,
            None,
            "every GCS in the window was assessed under sedation",
            missing=("gcs",),
        )
    sbp = _extreme(
        "qsofa.sbp",
        "Systolic blood pressure 100 mmHg or less",
        index.between("sbp", w.start, w.end),
        "sbp",
        False,
        "<=",
        100,
        ref,
    )
    criteria = [rr, mentation, sbp]
    total, verdict = _count_verdict(criteria, 2)
    return ScoreResult(
        name="qsofa",
        version=QSOFA_VERSION,
        window=w,
        criteria=criteria,
        total=total,
        verdict=verdict,
        missing=list(missing_of(criteria)),
        conventions=[
            "in the SOFA window; a GCS assessed under sedation is not used",
            "total counts the criteria met; the verdict (2 or more) is undecided only when the "
            "criteria not decided could still reach 2",
        ],
    )


def score_sirs(chart: Chart, window: Window) -> ScoreResult:
    """SIRS in the window: temperature > 38.0 or < 36.0 °C, heart rate > 90, respiratory rate
    > 20 or PaCO2 < 32, WBC > 12 or < 4 or bands > 10%; 2 or more met."""
    index = Index(chart)
    ref = chart.admitted
    w = window

    def rows(param: str) -> list[Observation]:
        return index.between(param, w.start, w.end)

    temp = _either(
        "sirs.temperature",
        "Temperature above 38.0 °C or below 36.0 °C",
        [
            _extreme(
                "sirs.temp_high", "", rows("temperature"), "temperature", True, ">", 38.0, ref
            ),
            _extreme(
                "sirs.temp_low", "", rows("temperature"), "temperature", False, "<", 36.0, ref
            ),
        ],
    )
    hr = _extreme(
        "sirs.heart_rate",
        "Heart rate above 90/min",
        rows("heart_rate"),
        "heart_rate",
        True,
        ">",
        90,
        ref,
    )
    resp = _either(
        "sirs.respiratory",
        "Respiratory rate above 20/min or PaCO2 below 32 mmHg",
        [
            _extreme("sirs.rr", "", rows("resp_rate"), "resp_rate", True, ">", 20, ref),
            _extreme("sirs.paco2", "", rows("paco2"), "paco2", False, "<", 32, ref),
        ],
    )
    wbc = _either(
        "sirs.wbc",
        "WBC above 12 or below 4 ×10³/µL, or bands above 10%",
        [
            _extreme("sirs.wbc_high", "", rows("wbc"), "wbc", True, ">", 12, ref),
            _extreme("sirs.wbc_low", "", rows("wbc"), "wbc", False, "<", 4, ref),
            _extreme("sirs.bands", "", rows("bands"), "bands", True, ">", 10, ref),
        ],
    )
    criteria = [temp, hr, resp, wbc]
    total, verdict = _count_verdict(criteria, 2)
    return ScoreResult(
        name="sirs",
        version=SIRS_VERSION,
        window=w,
        criteria=criteria,
        total=total,
        verdict=verdict,
        missing=list(missing_of(criteria)),
        conventions=[
            "in the SOFA window; each criterion on the most abnormal value charted",
            "a criterion with two measures (respiratory rate or PaCO2; WBC or bands) is met by "
            "either and undecided only when neither is charted",
        ],
    )


# -- SEP-1 timing facts ---------------------------------------------------------------------

SEP1_LACTATE = dt.timedelta(hours=3)
SEP1_ANTIBIOTIC = dt.timedelta(hours=3)
SEP1_FLUIDS = dt.timedelta(hours=3)
SEP1_PRESSOR = dt.timedelta(hours=6)
CRYSTALLOID_ML_PER_KG = 30.0


def _minutes(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / 60


def _after(minutes: float) -> str:
    if minutes < 0:
        return f"{fmt_duration(dt.timedelta(minutes=-minutes))} before"
    return f"{fmt_duration(dt.timedelta(minutes=minutes))} after"


def _ml(m: MedicationAdministration) -> float | None:
    unit = (m.dose_unit or "").strip().lower()
    if m.dose is None:
        return None
    if unit == "ml":
        return m.dose
    if unit == "l":
        return m.dose * 1000
    return None


def sep1_timing(chart: Chart) -> ScoreResult:
    """The SEP-1 bundle's timing facts, from the first sign of infection (time zero): facts,
    not a verdict."""
    ref = chart.admitted
    index = Index(chart)
    sign = first_sign_of_infection(chart)
    ids = [
        ("sep1.lactate_3h", "Lactate drawn within 3 hours"),
        ("sep1.culture_before_antibiotic", "Blood culture drawn before the first antibiotic"),
        ("sep1.antibiotic_3h", "Antibiotic started within 3 hours"),
        ("sep1.fluids_30ml_kg", "30 mL/kg crystalloid within 3 hours (MAP < 65 or lactate >= 4)"),
        ("sep1.vasopressor_6h", "Vasopressor within 6 hours (hypotension persisting after fluids)"),
    ]
    if sign is None:
        return ScoreResult(
            name="sep1",
            version=SEP1_VERSION,
            window=None,
            criteria=[
                Criterion(
                    cid,
                    label,
                    None,
                    "no blood culture or antibiotic charted at or after admission: no time zero",
                    missing=("blood_culture", "antibiotic"),
                )
                for cid, label in ids
            ],
            missing=["blood_culture", "antibiotic"],
            conventions=_SEP1_CONVENTIONS,
        )
    t0 = sign.time
    window = Window(
        start=t0,
        end=t0 + SEP1_PRESSOR,
        rule=f"6 h from the first sign of infection ({sign.what} at {fmt_time(t0, ref)})",
        anchor="infection",
        cited=(sign.cited,),
    )
    t0_text = f"time zero {fmt_time(t0, ref)} ({sign.what})"
    criteria = [
        _sep1_lactate(index, t0, t0_text, ref),
        _sep1_culture(chart, ref),
        _sep1_antibiotic(chart, sign, t0_text, ref),
    ]
    criteria.extend(_sep1_shock(chart, index, sign, t0_text, ref))
    return ScoreResult(
        name="sep1",
        version=SEP1_VERSION,
        window=window,
        criteria=criteria,
        verdict=None,
        missing=list(missing_of(criteria)),
        conventions=_SEP1_CONVENTIONS,
    )


_SEP1_CONVENTIONS = [
    "time zero: the first sign of infection, the earlier of the first blood culture drawn and "
    "the first antibiotic started, at or after admission",
    "within 3 hours of time zero: from 3 hours before to 3 hours after it (lactate, the "
    "MAP < 65 or lactate >= 4 that calls for fluids, the crystalloid)",
    "hypotension persists: a MAP below 65 charted after the last crystalloid given, within 6 "
    "hours of time zero",
    "facts, not a verdict: a letter cites them only to a payer that applies SEP-1",
]


def _sep1_lactate(index: Index, t0: dt.datetime, t0_text: str, ref: dt.datetime) -> Criterion:
    cid, label = "sep1.lactate_3h", "Lactate drawn within 3 hours"
    rows = _valued(
        index.between(
            "lactate", t0 - SEP1_LACTATE, t0 + SEP1_LACTATE + dt.timedelta(microseconds=1)
        )
    )
    if not rows:
        any_lactate = _valued(index.of("lactate"))
        after = [o for o in any_lactate if o.time > t0 + SEP1_LACTATE]
        if after:
            o = after[0]
            mins = _minutes(t0, o.time)
            return Criterion(
                cid,
                label,
                False,
                f"first lactate {describe(o, ref)}, {_after(mins)} {t0_text}: not within 3 hours",
                value=round(mins),
                unit="min",
                time=o.time,
                cited=(cite(o),),
            )
        return Criterion(
            cid,
            label,
            None,
            f"no lactate charted within 3 hours of {t0_text}",
            missing=("lactate",),
        )
    o = rows[0]
    mins = _minutes(t0, o.time)
    return Criterion(
        cid,
        label,
        True,
        f"{describe(o, ref)}, {_after(mins)} {t0_text}: within 3 hours",
        value=round(mins),
        unit="min",
        time=o.time,
        cited=(cite(o),),
    )


def _sep1_culture(chart: Chart, ref: dt.datetime) -> Criterion:
    cid, label = "sep1.culture_before_antibiotic", "Blood culture drawn before the first antibiotic"
    cultures = blood_cultures(chart, chart.admitted)
    abx = antibiotics(chart, chart.admitted)
    if not abx:
        return Criterion(
            cid, label, None, "no antibiotic charted at or after admission", missing=("antibiotic",)
        )
    first_abx = abx[0]
    if not cultures:
        return Criterion(
            cid,
            label,
            None,
            f"{first_abx.what} at {fmt_time(first_abx.time, ref)}; no blood culture charted",
            time=first_abx.time,
            cited=(first_abx.cited,),
            missing=("blood_culture",),
        )
    c = cultures[0]
    met = c.time <= first_abx.time
    mins = _minutes(c.time, first_abx.time)
    word = "before" if met else "after"
    return Criterion(
        cid,
        label,
        met,
        f"first blood culture drawn at {fmt_time(c.time, ref)}, {word} the first "
        f"{first_abx.what} at {fmt_time(first_abx.time, ref)}",
        value=round(mins),
        unit="min",
        time=c.time,
        cited=(c.cited, first_abx.cited),
    )


def _sep1_antibiotic(
    chart: Chart, sign: InfectionSign, t0_text: str, ref: dt.datetime
) -> Criterion:
    cid, label = "sep1.antibiotic_3h", "Antibiotic started within 3 hours"
    abx = antibiotics(chart, chart.admitted)
    if not abx:
        return Criterion(
            cid, label, None, f"no antibiotic charted after {t0_text}", missing=("antibiotic",)
        )
    a = abx[0]
    mins = _minutes(sign.time, a.time)
    met = a.time <= sign.time + SEP1_ANTIBIOTIC
    return Criterion(
        cid,
        label,
        met,
        f"{a.what} at {fmt_time(a.time, ref)}, {_after(mins)} {t0_text}: "
        f"{'within' if met else 'not within'} 3 hours",
        value=round(mins),
        unit="min",
        time=a.time,
        cited=(a.cited,),
    )


def _sep1_shock(
    chart: Chart, index: Index, sign: InfectionSign, t0_text: str, ref: dt.datetime
) -> list[Criterion]:
    t0 = sign.time
    fl_id, fl_label = (
        "sep1.fluids_30ml_kg",
        "30 mL/kg crystalloid within 3 hours (MAP < 65 or lactate >= 4)",
    )
    vp_id, vp_label = (
        "sep1.vasopressor_6h",
        "Vasopressor within 6 hours (hypotension persisting after fluids)",
    )
    lo, hi = t0 - SEP1_FLUIDS, t0 + SEP1_FLUIDS + dt.timedelta(microseconds=1)
    low_map = [o for o in _valued(index.between("map", lo, hi)) if _v(o) < 65]
    high_lac = [o for o in _valued(index.between("lactate", lo, hi)) if _v(o) >= 4]
    triggers = sorted(low_map[:1] + high_lac[:1], key=lambda o: o.time)
    if not triggers:
        checked = _valued(index.between("map", lo, hi)) + _valued(index.between("lactate", lo, hi))
        if not checked:
            why = f"no MAP or lactate charted within 3 hours of {t0_text}"
            return [
                Criterion(fl_id, fl_label, None, why, missing=("map", "lactate")),
                Criterion(vp_id, vp_label, None, why, missing=("map", "lactate")),
            ]
        why = f"not applicable: no MAP below 65 or lactate of 4 or more within 3 hours of {t0_text}"
        return [Criterion(fl_id, fl_label, None, why), Criterion(vp_id, vp_label, None, why)]
    trig = triggers[0]
    trig_text = f"{describe(trig, ref)}"
    fluids = [
        m
        for m in chart.medications
        if m.drug_class == "crystalloid" and lo <= m.start < hi and _ml(m) is not None
    ]
    fluids.sort(key=lambda m: m.start)
    weight = index.weight(t0)
    total = sum(_ml(m) or 0.0 for m in fluids)
    fluid_cited = tuple(cite_med(m) for m in fluids)
    if weight is None or weight.value is None:
        fluid_c = Criterion(
            fl_id,
            fl_label,
            None,
            f"{trig_text} calls for 30 mL/kg; {fmt_num(total)} mL crystalloid charted but no "
            "weight to relate it to",
            value=total,
            unit="mL",
            time=trig.time,
            cited=(cite(trig), *fluid_cited),
            missing=("weight",),
        )
    else:
        per_kg = round(total / weight.value, 1)
        met = per_kg >= CRYSTALLOID_ML_PER_KG
        vols = " + ".join(fmt_num(_ml(m) or 0.0) for m in fluids) or "0"
        fluid_c = Criterion(
            fl_id,
            fl_label,
            met,
            f"{trig_text} calls for 30 mL/kg; crystalloid {vols} mL = {fmt_num(total)} mL "
            f"within 3 hours of {t0_text} ÷ weight {fmt_num(weight.value)} kg "
            f"({fmt_time(weight.time, ref)}) = {fmt_num(per_kg)} mL/kg: "
            f"{'at least' if met else 'below'} 30 mL/kg",
            value=per_kg,
            unit="mL/kg",
            time=trig.time,
            cited=(cite(trig), *fluid_cited, cite(weight)),
        )
    after = fluids[-1].start if fluids else trig.time
    persisting = [
        o
        for o in _valued(
            index.between("map", after + dt.timedelta(microseconds=1), t0 + SEP1_PRESSOR)
        )
        if _v(o) < 65
    ]
    if not persisting:
        vp = Criterion(
            vp_id,
            vp_label,
            None,
            f"not applicable: no MAP below 65 charted after the fluids within 6 hours of {t0_text}",
        )
        return [fluid_c, vp]
    p = persisting[0]
    pressors = sorted(
        (
            m
            for m in chart.medications
            if (
                m.drug.strip().lower() in LOWEST_BAND
                or m.drug.strip().lower() in ("vasopressin", "phenylephrine")
                or m.drug_class == "vasoactive"
            )
            and m.drug.strip().lower() != "dobutamine"
        ),
        key=lambda m: m.start,
    )
    first = pressors[0] if pressors else None
    if first is None:
        vp = Criterion(
            vp_id,
            vp_label,
            False,
            f"hypotension persisting ({describe(p, ref)}); no vasopressor charted",
            value=p.value,
            unit=p.unit,
            time=p.time,
            cited=(cite(p),),
        )
        return [fluid_c, vp]
    mins = _minutes(t0, first.start)
    met = t0 - SEP1_FLUIDS <= first.start <= t0 + SEP1_PRESSOR
    vp = Criterion(
        vp_id,
        vp_label,
        met,
        f"hypotension persisting ({describe(p, ref)}); {first.drug} started at "
        f"{fmt_time(first.start, ref)}, {_after(mins)} {t0_text}: "
        f"{'within' if met else 'not within'} 6 hours",
        value=round(mins),
        unit="min",
        time=first.start,
        cited=(cite(p), cite_med(first)),
    )
    return [fluid_c, vp]
