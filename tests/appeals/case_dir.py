"""One real sepsis appeal case, written as a case directory (docs/appeals.md, "A case directory")
and, when asked, prepared, drafted and published in a warehouse: for the tests of the surfaces
that read prepared cases (the API's ``/appeals`` routes, the dashboard's Appeals page).

Every value is chosen by hand; what the engine must make of them, worked out by hand from
docs/appeals.md:

- Sepsis present on admission (A41.9, POA Y): the SOFA window is the 24 h from admission,
  2025-03-01 08:00.
- Respiration: PaO2 70 with FiO2 0.50 at 12:00 (P/F 140) on invasive ventilation -> 3;
  platelets 85 -> 2; norepinephrine 0.12 mcg/kg/min 11:00-17:00 -> 4; GCS 13 -> 1; creatinine
  2.4 -> 2. Lactate 4.2 mmol/L at 09:00.
- The progress note of 14:00 says "Cr 3.1"; the lab of 11:00 shows 2.4 (29% apart): one
  conflict for CDI review.
- The denial: Acme Health Plan, account H100234567, claim CLM-2025-00918, DRG 871 -> 872, the
  arguments ``sofa_below_2`` and ``lactate_not_elevated``; letter of March 14, 2025, appeal
  within 60 days: deadline 2025-05-13.
- Patient identifiers: the member id :data:`MEMBER_ID` (the denial's and the FHIR Patient's).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CASE_ID = "SEPSIS-0001"
ACCOUNT = "H100234567"
CLAIM_NUMBER = "CLM-2025-00918"
MEMBER_ID = "XJ4429910"
PAYER = "Acme Health Plan"
DEADLINE = dt.date(2025, 5, 13)  # March 14 + 60 days
LACTATE = 4.2
LACTATE_AT = dt.datetime(2025, 3, 1, 9, 0)

DENIAL = f"""\
{PAYER}
Clinical Validation Unit
March 14, 2025

Payer: {PAYER}
Patient Account Number: {ACCOUNT}
Claim Number: {CLAIM_NUMBER}
Member ID: {MEMBER_ID}
Dates of Service: 03/01/2025 - 03/07/2025

Dear Provider,

After a clinical validation review, the DRG on this claim was changed from DRG 871
(Septicemia or severe sepsis without MV >96 hours with MCC) to DRG 872. The record does not
support sepsis: the SOFA score was below 2 and the lactate was not elevated.

You may appeal within sixty (60) days of the date of this letter.
"""

NAMED_DENIAL = DENIAL.replace(
    "The record does not\nsupport sepsis: the SOFA score",
    f"For member {MEMBER_ID} the SOFA score",
)
"""The same denial, its argument's sentence naming the member: the letter quotes it."""

UNDECIDED_DENIAL = f"""\
Payer: {PAYER}
Patient Account Number: H100999999

The claim was reviewed. You may appeal within 60 days of the date of this letter.
"""
"""No DRG, no condition's words: with a chart without the diagnosis, the condition is undecided."""

NOTE = (
    "Progress note. Patient septic on arrival, lactate 4.2, MAP 62 on norepinephrine. "
    "Intubated for hypoxemia. GCS 13. Cr 3.1."
)

LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
POA = "https://claimflow.dev/fhir/StructureDefinition/present-on-admission"
TZ = "-05:00"


def _at(hour: int, minute: int = 0, day: int = 1) -> str:
    return f"2025-03-{day:02d}T{hour:02d}:{minute:02d}:00{TZ}"


def _observation(
    loinc: str, when: str, value: float | None = None, unit: str | None = None, **extra: Any
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "subject": {"reference": f"Patient/{MEMBER_ID}"},
        "encounter": {"reference": "Encounter/enc-1"},
        "effectiveDateTime": when,
    }
    if value is not None:
        quantity: dict[str, Any] = {"value": value}
        if unit is not None:
            quantity["unit"] = unit
        resource["valueQuantity"] = quantity
    resource.update(extra)
    return resource


def _text(loinc: str, when: str, text: str) -> dict[str, Any]:
    return _observation(loinc, when, valueCodeableConcept={"text": text})


