"""FHIR R4 resources (NDJSON and a Bundle) validated with the R4B models: what is read, and a
resource that does not validate quarantined with its file, line or entry and the message."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from claimflow.appeals.ehr_csv import DrugTable, load_mapping
from claimflow.appeals.fhir import read_fhir_record
from claimflow.errors import UnreadableFileError
from tests.appeals.fixtures.cases import (
    NOTE_TEXT,
    fhir_resources,
    observation,
    write_fhir_bundle,
    write_fhir_ndjson,
)


@pytest.fixture(scope="module")
def drugs() -> DrugTable:
    return load_mapping().drug_table()


def _at(hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, 1, hh, mm)


def _values(record: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (o.param, o.time, o.value, o.unit, o.text, o.end, o.qualifier) for o in record.observations
    )


def test_ndjson_and_bundle_read_the_same_chart(tmp_path: Path, drugs: DrugTable) -> None:
    ndjson = read_fhir_record(write_fhir_ndjson(tmp_path / "a"), drugs)
    bundle = read_fhir_record(write_fhir_bundle(tmp_path / "b"), drugs)
    assert (ndjson.format, bundle.format) == ("fhir_ndjson", "fhir_bundle")
    assert _values(ndjson) == _values(bundle)
    for record in (ndjson, bundle):
        # the wall-clock time charted, its offset dropped
        assert (record.admitted, record.discharged) == (_at(8), dt.datetime(2025, 3, 7, 12))
        assert (record.account_number, record.member_id) == ("H100234567", "M123")
        assert record.quarantined == []
    got = {(o.param, o.time): o for o in ndjson.observations}
    assert got["creatinine", _at(9, 10)].value == pytest.approx(221.0 / 88.4)
    assert got["temperature", _at(9)].value == pytest.approx((101.3 - 32) * 5 / 9)
    assert got["fio2", _at(10)].value == pytest.approx(0.40) == got["fio2", _at(11)].value
    assert got["gcs", _at(14)].qualifier == "sedated"
    assert got["urine_output", _at(8)].end == _at(20)
    assert got["respiratory_support", _at(9, 50)].text == "invasive_ventilation"
    meds = {m.drug: m for m in ndjson.medications}
    assert (meds["norepinephrine"].rate, meds["norepinephrine"].rate_unit) == (0.12, "ug/kg/min")
    assert meds["norepinephrine"].drug_class == "vasoactive"  # from "Levophed (...) infusion"
    assert (meds["vancomycin"].dose, meds["vancomycin"].dose_unit) == (1.0, "g")
    (dx,) = ndjson.diagnoses
    assert (dx.code, dx.poa, dx.description) == ("A41.9", "Y", "Sepsis")
    (note,) = ndjson.notes  # an R4 DocumentReference (context.encounter): R4B reads it
    assert (note.note_type, note.text, note.author) == ("Progress Note", NOTE_TEXT, "Dr. Smith")
    assert ndjson.ignored == {"Procedure.ndjson: Procedure resources (not read)": 1}


def test_positions_and_lineage(tmp_path: Path, drugs: DrugTable) -> None:
    case = write_fhir_ndjson(tmp_path / "a")
    record = read_fhir_record(case, drugs)
    lines = (case / "Observation.ndjson").read_text().splitlines()
    file_id = hashlib.sha256((case / "Observation.ndjson").read_bytes()).hexdigest()
    (lactate,) = [o for o in record.observations if o.param == "lactate"]
    assert (lactate.source.file, lactate.source.position) == ("Observation.ndjson", "1")
    expected = hashlib.sha256(f"{file_id}:1:{lines[0]}".encode()).hexdigest()
    assert lactate.source.lineage_hash == expected
    bundle = read_fhir_record(write_fhir_bundle(tmp_path / "b"), drugs)
    (lactate,) = [o for o in bundle.observations if o.param == "lactate"]
    assert (lactate.source.file, lactate.source.position) == ("bundle.json", "entry 3")


def test_a_resource_that_does_not_validate_is_quarantined(tmp_path: Path, drugs: DrugTable) -> None:
    resources = fhir_resources()
    bad_value = observation("2524-7", "2025-03-01T09:30:00-05:00")
    bad_value["valueQuantity"] = {"value": "XJ4429910", "unit": "mmol/L"}  # a PHI-like string
    no_offset = observation("2524-7", "2025-03-01T09:40:00", 3.1, "mmol/L")  # FHIR needs one
    unknown_unit = observation("2524-7", "2025-03-01T09:50:00-05:00", 3.3, "mEq/L")
    unknown_code = observation("2951-2", "2025-03-01T09:50:00-05:00", 138, "mmol/L")  # sodium
    pdf_note = {
        **resources[-2],
        "content": [{"attachment": {"contentType": "application/pdf",
                                    "data": base64.b64encode(b"%PDF").decode()}}],
    }  # fmt: skip
    case = write_fhir_bundle(
        tmp_path / "b", [*resources, bad_value, no_offset, unknown_unit, unknown_code, pdf_note]
    )
    record = read_fhir_record(case, drugs)
    first = len(resources) + 1
    held = {q.position: q for q in record.quarantined}
    assert set(held) == {f"entry {first + i}" for i in (0, 1, 2, 4)}
    invalid = held[f"entry {first}"]
    assert (invalid.file, invalid.rule, invalid.table) == (
        "bundle.json",
        "fhir.invalid",
        "clinical_observations",
    )
    assert invalid.field == "valueQuantity.value"
    assert "Observation does not validate" in invalid.details
    assert "XJ4429910" not in invalid.details  # pydantic's input value is not echoed
    assert held[f"entry {first + 1}"].field == "effectiveDateTime"
    unit = held[f"entry {first + 2}"]
    assert (unit.field, unit.rule) == ("valueQuantity.unit", "unit.unknown")
    assert "mEq/L" in unit.details and "mmol/L" in unit.details
    assert held[f"entry {first + 4}"].rule == "content.not_text"
    assert record.ignored["bundle.json: observations with a code not read"] == 1
    # the valid rows are all there
    assert len([o for o in record.observations if o.param == "lactate"]) == 1


def test_the_default_r5_models_would_reject_this_r4_note() -> None:
    from fhir.resources.documentreference import DocumentReference as R5
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        R5.model_validate(fhir_resources()[-2])


def test_no_encounter_an_invalid_encounter_and_a_broken_line_are_clear_errors(
    tmp_path: Path, drugs: DrugTable
) -> None:
    without = [r for r in fhir_resources() if r["resourceType"] != "Encounter"]
    with pytest.raises(UnreadableFileError, match="no Encounter"):
        read_fhir_record(write_fhir_ndjson(tmp_path / "a", without), drugs)
    broken = fhir_resources()
    broken[1] = {**broken[1], "period": {"start": "yesterday"}}
    with pytest.raises(UnreadableFileError, match=r"Encounter.ndjson: line 1: the Encounter does"):
        read_fhir_record(write_fhir_ndjson(tmp_path / "b", broken), drugs)
    case = write_fhir_ndjson(tmp_path / "c")
    with (case / "Observation.ndjson").open("a") as handle:
        handle.write('{"resourceType": "Observation", "status": \n')
    lines = len((case / "Observation.ndjson").read_text().splitlines())
    with pytest.raises(UnreadableFileError, match=rf"Observation.ndjson: line {lines}: not JSON"):
        read_fhir_record(case, drugs)


def test_several_encounters_take_the_inpatient_one(tmp_path: Path, drugs: DrugTable) -> None:
    resources = fhir_resources()
    er = {**resources[1], "id": "enc-0", "class": {"code": "EMER"},
          "identifier": [{"value": "ER-1"}]}  # fmt: skip
    other = observation("2524-7", "2025-03-01T07:00:00-05:00", 9.9, "mmol/L")
    other["encounter"] = {"reference": "Encounter/enc-0"}
    record = read_fhir_record(write_fhir_ndjson(tmp_path / "a", [er, *resources, other]), drugs)
    assert record.account_number == "H100234567"
    assert 9.9 not in [o.value for o in record.observations]
    assert json.dumps(record.ignored).count("another encounter") == 1


def test_a_blood_pressure_panel_gives_its_components(tmp_path: Path, drugs: DrugTable) -> None:
    panel = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "subject": {"reference": "Patient/M123"},
        "effectiveDateTime": "2025-03-01T09:30:00-05:00",
        "component": [
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
             "valueQuantity": {"value": 88, "unit": "mmHg"}},
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
             "valueQuantity": {"value": 50, "unit": "mmHg"}},  # diastolic: not read
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8478-0"}]},
             "valueQuantity": {"value": 62, "unit": "cm[H2O]"}},  # a unit MAP is not in
        ],
    }  # fmt: skip
    case = write_fhir_ndjson(tmp_path / "a", [*fhir_resources(), panel])
    record = read_fhir_record(case, drugs)
    at = [o for o in record.observations if o.time == _at(9, 30)]
    assert [(o.param, o.value, o.source.file) for o in at] == [("sbp", 88.0, "Observation.ndjson")]
    (held,) = record.quarantined
    assert held.field == "component[2].valueQuantity.unit" and held.rule == "unit.unknown"
    assert held.position == at[0].source.position  # the record's line
