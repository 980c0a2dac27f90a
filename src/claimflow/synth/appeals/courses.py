"""The three clinical courses: sepsis, acute respiratory failure, acute kidney injury.

Each charts a whole stay on a ``Builder``; which hard case a case plants is chosen from its
place among its condition's cases (``plan.k``), so every run of 40 cases holds all of them.
"""

from __future__ import annotations

import datetime as dt

from claimflow.synth.appeals.chart import Med
from claimflow.synth.appeals.story import HOUR, MINUTE, Builder

ORGANS = ("respiration", "coagulation", "liver", "cardiovascular", "cns", "renal")


# -- sepsis ---------------------------------------------------------------------------------
SOURCES = [
    ("J18.9", "Pneumonia, unspecified organism", "pneumonia"),
    ("N39.0", "Urinary tract infection, site not specified", "urinary tract infection"),
    ("L03.115", "Cellulitis of right lower limb", "cellulitis of the right leg"),
    ("K65.9", "Peritonitis, unspecified", "intra-abdominal infection"),
]
NON_INFECTIOUS = [
    ("S72.001A", "Fracture of unspecified part of neck of right femur", "a right hip fracture"),
    ("I63.9", "Cerebral infarction, unspecified", "an acute ischemic stroke"),
    ("K92.2", "Gastrointestinal hemorrhage, unspecified", "a gastrointestinal bleed"),
]


def sepsis_targets(b: Builder) -> None:
    """The window's points per organ and the baseline, meeting Sepsis-3 or not."""
    plan, rng, k = b.plan, b.rng, b.plan.k
    if k % 4 == 2 or (not plan.meets and k % 3 == 1):
        plan.base = {"renal": 1} if rng.random() < 0.7 else {"renal": 1, "coagulation": 1}
    if plan.meets:
        organs = rng.sample(list(ORGANS), rng.choice([2, 3, 3, 4]))
        for organ in organs:
            plan.targets[organ] = rng.choice(
                [1, 2, 3] if organ != "cardiovascular" else [1, 2, 3, 4, 4]
            )
        for organ, points in plan.base.items():
            plan.targets[organ] = max(plan.targets.get(organ, 0), points)
        while sum(plan.targets.values()) - sum(plan.base.values()) < 2:
            organ = rng.choice([o for o in ORGANS if plan.targets.get(o, 0) < 3])
            plan.targets[organ] = plan.targets.get(organ, 0) + 1
    else:
        variant = k % 3
        plan.lactate_high = False
        if variant == 0:
            plan.targets = {rng.choice(["coagulation", "cardiovascular", "liver"]): 1}
        elif variant == 1:
            # total 2, but a baseline of 1: delta 1
            plan.targets = {"renal": 1, rng.choice(["coagulation", "liver"]): 1}
            plan.base = {"renal": 1}
            plan.tags.add("total_2_delta_1")
        # variant 2: nothing scores; SIRS only
    for organ, points in plan.base.items():
        plan.targets[organ] = max(plan.targets.get(organ, 0), points)
    if k % 9 == 5 and plan.meets and not b.style.si:
        plan.targets["liver"] = 2
    if (k % 5 == 0 or k % 7 == 2) and plan.meets:
        plan.targets["cardiovascular"] = max(3, plan.targets.get("cardiovascular", 0))
    if k % 6 == 2 and plan.meets:
        plan.targets["respiration"] = 2  # on high-flow oxygen: a P/F below 200 scores 2
    if k % 9 == 7 and plan.meets:
        plan.targets["cardiovascular"] = 2
    if plan.meets and sum(plan.targets.values()) - sum(plan.base.values()) < 2:
        plan.targets["renal"] = max(plan.targets.get("renal", 0), plan.base.get("renal", 0)) + 1


