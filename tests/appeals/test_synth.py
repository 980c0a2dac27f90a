"""``claimflow synth appeals`` (issue 20): synthetic appeal cases and their truth.

What a benchmark relies on, checked by reading the written files back independently (json,
csv, pypdf, Pillow, the FHIR R4B models) with the LOINC codes, CSV names and unit conversions
of docs/appeals.md: every case directory is in the documented format, the record holds the
values truth cites, truth's conflicts are the cross-check rule applied to every number the
notes write, the letters say what truth says they say (text PDFs with a text layer, scans
image-only), every hard case appears in a 40-case run, and the same seed gives the same bytes.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from claimflow.synth.appeals import AppealsSummary, generate_appeals
from tests.conftest import cli

CASES = 40
SEED = 11
ORGANS = ("respiration", "coagulation", "liver", "cardiovascular", "cns", "renal")
HARD_CASES = {
    # the issue's
    "pressor_mcg_min", "fio2_percent", "fio2_fraction", "sedated_gcs", "no_drg_numbers",
    "note_contradicts_lab", "does_not_meet_criteria",
    # the brief's
    "infection_anchor", "baseline_labs", "baseline_sofa", "units_si", "temperature_f",
    "weight_lb",
    # decoys and boundaries the rules must get right
    "late_worse_value", "short_pressor", "vasopressin", "unpaired_pao2", "pre_sedation_gcs",
    "titrated_infusion", "pf_without_support", "boundary_bilirubin", "boundary_dopamine",
    "boundary_spo2", "compensated_hypercapnia", "spo2_not_on_room_air", "total_2_delta_1",
    "kdigo_rise_48h", "rise_outside_48h", "baseline_outside_7_days", "urine_output_oliguria",
    "pre_admission_vitals", "pressor_before_window", "fio2_bare_number", "sepsis_not_poa",
}  # fmt: skip

# docs/appeals.md, "FHIR R4 resources read"
LOINC = {
    "2524-7": "lactate", "32693-4": "lactate", "2160-0": "creatinine", "1975-2": "bilirubin",
    "777-3": "platelets", "6690-2": "wbc", "764-1": "bands", "2703-7": "pao2",
    "2019-8": "paco2", "2744-1": "ph", "3150-0": "fio2", "6301-6": "inr", "8478-0": "map",
    "8480-6": "sbp", "8867-4": "heart_rate", "9279-1": "resp_rate", "8310-5": "temperature",
    "59408-5": "spo2", "2708-6": "spo2", "9269-2": "gcs", "9192-6": "urine_output",
    "29463-7": "weight", "20077-4": "peep", "41925-0": "respiratory_support",
    "600-7": "blood_culture",
}  # fmt: skip
# the engine's default CSV mapping (the brief's column values)
CSV_NAMES = {
    "LACTIC ACID": "lactate", "CREATININE": "creatinine", "BILIRUBIN TOTAL": "bilirubin",
    "PLATELET COUNT": "platelets", "WBC": "wbc", "BANDS": "bands", "PO2 ARTERIAL": "pao2",
    "PCO2 ARTERIAL": "paco2", "PH ARTERIAL": "ph", "FIO2": "fio2", "INR": "inr",
    "BLOOD CULTURE": "blood_culture", "MEAN ARTERIAL PRESSURE": "map", "BP SYSTOLIC": "sbp",
    "PULSE": "heart_rate", "RESPIRATIONS": "resp_rate", "TEMPERATURE": "temperature",
    "SPO2": "spo2", "GLASGOW COMA SCALE SCORE": "gcs", "URINE OUTPUT": "urine_output",
    "WEIGHT": "weight", "PEEP": "peep", "O2 DEVICE": "respiratory_support",
}  # fmt: skip
TEXT_PARAMS = {"respiratory_support", "blood_culture"}
CSV_TABLES = {"encounter.csv", "labs.csv", "vitals.csv", "medications.csv", "diagnoses.csv",
              "notes.csv"}  # fmt: skip
LETTER_FILES = {"txt": "denial.txt", "text_pdf": "denial.pdf", "scan_pdf": "denial.pdf",
                "png": "denial.png", "tif": "denial.tif"}  # fmt: skip
# how notes name a parameter (docs/appeals.md, "Evidence cross-check")
NOTE_NAMES = {
    "lactate": r"lactate|lactic acid", "creatinine": r"creatinine|Cr",
    "platelets": r"platelets", "bilirubin": r"bilirubin", "wbc": r"WBC", "map": r"MAP",
    "heart_rate": r"HR", "resp_rate": r"RR", "temperature": r"temp", "spo2": r"SpO2|O2 sat",
    "gcs": r"GCS",
}  # fmt: skip


def canonical(param: str, value: float, unit: str) -> float:
    """docs/appeals.md's conversions to the canonical units."""
    unit = unit.replace("µ", "u")
    if param == "creatinine" and unit == "umol/L":
        return value / 88.4
    if param == "bilirubin" and unit == "umol/L":
        return value / 17.1
    if param == "temperature" and unit in ("degF", "[degF]"):
        return (value - 32) * 5 / 9
    if param == "weight" and unit in ("lb", "[lb_av]"):
        return value * 0.45359237
    if param == "fio2" and (unit == "%" or value > 1):
        return value / 100
    return value


