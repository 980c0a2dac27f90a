"""The chart of one inpatient encounter, as loaded from a case directory.

Every value is in its parameter's canonical unit (``CANONICAL_UNITS``); the readers convert on
load and quarantine a unit they do not know. Every row carries a ``Source``: the lineage hash
that leads back to the file and the position it was read from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Observation parameters and their canonical units (UCUM spelling). One definition: the readers
# convert to these, the scorers and the letter read them.
CANONICAL_UNITS: dict[str, str] = {
    # laboratory
    "lactate": "mmol/L",
    "creatinine": "mg/dL",
    "bilirubin": "mg/dL",
    "platelets": "10*3/uL",
    "wbc": "10*3/uL",
    "bands": "%",
    "pao2": "mm[Hg]",
    "paco2": "mm[Hg]",
    "ph": "[pH]",
    "fio2": "1",  # a fraction, 0.21 (room air) to 1.0; "40" and "40 %" are read as 0.40
    "inr": "{INR}",
    # vital signs and bedside assessments
    "map": "mm[Hg]",
    "sbp": "mm[Hg]",
    "heart_rate": "/min",
    "resp_rate": "/min",
    "temperature": "Cel",
    "spo2": "%",
    "gcs": "{score}",
    "urine_output": "mL",  # the volume over the observation's period (start .. end)
    "weight": "kg",
    "peep": "cm[H2O]",
}

# Respiratory support as charted (an observation with a text value): what counts as support
# for SOFA's respiration 3-4 points is the scorer's rule, not the reader's.
RESPIRATORY_SUPPORT = "respiratory_support"
# A blood culture: an observation with a text value ("drawn", "positive", "negative") at the
# time it was collected.
BLOOD_CULTURE = "blood_culture"
TEXT_PARAMS = frozenset({RESPIRATORY_SUPPORT, BLOOD_CULTURE})
SUPPORT_KINDS = frozenset(
    {"room_air", "nasal_cannula", "face_mask", "hfnc", "niv", "invasive_ventilation", "ecmo"}
)

# Drugs the scorers read, by canonical name; their canonical rate units.
VASOACTIVE_DRUGS = frozenset(
    {"norepinephrine", "epinephrine", "dopamine", "dobutamine", "vasopressin", "phenylephrine"}
)
DRUG_CLASSES = frozenset({"vasoactive", "antibiotic", "crystalloid"})
RATE_UNITS = frozenset({"ug/kg/min", "ug/min", "U/min"})  # ug/min is converted by the scorer


@dataclass(frozen=True)
class Source:
    """Where a row came from: the lineage hash (hex SHA-256 of the file's hash, the position
    and the record's bytes), the file (relative to the case directory) and the position in it
    (a line number for NDJSON and CSV, ``entry N`` in a Bundle)."""

    lineage_hash: str
    file: str
    position: str


@dataclass(frozen=True)
class Observation:
    """One lab, vital sign or assessment. ``value`` in the parameter's canonical unit, or
    ``None`` with ``text`` for a coded value (respiratory support). ``end`` for a value over a
    period (urine output). ``qualifier`` carries "sedated" for a GCS assessed under sedation."""

    param: str
    time: dt.datetime
    value: float | None
    unit: str
    source: Source
    text: str | None = None
    end: dt.datetime | None = None
    qualifier: str | None = None
    raw_value: str = ""
    raw_unit: str = ""


@dataclass(frozen=True)
class MedicationAdministration:
    """One administration: a drug given at a rate over a period (a pressor, an infusion) or a
    dose (an antibiotic, a fluid bolus in mL). ``drug`` is the canonical name in lower case
    (norepinephrine, vancomycin, lactated ringers, ...), ``drug_class`` one of
    ``DRUG_CLASSES`` or ``None``."""

    drug: str
    drug_class: str | None
    start: dt.datetime
    end: dt.datetime | None
    rate: float | None
    rate_unit: str | None
    dose: float | None
    dose_unit: str | None
    source: Source


@dataclass(frozen=True)
class Diagnosis:
    """An ICD-10-CM code on the encounter, with present-on-admission (Y, N, U, W or empty)."""

    code: str
    description: str
    poa: str
    onset: dt.datetime | None
    source: Source


@dataclass(frozen=True)
class Note:
    """A clinical note: its type (Discharge Summary, H&P, Progress Note, ...), when it was
    written, and its text."""

    note_type: str
    time: dt.datetime
    text: str
    source: Source
    author: str = ""


@dataclass
class Chart:
    """The encounter: admission, discharge, the charted weight, and every row, ordered by
    time."""

    case_id: str
    admitted: dt.datetime
    discharged: dt.datetime | None
    observations: list[Observation] = field(default_factory=list)
    medications: list[MedicationAdministration] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def of(self, param: str) -> list[Observation]:
        """The observations of one parameter, in time order."""
        return sorted((o for o in self.observations if o.param == param), key=lambda o: o.time)

    def weight_kg(self, at: dt.datetime | None = None) -> Observation | None:
        """The charted weight closest before ``at`` (or the first charted), if any."""
        weights = self.of("weight")
        if not weights:
            return None
        if at is None:
            return weights[0]
        before = [w for w in weights if w.time <= at]
        return before[-1] if before else weights[0]
