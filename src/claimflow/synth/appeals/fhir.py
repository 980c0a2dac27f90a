"""The record as FHIR R4 resources (docs/appeals.md): NDJSON, one file per resource type,
or one Bundle of type collection."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

from claimflow.synth.appeals.chart import BLOOD_CULTURE, NOTE_KINDS, RESPIRATORY_SUPPORT, Chart, Obs

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
POA_URL = "https://claimflow.dev/fhir/StructureDefinition/present-on-admission"
ACCOUNT_SYSTEM = "https://claimflow.dev/fhir/sid/account-number"
GCS_METHOD = "https://claimflow.dev/fhir/CodeSystem/gcs-assessment"

# parameter: (LOINC, display, category)
CODES: dict[str, tuple[str, str, str]] = {
    "lactate": ("2524-7", "Lactate [Moles/volume] in Serum or Plasma", "laboratory"),
    "creatinine": ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "laboratory"),
    "bilirubin": ("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "laboratory"),
    "platelets": ("777-3", "Platelets [#/volume] in Blood by Automated count", "laboratory"),
    "wbc": ("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "laboratory"),
    "bands": ("764-1", "Band form neutrophils/100 leukocytes in Blood", "laboratory"),
    "pao2": ("2703-7", "Oxygen [Partial pressure] in Arterial blood", "laboratory"),
    "paco2": ("2019-8", "Carbon dioxide [Partial pressure] in Arterial blood", "laboratory"),
    "ph": ("2744-1", "pH of Arterial blood", "laboratory"),
    "fio2": ("3150-0", "Inhaled oxygen concentration", "vital-signs"),
    "inr": ("6301-6", "INR in Platelet poor plasma by Coagulation assay", "laboratory"),
    "map": ("8478-0", "Mean blood pressure", "vital-signs"),
    "sbp": ("8480-6", "Systolic blood pressure", "vital-signs"),
    "heart_rate": ("8867-4", "Heart rate", "vital-signs"),
    "resp_rate": ("9279-1", "Respiratory rate", "vital-signs"),
    "temperature": ("8310-5", "Body temperature", "vital-signs"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "vital-signs"),
    "gcs": ("9269-2", "Glasgow coma score total", "survey"),
    "urine_output": ("9192-6", "Urine output 24 hour", "vital-signs"),
    "weight": ("29463-7", "Body weight", "vital-signs"),
    "peep": ("20077-4", "Positive end expiratory pressure setting Ventilator", "vital-signs"),
    RESPIRATORY_SUPPORT: ("41925-0", "Oxygen delivery system", "vital-signs"),
    BLOOD_CULTURE: ("600-7", "Bacteria identified in Blood by Culture", "laboratory"),
}
OTHER_CODES: dict[str, tuple[str, str, str]] = {
    "lactate": ("32693-4", "Lactate [Moles/volume] in Blood", "laboratory"),
    "spo2": ("2708-6", "Oxygen saturation in Arterial blood", "vital-signs"),
}
# unit key (UCUM): the unit FHIR displays
DISPLAY: dict[str, str] = {
    "mmol/L": "mmol/L",
    "mg/dL": "mg/dL",
    "umol/L": "umol/L",
    "10*3/uL": "10*3/uL",
    "%": "%",
    "mm[Hg]": "mmHg",
    "[pH]": "[pH]",
    "1": "1",
    "{INR}": "{INR}",
    "/min": "/min",
    "Cel": "Cel",
    "[degF]": "degF",
    "{score}": "{score}",
    "mL": "mL",
    "kg": "kg",
    "[lb_av]": "lb",
    "cm[H2O]": "cmH2O",
}
RATE_CODES = {"mcg/kg/min": "ug/kg/min", "mcg/min": "ug/min", "units/min": "U/min"}
DOSE_CODES = {"mg": "mg", "g": "g", "mL": "mL"}


def instant(t: dt.datetime) -> str:
    """A FHIR dateTime/instant: the chart's local time, written as UTC (Z)."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(written: str) -> int | float:
    value = float(written)
    return int(value) if value.is_integer() and "." not in written else value


def _ref(kind: str, rid: str) -> dict[str, str]:
    return {"reference": f"{kind}/{rid}"}


