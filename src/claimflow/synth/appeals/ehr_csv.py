"""The record as CSV tables in an EHR-export shape (the engine's default mapping reads these
columns: docs/appeals.md, appeals/ehr_csv.yaml)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from claimflow.synth.appeals.chart import BLOOD_CULTURE, NOTE_KINDS, RESPIRATORY_SUPPORT, Chart

LAB_NAMES = {
    "lactate": "LACTIC ACID",
    "creatinine": "CREATININE",
    "bilirubin": "BILIRUBIN TOTAL",
    "platelets": "PLATELET COUNT",
    "wbc": "WBC",
    "bands": "BANDS",
    "pao2": "PO2 ARTERIAL",
    "paco2": "PCO2 ARTERIAL",
    "ph": "PH ARTERIAL",
    "fio2": "FIO2",
    "inr": "INR",
    BLOOD_CULTURE: "BLOOD CULTURE",
}
VITAL_NAMES = {
    "map": "MEAN ARTERIAL PRESSURE",
    "sbp": "BP SYSTOLIC",
    "heart_rate": "PULSE",
    "resp_rate": "RESPIRATIONS",
    "temperature": "TEMPERATURE",
    "spo2": "SPO2",
    "gcs": "GLASGOW COMA SCALE SCORE",
    "urine_output": "URINE OUTPUT",
    "weight": "WEIGHT",
    "peep": "PEEP",
    RESPIRATORY_SUPPORT: "O2 DEVICE",
}
# unit key (UCUM): how the export spells it
CSV_UNITS = {
    "mmol/L": "mmol/L",
    "mg/dL": "mg/dL",
    "umol/L": "umol/L",
    "10*3/uL": "K/uL",
    "%": "%",
    "mm[Hg]": "mmHg",
    "[pH]": "",
    "1": "",
    "{INR}": "",
    "/min": "/min",
    "Cel": "Cel",
    "[degF]": "degF",
    "{score}": "",
    "mL": "mL",
    "kg": "kg",
    "[lb_av]": "lb",
    "cm[H2O]": "cmH2O",
}
VITAL_UNITS = {"heart_rate": "bpm", "resp_rate": "breaths/min"}

COLUMNS = {
    "encounter": ["ENCOUNTER_ID", "ACCOUNT_NUMBER", "MEMBER_ID", "ADMIT_TIME", "DISCHARGE_TIME"],
    "labs": ["ENCOUNTER_ID", "COMPONENT_NAME", "RESULT_VALUE", "RESULT_UNIT", "RESULT_TIME"],
    "vitals": [
        "ENCOUNTER_ID",
        "FLOWSHEET_NAME",
        "MEAS_VALUE",
        "UNITS",
        "RECORDED_TIME",
        "END_TIME",
        "COMMENT",
    ],
    "medications": [
        "ENCOUNTER_ID",
        "MEDICATION_NAME",
        "DOSE",
        "DOSE_UNIT",
        "RATE",
        "RATE_UNIT",
        "START_TIME",
        "END_TIME",
    ],
    "diagnoses": ["ENCOUNTER_ID", "ICD10_CODE", "DX_NAME", "POA_FLAG", "NOTED_TIME"],
    "notes": ["ENCOUNTER_ID", "NOTE_TYPE", "NOTE_TIME", "AUTHOR", "NOTE_TEXT"],
}
CSV_NOTE_TYPES = {
    "hp": "H&P",
    "progress": "Progress Note",
    "consult": "Consult Note",
    "discharge": "Discharge Summary",
}


def stamp(t: dt.datetime | None) -> str:
    return "" if t is None else t.strftime("%Y-%m-%d %H:%M")


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def _write(path: Path, columns: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


def bare_fio2(chart: Chart) -> bool:
    """Whether this export writes FiO2 as a bare number ("40", no unit; a number above 1 is
    a percentage): every other case that writes FiO2 as a percentage."""
    number = chart.case_id[1:]
    percent = any(o.param == "fio2" and o.unit == "%" for o in chart.observations)
    return percent and number.isdigit() and (int(number) // 2) % 2 == 0


def write_csv(chart: Chart, case_dir: Path, encounter_id: str) -> dict[int, str]:
    """The six tables; returns each note's position (``line N``: the header is line 1; note
    texts are written on one line, paragraphs separated by two spaces)."""
    e = encounter_id
    _write(
        case_dir / "encounter.csv",
        COLUMNS["encounter"],
        [
            [
                e,
                chart.account_number,
                chart.member_id,
                stamp(chart.admitted),
                stamp(chart.discharged),
            ]
        ],
    )
    labs: list[list[str]] = []
    vitals: list[list[str]] = []
    bare = bare_fio2(chart)
    for o in chart.observations:
        value = o.text if o.text is not None else o.written
        if o.param in LAB_NAMES:
            unit = "" if (bare and o.param == "fio2") else CSV_UNITS.get(o.unit, "")
            labs.append([e, LAB_NAMES[o.param], value, unit, stamp(o.time)])
        else:
            unit = VITAL_UNITS.get(o.param, CSV_UNITS.get(o.unit, ""))
            vitals.append(
                [
                    e,
                    VITAL_NAMES[o.param],
                    value,
                    unit,
                    stamp(o.time),
                    stamp(o.end),
                    "sedated" if o.sedated else "",
                ]
            )
    _write(case_dir / "labs.csv", COLUMNS["labs"], labs)
    _write(case_dir / "vitals.csv", COLUMNS["vitals"], vitals)
    _write(
        case_dir / "medications.csv",
        COLUMNS["medications"],
        [
            [
                e,
                m.name,
                _num(m.dose),
                m.dose_unit or "",
                _num(m.rate),
                m.rate_unit or "",
                stamp(m.start),
                stamp(m.end),
            ]
            for m in chart.medications
        ],
    )
    _write(
        case_dir / "diagnoses.csv",
        COLUMNS["diagnoses"],
        [[e, d.code, d.name, d.poa, stamp(d.noted)] for d in chart.diagnoses],
    )
    _write(
        case_dir / "notes.csv",
        COLUMNS["notes"],
        [
            [
                e,
                CSV_NOTE_TYPES[n.kind],
                stamp(n.time),
                n.author,
                n.text.replace("\n\n", "  ").replace("\n", " "),
            ]
            for n in chart.notes
        ],
    )
    assert set(CSV_NOTE_TYPES) == set(NOTE_KINDS)
    return {i: f"line {i + 2}" for i in range(len(chart.notes))}
