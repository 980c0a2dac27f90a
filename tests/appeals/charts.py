"""Small hand-built cases for the letter, trace and strength tests: each value chosen by hand,
each expected figure worked out from docs/appeals.md by hand."""

from __future__ import annotations

import datetime as dt
import itertools

from claimflow.appeals.letter import DenialFacts
from claimflow.clinical.records import (
    CANONICAL_UNITS,
    Chart,
    Diagnosis,
    MedicationAdministration,
    Note,
    Observation,
    Source,
)

ADMITTED = dt.datetime(2025, 3, 1, 8, 0)
_ids = itertools.count(1)


def source() -> Source:
    n = next(_ids)
    return Source(f"{n:064x}", "Observation.ndjson", str(n))


def obs(param: str, hours: float, value: float | None, text: str | None = None) -> Observation:
    return Observation(
        param,
        ADMITTED + dt.timedelta(hours=hours),
        value,
        CANONICAL_UNITS.get(param, ""),
        source(),
        text=text,
    )


def septic_chart() -> Chart:
    """Sepsis present on admission. SOFA in the 24 h from admission, by hand: respiration P/F
    70/0.50 = 140 on invasive ventilation -> 3; platelets 85 -> 2; bilirubin 1.1 -> 0;
    norepinephrine 0.12 ug/kg/min for 6 h -> 4; GCS 13 -> 1; creatinine 2.4 -> 2. Total 12,
    baseline 0, delta 12: Sepsis-3 met. Lactate 4.2 > 2. The note's "Cr 3.1" conflicts with
    the lab's 2.4 (29%)."""
    h = ADMITTED
    observations = [
        obs("weight", 0, 80),
        obs("lactate", 1, 4.2),
        obs("map", 2, 62),
        obs("platelets", 3, 85),
        obs("creatinine", 3, 2.4),
        obs("bilirubin", 3, 1.1),
        obs("gcs", 2, 13),
        obs("pao2", 4, 70),
        obs("fio2", 4, 0.5),
        obs("respiratory_support", 3.5, None, "invasive_ventilation"),
        obs("blood_culture", 1.5, None, "drawn"),
    ]
    medications = [
        MedicationAdministration(
            "norepinephrine",
            "vasoactive",
            h + dt.timedelta(hours=3),
            h + dt.timedelta(hours=9),
            0.12,
            "ug/kg/min",
            None,
            None,
            source(),
        ),
        MedicationAdministration(
            "vancomycin",
            "antibiotic",
            h + dt.timedelta(hours=2),
            None,
            None,
            None,
            1.5,
            "g",
            source(),
        ),
    ]
    diagnoses = [Diagnosis("A41.9", "Sepsis, unspecified organism", "Y", h, source())]
    notes = [
        Note(
            "Progress Note",
            h + dt.timedelta(hours=6),
            "Patient septic, lactate 4.2, MAP 62 on norepinephrine. GCS 13. Cr 3.1.",
            source(),
        )
    ]
    return Chart("A0001", h, h + dt.timedelta(days=6), observations, medications, diagnoses, notes)


def mild_chart() -> Chart:
    """Infection without organ dysfunction: platelets 140 -> 1 point, the rest normal. SOFA 1,
    delta 1: Sepsis-3 not met; lactate 1.4 is not above 2."""
    observations = [
        obs("weight", 0, 70),
        obs("lactate", 1, 1.4),
        obs("map", 2, 78),
        obs("platelets", 3, 140),
        obs("creatinine", 3, 0.9),
        obs("bilirubin", 3, 0.6),
        obs("gcs", 2, 15),
        obs("pao2", 4, 92),
        obs("fio2", 4, 0.21),
        obs("blood_culture", 1.5, None, "drawn"),
    ]
    diagnoses = [Diagnosis("A41.9", "Sepsis, unspecified organism", "Y", ADMITTED, source())]
    return Chart(
        "A0002", ADMITTED, ADMITTED + dt.timedelta(days=3), observations, [], diagnoses, []
    )


DENIAL = (
    "Dear Provider, we reviewed claim C998877. DRG 871 has been revised to DRG 872. The SOFA "
    "score did not increase by 2 or more points from baseline. Lactic acid remained within "
    "normal limits. You may appeal within 60 days of the date of this letter."
)


def facts(chart: Chart, arguments: tuple[str, ...], payer: str = "Acme Health Plan") -> DenialFacts:
    return DenialFacts(
        chart.case_id,
        "sepsis",
        payer,
        "H1234567",
        "C998877",
        chart.admitted,
        chart.discharged,
        "871",
        "872",
        dt.date(2025, 4, 2),
        dt.date(2025, 6, 1),
        arguments,
        DENIAL,
    )