@dataclass
class Row:
    param: str
    time: dt.datetime
    value: float | None
    text: str | None
    unit: str
    written: str
    sedated: bool = False
    end: dt.datetime | None = None


@dataclass
class Record:
    account: str
    member: str
    admitted: dt.datetime
    discharged: dt.datetime
    rows: list[Row] = field(default_factory=list)
    meds: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[dt.datetime, str]] = field(default_factory=list)

    def of(self, param: str) -> list[Row]:
        return sorted((r for r in self.rows if r.param == param), key=lambda r: r.time)


def fhir_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def csv_time(text: str) -> dt.datetime | None:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M") if text else None


def read_fhir(resources: list[dict[str, Any]]) -> Record:
    enc = next(r for r in resources if r["resourceType"] == "Encounter")
    record = Record(
        account=enc["identifier"][0]["value"],
        member=next(r for r in resources if r["resourceType"] == "Patient")["id"],
        admitted=fhir_time(enc["period"]["start"]),
        discharged=fhir_time(enc["period"]["end"]),
    )
    for r in resources:
        kind = r["resourceType"]
        if kind == "Observation":
            param = LOINC[r["code"]["coding"][0]["code"]]
            if "effectivePeriod" in r:
                t = fhir_time(r["effectivePeriod"]["start"])
                end: dt.datetime | None = fhir_time(r["effectivePeriod"]["end"])
            else:
                t, end = fhir_time(r["effectiveDateTime"]), None
            sedated = r.get("method", {}).get("coding", [{}])[0].get("code") == "sedated"
            if "valueQuantity" in r:
                q = r["valueQuantity"]
                value = canonical(param, float(q["value"]), q.get("code", q.get("unit", "")))
                record.rows.append(Row(param, t, value, None, q["code"], str(q["value"]),
                                       sedated, end))  # fmt: skip
            else:
                text = r.get("valueString") or r["valueCodeableConcept"]["text"]
                record.rows.append(Row(param, t, None, text, "", text, sedated, end))
        elif kind == "MedicationAdministration":
            rate = r["dosage"].get("rateQuantity")
            record.meds.append({
                "name": r["medicationCodeableConcept"]["text"],
                "start": fhir_time(r["effectivePeriod"]["start"]),
                "end": fhir_time(r["effectivePeriod"]["end"]),
                "rate": None if rate is None else float(rate["value"]),
                "rate_unit": None if rate is None else rate["unit"],
            })  # fmt: skip
        elif kind == "DocumentReference":
            text = base64.b64decode(r["content"][0]["attachment"]["data"]).decode("utf-8")
            record.notes.append((fhir_time(r["date"]), text))
    return record