def resources(chart: Chart) -> list[dict[str, Any]]:
    """Every resource of the case, in the order the files list them."""
    cid = chart.case_id.lower()
    patient = chart.member_id
    encounter = f"enc-{cid}"
    given, family = chart.patient_name.split(" ", 1)
    out: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": patient,
            "identifier": [
                {"system": "https://claimflow.dev/fhir/sid/member-id", "value": patient}
            ],
            "name": [{"family": family, "given": [given]}],
            "gender": chart.sex,
            "birthDate": chart.birth_date.isoformat(),
        },
        {
            "resourceType": "Encounter",
            "id": encounter,
            "identifier": [{"system": ACCOUNT_SYSTEM, "value": chart.account_number}],
            "status": "finished",
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "IMP",
                "display": "inpatient encounter",
            },
            "subject": _ref("Patient", patient),
            "period": {"start": instant(chart.admitted), "end": instant(chart.discharged)},
        },
    ]
    for i, dx in enumerate(chart.diagnoses, 1):
        out.append(
            {
                "resourceType": "Condition",
                "id": f"cond-{cid}-{i}",
                "extension": [{"url": POA_URL, "valueCode": dx.poa}],
                "code": {
                    "coding": [{"system": ICD10, "code": dx.code, "display": dx.name}],
                    "text": dx.name,
                },
                "subject": _ref("Patient", patient),
                "encounter": _ref("Encounter", encounter),
                "onsetDateTime": instant(dx.noted),
            }
        )
    # the other LOINC codes docs/appeals.md reads for lactate and SpO2, in every other case
    other = int(chart.case_id[1:]) % 2 == 0 if chart.case_id[1:].isdigit() else False
    for i, o in enumerate(chart.observations, 1):
        out.append(observation(o, f"obs-{cid}-{i}", patient, encounter, other_codes=other))
    for i, m in enumerate(chart.medications, 1):
        dosage: dict[str, Any] = {}
        if m.rate is not None and m.rate_unit is not None:
            dosage["rateQuantity"] = {
                "value": m.rate,
                "unit": m.rate_unit,
                "system": UCUM,
                "code": RATE_CODES[m.rate_unit],
            }
        if m.dose is not None and m.dose_unit is not None:
            dosage["dose"] = {
                "value": m.dose,
                "unit": m.dose_unit,
                "system": UCUM,
                "code": DOSE_CODES[m.dose_unit],
            }
        out.append(
            {
                "resourceType": "MedicationAdministration",
                "id": f"med-{cid}-{i}",
                "status": "completed",
                "medicationCodeableConcept": {"text": m.name},
                "subject": _ref("Patient", patient),
                "context": _ref("Encounter", encounter),
                "effectivePeriod": {"start": instant(m.start), "end": instant(m.end)},
                "dosage": dosage,
            }
        )
    for i, n in enumerate(chart.notes, 1):
        loinc, title = NOTE_KINDS[n.kind]
        out.append(
            {
                "resourceType": "DocumentReference",
                "id": f"note-{cid}-{i}",
                "status": "current",
                "type": {
                    "coding": [{"system": LOINC, "code": loinc, "display": title}],
                    "text": title,
                },
                "subject": _ref("Patient", patient),
                "date": instant(n.time),
                "author": [{"display": n.author}],
                "content": [
                    {
                        "attachment": {
                            "contentType": "text/plain",
                            "data": base64.b64encode(n.text.encode("utf-8")).decode("ascii"),
                        }
                    }
                ],
                "context": {"encounter": [_ref("Encounter", encounter)]},
            }
        )
    return out


def observation(
    o: Obs, rid: str, patient: str, encounter: str, *, other_codes: bool = False
) -> dict[str, Any]:
    code, display, category = (OTHER_CODES if other_codes else CODES).get(o.param, CODES[o.param])
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": category,
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": _ref("Patient", patient),
        "encounter": _ref("Encounter", encounter),
    }
    if o.end is not None:
        res["effectivePeriod"] = {"start": instant(o.time), "end": instant(o.end)}
    else:
        res["effectiveDateTime"] = instant(o.time)
    if o.text is not None:
        if o.param == RESPIRATORY_SUPPORT:
            res["valueCodeableConcept"] = {"text": o.text}
        else:
            res["valueString"] = o.text
    else:
        res["valueQuantity"] = {
            "value": _number(o.written),
            "unit": DISPLAY[o.unit],
            "system": UCUM,
            "code": o.unit,
        }
    if o.sedated:
        res["method"] = {
            "coding": [
                {"system": GCS_METHOD, "code": "sedated", "display": "Assessed under sedation"}
            ]
        }
    return res


def _dumps(resource: dict[str, Any]) -> str:
    return json.dumps(resource, ensure_ascii=True, separators=(",", ":"))


def write_ndjson(chart: Chart, case_dir: Path) -> dict[int, str]:
    """One ``<ResourceType>.ndjson`` per type; returns each note's position (``line N``) by
    its index in ``chart.notes``."""
    by_type: dict[str, list[str]] = {}
    for res in resources(chart):
        by_type.setdefault(res["resourceType"], []).append(_dumps(res))
    for kind, lines in by_type.items():
        (case_dir / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {i: f"line {i + 1}" for i in range(len(chart.notes))}


def write_bundle(chart: Chart, case_dir: Path) -> dict[int, str]:
    """``bundle.json``, a Bundle of type collection; returns each note's position
    (``entry N``, counted from 0)."""
    entries = []
    positions: dict[int, str] = {}
    notes_seen = 0
    for n, res in enumerate(resources(chart)):
        entries.append(
            {
                "fullUrl": f"https://claimflow.dev/fhir/{res['resourceType']}/{res['id']}",
                "resource": res,
            }
        )
        if res["resourceType"] == "DocumentReference":
            positions[notes_seen] = f"entry {n}"
            notes_seen += 1
    bundle = {
        "resourceType": "Bundle",
        "id": f"bundle-{chart.case_id.lower()}",
        "type": "collection",
        "entry": entries,
    }
    (case_dir / "bundle.json").write_text(
        json.dumps(bundle, ensure_ascii=True, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    return positions
