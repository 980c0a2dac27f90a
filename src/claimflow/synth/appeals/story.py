"""The clinical course of one case, per condition: what is charted, when, and how.

A story plants values with clear margins from the rules' band edges (the bands in ``SAFE``),
except the deliberate boundary values it tags, and the decoys the rules must ignore. It does
not decide the truth: ``scoring`` reads the planted chart afterwards.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from claimflow.synth.appeals.chart import (
    BLOOD_CULTURE,
    RESPIRATORY_SUPPORT,
    Chart,
    Dx,
    Med,
    Obs,
)
from claimflow.synth.appeals.writing import Style

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)

# Canonical values drawn for each SOFA points level, clear of the band edges.
SAFE: dict[str, dict[int, tuple[float, float]]] = {
    "platelets": {0: (165, 320), 1: (108, 140), 2: (56, 92), 3: (24, 45), 4: (8, 17)},
    "bilirubin": {0: (0.3, 1.0), 1: (1.3, 1.8), 2: (2.3, 5.4), 3: (6.6, 11.0), 4: (13.0, 18.0)},
    "creatinine": {0: (0.62, 1.05), 1: (1.3, 1.85), 2: (2.2, 3.2), 3: (3.7, 4.7), 4: (5.4, 7.2)},
    "map": {0: (74, 96), 1: (54, 66)},
    "gcs": {0: (15, 15), 1: (13, 14), 2: (10, 12), 3: (6, 9), 4: (3, 5)},
    "pf": {0: (440, 520), 1: (315, 385), 2: (210, 285), 3: (115, 185), 4: (62, 92)},
}
# Other parameters: (normal, abnormal) ranges, clear of the SIRS / qSOFA / ARF edges.
RANGES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "heart_rate": ((64, 86), (104, 132)),
    "resp_rate": ((14, 18), (24, 29)),
    "temperature": ((36.5, 37.4), (38.5, 39.6)),
    "sbp": ((112, 138), (78, 94)),
    "spo2": ((94, 99), (83, 89)),
    "wbc": ((5.5, 10.5), (14.0, 24.0)),
    "lactate": ((0.8, 1.6), (2.8, 6.4)),
    "inr": ((1.0, 1.2), (1.6, 2.2)),
}
ORGAN_PARAM = {
    "coagulation": "platelets",
    "liver": "bilirubin",
    "renal": "creatinine",
    "cns": "gcs",
    "cardiovascular": "map",
    "respiration": "pf",
}
INTEGER_PARAMS = frozenset({"platelets", "map", "gcs", "heart_rate", "resp_rate", "sbp", "spo2"})


@dataclass
class Plan:
    """What the story is to show: the condition, whether it meets the criteria, the window's
    points per organ it aims at, and the hard cases it plants (tags)."""

    condition: str
    meets: bool
    index: int  # the case's place in the run
    k: int  # the case's place among its condition's cases
    targets: dict[str, int] = field(default_factory=dict)
    base: dict[str, int] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    sick: bool = True  # SIRS-like vitals in the window
    lactate_high: bool = True  # lactate elevated in the window


class Builder:
    """Charts rows on a chart in a case's style."""

    def __init__(self, rng: random.Random, chart: Chart, style: Style, plan: Plan) -> None:
        self.rng = rng
        self.chart = chart
        self.style = style
        self.plan = plan
        self.anchor = chart.admitted
        self.weight_kg = round(rng.uniform(52, 118), 1)

    # -- time ----------------------------------------------------------------------------
    def at(self, hours: float, jitter_min: int = 0) -> dt.datetime:
        j = self.rng.randint(-jitter_min, jitter_min) if jitter_min else 0
        return self.chart.admitted + dt.timedelta(minutes=round(hours * 60) + j)

    def in_window(self, t: dt.datetime) -> bool:
        return self.anchor <= t < self.anchor + 24 * HOUR

    def level(self, organ: str, t: dt.datetime) -> int:
        """The points level planned at ``t``: the target in the window, recovering after it,
        the baseline level otherwise."""
        base = self.plan.base.get(organ, 0)
        target = self.plan.targets.get(organ, 0)
        if self.in_window(t):
            return target
        if self.anchor + 24 * HOUR <= t < self.anchor + 48 * HOUR:
            return max(base, target - 1)
        return base

    def sick(self, t: dt.datetime) -> bool:
        return self.plan.sick and self.anchor <= t < self.anchor + 30 * HOUR

    # -- values --------------------------------------------------------------------------
    def draw(self, param: str, points: int) -> float:
        lo, hi = SAFE[param][points]
        return self._round(param, self.rng.uniform(lo, hi))

    def draw_range(self, param: str, abnormal: bool) -> float:
        lo, hi = RANGES[param][1 if abnormal else 0]
        return self._round(param, self.rng.uniform(lo, hi))

    @staticmethod
    def _round(param: str, value: float) -> float:
        if param in INTEGER_PARAMS or param == "pf":
            return float(round(value))
        return round(value, 2)

    # -- rows ----------------------------------------------------------------------------
    def obs(self, param: str, t: dt.datetime, value: float, *, sedated: bool = False) -> Obs:
        written, unit = self.style.write(param, value)
        row = Obs(param, t, written, unit, sedated=sedated)
        self.chart.observations.append(row)
        return row

    def raw(self, param: str, t: dt.datetime, written: str, unit: str) -> Obs:
        row = Obs(param, t, written, unit)
        self.chart.observations.append(row)
        return row

    def text(self, param: str, t: dt.datetime, text: str) -> None:
        self.chart.observations.append(Obs(param, t, text=text))

    def support(self, t: dt.datetime, kind: str) -> None:
        self.text(RESPIRATORY_SUPPORT, t, kind)

    def urine(self, start: dt.datetime, end: dt.datetime, ml: float) -> None:
        row = Obs("urine_output", start, f"{round(ml)}", "mL", end=end)
        self.chart.observations.append(row)

    def med(self, med: Med) -> None:
        self.chart.medications.append(med)

    def dx(self, code: str, name: str, poa: str, t: dt.datetime | None = None) -> None:
        self.chart.diagnoses.append(Dx(code, name, poa, t or self.chart.admitted))

    def weight(self) -> None:
        self.obs("weight", self.at(0.2), self.weight_kg)

    def abg(
        self,
        t: dt.datetime,
        pf: float,
        fio2: float,
        *,
        paco2: float | None = None,
        ph: float | None = None,
        chart_fio2: bool = True,
    ) -> None:
        """A blood gas: PaO2 for the P/F ratio ``pf`` at ``fio2``, the FiO2 charted 10-25
        minutes before (unless on room air or ``chart_fio2`` is false)."""
        pao2 = max(38.0, float(round(pf * fio2)))
        if chart_fio2 and fio2 > 0.21:
            self.obs("fio2", t - self.rng.randint(10, 25) * MINUTE, fio2)
        self.obs("pao2", t, pao2)
        self.obs("paco2", t, paco2 if paco2 is not None else float(self.rng.randint(35, 44)))
        self.obs("ph", t, ph if ph is not None else round(self.rng.uniform(7.36, 7.44), 2))

    # -- common courses --------------------------------------------------------------------
    def vital_times(self) -> list[dt.datetime]:
        end_dense = max(self.chart.admitted + 48 * HOUR, self.anchor + 36 * HOUR)
        times: list[dt.datetime] = []
        t = self.chart.admitted + dt.timedelta(minutes=self.rng.randint(8, 20))
        while t < self.chart.discharged - HOUR:
            times.append(t)
            step = 4 if t < end_dense else 8
            t = t + step * HOUR + dt.timedelta(minutes=self.rng.randint(-15, 15))
        return times

    def lab_times(self) -> list[dt.datetime]:
        """The admission panel, then every morning at about 05:00."""
        adm = self.chart.admitted
        times = [adm + dt.timedelta(minutes=self.rng.randint(35, 55))]
        day = adm.date() + dt.timedelta(days=1)
        while True:
            t = dt.datetime.combine(day, dt.time(5, self.rng.randint(0, 50)))
            if t >= self.chart.discharged - HOUR:
                break
            if t - times[-1] > 3 * HOUR:
                times.append(t)
            day += dt.timedelta(days=1)
        return times

    def labs(self, times: list[dt.datetime], *, lactate_first: bool = True) -> None:
        """The routine panels: platelets, bilirubin, creatinine at their planned levels; WBC,
        INR, lactate as the course is sick or not."""
        for i, t in enumerate(times):
            for organ in ("coagulation", "liver", "renal"):
                param = ORGAN_PARAM[organ]
                self.obs(param, t, self.draw(param, self.level(organ, t)))
            self.obs("wbc", t, self.draw_range("wbc", self.sick(t)))
            if i == 0 or self.in_window(t):
                self.obs("inr", t, self.draw_range("inr", self.sick(t) and self.rng.random() < 0.5))
            if (i == 0 and lactate_first) or (
                self.in_window(t) and self.plan.condition == "sepsis"
            ):
                high = self.sick(t) and self.plan.lactate_high
                self.obs("lactate", t, self.draw_range("lactate", high))

    def vitals(
        self,
        times: list[dt.datetime],
        *,
        low_map_at: set[dt.datetime],
        low_spo2_at: frozenset[dt.datetime] = frozenset(),
    ) -> None:
        for t in times:
            sick = self.sick(t)
            low = t in low_map_at
            self.obs("map", t, self.draw("map", 1 if low else 0))
            self.obs("sbp", t, self.draw_range("sbp", low))
            self.obs("heart_rate", t, self.draw_range("heart_rate", sick))
            self.obs("resp_rate", t, self.draw_range("resp_rate", sick))
            self.obs("temperature", t, self.draw_range("temperature", sick))
            self.obs("spo2", t, self.draw_range("spo2", t in low_spo2_at))

    def gcs(self, times: list[dt.datetime], sedated_from: dt.datetime | None) -> None:
        for t in times:
            if sedated_from is not None and t >= sedated_from and t < self.anchor + 48 * HOUR:
                self.obs("gcs", t, float(self.rng.randint(3, 7)), sedated=True)
            else:
                self.obs("gcs", t, self.draw("gcs", self.level("cns", t)))

    def pre_admission_labs(self, organs: dict[str, int]) -> None:
        """Labs drawn in clinic before admission (the baseline): ``organs`` points."""
        t = self.chart.admitted - dt.timedelta(
            days=self.rng.randint(3, 6), hours=self.rng.randint(1, 6)
        )
        for organ, points in organs.items():
            param = ORGAN_PARAM[organ]
            self.obs(param, t, self.draw(param, points))

    def culture(self, t: dt.datetime) -> None:
        self.text(BLOOD_CULTURE, t, self.rng.choice(["drawn", "positive", "negative", "positive"]))

    def antibiotic(self, t: dt.datetime) -> None:
        name, dose, unit = self.rng.choice(ANTIBIOTICS)
        self.med(
            Med(name.lower(), name, "antibiotic", t, t + 30 * MINUTE, dose=dose, dose_unit=unit)
        )

    def fluids(self, t: dt.datetime) -> None:
        name = self.rng.choice(["Lactated Ringers", "Sodium Chloride 0.9%"])
        ml = float(round(self.weight_kg * 30 / 250) * 250)
        self.med(
            Med(name.lower(), name, "crystalloid", t, t + 90 * MINUTE, dose=ml, dose_unit="mL")
        )

    def pressor(self, drug: str, start: dt.datetime, end: dt.datetime, rate_kg: float) -> float:
        """An infusion at ``rate_kg`` ug/kg/min, written in mcg/min when the style says so;
        returns the rate the rules will compute."""
        name = drug.capitalize()
        if drug == "vasopressin":
            self.med(Med(drug, name, "vasoactive", start, end, rate=rate_kg, rate_unit="units/min"))
            return rate_kg
        if self.style.pressor_mcg_min and drug in ("norepinephrine", "epinephrine"):
            weight = self.charted_weight()
            mcg = float(max(1, round(rate_kg * weight)))
            self.med(Med(drug, name, "vasoactive", start, end, rate=mcg, rate_unit="mcg/min"))
            return mcg / weight
        self.med(Med(drug, name, "vasoactive", start, end, rate=rate_kg, rate_unit="mcg/kg/min"))
        return rate_kg

    def charted_weight(self) -> float:
        """The first charted weight, in kg (as the rules convert it)."""
        weights = [o for o in self.chart.observations if o.param == "weight"]
        value = weights[0].value
        assert value is not None
        return value


ANTIBIOTICS = [
    ("Vancomycin", 1500.0, "mg"),
    ("Piperacillin-Tazobactam", 4.5, "g"),
    ("Ceftriaxone", 2.0, "g"),
    ("Cefepime", 2.0, "g"),
    ("Meropenem", 1.0, "g"),
]
