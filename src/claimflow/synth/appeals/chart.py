"""The planted chart of one synthetic case: every row as the generator means it (the value
in its canonical unit) and as it is written (the value and unit a file shows).

The writers (FHIR, CSV) write the ``written`` side; the oracle (``scoring``, ``crosscheck``)
reads the ``value`` side, which is computed from what is written, so both always agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Text-valued observations (no number).
RESPIRATORY_SUPPORT = "respiratory_support"
BLOOD_CULTURE = "blood_culture"

# How a written unit converts to the parameter's canonical unit (docs/appeals.md).
_FACTORS: dict[str, float] = {
    "umol/L/creatinine": 1 / 88.4,
    "umol/L/bilirubin": 1 / 17.1,
    "[lb_av]/weight": 0.45359237,
}


def canonical(param: str, written: str, unit: str) -> float:
    """The canonical value of a number as written with its unit (the conversions of
    docs/appeals.md)."""
    number = float(written)
    if param == "temperature" and unit == "[degF]":
        return (number - 32) * 5 / 9
    if param == "fio2" and (unit == "%" or number > 1):
        return number / 100
    return number * _FACTORS.get(f"{unit}/{param}", 1.0)


@dataclass
class Obs:
    """A lab, vital sign or assessment. ``unit`` is a key of ``UNITS`` (how the writers spell
    it); ``value`` is canonical. ``end`` closes a period (urine output)."""

    param: str
    time: dt.datetime
    written: str = ""
    unit: str = ""
    text: str | None = None
    end: dt.datetime | None = None
    sedated: bool = False

    @property
    def value(self) -> float | None:
        return None if self.text is not None else canonical(self.param, self.written, self.unit)


@dataclass
class Med:
    """A drug given: an infusion at a rate (``rate_unit`` mcg/kg/min, mcg/min or units/min) or
    a dose (mg, g, mL)."""

    drug: str  # canonical lower-case name
    name: str  # as written
    drug_class: str | None
    start: dt.datetime
    end: dt.datetime
    rate: float | None = None
    rate_unit: str | None = None
    dose: float | None = None
    dose_unit: str | None = None


@dataclass
class Dx:
    code: str
    name: str
    poa: str
    noted: dt.datetime


@dataclass
class Mention:
    """A number written in a note for one parameter, in its canonical unit."""

    param: str
    written: str
    phrase: str = ""  # the words as written ("lactate 4.2")

    @property
    def value(self) -> float:
        return float(self.written)


@dataclass
class NoteDoc:
    """A clinical note: ``kind`` is one of ``NOTE_KINDS``; ``mentions`` every parameter number
    its text holds, in order."""

    kind: str
    time: dt.datetime
    author: str
    text: str
    mentions: list[Mention] = field(default_factory=list)


NOTE_KINDS: dict[str, tuple[str, str]] = {
    # kind: (LOINC, the name the CSV export and the FHIR type.text use)
    "hp": ("34117-2", "History and Physical"),
    "progress": ("11506-3", "Progress Note"),
    "consult": ("11488-4", "Consult Note"),
    "discharge": ("18842-5", "Discharge Summary"),
}


@dataclass
class Chart:
    """The encounter and every row of it."""

    case_id: str
    account_number: str
    member_id: str
    patient_name: str
    birth_date: dt.date
    sex: str
    admitted: dt.datetime
    discharged: dt.datetime
    observations: list[Obs] = field(default_factory=list)
    medications: list[Med] = field(default_factory=list)
    diagnoses: list[Dx] = field(default_factory=list)
    notes: list[NoteDoc] = field(default_factory=list)

    def of(self, param: str) -> list[Obs]:
        """The observations of one parameter, in time order."""
        return sorted((o for o in self.observations if o.param == param), key=lambda o: o.time)

    def sort(self) -> None:
        """Rows in time order (the order the files are written in)."""
        self.observations.sort(key=lambda o: (o.time, o.param))
        self.medications.sort(key=lambda m: (m.start, m.drug))
        self.notes.sort(key=lambda n: n.time)