def read_csv(case_dir: Path) -> Record:
    def rows(name: str) -> list[dict[str, str]]:
        with (case_dir / name).open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    enc = rows("encounter.csv")[0]
    admitted, discharged = csv_time(enc["ADMIT_TIME"]), csv_time(enc["DISCHARGE_TIME"])
    assert admitted is not None and discharged is not None
    record = Record(enc["ACCOUNT_NUMBER"], enc["MEMBER_ID"], admitted, discharged)
    for r in rows("labs.csv"):
        param = CSV_NAMES[r["COMPONENT_NAME"]]
        t = csv_time(r["RESULT_TIME"])
        assert t is not None
        if param in TEXT_PARAMS:
            record.rows.append(Row(param, t, None, r["RESULT_VALUE"], "", r["RESULT_VALUE"]))
        else:
            value = canonical(param, float(r["RESULT_VALUE"]), r["RESULT_UNIT"])
            record.rows.append(Row(param, t, value, None, r["RESULT_UNIT"], r["RESULT_VALUE"]))
    for r in rows("vitals.csv"):
        param = CSV_NAMES[r["FLOWSHEET_NAME"]]
        t = csv_time(r["RECORDED_TIME"])
        assert t is not None
        sedated = r["COMMENT"] == "sedated"
        if param in TEXT_PARAMS:
            record.rows.append(Row(param, t, None, r["MEAS_VALUE"], "", r["MEAS_VALUE"]))
        else:
            value = canonical(param, float(r["MEAS_VALUE"]), r["UNITS"])
            record.rows.append(Row(param, t, value, None, r["UNITS"], r["MEAS_VALUE"], sedated,
                                   csv_time(r["END_TIME"])))  # fmt: skip
    for r in rows("medications.csv"):
        record.meds.append({
            "name": r["MEDICATION_NAME"],
            "start": csv_time(r["START_TIME"]),
            "end": csv_time(r["END_TIME"]),
            "rate": float(r["RATE"]) if r["RATE"] else None,
            "rate_unit": r["RATE_UNIT"] or None,
        })  # fmt: skip
    for r in rows("notes.csv"):
        t = csv_time(r["NOTE_TIME"])
        assert t is not None
        record.notes.append((t, r["NOTE_TEXT"]))
    return record


