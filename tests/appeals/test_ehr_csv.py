"""The CSV EHR-export shape through the default mapping, another EHR's names through --config,
and the rows that are quarantined (file, line, field, the units known; never a PHI value)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from claimflow.appeals.ehr_csv import (
    CsvMapping,
    load_mapping,
    read_csv_record,
)
from claimflow.errors import ConfigError, MissingColumnError, UnreadableFileError
from tests.appeals.fixtures.cases import NOTE_TEXT, VITALS, write_csv_case

T0 = dt.datetime(2025, 3, 1)


def _at(hh: int, mm: int = 0) -> dt.datetime:
    return T0.replace(hour=hh, minute=mm)


@pytest.fixture(scope="module")
def mapping() -> CsvMapping:
    return load_mapping()


def test_the_default_shape(tmp_path: Path, mapping: CsvMapping) -> None:
    record = read_csv_record(write_csv_case(tmp_path / "case"), mapping)
    assert record.format == "csv"
    assert (record.admitted, record.discharged) == (_at(8), dt.datetime(2025, 3, 7, 12))
    assert (record.account_number, record.member_id) == ("H100234567", "XJ4429910")
    got = {(o.param, o.time): o for o in record.observations}
    # values converted by the factors of docs/appeals.md
    assert got["lactate", _at(9, 10)].value == 4.2
    assert got["lactate", _at(15)].value == pytest.approx(27.03 / 9.01)
    assert got["creatinine", _at(9, 10)].value == pytest.approx(176.8 / 88.4)
    assert got["pao2", _at(10, 5)].value == pytest.approx(8 * 7.50062)
    assert got["temperature", _at(9)].value == pytest.approx((102.2 - 32) * 5 / 9)
    assert got["weight", _at(8)].value == pytest.approx(176.37 * 0.45359237)
    assert got["weight", _at(8)].unit == "kg"
    # FiO2 written as 40 % and as 0.40: the same fraction
    assert got["fio2", _at(10)].value == pytest.approx(0.40)
    assert got["fio2", _at(11)].value == pytest.approx(0.40)
    # a GCS under sedation, urine output over a period, text parameters
    assert got["gcs", _at(14)].qualifier == "sedated"
    assert got["gcs", _at(14)].value == 9
    assert got["urine_output", _at(8)].end == _at(20)
    assert got["blood_culture", _at(8, 30)].text == "drawn"
    assert got["blood_culture", _at(8, 30)].value is None
    assert got["respiratory_support", _at(9, 50)].text == "invasive_ventilation"
    assert got["lactate", _at(15)].raw_value == "27.03"
    assert got["lactate", _at(15)].raw_unit == "mg/dL"
    # SODIUM is not a parameter the engine reads: left out and counted, not quarantined
    assert record.ignored == {"labs.csv: names not mapped to a parameter": 1}
    assert record.quarantined == []
    meds = {m.drug: m for m in record.medications}
    assert meds["norepinephrine"].drug_class == "vasoactive"
    assert (meds["norepinephrine"].rate, meds["norepinephrine"].rate_unit) == (8.0, "ug/min")
    assert meds["piperacillin-tazobactam"].drug_class == "antibiotic"
    assert (meds["lactated ringers"].dose, meds["lactated ringers"].dose_unit) == (2000.0, "mL")
    assert meds["lactated ringers"].drug_class == "crystalloid"
    assert [(d.code, d.poa) for d in record.diagnoses] == [("A41.9", "Y"), ("R65.21", "Y")]
    (note,) = record.notes
    assert (note.note_type, note.time, note.author, note.text) == (
        "Progress Note",
        _at(12),
        "Dr. Smith",
        NOTE_TEXT,
    )


def test_lineage_hash_is_the_file_the_line_and_the_record(
    tmp_path: Path, mapping: CsvMapping
) -> None:
    case = write_csv_case(tmp_path / "case")
    record = read_csv_record(case, mapping)
    data = (case / "labs.csv").read_bytes()
    file_id = hashlib.sha256(data).hexdigest()
    rows = list(csv.reader(data.decode().splitlines()))
    header, third = rows[0], rows[2]  # line 3: the lactate in mg/dL
    raw = json.dumps(dict(zip(header, third, strict=True)), separators=(",", ":"))
    expected = hashlib.sha256(f"{file_id}:3:{raw}".encode()).hexdigest()
    (lactate,) = [o for o in record.observations if o.raw_unit == "mg/dL"]
    assert (lactate.source.file, lactate.source.position) == ("labs.csv", "3")
    assert lactate.source.lineage_hash == expected
    assert record.files["labs.csv"] == file_id
    assert len({o.source.lineage_hash for o in record.observations}) == len(record.observations)


def test_unknown_unit_bad_value_bad_time_unknown_device_are_quarantined(
    tmp_path: Path, mapping: CsvMapping
) -> None:
    labs = [
        ("LACTIC ACID", "4.2", "mEq/L", "2025-03-01 09:10"),  # line 2: unit not known
        ("CREATININE", "high", "mg/dL", "2025-03-01 09:10"),  # line 3: not a number
        ("PLATELET COUNT", "95", "K/uL", "03/01/2025 9am"),  # line 4: time
        ("WBC", "15.2", "K/uL", "2025-03-01 09:10"),  # line 5: fine
    ]
    vitals = [*VITALS, ("O2 DEVICE", "iron lung", "", "2025-03-01 09:55", "", "")]
    record = read_csv_record(write_csv_case(tmp_path / "c", labs=labs, vitals=vitals), mapping)
    held = {(q.file, q.position): q for q in record.quarantined}
    assert set(held) == {
        ("labs.csv", "2"),
        ("labs.csv", "3"),
        ("labs.csv", "4"),
        ("vitals.csv", "8"),
    }
    unit = held["labs.csv", "2"]
    assert (unit.field, unit.rule, unit.table) == (
        "RESULT_UNIT",
        "unit.unknown",
        "clinical_observations",
    )
    assert "'mEq/L'" in unit.details and "mmol/L" in unit.details and "mg/dL" in unit.details
    assert unit.reason().startswith("labs.csv, line 2, RESULT_UNIT: ")
    assert unit.values["raw_unit"] == "mEq/L" and unit.values["param"] == "lactate"
    assert (held["labs.csv", "3"].field, held["labs.csv", "3"].rule) == (
        "RESULT_VALUE",
        "value.not_number",
    )
    assert (held["labs.csv", "4"].field, held["labs.csv", "4"].rule) == (
        "RESULT_TIME",
        "time.unparseable",
    )
    device = held["vitals.csv", "8"]
    assert device.field == "MEAS_VALUE" and "invasive_ventilation" in device.details
    assert [o.param for o in record.observations if o.param in ("lactate", "wbc")] == ["wbc"]
    for q in record.quarantined:  # the reasons carry no value: not the member id, not "high"
        assert "XJ4429910" not in q.reason() and "high" not in q.reason()


def test_a_multiline_note_keeps_the_line_numbers_of_the_records_after_it(
    tmp_path: Path, mapping: CsvMapping
) -> None:
    case = write_csv_case(tmp_path / "case")
    with (case / "notes.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["ENCOUNTER_ID", "NOTE_TYPE", "NOTE_TIME", "AUTHOR", "NOTE_TEXT"])
        w.writerow(["E1", "H&P", "2025-03-01 09:00", "Dr. A", "line one\nline two\nline three"])
        w.writerow(["E1", "Progress Note", "tomorrow", "Dr. B", "Patient Jane Roe, lactate 4"])
    record = read_csv_record(case, mapping)
    assert [(n.source.position, n.text) for n in record.notes] == [
        ("2", "line one\nline two\nline three")
    ]
    (held,) = record.quarantined
    assert (held.file, held.position, held.field) == ("notes.csv", "5", "NOTE_TIME")
    assert "Jane Roe" not in held.reason()


def test_rows_of_another_encounter_are_left_out(tmp_path: Path, mapping: CsvMapping) -> None:
    case = write_csv_case(tmp_path / "case")
    with (case / "labs.csv").open("a", newline="") as handle:
        csv.writer(handle).writerow(["E2", "LACTIC ACID", "9.9", "mmol/L", "2025-03-01 10:00"])
    record = read_csv_record(case, mapping)
    assert 9.9 not in [o.value for o in record.observations]
    assert record.ignored["labs.csv: another encounter"] == 1


def test_another_ehrs_names_through_a_config(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "adt.csv").write_text("ACCT,ADMIT\nA-77,2025-03-01T08:00\n")
    (case / "results.csv").write_text(
        "TEST,VAL,UOM,WHEN\nLACT,36.04,mg/dL,2025-03-01T09:00\nO2 SOURCE,BiPAP,,2025-03-01T09:05\n"
    )
    config = tmp_path / "other.yaml"
    config.write_text(
        """
