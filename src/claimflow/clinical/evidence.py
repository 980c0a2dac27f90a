"""What every scorer shares: the chart indexed by parameter and time, citations, and the way a
value, a unit and a time are written in a rule for a CDI reviewer.

A rule text states each number the way ``fmt_value`` writes it, so that a reader (the letter's
number trace, the tests' citation invariant) finds every cited value in the rule.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence

from claimflow.clinical.records import Chart, Diagnosis, MedicationAdministration, Observation
from claimflow.clinical.results import Cited, Criterion

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(hours=24)

# Units as a reviewer reads them (canonical UCUM spelling -> text); "" writes the bare number.
UNIT_TEXT: dict[str, str] = {
    "mm[Hg]": "mmHg",
    "10*3/uL": "×10³/µL",
    "1": "",
    "Cel": "°C",
    "{score}": "",
    "[pH]": "",
    "{INR}": "",
    "ug/kg/min": "µg/kg/min",
    "ug/min": "µg/min",
    "U/min": "units/min",
    "cm[H2O]": "cmH2O",
    "mL/kg/h": "mL/kg/h",
}

# The fewest decimals a value is written with (creatinine 2.0, FiO2 0.50, pH 7.30).
MIN_DECIMALS: dict[str, int] = {
    "creatinine": 1,
    "bilirubin": 1,
    "lactate": 1,
    "temperature": 1,
    "wbc": 1,
    "inr": 1,
    "fio2": 2,
    "ph": 2,
}

# How a parameter is named in a rule.
PARAM_TEXT: dict[str, str] = {
    "pao2": "PaO2",
    "paco2": "PaCO2",
    "fio2": "FiO2",
    "ph": "pH",
    "spo2": "SpO2",
    "gcs": "GCS",
    "map": "MAP",
    "sbp": "systolic BP",
    "wbc": "WBC",
    "inr": "INR",
    "heart_rate": "heart rate",
    "resp_rate": "respiratory rate",
    "urine_output": "urine output",
    "peep": "PEEP",
}


def fmt_num(x: float, min_decimals: int = 0, max_decimals: int = 3) -> str:
    """``x`` with at most ``max_decimals`` and at least ``min_decimals`` decimals, no trailing
    zeros beyond those: 2 -> "2", 1.95 -> "1.95", 0.5 with 2 -> "0.50"."""
    text = f"{x:.{max_decimals}f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    frac = frac + "0" * max(0, min_decimals - len(frac))
    if whole in ("-0", "-") and not frac.strip("0"):
        whole = "0"
    return f"{whole}.{frac}" if frac else whole


def fmt_value(param: str, value: float) -> str:
    """A value of ``param`` as a rule writes it."""
    return fmt_num(value, MIN_DECIMALS.get(param, 0))


def unit_text(unit: str) -> str:
    return UNIT_TEXT.get(unit, unit)


def fmt_quantity(param: str, value: float, unit: str) -> str:
    """ "71 mmHg", "88%", "0.50", "2.0 mg/dL"."""
    number = fmt_value(param, value)
    text = unit_text(unit)
    if not text:
        return number
    if text == "%" or text.startswith("/"):
        return f"{number}{text}"
    return f"{number} {text}"


def param_text(param: str) -> str:
    return PARAM_TEXT.get(param, param)


def fmt_time(t: dt.datetime, ref: dt.datetime | None = None) -> str:
    """ "03/02 04:10"; with the year when it is not ``ref``'s (a pre-admission lab)."""
    if ref is not None and t.year != ref.year:
        return t.strftime("%m/%d/%Y %H:%M")
    return t.strftime("%m/%d %H:%M")


