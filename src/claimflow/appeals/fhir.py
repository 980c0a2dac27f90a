"""A case's clinical record as FHIR R4 resources (``*.ndjson``, one per line, or ``bundle.json``).

Each resource is validated with the R4B models of ``fhir.resources`` (its default R5 models
reject an R4 DocumentReference) and read as docs/appeals.md lists: Patient, Encounter,
Observation (LOINC, :data:`LOINC`), MedicationAdministration (the drug table of
``ehr_csv.yaml``), Condition (ICD-10-CM, present on admission in an extension) and
DocumentReference (a text/plain note). A resource that does not validate is quarantined with the
file, the line (``entry N`` in a Bundle, from 1) and the validation message — the messages name
the element, never the value. Other resource types are counted as ignored.

Times with an offset are kept as the wall-clock time charted (the offset dropped), as CSV times
are; a date without a time is midnight.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from claimflow.appeals.ehr_csv import (
    DIAGNOSES,
    MEDICATIONS,
    NOTES,
    OBSERVATIONS,
    DrugTable,
    Quarantined,
    Record,
    RowProblem,
    build_observation,
    lineage_hash,
    normalise_icd10,
    normalise_poa,
)
from claimflow.appeals.units import UnknownUnitError, dose_to_canonical, rate_to_canonical
from claimflow.clinical.records import (
    Diagnosis,
    MedicationAdministration,
    Note,
    Source,
)
from claimflow.errors import UnreadableFileError

BUNDLE = "bundle.json"
NDJSON_PATTERN = "*.ndjson"

LOINC: dict[str, str] = {
    "2524-7": "lactate",
    "32693-4": "lactate",
    "2160-0": "creatinine",
    "1975-2": "bilirubin",
    "777-3": "platelets",
    "6690-2": "wbc",
    "764-1": "bands",
    "2703-7": "pao2",
    "2019-8": "paco2",
    "2744-1": "ph",
    "3150-0": "fio2",
    "6301-6": "inr",
    "8478-0": "map",
    "8480-6": "sbp",
    "8867-4": "heart_rate",
    "9279-1": "resp_rate",
    "8310-5": "temperature",
    "59408-5": "spo2",
    "2708-6": "spo2",
    "9269-2": "gcs",
    "9192-6": "urine_output",
    "29463-7": "weight",
    "20077-4": "peep",
    "41925-0": "respiratory_support",
    "600-7": "blood_culture",
}
"""Observation LOINC codes → canonical parameter (docs/appeals.md)."""

NOTE_TYPES: dict[str, str] = {
    "18842-5": "Discharge Summary",
    "34117-2": "History and Physical",
    "11506-3": "Progress Note",
    "11488-4": "Consult Note",
    "34111-5": "ED Note",
    "34746-8": "Nursing Note",
    "28570-0": "Procedure Note",
}
"""LOINC note types → the note type shown, when the DocumentReference has no text for it."""

POA_EXTENSION = "https://claimflow.dev/fhir/StructureDefinition/present-on-admission"
SEDATED = "sedated"

TABLE_OF: dict[str, str] = {
    "Observation": OBSERVATIONS,
    "MedicationAdministration": MEDICATIONS,
    "Condition": DIAGNOSES,
    "DocumentReference": NOTES,
}
READ = frozenset({"Patient", "Encounter", *TABLE_OF})
_VOID = frozenset({"entered-in-error", "cancelled", "not-done"})


def fhir_files(case_dir: Path) -> list[Path]:
    """The FHIR files of a case: its ``*.ndjson`` files, then ``bundle.json``."""
    found = sorted(p for p in case_dir.glob(NDJSON_PATTERN) if p.is_file())
    if (case_dir / BUNDLE).is_file():
        found.append(case_dir / BUNDLE)
    return found


@dataclass
class _Entry:
    file: str
    position: str
    raw: str
    data: dict[str, Any]
    file_id: str

    @property
    def source(self) -> Source:
        return Source(lineage_hash(self.file_id, self.position, self.raw), self.file, self.position)

    def where(self) -> str:
        return f"{self.file}, {self._pos()}"

    def _pos(self) -> str:
        return self.position if self.position.startswith("entry") else f"line {self.position}"


def _entries(path: Path, case_dir: Path, record: Record) -> list[_Entry]:
    """The resources of one file with their positions.

    Raises:
        UnreadableFileError: Empty, not UTF-8, a line (or the Bundle) not JSON, or not a
            resource.
    """
    name = path.relative_to(case_dir).as_posix()
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFileError(name, "empty file")
    file_id = hashlib.sha256(data).hexdigest()
    record.files[name] = file_id
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(name, f"not valid UTF-8 at byte {exc.start}") from None
    entries: list[_Entry] = []
    if path.name == BUNDLE:
        try:
            bundle = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UnreadableFileError(name, f"not JSON: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise UnreadableFileError(name, "not a FHIR Bundle (resourceType is not Bundle)")
        for n, entry in enumerate(bundle.get("entry") or [], start=1):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            position = f"entry {n}"
            if not isinstance(resource, dict):
                raise UnreadableFileError(name, f"{position}: no resource")
            raw = json.dumps(resource, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            entries.append(_Entry(name, position, raw, resource, file_id))
        return entries
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            resource = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UnreadableFileError(name, f"line {n}: not JSON ({exc.msg})") from None
        if not isinstance(resource, dict) or "resourceType" not in resource:
            raise UnreadableFileError(name, f"line {n}: not a FHIR resource (no resourceType)")
        entries.append(_Entry(name, str(n), line, resource, file_id))
    return entries


def validation_message(exc: ValidationError) -> tuple[str, str]:
    """(the first element at fault, every error as ``element: message``) without the input
    values pydantic would echo."""
    errors = exc.errors(include_input=False, include_url=False)
    parts = []
    for e in errors:
        where = ".".join(str(p) for p in e["loc"]) or "(resource)"
        parts.append(f"{where}: {e['msg']}")
    first = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
    return first or "(resource)", "; ".join(parts)


def _time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, Decimal | int | float):
        return float(value)
    return None


def _concept_text(concept: Any) -> str:
    if concept is None:
        return ""
    if concept.text:
        return str(concept.text)
    for coding in concept.coding or []:
        if coding.display:
            return str(coding.display)
        if coding.code:
            return str(coding.code)
    return ""


def _param(code: Any) -> str | None:
    """The parameter of a LOINC coding of ``code`` (an Observation's or a component's)."""
    for coding in (code.coding if code else None) or []:
        if coding.code in LOINC and (not coding.system or "loinc" in str(coding.system)):
            return LOINC[str(coding.code)]
    return None


def _value(element: Any) -> tuple[str | float | None, list[str | None], str]:
    """(the value as written, the unit spellings to try, its element) of an Observation or
    a component: a Quantity (its unit, then its code), a string, a CodeableConcept or an
    integer."""
    if element.valueQuantity is not None:
        quantity = element.valueQuantity
        units = [quantity.unit, quantity.code] if quantity.code else [quantity.unit]
        return _number(quantity.value), units, "valueQuantity"
    if element.valueString is not None:
        return str(element.valueString), [None], "valueString"
    if element.valueCodeableConcept is not None:
        concept = element.valueCodeableConcept
        text = concept.text or next((c.code for c in concept.coding or [] if c.code), None)
        return text, [None], "valueCodeableConcept"
    if element.valueInteger is not None:
        return float(element.valueInteger), [None], "valueInteger"
    return None, [None], "value[x]"


def _reference_id(reference: Any) -> str | None:
    text = getattr(reference, "reference", None)
    return str(text).rsplit("/", 1)[-1] if text else None


class _Reader:
    def __init__(self, record: Record, drugs: DrugTable) -> None:
        self.record = record
        self.drugs = drugs
        self.encounter_id: str | None = None

    def quarantine(
        self, entry: _Entry, table: str, field: str, rule: str, details: str, **values: Any
    ) -> None:
        source = entry.source
        self.record.quarantined.append(
            Quarantined(
                table,
                entry.file,
                entry.position,
                field,
                rule,
                details,
                source.lineage_hash,
                entry.file_id,
                values,
            )
        )

    def other_encounter(self, resource: Any, attribute: str) -> bool:
        ref = getattr(resource, attribute, None)
        if attribute == "context" and ref is not None and not hasattr(ref, "reference"):
            refs = getattr(ref, "encounter", None) or []
            ids = {_reference_id(r) for r in refs}
            return bool(self.encounter_id and ids and self.encounter_id not in ids)
        found = _reference_id(ref)
        return bool(self.encounter_id and found and found != self.encounter_id)

    def observation(self, entry: _Entry, res: Any) -> None:
        """An Observation: its own code and value, or — a panel such as blood pressure
        (85354-9) — each component whose code is read, all with the record's source."""
        if res.status in _VOID:
            self.record.ignore(f"{entry.file}: observations entered in error or cancelled")
            return
        param = _param(res.code)
        parts: list[tuple[str, Any, str]] = []
        if param is not None:
            parts.append((param, res, ""))
        for n, component in enumerate(res.component or []):
            found = _param(component.code)
            if found is not None:
                parts.append((found, component, f"component[{n}]."))
        if not parts:
            self.record.ignore(f"{entry.file}: observations with a code not read")
            return
        if self.other_encounter(res, "encounter"):
            self.record.ignore(f"{entry.file}: rows of another encounter")
            return
        start = _time(res.effectiveDateTime)
        end = None
        if start is None and res.effectivePeriod is not None:
            start, end = _time(res.effectivePeriod.start), _time(res.effectivePeriod.end)
        if start is None:
            self.quarantine(
                entry,
                OBSERVATIONS,
                "effectiveDateTime",
                "time.missing",
                f"{parts[0][0]}: no effectiveDateTime or effectivePeriod.start",
                param=parts[0][0],
            )
            return
        qualifier = None
        for coding in (res.method.coding if res.method else None) or []:
            if coding.code == SEDATED:
                qualifier = SEDATED
        own_value = _value(res)[0]
        for param, element, prefix in parts:
            if element is res and own_value is None and len(parts) > 1:
                continue  # a panel coded as a parameter too: its components hold the values
            self._value_row(entry, param, element, prefix, start, end, qualifier)

    def _value_row(
        self,
        entry: _Entry,
        param: str,
        element: Any,
        prefix: str,
        start: dt.datetime,
        end: dt.datetime | None,
        qualifier: str | None,
    ) -> None:
        raw, units, value_field = _value(element)
        values: dict[str, Any] = {
            "param": param,
            "observed_at": start,
            "raw_value": "" if raw is None else str(raw),
            "raw_unit": units[0] or "",
        }
        problem: RowProblem | None = None
        for unit in units:
            try:
                obs = build_observation(
                    param, start, raw, unit, entry.source, end=end, qualifier=qualifier
                )
            except RowProblem as exc:
                problem = problem or exc
                continue
            self.record.observations.append(obs)
            return
        assert problem is not None
        field = prefix + (f"{value_field}.unit" if problem.part == "unit" else value_field)
        self.quarantine(entry, OBSERVATIONS, field, problem.rule, problem.details, **values)

    def medication(self, entry: _Entry, res: Any) -> None:
        if res.status in _VOID:
            self.record.ignore(f"{entry.file}: administrations not done or in error")
            return
        if self.other_encounter(res, "context"):
            self.record.ignore(f"{entry.file}: rows of another encounter")
            return
        text = _concept_text(res.medicationCodeableConcept)
        if not text:
            self.quarantine(
                entry,
                MEDICATIONS,
                "medicationCodeableConcept",
                "medication.missing",
                "no medicationCodeableConcept text or coding (a medicationReference is not read)",
            )
            return
        drug, drug_class = self.drugs.identify(text)
        start = _time(res.effectiveDateTime)
        end = None
        if start is None and res.effectivePeriod is not None:
            start, end = _time(res.effectivePeriod.start), _time(res.effectivePeriod.end)
        values: dict[str, Any] = {"drug": drug, "drug_class": drug_class, "started_at": start}
        if start is None:
            self.quarantine(
                entry,
                MEDICATIONS,
                "effectiveDateTime",
                "time.missing",
                f"{drug}: no effectiveDateTime or effectivePeriod.start",
                **values,
            )
            return
        amounts: dict[str, tuple[float, str] | None] = {"rate": None, "dose": None}
        dosage = res.dosage
        for part, quantity in (
            ("rate", dosage.rateQuantity if dosage else None),
            ("dose", dosage.dose if dosage else None),
        ):
            if quantity is None or quantity.value is None:
                continue
            convert = rate_to_canonical if part == "rate" else dose_to_canonical
            problem: UnknownUnitError | None = None
            for unit in (quantity.unit, quantity.code):
                if unit is None and problem is not None:
                    continue
                try:
                    converted = convert(float(quantity.value), unit)
                except UnknownUnitError as exc:
                    problem = problem or exc
                    continue
                amounts[part] = (converted.value, converted.unit)
                problem = None
                break
            if problem is not None:
                element = "dosage.rateQuantity.unit" if part == "rate" else "dosage.dose.unit"
                self.quarantine(entry, MEDICATIONS, element, "unit.unknown", str(problem), **values)
                return
        rate, dose = amounts["rate"], amounts["dose"]
        self.record.medications.append(
            MedicationAdministration(
                drug,
                drug_class,
                start,
                end,
                rate[0] if rate else None,
                rate[1] if rate else None,
                dose[0] if dose else None,
                dose[1] if dose else None,
                entry.source,
            )
        )

    def condition(self, entry: _Entry, res: Any) -> None:
        status = _concept_text(res.verificationStatus)
        if status in ("entered-in-error", "refuted"):
            self.record.ignore(f"{entry.file}: conditions refuted or in error")
            return
        if self.other_encounter(res, "encounter"):
            self.record.ignore(f"{entry.file}: rows of another encounter")
            return
        codings = (res.code.coding if res.code else None) or []
        chosen = next((c for c in codings if c.system and "icd-10" in str(c.system)), None)
        chosen = chosen or next((c for c in codings if c.code), None)
        if chosen is None or not chosen.code:
            self.quarantine(entry, DIAGNOSES, "code.coding", "code.missing", "no ICD-10-CM coding")
            return
        description = str(res.code.text or chosen.display or "")
        poa = ""
        for extension in res.extension or []:
            if extension.url == POA_EXTENSION:
                poa = str(extension.valueCode or "")
        try:
            code = normalise_icd10(str(chosen.code))
            poa = normalise_poa(poa)
        except RowProblem as problem:
            field = "code.coding.code" if problem.part == "code" else f"extension({POA_EXTENSION})"
            self.quarantine(
                entry, DIAGNOSES, field, problem.rule, problem.details, code=str(chosen.code)
            )
            return
        onset = _time(res.onsetDateTime)
        self.record.diagnoses.append(Diagnosis(code, description, poa, onset, entry.source))

    def document(self, entry: _Entry, res: Any) -> None:
        if res.status in _VOID or res.docStatus in _VOID:
            self.record.ignore(f"{entry.file}: documents in error")
            return
        if self.other_encounter(res, "context"):
            self.record.ignore(f"{entry.file}: rows of another encounter")
            return
        note_type = str(res.type.text or "") if res.type else ""
        if not note_type and res.type is not None:
            for coding in res.type.coding or []:
                note_type = str(coding.display or NOTE_TYPES.get(str(coding.code), ""))
                if note_type:
                    break
        note_type = note_type or "Note"
        time = _time(res.date)
        if time is None and res.context is not None and res.context.period is not None:
            time = _time(res.context.period.start)
        values: dict[str, Any] = {"note_type": note_type, "written_at": time}
        if time is None:
            self.quarantine(
                entry, NOTES, "date", "time.missing", "no date (or context.period.start)", **values
            )
            return
        attachment = res.content[0].attachment if res.content else None
        kind = str(attachment.contentType or "text/plain") if attachment else ""
        if attachment is None or attachment.data is None or not kind.startswith("text/plain"):
            self.quarantine(
                entry,
                NOTES,
                "content.attachment",
                "content.not_text",
                f"the note is not inline text/plain (contentType {kind or 'none'})",
                **values,
            )
            return
        data = attachment.data
        if isinstance(data, str):
            try:
                data = base64.b64decode(data, validate=True)
            except binascii.Error:
                data = None
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else None
        except UnicodeDecodeError:
            text = None
        if not text or not text.strip():
            self.quarantine(
                entry,
                NOTES,
                "content.attachment.data",
                "text.empty",
                "the note's data is empty or not UTF-8 text",
                **values,
            )
            return
        author = ""
        if res.author:
            author = str(res.author[0].display or "")
        self.record.notes.append(Note(note_type, time, text, entry.source, author))