def read_record(case_dir: Path, record_format: str) -> Record:
    if record_format == "csv":
        return read_csv(case_dir)
    if record_format == "fhir_bundle":
        bundle = json.loads((case_dir / "bundle.json").read_text(encoding="utf-8"))
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
        return read_fhir([e["resource"] for e in bundle["entry"]])
    resources = [
        json.loads(line)
        for path in sorted(case_dir.glob("*.ndjson"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return read_fhir(resources)


def letter_text(case_dir: Path, fmt: str) -> str | None:
    """The letter's text for the text formats (``None`` for scans)."""
    if fmt == "txt":
        return (case_dir / "denial.txt").read_text(encoding="ascii")
    if fmt == "text_pdf":
        from pypdf import PdfReader

        return "\n".join(p.extract_text() for p in PdfReader(case_dir / "denial.pdf").pages)
    return None


@dataclass
class Run:
    root: Path
    summary: AppealsSummary

    def truths(self) -> list[dict[str, Any]]:
        return [
            json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((self.root / "truth").glob("A*.json"))
        ]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("synth_appeals") / "cases"
    return Run(root, generate_appeals(root, cases=CASES, seed=SEED))


def test_the_run_has_every_condition_format_and_a_fifth_that_does_not_meet(run: Run) -> None:
    summary = json.loads((run.root / "truth" / "summary.json").read_text(encoding="utf-8"))
    assert summary == run.summary.truth
    assert summary["cases"] == CASES
    assert set(summary["by_condition"]) == {"sepsis", "respiratory_failure", "aki"}
    assert min(summary["by_condition"].values()) >= 13
    assert set(summary["by_record_format"]) == {"fhir_ndjson", "fhir_bundle", "csv"}
    assert set(summary["by_letter_format"]) == set(LETTER_FILES)
    scans = summary["by_letter_format"]["scan_pdf"] + summary["by_letter_format"]["png"]
    assert summary["by_letter_format"]["text_pdf"] >= 12 and scans >= 12
    weak = summary["does_not_meet_criteria"]
    assert summary["meets_criteria"] + weak == CASES
    assert 0.15 <= weak / CASES <= 0.25
    truths = run.truths()
    assert [t["case_id"] for t in truths] == [f"A{i:04d}" for i in range(1, CASES + 1)]
    # every condition has cases that meet its criteria and cases that do not
    for condition in summary["by_condition"]:
        verdicts = {t["meets_criteria"] for t in truths if t["condition"] == condition}
        assert verdicts == {True, False}, condition


def test_every_hard_case_appears_in_a_40_case_run(run: Run) -> None:
    seen = {tag for t in run.truths() for tag in t["hard_cases"]}
    assert seen >= HARD_CASES, sorted(HARD_CASES - seen)


def test_each_case_directory_is_in_the_documented_format(run: Run) -> None:
    for t in run.truths():
        case_dir = run.root / t["case_id"]
        names = {p.name for p in case_dir.iterdir()}
        letter = LETTER_FILES[t["letter_format"]]
        assert t["letter_file"] == letter
        record = names - {letter}
        assert len([n for n in names if n.startswith("denial.")]) == 1
        if t["record_format"] == "csv":
            assert record == CSV_TABLES
        elif t["record_format"] == "fhir_bundle":
            assert record == {"bundle.json"}
        else:
            assert {"Patient.ndjson", "Encounter.ndjson", "Observation.ndjson",
                    "Condition.ndjson", "DocumentReference.ndjson"} <= record  # fmt: skip
            assert all(n.endswith(".ndjson") for n in record)
        assert sorted(record) == t["record_files"]


def test_fhir_validates_with_the_r4b_models(run: Run) -> None:
    from fhir.resources.R4B import get_fhir_model_class

    truths = run.truths()
    ndjson = [t for t in truths if t["record_format"] == "fhir_ndjson"][:2]
    bundles = [t for t in truths if t["record_format"] == "fhir_bundle"][:2]
    kinds: set[str] = set()
    for t in ndjson:
        for path in sorted((run.root / t["case_id"]).glob("*.ndjson")):
            for line in path.read_text(encoding="utf-8").splitlines():
                resource = json.loads(line)
                assert path.stem == resource["resourceType"]
                get_fhir_model_class(resource["resourceType"]).model_validate(resource)
                kinds.add(resource["resourceType"])
    for t in bundles:
        bundle = json.loads((run.root / t["case_id"] / "bundle.json").read_text("utf-8"))
        get_fhir_model_class("Bundle").model_validate(bundle)
    assert kinds == {"Patient", "Encounter", "Observation", "MedicationAdministration",
                     "Condition", "DocumentReference"}  # fmt: skip


def sofa_delta(t: dict[str, Any]) -> int:
    delta: int = t["sofa"]["delta"]
    return delta


def _band(value: float, edges: tuple[float, ...], rising: bool) -> int:
    return sum(1 for e in edges if (value >= e if rising else value < e))


def test_the_record_holds_what_truth_cites(run: Run) -> None:
    for t in run.truths():
        rec = read_record(run.root / t["case_id"], t["record_format"])
        assert (rec.account, rec.member) == (t["account_number"], t["member_id"])
        assert rec.admitted.isoformat() == t["admitted"]
        assert rec.discharged.isoformat() == t["discharged"]
        if t["condition"] == "sepsis":
            q, sirs = t["qsofa"], t["sirs"]
            assert q["score"] == sum(1 for f in q["flags"].values() if f)
            assert sirs["count"] == sum(1 for f in sirs["criteria"].values() if f)
            assert t["sepsis3"] == (sofa_delta(t) >= 2) == t["meets_criteria"]
        else:
            assert t["qsofa"] is t["sirs"] is t["sepsis3"] is None
        sofa = t["sofa"]
        start = dt.datetime.fromisoformat(sofa["window"]["start"])
        end = dt.datetime.fromisoformat(sofa["window"]["end"])
        assert end - start == dt.timedelta(hours=24)
        assert (sofa["window"]["anchor"] == "admission") == (start == rec.admitted)
        organs = sofa["organs"]
        assert sofa["total"] == sum(organs[o]["points"] for o in ORGANS)
        assert sofa["delta"] == sofa["total"] - sofa["baseline"]
        assert sofa["missing"] == [o for o in ORGANS if not organs[o]["assessable"]]
        # the laboratory organs: the worst value in the window, re-read from the files
        for organ, param, edges, rising in (
            ("coagulation", "platelets", (150, 100, 50, 20), False),
            ("liver", "bilirubin", (1.2, 2.0, 6.0, 12.0), True),
        ):
            inside = [r for r in rec.of(param) if start <= r.time < end]
            assert organs[organ]["assessable"] == bool(inside)
            if inside:
                values = [r.value for r in inside if r.value is not None]
                worst = min(values) if not rising else max(values)
                assert organs[organ]["value"] == pytest.approx(worst, rel=1e-3)
                assert organs[organ]["points"] == _band(worst, edges, rising)
        # the cited GCS is charted at its time, not under sedation
        cns = organs["cns"]
        if cns["assessable"]:
            cited = [r for r in rec.of("gcs") if r.time.isoformat() == cns["time"]]
            assert [r.value for r in cited if not r.sedated] == [cns["value"]]
        if organs["respiration"]["assessable"]:
            pao2 = [
                r for r in rec.of("pao2") if r.time.isoformat() == organs["respiration"]["time"]
            ]
            assert len(pao2) == 1 and start <= pao2[0].time < end


def test_truth_conflicts_are_the_rule_on_every_number_the_notes_write(run: Run) -> None:
    number = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?!\.?\d|\w|-year-old)")
    total_conflicts = 0
    for t in run.truths():
        rec = read_record(run.root / t["case_id"], t["record_format"])
        notes = sorted(rec.notes)
        items = [(c, True) for c in t["conflicts"]] + [(c, False) for c in t["agreements"]]
        for i, (_, text) in enumerate(notes):
            # every number a note writes (but the age) is compared in truth
            mine = [c for c, _ in items if c["note"]["index"] == i]
            assert len(number.findall(text)) == len(mine), (t["case_id"], i, text)
        for c, conflict in items:
            time, text = notes[c["note"]["index"]]
            assert c["note"]["time"] == time.isoformat()
            assert c["note"]["file"] in t["record_files"]
            value = c["note_value"]
            assert c["mention"] in text, (c, text)
            phrase = re.fullmatch(r"(.+?)(?: of)? ([\d.]+)(?:%| mmol/L)?", c["mention"])
            assert phrase is not None
            name, written = phrase.groups()
            assert re.fullmatch(NOTE_NAMES[c["param"]], name) and float(written) == value
            rows = [r for r in rec.of(c["param"]) if r.value is not None]
            gap = min(abs(r.time - time) for r in rows)
            assert gap <= dt.timedelta(hours=12)
            closest = [r for r in rows if abs(r.time - time) == gap]
            assert len(closest) == 1
            assert closest[0].time.isoformat() == c["structured_time"]
            s = closest[0].value
            assert s == pytest.approx(c["structured_value"], abs=1e-3)
            assert s is not None
            differs = value != s if c["param"] == "gcs" else abs(value - s) > 0.10 * abs(s)
            assert differs == conflict, c
        total_conflicts += len(t["conflicts"])
    assert total_conflicts >= 10


def test_the_letters_say_what_truth_says(run: Run) -> None:
    from PIL import Image
    from pypdf import PdfReader

    for t in run.truths():
        case_dir = run.root / t["case_id"]
        fmt = t["letter_format"]
        text = letter_text(case_dir, fmt)
        if fmt == "scan_pdf":
            reader = PdfReader(case_dir / "denial.pdf")
            assert len(reader.pages) == 1
            assert reader.pages[0].extract_text().strip() == ""  # image-only
            assert len(reader.pages[0].images) == 1
        elif fmt in ("png", "tif"):
            with Image.open(case_dir / LETTER_FILES[fmt]) as image:
                assert image.size == (1700, 2200)
                assert round(float(image.info["dpi"][0])) == 200
                assert image.mode == ("1" if fmt == "tif" else "L")
        if text is None:
            continue
        for key in ("account_number", "claim_number", "member_id", "patient_name", "payer"):
            assert t[key] in text, (key, t["case_id"])
        letter_date = dt.date.fromisoformat(t["letter_date"])
        assert f"{letter_date:%B} {letter_date.day}, {letter_date.year}" in text
        admitted = dt.datetime.fromisoformat(t["admitted"])
        assert f"{admitted:%m/%d/%Y}" in text
        drgs = re.findall(r"DRG:?\s+(\d{3})", text)
        if t["original_drg"] is None:
            assert drgs == [] and t["proposed_drg"] is None
            assert "lower-weighted DRG" in text
        else:
            assert drgs == [t["original_drg"], t["proposed_drg"]]
        deadline = dt.date.fromisoformat(t["appeal_deadline"])
        days = re.search(r"within (\d+) days of the date of this letter", text)
        if days:
            assert letter_date + dt.timedelta(days=int(days.group(1))) == deadline
        else:
            assert f"no later than {deadline:%B} {deadline.day}, {deadline.year}" in text
        bullets = [line for line in text.splitlines() if line.startswith("- ")]
        assert len(bullets) == len(t["arguments"]) == len(t["argument_phrases"]) >= 1
        flat = " ".join(text.split())
        positions = [flat.index(phrase) for phrase in t["argument_phrases"]]
        assert positions == sorted(positions)
        assert text.isascii()


def test_same_seed_same_bytes_and_another_seed_differs(run: Run, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_appeals(again, cases=10, seed=SEED, workers=1)
    for case_dir in sorted(p for p in again.iterdir() if p.name.startswith("A")):
        for path in sorted(case_dir.iterdir()):
            assert path.read_bytes() == (run.root / case_dir.name / path.name).read_bytes(), path
        truth = f"truth/{case_dir.name}.json"
        assert (again / truth).read_bytes() == (run.root / truth).read_bytes()
    other = tmp_path / "other"
    generate_appeals(other, cases=3, seed=SEED + 1)
    for case_id in ("A0001", "A0002", "A0003"):
        for name in ("denial.pdf", "Observation.ndjson"):
            mine, theirs = other / case_id / name, run.root / case_id / name
            if mine.exists() and theirs.exists():
                assert mine.read_bytes() != theirs.read_bytes()
        assert (other / "truth" / f"{case_id}.json").read_bytes() != (
            run.root / "truth" / f"{case_id}.json"
        ).read_bytes()


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr not installed")
def test_a_scanned_pdf_reads_back_with_tesseract(run: Run, tmp_path: Path) -> None:
    from pypdf import PdfReader

    t = next(t for t in run.truths() if t["letter_format"] == "scan_pdf")
    image = PdfReader(run.root / t["case_id"] / "denial.pdf").pages[0].images[0]
    path = tmp_path / "page.jpg"
    path.write_bytes(image.data)
    out = subprocess.run(
        ["tesseract", str(path), "-", "--psm", "6"], capture_output=True, text=True, check=True
    ).stdout
    assert t["account_number"] in out
    assert t["claim_number"] in out


def test_cli(tmp_path: Path) -> None:
    out = tmp_path / "cases"
    result = cli("synth", "appeals", "--cases", "3", "--seed", "5", "--out", str(out))
    assert result.exit_code == 0, result.stdout
    assert "meets criteria" in result.stdout and "sepsis" in result.stdout
    summary = json.loads((out / "truth" / "summary.json").read_text(encoding="utf-8"))
    assert summary["cases"] == 3 and summary["seed"] == 5
    assert sorted(p.name for p in out.iterdir()) == ["A0001", "A0002", "A0003", "truth"]
    assert cli("synth", "appeals", "--cases", "0", "--out", str(out)).exit_code == 2
    # a shorter run into the same folder leaves nothing of the longer one
    assert cli("synth", "appeals", "--cases", "2", "--seed", "5", "--out", str(out)).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["A0001", "A0002", "truth"]
    assert sorted(p.name for p in (out / "truth").iterdir()) == [
        "A0001.json",
        "A0002.json",
        "summary.json",
    ]
    helped = cli("synth", "--help")
    assert helped.exit_code == 0 and "appeals" in helped.stdout and "--claims" in helped.stdout
