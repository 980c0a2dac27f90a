"""The SOFA window rule and the first sign of infection (docs/appeals.md, "The SOFA window").

Anchored at admission when a sepsis diagnosis is present on admission (POA Y or W) or when the
chart shows no sign of infection at or after admission; otherwise at the first sign of
infection (the earlier of the first blood culture drawn and the first antibiotic started, at
or after admission). The window is ``[anchor, anchor + 24 h)``: never a sliding "best" one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from claimflow.clinical.evidence import (
    DAY,
    cite,
    cite_dx,
    cite_med,
    code_matches,
    fmt_time,
    norm_text,
)
from claimflow.clinical.records import BLOOD_CULTURE, Chart, Diagnosis
from claimflow.clinical.results import Cited, Window

# Sepsis diagnoses (ICD-10-CM prefixes, dot optional): septicemia and severe sepsis.
SEPSIS_CODES: tuple[str, ...] = ("A40", "A41", "R65.20", "R65.21")

# Diagnoses that are a sign of infection for Sepsis-3: sepsis itself and common infections.
INFECTION_CODES: tuple[str, ...] = (
    *SEPSIS_CODES,
    "A49",  # bacterial infection, unspecified site
    "B95",  # streptococcus, staphylococcus, enterococcus as the cause
    "B96",  # other bacterial agents as the cause
    "B97",  # viral agents as the cause
    "U07.1",  # COVID-19
    "A04.7",  # Clostridioides difficile enterocolitis
    "J12",  # viral pneumonia
    "J13",  # pneumococcal pneumonia
    "J14",  # Haemophilus influenzae pneumonia
    "J15",  # bacterial pneumonia
    "J16",  # pneumonia due to other organisms
    "J18",  # pneumonia, organism unspecified
    "J44.0",  # COPD with acute lower respiratory infection
    "J85",  # abscess of lung
    "J86",  # pyothorax
    "N10",  # acute pyelonephritis
    "N30.0",  # acute cystitis
    "N39.0",  # urinary tract infection
    "L02",  # cutaneous abscess
    "L03",  # cellulitis
    "K35",  # acute appendicitis
    "K65",  # peritonitis
    "K81.0",  # acute cholecystitis
    "K83.0",  # cholangitis
    "M00",  # pyogenic arthritis
    "M86",  # osteomyelitis
    "I33.0",  # acute and subacute infective endocarditis
    "G00",  # bacterial meningitis
    "T81.4",  # infection following a procedure
    "T82.7",  # infection due to a cardiac or vascular device
    "T83.5",  # infection due to a genitourinary device
    "T85.7",  # infection due to other internal devices
)

# A blood culture row means one was drawn, whatever its result.
CULTURE_DRAWN = frozenset({"drawn", "positive", "negative", "pending", ""})
POA_ANCHORED = frozenset({"Y", "W"})


@dataclass(frozen=True)
class InfectionSign:
    """The first sign of infection: when, what ("blood culture drawn", "antibiotic started:
    ceftriaxone") and the row."""

    time: dt.datetime
    what: str
    cited: Cited


def sepsis_diagnoses(chart: Chart) -> list[Diagnosis]:
    return [d for d in chart.diagnoses if code_matches(d.code, SEPSIS_CODES)]


def infection_diagnoses(chart: Chart) -> list[Diagnosis]:
    return [d for d in chart.diagnoses if code_matches(d.code, INFECTION_CODES)]


def blood_cultures(chart: Chart, since: dt.datetime | None = None) -> list[InfectionSign]:
    """Blood cultures drawn (at or after ``since``), in time order."""
    out = [
        InfectionSign(o.time, "blood culture drawn", cite(o))
        for o in chart.observations
        if o.param == BLOOD_CULTURE
        and norm_text(o.text) in CULTURE_DRAWN
        and (since is None or o.time >= since)
    ]
    return sorted(out, key=lambda s: s.time)


def antibiotics(chart: Chart, since: dt.datetime | None = None) -> list[InfectionSign]:
    """Antibiotics started (at or after ``since``), in time order."""
    out = [
        InfectionSign(m.start, f"antibiotic started ({m.drug})", cite_med(m))
        for m in chart.medications
        if m.drug_class == "antibiotic" and (since is None or m.start >= since)
    ]
    return sorted(out, key=lambda s: s.time)


def first_sign_of_infection(chart: Chart) -> InfectionSign | None:
    """The earlier of the first blood culture drawn and the first antibiotic started, at or
    after admission (a culture wins a tie)."""
    candidates = blood_cultures(chart, chart.admitted)[:1] + antibiotics(chart, chart.admitted)[:1]
    if not candidates:
        return None
    return min(candidates, key=lambda s: (s.time, s.what != "blood culture drawn"))


def sofa_window(chart: Chart) -> Window:
    """The SOFA window of the chart and the rule that chose it, in words."""
    ref = chart.admitted
    poa = [d for d in sepsis_diagnoses(chart) if d.poa.strip().upper() in POA_ANCHORED]
    if poa:
        d = poa[0]
        return Window(
            start=chart.admitted,
            end=chart.admitted + DAY,
            rule=(
                f"24 h from admission ({fmt_time(chart.admitted, ref)}): sepsis diagnosis "
                f"{d.code} present on admission (POA {d.poa.strip().upper()})"
            ),
            anchor="admission",
            cited=(cite_dx(d, chart.admitted),),
        )
    sign = first_sign_of_infection(chart)
    if sign is None:
        return Window(
            start=chart.admitted,
            end=chart.admitted + DAY,
            rule=(
                f"24 h from admission ({fmt_time(chart.admitted, ref)}): no sepsis diagnosis "
                "present on admission and no blood culture or antibiotic charted at or after "
                "admission"
            ),
            anchor="admission",
        )
    return Window(
        start=sign.time,
        end=sign.time + DAY,
        rule=(
            f"24 h from the first sign of infection ({sign.what} at "
            f"{fmt_time(sign.time, ref)}): no sepsis diagnosis present on admission"
        ),
        anchor="infection",
        cited=(sign.cited,),
    )


def window_text(window: Window, ref: dt.datetime | None = None) -> str:
    """ "03/02 04:00 to 03/03 04:00"."""
    return f"{fmt_time(window.start, ref)} to {fmt_time(window.end, ref)}"