def read_fhir_record(case_dir: Path, drugs: DrugTable) -> Record:
    """Read a case's FHIR files into a record.

    Raises:
        UnreadableFileError: A file is empty, not JSON; the case has no valid Encounter with a
            start, or several that cannot be told apart.
    """
    files = fhir_files(case_dir)
    record = Record("fhir_bundle" if files and files[-1].name == BUNDLE else "fhir_ndjson")
    if len(files) > 1 and files[-1].name == BUNDLE:
        record.format = "fhir_ndjson+bundle"
    entries = [e for path in files for e in _entries(path, case_dir, record)]
    validated: list[tuple[_Entry, str, Any]] = []
    for entry in entries:
        kind = str(entry.data.get("resourceType"))
        if kind not in READ:
            record.ignore(f"{entry.file}: {kind} resources (not read)")
            continue
        try:
            resource = get_fhir_model_class(kind).model_validate(entry.data)
        except ValidationError as exc:
            field, message = validation_message(exc)
            if kind in TABLE_OF:
                reader_q = Quarantined(
                    TABLE_OF[kind],
                    entry.file,
                    entry.position,
                    field,
                    "fhir.invalid",
                    f"{kind} does not validate (FHIR R4): {message}",
                    entry.source.lineage_hash,
                    entry.file_id,
                )
                record.quarantined.append(reader_q)
                continue
            if kind == "Encounter":
                raise UnreadableFileError(
                    entry.file,
                    f"{entry.where().split(', ', 1)[1]}: the Encounter does not validate (FHIR"
                    f" R4): {message}",
                ) from None
            record.ignore(f"{entry.file}: {kind} resources that do not validate")
            continue
        validated.append((entry, kind, resource))
    reader = _Reader(record, drugs)
    _encounter(record, reader, validated, case_dir)
    for entry, kind, resource in validated:
        if kind == "Observation":
            reader.observation(entry, resource)
        elif kind == "MedicationAdministration":
            reader.medication(entry, resource)
        elif kind == "Condition":
            reader.condition(entry, resource)
        elif kind == "DocumentReference":
            reader.document(entry, resource)
        elif kind == "Patient" and record.member_id is None and resource.id:
            record.member_id = str(resource.id)
    return record