def sepsis(b: Builder) -> str:
    """Charts a sepsis stay; returns the infection source in words."""
    plan, rng, chart, k = b.plan, b.rng, b.chart, b.plan.k
    sepsis_targets(b)
    infection_anchor = k % 3 == 1
    adm = chart.admitted
    b.support(b.at(0.08), "room_air")
    b.weight()
    if infection_anchor:
        code, name, _words = rng.choice(NON_INFECTIOUS)
        b.dx(code, name, "Y")
        src_code, src_name, source = rng.choice(SOURCES[:2])
        poa = "N"
        b.anchor = adm + dt.timedelta(minutes=rng.randint(30 * 60, 52 * 60))
    else:
        src_code, src_name, source = rng.choice(SOURCES)
        poa = rng.choice(["Y", "Y", "Y", "W"])
    a = b.anchor
    if rng.random() < 0.6:
        b.dx("A41.9", "Sepsis, unspecified organism", poa, a)
    else:
        b.dx("A41.51", "Sepsis due to Escherichia coli [E. coli]", poa, a)
    b.dx(src_code, src_name, poa, a)
    if plan.base:
        b.pre_admission_labs(plan.base)
    if plan.targets.get("cardiovascular", 0) >= 2:
        b.dx("R65.21", "Severe sepsis with septic shock", poa, a)
    elif plan.meets:
        b.dx("R65.20", "Severe sepsis without septic shock", poa, a)
    if plan.targets.get("renal", 0) >= 2:
        b.dx("N17.9", "Acute kidney failure, unspecified", poa, a)
    if plan.targets.get("coagulation", 0) >= 2:
        b.dx("D69.6", "Thrombocytopenia, unspecified", poa, a)

    # the first sign of infection: cultures and antibiotics
    start = a if infection_anchor else adm + dt.timedelta(minutes=rng.randint(20, 50))
    if infection_anchor and k % 2 == 1:
        b.antibiotic(start)
        b.culture(start + rng.randint(15, 40) * MINUTE)
        plan.tags.add("antibiotic_before_culture")
    else:
        b.culture(start)
        b.antibiotic(start + rng.randint(25, 70) * MINUTE)
    b.antibiotic(start + rng.randint(90, 150) * MINUTE)
    if plan.targets.get("cardiovascular", 0) >= 1 or plan.lactate_high:
        b.fluids(start + rng.randint(10, 40) * MINUTE)

    # respiration, intubation, sedation
    resp = plan.targets.get("respiration", 0)
    sedated_from: dt.datetime | None = None
    pre_sedation = infection_anchor and k % 6 == 4
    gcs_times_extra: list[tuple[dt.datetime, bool]] = []
    if resp >= 3 or pre_sedation:
        intubated = (
            a + rng.randint(60, 150) * MINUTE
            if not pre_sedation
            else a - rng.randint(100, 160) * MINUTE
        )
        b.support(intubated, "invasive_ventilation")
        b.obs("peep", intubated + 20 * MINUTE, float(rng.randint(6, 14)))
        sedated_from = intubated + 15 * MINUTE
        gcs_times_extra.append((intubated - 5 * MINUTE, False))
        if pre_sedation:
            plan.tags.add("pre_sedation_gcs")
        else:
            plan.tags.add("sedated_gcs")
    if sedated_from is None and (k % 3 == 2):
        # a sedated GCS (procedural sedation) lower than the unsedated ones, in the window
        gcs_times_extra.append((a + rng.randint(9 * 60, 11 * 60) * MINUTE, True))
        plan.tags.add("sedated_gcs")
    abg_times: list[dt.datetime] = []
    if resp or rng.random() < 0.5 or k % 4 == 1:
        abg_times = [a + rng.randint(150, 200) * MINUTE, a + rng.randint(8 * 60, 11 * 60) * MINUTE]
        for i, t in enumerate(abg_times):
            level = resp if i == 0 else max(0, resp - 1)
            if level <= 1 and sedated_from is None:
                if i == 1 and resp >= 2:
                    b.support(t - rng.randint(60, 120) * MINUTE, "room_air")
                b.abg(t, b.draw("pf", level), 0.21)
            elif sedated_from is None:
                device = "hfnc" if level == 2 and k % 2 == 0 else "nasal_cannula"
                if i == 0:
                    b.support(t - rng.randint(60, 90) * MINUTE, device)
                pf = b.draw("pf", level)
                if device == "hfnc" and i == 0:
                    pf = b.draw("pf", 3)  # P/F below 200 without support: at most 2 points
                    plan.tags.add("pf_without_support")
                b.abg(t, pf, rng.choice([0.3, 0.35, 0.4]) if device == "nasal_cannula" else 0.6)
            else:
                b.abg(t, b.draw("pf", level), rng.choice([0.5, 0.6, 0.8, 1.0]))
        if k % 4 == 1:
            # a PaO2 with no FiO2 within 60 minutes and not on room air: not assessable
            t = a + rng.randint(15 * 60, 19 * 60) * MINUTE
            if sedated_from is None:
                b.support(t - 150 * MINUTE, "nasal_cannula")
            b.obs("pao2", t, float(rng.randint(50, 57)))
            b.obs("paco2", t, float(rng.randint(36, 44)))
            b.obs("ph", t, round(rng.uniform(7.36, 7.42), 2))
            plan.tags.add("unpaired_pao2")

    # cardiovascular: MAP and pressors
    cardio = plan.targets.get("cardiovascular", 0)
    vt = b.vital_times()
    in_window = [t for t in vt if b.in_window(t)]
    low_map = set(in_window[:2]) if cardio >= 1 else set()
    if cardio >= 2:
        p_start = in_window[1] + rng.randint(20, 60) * MINUTE
        p_end = p_start + rng.randint(10 * 60, 30 * 60) * MINUTE
        if cardio == 2:
            if k % 9 == 7:
                b.pressor("dopamine", p_start, p_end, 5.0)
                plan.tags.add("boundary_dopamine")
            elif rng.random() < 0.5:
                b.pressor("dopamine", p_start, p_end, round(rng.uniform(3.0, 4.5), 1))
            else:
                b.pressor("dobutamine", p_start, p_end, round(rng.uniform(4.0, 8.0), 1))
        elif k % 7 == 2:
            # a titrated infusion charted as three short rates, each starting where the last
            # ended: together over an hour, it counts at its lowest rate
            rate = round(rng.uniform(0.03, 0.05) if cardio == 3 else rng.uniform(0.14, 0.2), 3)
            t = p_start
            for factor in (1.0, 1.15, 1.3):
                step = rng.randint(20, 35) * MINUTE
                b.pressor("norepinephrine", t, t + step, round(rate * factor, 3))
                t += step
            plan.tags.add("titrated_infusion")
        elif cardio == 3:
            if rng.random() < 0.7 or b.style.pressor_mcg_min:
                b.pressor("norepinephrine", p_start, p_end, round(rng.uniform(0.03, 0.075), 3))
            else:
                b.pressor("dopamine", p_start, p_end, round(rng.uniform(7.0, 12.0), 1))
        else:
            drug = "norepinephrine" if rng.random() < 0.75 else "epinephrine"
            b.pressor(drug, p_start, p_end, round(rng.uniform(0.14, 0.32), 3))
        if k % 5 == 0 and cardio >= 3:
            v_start = p_start + rng.randint(60, 180) * MINUTE
            b.pressor("vasopressin", v_start, v_start + rng.randint(6 * 60, 14 * 60) * MINUTE, 0.04)
            plan.tags.add("vasopressin")
    if k % 5 == 1:
        # a pressor given for less than 60 minutes: scores nothing
        s_start = in_window[0] + rng.randint(15, 40) * MINUTE
        b.pressor(
            "norepinephrine",
            s_start,
            s_start + rng.randint(25, 50) * MINUTE,
            round(rng.uniform(0.18, 0.3), 3),
        )
        plan.tags.add("short_pressor")
        low_map.add(in_window[0])
    b.vitals(vt, low_map_at=low_map)
    if k % 4 == 3:
        # triage in the emergency department before admission: the presentation, neither in
        # the window nor a baseline
        triage = adm - rng.randint(30, 60) * MINUTE
        b.obs("map", triage, b.draw("map", 1))
        b.obs("gcs", triage, float(rng.randint(12, 14)))
        plan.tags.add("pre_admission_vitals")
    if infection_anchor and k % 6 == 1 and plan.meets:
        # a drip started before the window and running into it counts
        d_start = a - rng.randint(80, 150) * MINUTE
        b.pressor("norepinephrine", d_start, a + rng.randint(3 * 60, 6 * 60) * MINUTE,
                  round(rng.uniform(0.03, 0.075), 3))  # fmt: skip
        plan.tags.add("pressor_before_window")

    # central nervous system
    b.gcs(vt, sedated_from)
    for t, sedated in gcs_times_extra:
        if sedated:
            b.obs("gcs", t, float(rng.randint(3, 5)), sedated=True)
        else:
            level = plan.targets.get("cns", 0) if (b.in_window(t) or pre_sedation) else 0
            if pre_sedation:
                level = max(level, 2)
            b.obs("gcs", t, b.draw("gcs", level))

    # laboratory
    times = b.lab_times()
    if infection_anchor:
        times += [a + rng.randint(15, 30) * MINUTE, a + rng.randint(10 * 60, 13 * 60) * MINUTE]
    else:
        times.append(adm + rng.randint(10 * 60, 13 * 60) * MINUTE)
    times = sorted(set(times))
    times = [t for i, t in enumerate(times) if i == 0 or t - times[i - 1] > 2 * HOUR]
    b.labs(times)
    if k % 9 == 5 and plan.targets.get("liver") == 2 and not b.style.si:
        # bilirubin exactly 2.0 (2 points), the worst of the window
        window = [t for t in times if b.in_window(t)]
        _replace(b, "bilirubin", window[0], "2.0")
        for t in window[1:]:
            _replace(b, "bilirubin", t, f"{b.draw('bilirubin', 1):.1f}")
        plan.tags.add("boundary_bilirubin")
    if k % 3 == 0 and plan.meets:
        organ, param = rng.choice([("coagulation", "platelets"), ("liver", "bilirubin")])
        worse = min(4, plan.targets.get(organ, 0) + 2)
        b.obs(param, a + rng.randint(28 * 60, 40 * 60) * MINUTE, b.draw(param, worse))
        plan.tags.add("late_worse_value")
    if k % 4 == 3:
        b.obs(
            "lactate", adm - dt.timedelta(days=rng.randint(8, 20)), round(rng.uniform(4.5, 7.0), 1)
        )
        plan.tags.add("pre_admission_decoy")
    return source