time_formats: ["%Y-%m-%dT%H:%M"]
tables:
  encounter: {file: adt.csv, columns: {account_number: ACCT, admitted: ADMIT}}
  labs: {file: results.csv, columns: {name: TEST, value: VAL, unit: UOM, time: WHEN}}
  vitals: {file: flowsheet.csv, columns: {name: N, value: V, time: T}}
  medications: {file: mar.csv, columns: {name: N, start: S}}
  diagnoses: {file: dx.csv, columns: {code: C}}
  notes: {file: notes.csv, columns: {time: T, text: X}}
parameters: {LACT: lactate, O2 SOURCE: respiratory_support}
"""
    )
    mapping = load_mapping(config)
    assert mapping.drug_table().identify("Levophed drip") == ("norepinephrine", "vasoactive")
    record = read_csv_record(case, mapping)
    assert record.account_number == "A-77"
    (lactate,) = record.observations[:1]
    assert lactate.value == pytest.approx(36.04 / 9.01)
    (held,) = record.quarantined  # BiPAP is not a support kind the engine knows: say so
    assert (held.file, held.position, held.field) == ("results.csv", "3", "VAL")
    assert "niv" in held.details


def test_a_bad_config_names_the_field(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("parameters: {LACT: lactic}\ndrugs: {x: {class: opioid, names: [x]}}\n")
    with pytest.raises(ConfigError) as caught:
        load_mapping(config)
    assert "parameters.LACT" in str(caught.value)
    assert "drugs.x.class" in str(caught.value)
    with pytest.raises(ConfigError, match="cannot read"):
        load_mapping(tmp_path / "missing.yaml")


def test_a_missing_column_and_a_missing_encounter_are_clear_errors(
    tmp_path: Path, mapping: CsvMapping
) -> None:
    case = write_csv_case(tmp_path / "case")
    (case / "labs.csv").write_text("ENCOUNTER_ID,COMPONENT_NAME,RESULT_VALUE,RESULT_TIME\n")
    with pytest.raises(MissingColumnError, match=r"labs.csv: no column RESULT_UNIT \(field unit\)"):
        read_csv_record(case, mapping)
    (case / "encounter.csv").unlink()
    with pytest.raises(UnreadableFileError, match=r"encounter\.csv"):
        read_csv_record(case, mapping)


def test_the_drug_table(mapping: CsvMapping) -> None:
    drugs = mapping.drug_table()
    assert drugs.identify("Norepinephrine 4 mg in Sodium Chloride 0.9% 250 mL") == (
        "norepinephrine",
        "vasoactive",
    )
    assert drugs.identify("NS 250 mL with vasopressin 20 units") == ("vasopressin", "vasoactive")
    assert drugs.identify("Sodium Chloride 0.9% 1000 mL bolus") == (
        "sodium chloride 0.9%",
        "crystalloid",
    )
    assert drugs.identify("LACTATED RINGER’S") == ("lactated ringers", "crystalloid")
    assert drugs.identify("Zosyn 4.5 g") == ("piperacillin-tazobactam", "antibiotic")
    assert drugs.identify("Ampicillin/Sulbactam 3 g") == ("ampicillin-sulbactam", "antibiotic")
    assert drugs.identify("Heparin  5000 units") == ("heparin 5000 units", None)
    assert drugs.identify("dopamine")[1] == "vasoactive"
    assert drugs.identify("epinephrine") == ("epinephrine", "vasoactive")
    assert drugs.identify("norepinephrine") == ("norepinephrine", "vasoactive")
