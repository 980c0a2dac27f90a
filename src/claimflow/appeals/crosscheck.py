"""Numbers stated in the notes against the structured record (docs/appeals.md, "Evidence
cross-check").

A mention is a parameter's name, then a number, then an optional unit ("lactate 4.2", "MAP of
63 mmHg", "O2 sat 88%"). It is compared with the structured value of the same parameter closest
in time to the note, within ``MAX_GAP``: more than ``TOLERANCE`` relative difference (any
difference on an integer scale such as GCS) is a conflict, put to the CDI reviewer as a neutral
question.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from claimflow.appeals.letter import when
from claimflow.appeals.units import UnknownUnitError, to_canonical
from claimflow.clinical.evidence import fmt_quantity
from claimflow.clinical.records import CANONICAL_UNITS, Chart, Note, Observation

MAX_GAP = dt.timedelta(hours=12)
TOLERANCE = 0.10
EXACT = frozenset({"gcs"})

# A parameter's names in notes. One table: the letter's tracer reads numbers with it too.
NAMES: dict[str, str] = {
    "lactate": r"lactate|lactic acid",
    "map": r"MAP|mean arterial pressure",
    "sbp": r"SBP|systolic blood pressure|systolic",
    "gcs": r"GCS|Glasgow Coma Scale(?: score)?",
    "spo2": r"SpO2|O2 sat(?:uration)?|oxygen saturation",
    "creatinine": r"creatinine|Cr",
    "platelets": r"platelets?|platelet count|plt",
    "bilirubin": r"total bilirubin|bilirubin|T\.? ?bili",
    "wbc": r"WBC|white blood cell count|white count",
    "heart_rate": r"HR|heart rate|pulse",
    "resp_rate": r"RR|respiratory rate|resp rate",
    "temperature": r"temperature|temp|Tmax",
    "pao2": r"PaO2",
    "paco2": r"PaCO2",
    "ph": r"pH",
    "fio2": r"FiO2",
    "inr": r"INR",
}
_FILLER = r"(?:\s*(?:of|was|is|at|=|:|reached|peaked at|down to|up to|to|~))*\s*"
_NUMBER = r"(?P<value>\d+(?:\.\d+)?)"
_UNIT = r"\s*(?P<unit>%|mmol/L|mg/dL|mmHg|mm Hg|umol/L|µmol/L|K/uL|x10\^3/uL|/min|bpm|°F|°C|F|C)?"
MENTION = re.compile(
    r"(?<![\w/])(?P<name>"
    + "|".join(f"(?P<{param}>{names})" for param, names in NAMES.items())
    + r")(?![\w/])"
    + _FILLER
    + _NUMBER
    + _UNIT
    + r"(?![\w.]\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    """A number a note states for a parameter, in the parameter's canonical unit."""

    param: str
    value: float
    text: str  # the words as written ("lactate of 4.2")
    note: Note
    offset: int


@dataclass(frozen=True)
class Comparison:
    """A mention and the structured value it was compared with."""

    mention: Mention
    structured: Observation
    difference: float  # relative (or absolute for exact scales)
    conflict: bool

    @property
    def question(self) -> str:
        """The conflict as a neutral question for the CDI reviewer."""
        o = self.structured
        shown = "" if o.value is None else fmt_quantity(o.param, o.value, o.unit)
        return (
            f"The {self.mention.note.note_type} of {when(self.mention.note.time)} states "
            f"{self.mention.text}; the record of {when(o.time)} shows {shown}. Which value "
            "reflects the patient's condition?"
        )


def find_mentions(note: Note) -> list[Mention]:
    """The parameter values a note states."""
    found: list[Mention] = []
    for match in MENTION.finditer(note.text):
        param = next(p for p in NAMES if match.group(p))
        name = match.group("name")
        # short names that are ordinary words in another case ("map" the verb, "cr", "ph")
        if param in ("map", "ph") and name not in ("MAP", "pH") and name.islower():
            continue
        if name == "cr" or name == "CR":
            continue
        value = float(match.group("value"))
        unit = (match.group("unit") or "").strip()
        converted = _to_canonical(param, value, unit)
        if converted is None:
            continue
        found.append(Mention(param, converted, match.group(0).strip(), note, match.start()))
    return found


# How notes write some units that the unit table spells otherwise.
_NOTE_UNITS = {"F": "°F", "C": "°C", "mm Hg": "mmHg", "x10^3/uL": "10^3/uL"}


def _to_canonical(param: str, value: float, unit: str) -> float | None:
    """A stated value in the canonical unit (the unit table's conversions); a number written
    bare is in the chart's unit, but a temperature above 50 is Fahrenheit. ``None`` for a unit
    the table does not know for the parameter."""
    spelled = _NOTE_UNITS.get(unit, unit)
    if not spelled:
        spelled = "°F" if param == "temperature" and value > 50 else CANONICAL_UNITS[param]
    try:
        converted = to_canonical(param, value, spelled).value
    except (UnknownUnitError, KeyError):
        return None
    if converted == value:
        return value
    return round(converted, 1 if param == "temperature" else 2)


def cross_check(chart: Chart) -> list[Comparison]:
    """Every note mention compared with the closest structured value within ``MAX_GAP``;
    mentions with no structured value that close are not compared."""
    comparisons: list[Comparison] = []
    series = {param: [o for o in chart.of(param) if o.value is not None] for param in NAMES}
    for note in chart.notes:
        for mention in find_mentions(note):
            candidates = [o for o in series[mention.param] if abs(o.time - note.time) <= MAX_GAP]
            if not candidates:
                continue
            closest = min(candidates, key=lambda o: (abs(o.time - note.time), o.time))
            assert closest.value is not None
            if mention.param in EXACT:
                difference = abs(mention.value - closest.value)
                conflict = difference > 0
            else:
                base = abs(closest.value)
                difference = (
                    abs(mention.value - closest.value) / base
                    if base
                    else abs(mention.value - closest.value)
                )
                conflict = difference > TOLERANCE
            comparisons.append(Comparison(mention, closest, difference, conflict))
    return comparisons