def _replace(b: Builder, param: str, t: dt.datetime, written: str) -> None:
    for o in b.chart.observations:
        if o.param == param and o.time == t:
            o.written = written
            o.unit = "mg/dL"


# -- acute respiratory failure --------------------------------------------------------------
def respiratory_failure(b: Builder) -> str:
    plan, rng, chart, k = b.plan, b.rng, b.chart, b.plan.k
    adm = chart.admitted
    pneumonia = k % 2 == 0
    b.support(b.at(0.05), "room_air")
    b.weight()
    variant = k % 4 if plan.meets else k % 3
    plan.sick = plan.meets
    code = "J96.02" if plan.meets and variant == 1 else rng.choice(["J96.01", "J96.01", "J96.21"])
    names = {
        "J96.01": "Acute respiratory failure with hypoxia",
        "J96.02": "Acute respiratory failure with hypercapnia",
        "J96.21": "Acute and chronic respiratory failure with hypoxia",
    }
    b.dx(code, names[code], "Y")
    if pneumonia:
        b.dx("J18.9", "Pneumonia, unspecified organism", "Y")
        c = adm + rng.randint(40, 90) * MINUTE
        b.culture(c)
        b.antibiotic(c + rng.randint(20, 60) * MINUTE)
        cause = "pneumonia"
    else:
        b.dx("J44.1", "Chronic obstructive pulmonary disease with (acute) exacerbation", "Y")
        cause = "an exacerbation of COPD"
    triage = [b.at(0.2), b.at(0.45)]
    vt = [t for t in b.vital_times() if t > triage[-1] + 10 * MINUTE]
    sedated_from: dt.datetime | None = None
    t_abg = b.at(1.2, 10)
    if plan.meets:
        if variant in (0, 3):
            for t in triage:
                b.obs("spo2", t, float(rng.randint(83, 89)))
        else:
            for t in triage:
                b.obs("spo2", t, float(rng.randint(92, 95)))
        device = {
            0: rng.choice(["nasal_cannula", "hfnc"]),
            1: "niv",
            2: "invasive_ventilation",
            3: "nasal_cannula",
        }[variant]
        b.support(b.at(0.6), device)
        if variant == 0:
            fio2 = rng.choice([0.4, 0.45]) if device == "hfnc" else rng.choice([0.3, 0.4])
            b.abg(t_abg, float(rng.randint(50, 58)) / fio2, fio2)
            b.abg(t_abg + rng.randint(5 * 60, 8 * 60) * MINUTE, b.draw("pf", 2), fio2)
        elif variant == 1:
            fio2 = rng.choice([0.28, 0.3, 0.32])
            b.abg(
                t_abg,
                b.draw("pf", 1),
                fio2,
                paco2=float(rng.randint(58, 76)),
                ph=round(rng.uniform(7.20, 7.31), 2),
            )
            b.abg(
                t_abg + rng.randint(5 * 60, 8 * 60) * MINUTE,
                b.draw("pf", 1),
                fio2,
                paco2=float(rng.randint(52, 57)),
                ph=round(rng.uniform(7.29, 7.33), 2),
            )
        elif variant == 2:
            fio2 = rng.choice([0.6, 0.8, 1.0])
            b.obs("peep", b.at(0.8), float(rng.randint(8, 14)))
            b.abg(t_abg, b.draw("pf", rng.choice([3, 4])), fio2)
            b.abg(t_abg + rng.randint(5 * 60, 8 * 60) * MINUTE, b.draw("pf", 3), 0.5)
            sedated_from = b.at(0.75)
            plan.tags.add("sedated_gcs")
            b.obs("gcs", b.at(0.3), float(rng.randint(12, 14)))
    else:
        for t in triage:
            b.obs("spo2", t, float(rng.randint(92, 96)))
        if variant == 0:
            b.abg(t_abg, b.draw("pf", 1), 0.21)
            t = b.at(7, 20)
            b.support(t - 30 * MINUTE, "nasal_cannula")
            b.obs("spo2", t, float(rng.randint(86, 89)))
            b.support(t + 90 * MINUTE, "room_air")
            plan.tags.add("spo2_not_on_room_air")
        elif variant == 1:
            b.abg(
                t_abg,
                b.draw("pf", 1),
                0.21,
                paco2=float(rng.randint(52, 56)),
                ph=round(rng.uniform(7.37, 7.42), 2),
            )
            b.obs("spo2", b.at(5, 20), 91.0)
            plan.tags.update({"compensated_hypercapnia", "boundary_spo2"})
        else:
            b.abg(t_abg, b.draw("pf", 1), 0.21)
            b.obs("spo2", b.at(30, 30), float(rng.randint(85, 88)))
            plan.tags.add("late_worse_value")
    b.vitals(vt, low_map_at=set())
    if plan.meets:
        for t in vt[:3]:
            b.obs("resp_rate", t + 2 * MINUTE, float(rng.randint(31, 36)))
    b.gcs(vt, sedated_from)
    times = b.lab_times()
    b.labs(times, lactate_first=True)
    return cause