def fmt_duration(delta: dt.timedelta) -> str:
    """ "45 min", "3 h", "2 h 30 min"."""
    minutes = int(delta.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    if hours:
        return f"{hours} h"
    return f"{rest} min"


def describe(o: Observation, ref: dt.datetime | None = None) -> str:
    """ "PaO2 71 mmHg at 03/02 04:10"; a text value: "respiratory support niv at ..."."""
    if o.value is None:
        return f"{param_text(o.param)} {o.text or ''} at {fmt_time(o.time, ref)}".replace("  ", " ")
    return (
        f"{param_text(o.param)} {fmt_quantity(o.param, o.value, o.unit)} at {fmt_time(o.time, ref)}"
    )


def cite(o: Observation) -> Cited:
    return Cited(
        param=o.param, value=o.value, unit=o.unit, time=o.time, source=o.source, text=o.text
    )


def cite_med(m: MedicationAdministration) -> Cited:
    """A medication as cited: its rate (or dose) and unit at its start."""
    if m.rate is not None:
        return Cited(m.drug, m.rate, m.rate_unit or "", m.start, m.source)
    return Cited(m.drug, m.dose, m.dose_unit or "", m.start, m.source)


def cite_dx(d: Diagnosis, fallback: dt.datetime) -> Cited:
    return Cited("diagnosis", None, "", d.onset or fallback, d.source, text=d.code)


def norm_text(text: str | None) -> str:
    return (text or "").strip().lower().replace(" ", "_").replace("-", "_")


def is_sedated(o: Observation) -> bool:
    return norm_text(o.qualifier) == "sedated"


def norm_code(code: str) -> str:
    """An ICD-10-CM code without its dot, upper case: "a41.9" -> "A419"."""
    return code.strip().upper().replace(".", "")


def code_matches(code: str, prefixes: Iterable[str]) -> bool:
    c = norm_code(code)
    return any(c.startswith(norm_code(p)) for p in prefixes)


class Index:
    """The chart's observations by parameter, in time order, for fast range and nearest
    look-ups."""

    def __init__(self, chart: Chart) -> None:
        self.chart = chart
        by: dict[str, list[Observation]] = {}
        for o in chart.observations:
            by.setdefault(o.param, []).append(o)
        self._by = {p: sorted(v, key=lambda o: o.time) for p, v in by.items()}
        self._times = {p: [o.time for o in v] for p, v in self._by.items()}

    def of(self, param: str) -> Sequence[Observation]:
        return self._by.get(param, ())

    def between(self, param: str, start: dt.datetime, end: dt.datetime) -> list[Observation]:
        """The observations with ``start <= time < end``."""
        times = self._times.get(param, [])
        lo = bisect.bisect_left(times, start)
        hi = bisect.bisect_left(times, end)
        return list(self._by[param][lo:hi]) if times else []

    def last_at_or_before(self, param: str, t: dt.datetime) -> Observation | None:
        times = self._times.get(param, [])
        i = bisect.bisect_right(times, t)
        return self._by[param][i - 1] if i else None

    def last_before(self, param: str, t: dt.datetime) -> Observation | None:
        times = self._times.get(param, [])
        i = bisect.bisect_left(times, t)
        return self._by[param][i - 1] if i else None

    def nearest(self, param: str, t: dt.datetime, within: dt.timedelta) -> Observation | None:
        """The valued observation closest in time to ``t``, at most ``within`` away (a tie goes
        to the earlier one)."""
        best: Observation | None = None
        for o in self.between(param, t - within, t + within + dt.timedelta(microseconds=1)):
            if o.value is None:
                continue
            if best is None or abs(o.time - t) < abs(best.time - t):
                best = o
        return best

    def weight(self, at: dt.datetime) -> Observation | None:
        """The weight charted last at or before ``at``, or the first charted."""
        weights = [w for w in self.of("weight") if w.value is not None and w.value > 0]
        if not weights:
            return None
        before = [w for w in weights if w.time <= at]
        return before[-1] if before else weights[0]


def not_assessable(criterion_id: str, label: str, rule: str, missing: tuple[str, ...]) -> Criterion:
    return Criterion(id=criterion_id, label=label, met=None, rule=rule, missing=missing)


def any_of(criteria: Sequence[Criterion]) -> bool | None:
    """Met when one is met; undecided when none could be decided; otherwise not met."""
    if any(c.met for c in criteria):
        return True
    if all(c.met is None for c in criteria):
        return None
    return False


def missing_of(criteria: Iterable[Criterion]) -> tuple[str, ...]:
    seen: list[str] = []
    for c in criteria:
        for m in c.missing:
            if m not in seen:
                seen.append(m)
    return tuple(seen)