def resources(*, diagnosis: bool = True) -> list[dict[str, Any]]:
    """The chart as FHIR R4 resources (without the sepsis diagnosis: a chart whose condition
    only the denial can decide)."""
    subject = {"reference": f"Patient/{MEMBER_ID}"}
    found: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": MEMBER_ID},
        {
            "resourceType": "Encounter",
            "id": "enc-1",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "identifier": [{"value": ACCOUNT}],
            "subject": subject,
            "period": {"start": _at(8), "end": _at(12, day=7)},
        },
        _observation("29463-7", _at(8), 80, "kg"),
        _observation("2524-7", _at(9), LACTATE, "mmol/L"),
        _text("600-7", _at(9, 30), "drawn"),
        _observation("8478-0", _at(10), 62, "mm[Hg]"),
        _observation("9269-2", _at(10), 13),
        _observation("777-3", _at(11), 85, "10*3/uL"),
        _observation("2160-0", _at(11), 2.4, "mg/dL"),
        _text("41925-0", _at(11, 30), "invasive_ventilation"),
        _observation("2703-7", _at(12), 70, "mm[Hg]"),
        _observation("3150-0", _at(12), 50, "%"),
        {
            "resourceType": "MedicationAdministration",
            "status": "completed",
            "medicationCodeableConcept": {"text": "Norepinephrine infusion"},
            "subject": subject,
            "context": {"reference": "Encounter/enc-1"},
            "effectivePeriod": {"start": _at(11), "end": _at(17)},
            "dosage": {"rateQuantity": {"value": 0.12, "unit": "mcg/kg/min"}},
        },
        {
            "resourceType": "Condition",  # (dropped without ``diagnosis``)
            "subject": subject,
            "encounter": {"reference": "Encounter/enc-1"},
            "code": {"coding": [{"system": ICD10, "code": "A41.9"}], "text": "Sepsis"},
            "onsetDateTime": _at(8),
            "extension": [{"url": POA, "valueCode": "Y"}],
        },
        {
            "resourceType": "DocumentReference",
            "status": "current",
            "type": {"coding": [{"system": LOINC, "code": "11506-3"}], "text": "Progress Note"},
            "subject": subject,
            "date": _at(14),
            "author": [{"display": "Dr. Smith"}],
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain",
                        "data": base64.b64encode(NOTE.encode()).decode(),
                    }
                }
            ],
        },
    ]
    return [r for r in found if diagnosis or r["resourceType"] != "Condition"]


def write_case(
    parent: Path, case_id: str = CASE_ID, *, denial: str = DENIAL, diagnosis: bool = True
) -> Path:
    """The case directory ``parent/case_id``: ``denial.txt`` (``denial``) and one NDJSON file
    per resource type (as a FHIR bulk export writes them)."""
    case_dir = parent / case_id
    case_dir.mkdir(parents=True, exist_ok=True)
    by_type: dict[str, list[str]] = {}
    for resource in resources(diagnosis=diagnosis):
        by_type.setdefault(resource["resourceType"], []).append(json.dumps(resource))
    for kind, lines in by_type.items():
        (case_dir / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (case_dir / "denial.txt").write_text(denial, encoding="utf-8")
    return case_dir


@dataclass(frozen=True)
class PreparedCase:
    """A warehouse holding the case, prepared and drafted once, its snapshot published."""

    warehouse: Path
    case_dir: Path
    out_dir: Path
    case_id: str = CASE_ID


def prepared_warehouse(
    root: Path,
    *,
    drafted_at: dt.datetime | None = None,
    others: dict[str, dict[str, Any]] | None = None,
) -> PreparedCase:
    """Write the case under ``root``, prepare it in a new warehouse (``root/w.duckdb``) as
    ``claimflow appeal prepare`` does, draft it once as ``claimflow appeal draft`` does
    (documents in ``root/out``, the draft recorded) and publish the serving snapshot.

    ``others``: more cases, case id → :func:`write_case`'s keywords, prepared and not
    drafted."""
    from claimflow.appeals.case import load_case
    from claimflow.appeals.draft import draft_case
    from claimflow.appeals.profiles import load_profiles
    from claimflow.appeals.store import store_case
    from claimflow.warehouse.connection import open_warehouse
    from claimflow.warehouse.serving import publish_snapshot

    root.mkdir(parents=True, exist_ok=True)
    case_dir = write_case(root / "cases")
    warehouse = root / "w.duckdb"
    out_dir = root / "out" / CASE_ID
    conn = open_warehouse(warehouse)
    try:
        store_case(conn, load_case(case_dir))
        for other, kwargs in (others or {}).items():
            store_case(conn, load_case(write_case(root / "cases", other, **kwargs)))
        draft_case(
            conn,
            CASE_ID,
            out_dir,
            load_profiles(),
            drafted_by="test",
            now=drafted_at or dt.datetime(2025, 3, 20, 9, 0),
        )
        assert publish_snapshot(conn, warehouse)
    finally:
        conn.close()
    return PreparedCase(warehouse, case_dir, out_dir)