# -- acute kidney injury --------------------------------------------------------------------
def aki(b: Builder) -> str:
    plan, rng, chart, k = b.plan, b.rng, b.chart, b.plan.k
    adm = chart.admitted
    plan.sick = False
    b.support(b.at(0.05), "room_air")
    b.weight()
    cause = rng.choice(["dehydration", "contrast exposure", "an NSAID exposure", "obstruction"])
    b.dx("N17.0" if rng.random() < 0.3 else "N17.9", "Acute kidney failure", "Y")
    b.dx("E86.0", "Dehydration", "Y")
    times = sorted(set([*b.lab_times(), b.at(12, 30), b.at(36, 30)]))
    times = [t for i, t in enumerate(times) if i == 0 or t - times[i - 1] > 3 * HOUR]
    variant = k % 4 if plan.meets else k % 2
    pre: list[tuple[dt.datetime, float]] = []
    old: tuple[dt.datetime, float] | None = None
    series: list[float]
    n = len(times)
    low_uo: set[int] = set()
    if plan.meets and variant == 0:
        base = round(rng.uniform(0.7, 1.05), 2)
        pre = [
            (adm - dt.timedelta(days=rng.randint(4, 6), hours=3), round(base + 0.12, 2)),
            (adm - dt.timedelta(days=rng.randint(1, 2), hours=5), base),
        ]
        ratio = rng.choice([rng.uniform(2.2, 2.8), rng.uniform(3.3, 3.8)])
        peak = min(round(base * ratio, 2), 3.7) if ratio < 3 else round(base * ratio, 2)
        series = _arc(n, base * 1.6, peak, base * 1.2)
        if k % 8 == 4:
            old = (adm - dt.timedelta(days=rng.randint(14, 40)), round(base * 0.6, 2))
    elif plan.meets and variant == 1:
        first = round(rng.uniform(0.9, 1.2), 2)
        series = _arc(n, first, round(first * rng.uniform(1.6, 1.9), 2), first * 1.1)
    elif plan.meets and variant == 2:
        first = round(rng.uniform(0.8, 1.0), 2)
        series = [round(first + rng.uniform(0.0, 0.15), 2) for _ in range(n)]
        series[0] = first
        low_uo = {2, 3} if rng.random() < 0.5 else {1, 2, 3}
        plan.tags.add("urine_output_oliguria")
    elif plan.meets:
        first = round(rng.uniform(1.2, 1.4), 2)
        series = [first, round(first + rng.uniform(0.36, 0.44), 2)] + [
            round(first + rng.uniform(0.2, 0.3), 2) for _ in range(n - 2)
        ]
        plan.tags.add("kdigo_rise_48h")
    elif variant == 0:
        base = round(rng.uniform(1.1, 1.25), 2)
        pre = [(adm - dt.timedelta(days=rng.randint(3, 5), hours=2), base)]
        first = round(base + rng.uniform(0.31, 0.35), 2)
        series = [first] + [round(first + rng.uniform(-0.15, 0.05), 2) for _ in range(n - 1)]
        plan.tags.add("rise_outside_48h")
    else:
        first = round(rng.uniform(1.1, 1.3), 2)
        series = [first] + [round(first + rng.uniform(-0.1, 0.15), 2) for _ in range(n - 1)]
        old = (adm - dt.timedelta(days=rng.randint(12, 30)), round(first * 0.55, 2))
    for t, v in pre:
        b.obs("creatinine", t, _clear(v))
    if pre:
        plan.tags.add("baseline_labs")
    if old is not None:
        b.obs("creatinine", old[0], _clear(old[1]))
        plan.tags.add("baseline_outside_7_days")
    for t, v in zip(times, series, strict=True):
        b.obs("creatinine", t, _clear(v))
        b.obs("platelets", t, b.draw("platelets", 0))
        b.obs("bilirubin", t, b.draw("bilirubin", 0))
        b.obs("wbc", t, b.draw_range("wbc", False))
    b.obs("lactate", times[0], b.draw_range("lactate", False))
    # urine output, six-hour periods over the first two days
    weight = b.charted_weight()
    for i in range(8):
        start = adm + 6 * i * HOUR
        rate = rng.uniform(0.32, 0.44) if i in low_uo else rng.uniform(0.8, 1.5)
        b.urine(start, start + 6 * HOUR, rate * weight * 6)
    vt = b.vital_times()
    b.vitals(vt, low_map_at=set())
    b.gcs(vt, None)
    if k % 5 == 0:
        b.med(
            Med("furosemide", "Furosemide", None, b.at(20), b.at(20.1), dose=40.0, dose_unit="mg")
        )
    return cause


def _clear(creatinine: float) -> float:
    """A creatinine moved 0.05 mg/dL or more from SOFA's band edges (on its side)."""
    for edge in (1.2, 2.0, 3.5, 5.0):
        if edge - 0.05 < creatinine < edge:
            return round(edge - 0.05, 2)
        if edge <= creatinine < edge + 0.05:
            return round(edge + 0.05, 2)
    return creatinine


def _arc(n: int, first: float, peak: float, last: float) -> list[float]:
    """A creatinine course: up from ``first`` to ``peak`` on the third value, down to
    ``last``."""
    out = []
    top = min(2, n - 1)
    for i in range(n):
        if i <= top:
            v = first + (peak - first) * (i / top if top else 1)
        else:
            frac = (i - top) / max(1, n - 1 - top)
            v = peak + (last - peak) * frac
        out.append(round(v, 2))
    return out