def _encounter(
    record: Record, reader: _Reader, validated: list[tuple[_Entry, str, Any]], case_dir: Path
) -> None:
    encounters = [(e, r) for e, kind, r in validated if kind == "Encounter"]
    if not encounters:
        names = ", ".join(sorted(record.files)) or "no FHIR file"
        raise UnreadableFileError(
            str(case_dir), f"no Encounter resource in the FHIR record ({names})"
        )
    if len(encounters) > 1:
        inpatient = [(e, r) for e, r in encounters if e.data.get("class", {}).get("code") == "IMP"]
        if len(inpatient) != 1:
            where = "; ".join(e.where() for e, _ in encounters)
            raise UnreadableFileError(
                encounters[0][0].file,
                f"several Encounters ({where}) and not exactly one inpatient (class IMP):"
                " a case is one encounter",
            )
        encounters = inpatient
    entry, encounter = encounters[0]
    reader.encounter_id = str(encounter.id) if encounter.id else None
    if encounter.identifier:
        value = encounter.identifier[0].value
        record.account_number = str(value) if value else None
    start = _time(encounter.period.start) if encounter.period else None
    if start is None:
        raise UnreadableFileError(
            entry.file, f"{entry.where().split(', ', 1)[1]}: the Encounter has no period.start"
        )
    record.admitted = start
    record.discharged = _time(encounter.period.end) if encounter.period else None
    subject = _reference_id(encounter.subject)
    if subject:
        record.member_id = subject
