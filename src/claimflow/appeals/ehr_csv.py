"""A case's clinical record as CSV tables in an EHR-export shape, mapped by config to the chart.

``ehr_csv.yaml`` (packaged) maps the default shape (docs/appeals.md): which file holds which
table, which column which field, which lab and flowsheet names are which parameter, and the drug
table (medication names → drug and class) that the FHIR reader uses too. ``--config FILE``
replaces any of its top-level sections for another EHR's export.

Every row read becomes a chart row with its :class:`~claimflow.clinical.records.Source` (the
lineage hash over the file's SHA-256, the record's first line and the record as a JSON object
of its fields); a row that cannot be read as declared — a unit not known, a value that is not a
number, a time that does not parse — is quarantined with the file, the line, the field and why
(:class:`Quarantined`), never with the value of an identifier or a note.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from claimflow.appeals.units import (
    UnknownUnitError,
    dose_to_canonical,
    rate_to_canonical,
    to_canonical,
)
from claimflow.clinical.records import (
    BLOOD_CULTURE,
    CANONICAL_UNITS,
    DRUG_CLASSES,
    RESPIRATORY_SUPPORT,
    SUPPORT_KINDS,
    TEXT_PARAMS,
    Diagnosis,
    MedicationAdministration,
    Note,
    Observation,
    Source,
)
from claimflow.config import load_yaml
from claimflow.errors import ConfigError, MissingColumnError, UnreadableFileError

DEFAULT_MAPPING = "ehr_csv.yaml"

OBSERVATIONS = "clinical_observations"
MEDICATIONS = "clinical_medications"
DIAGNOSES = "clinical_diagnoses"
NOTES = "clinical_notes"

TEXT_VALUES: dict[str, frozenset[str]] = {
    RESPIRATORY_SUPPORT: SUPPORT_KINDS,
    BLOOD_CULTURE: frozenset({"drawn", "positive", "negative"}),
}
"""The values a text parameter takes (lower case, spaces as underscores)."""

POA_VALUES = frozenset({"Y", "N", "U", "W"})
"""Present on admission as kept; ``1`` (exempt) and an empty flag are kept as ``""``."""

TableName = Literal["encounter", "labs", "vitals", "medications", "diagnoses", "notes"]

REQUIRED_FIELDS: dict[str, frozenset[str]] = {
    "encounter": frozenset({"admitted"}),
    "labs": frozenset({"name", "value", "time"}),
    "vitals": frozenset({"name", "value", "time"}),
    "medications": frozenset({"name", "start"}),
    "diagnoses": frozenset({"code"}),
    "notes": frozenset({"time", "text"}),
}
"""The fields a table's mapping must name (the others are read when mapped)."""

KNOWN_FIELDS: dict[str, frozenset[str]] = {
    "encounter": frozenset(
        {"encounter_id", "account_number", "member_id", "admitted", "discharged"}
    ),
    "labs": frozenset({"encounter_id", "name", "value", "unit", "time", "end", "comment"}),
    "vitals": frozenset({"encounter_id", "name", "value", "unit", "time", "end", "comment"}),
    "medications": frozenset(
        {"encounter_id", "name", "dose", "dose_unit", "rate", "rate_unit", "start", "end"}
    ),
    "diagnoses": frozenset({"encounter_id", "code", "description", "poa", "time"}),
    "notes": frozenset({"encounter_id", "note_type", "time", "author", "text"}),
}


# --- what every reader returns ------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes: its id in every lineage hash of its rows."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def lineage_hash(file_id: str, position: str, raw: str) -> str:
    """``sha256(file_id ':' position ':' raw)``: the house's lineage hash of a record."""
    return hashlib.sha256(f"{file_id}:{position}:{raw}".encode()).hexdigest()


@dataclass(frozen=True)
class Quarantined:
    """A record not loaded: the table it was meant for, where it is, the field at fault and
    why (no patient identifier, no note text, no value in ``details``); ``values`` holds what
    could be read of it for the quarantine table."""

    table: str
    file: str
    position: str
    field: str
    rule: str
    details: str
    lineage_hash: str
    source_file_id: str
    values: dict[str, Any] = dataclasses.field(default_factory=dict)

    def reason(self) -> str:
        """``file, line N, field: details`` (safe to print)."""
        where = self.position if self.position.startswith("entry") else f"line {self.position}"
        return f"{self.file}, {where}, {self.field}: {self.details}"


@dataclass
class Record:
    """The clinical record of a case as read: the encounter, the rows, what was quarantined and
    what was left out on purpose (``ignored``: why → how many)."""

    format: str
    account_number: str | None = None
    member_id: str | None = None
    admitted: dt.datetime | None = None
    discharged: dt.datetime | None = None
    observations: list[Observation] = field(default_factory=list)
    medications: list[MedicationAdministration] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    """Each file read (relative to the case directory) → its SHA-256."""

    def ignore(self, why: str) -> None:
        self.ignored[why] = self.ignored.get(why, 0) + 1

    @property
    def rows(self) -> int:
        return (
            len(self.observations) + len(self.medications) + len(self.diagnoses) + len(self.notes)
        )


class RowProblem(ValueError):
    """Why a value cannot be loaded: the rule, which part of the record (``value``, ``unit``,
    ``time``, ...) and the details."""

    def __init__(self, rule: str, part: str, details: str) -> None:
        super().__init__(details)
        self.rule = rule
        self.part = part
        self.details = details


def build_observation(
    param: str,
    time: dt.datetime,
    raw_value: str | float | None,
    raw_unit: str | None,
    source: Source,
    *,
    end: dt.datetime | None = None,
    qualifier: str | None = None,
) -> Observation:
    """One observation in its canonical unit (a text parameter: its value as text).

    Raises:
        RowProblem: The value is not a number (or not a known text value), or its unit is not
            known for the parameter.
    """
    shown = "" if raw_value is None else str(raw_value).strip()
    unit_text = (raw_unit or "").strip()
    if param in TEXT_PARAMS:
        text = re.sub(r"[\s-]+", "_", shown.lower())
        if text not in TEXT_VALUES[param]:
            known = ", ".join(sorted(TEXT_VALUES[param]))
            raise RowProblem("value.unknown", "value", f"{param} is not one of {known}")
        return Observation(
            param,
            time,
            None,
            "",
            source,
            text=text,
            end=end,
            qualifier=qualifier,
            raw_value=shown,
            raw_unit=unit_text,
        )
    try:
        number = float(shown.replace(",", "")) if isinstance(raw_value, str) else raw_value
    except ValueError:
        number = None
    if number is None or number != number:
        raise RowProblem("value.not_number", "value", f"{param}: the value is not a number")
    try:
        converted = to_canonical(param, float(number), unit_text)
    except UnknownUnitError as exc:
        raise RowProblem("unit.unknown", "unit", str(exc)) from None
    return Observation(
        param,
        time,
        converted.value,
        converted.unit,
        source,
        end=end,
        qualifier=qualifier,
        raw_value=shown,
        raw_unit=unit_text,
    )


# --- the mapping --------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class TableMap(_Frozen):
    """One CSV table: its file name and which column holds which field."""

    file: str
    columns: dict[str, str]


class DrugEntry(_Frozen):
    """A drug: its class and the names it is charted under."""

    drug_class: str = Field(alias="class")
    names: list[str] = Field(min_length=1)


class CsvMapping(_Frozen):
    """The mapping of an EHR's CSV export (``ehr_csv.yaml``)."""

    time_formats: list[str] = Field(min_length=1)
    tables: dict[TableName, TableMap]
    parameters: dict[str, str]
    qualifiers: dict[str, str] = {}
    drugs: dict[str, DrugEntry]
    _index: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> CsvMapping:
        problems = []
        for table, required in REQUIRED_FIELDS.items():
            mapped = self.tables.get(table)  # type: ignore[call-overload]
            if mapped is None:
                problems.append(f"tables.{table}: missing")
                continue
            for name in sorted(required - set(mapped.columns)):
                problems.append(f"tables.{table}.columns.{name}: missing")
            for name in sorted(set(mapped.columns) - KNOWN_FIELDS[table]):
                known = ", ".join(sorted(KNOWN_FIELDS[table]))
                problems.append(f"tables.{table}.columns.{name}: not a field (one of {known})")
        for name, param in self.parameters.items():
            if param not in CANONICAL_UNITS and param not in TEXT_PARAMS:
                problems.append(f"parameters.{name}: {param!r} is not a parameter")
        for drug, entry in self.drugs.items():
            if entry.drug_class not in DRUG_CLASSES:
                known = ", ".join(sorted(DRUG_CLASSES))
                problems.append(f"drugs.{drug}.class: {entry.drug_class!r} is not one of {known}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._index = {" ".join(k.split()).upper(): v for k, v in self.parameters.items()}

    def parameter(self, name: str) -> str | None:
        """The canonical parameter of a lab or flowsheet name (case-insensitive), if mapped."""
        return self._index.get(" ".join(name.split()).upper())

    def drug_table(self) -> DrugTable:
        """The drug table of this mapping."""
        return DrugTable({d: (e.drug_class, tuple(e.names)) for d, e in self.drugs.items()})


_CLASS_ORDER = {"vasoactive": 0, "antibiotic": 1, "crystalloid": 2}


class DrugTable:
    """Medication names → (canonical drug, class). A name is found as whole words in the
    medication's text; with several, the vasoactive drug wins, then the antibiotic, then the
    crystalloid, then the one written first. A text with none is the drug itself (lower case,
    spaces collapsed), of no class."""

    def __init__(self, drugs: dict[str, tuple[str, tuple[str, ...]]]) -> None:
        self._patterns: list[tuple[int, str, str, re.Pattern[str]]] = []
        for drug, (drug_class, names) in drugs.items():
            for name in {drug, *names}:
                pattern = re.compile(rf"(?<![a-z0-9]){re.escape(_fold(name))}(?![a-z0-9])")
                self._patterns.append((_CLASS_ORDER.get(drug_class, 9), drug, drug_class, pattern))

    def identify(self, text: str) -> tuple[str, str | None]:
        """The canonical drug and its class for a medication's text."""
        folded = _fold(text)
        best: tuple[int, int, int, str, str] | None = None
        for rank, drug, drug_class, pattern in self._patterns:
            found = pattern.search(folded)
            if found is None:
                continue
            key = (rank, found.start(), -len(found.group(0)), drug, drug_class)
            if best is None or key < best:
                best = key
        if best is None:
            return folded, None
        return best[3], best[4]


def _fold(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").replace("\u2018", "'").split())


def load_mapping(path: Path | None = None) -> CsvMapping:
    """The packaged mapping, with the top-level sections of ``path`` (if given) replacing its.

    Raises:
        ConfigError: ``path`` cannot be read, is not YAML, or the result is not a valid mapping
            (naming the file and the field).
    """
    packaged = resources.files("claimflow.appeals") / DEFAULT_MAPPING
    data: dict[str, Any] = load_yaml(packaged.read_text(encoding="utf-8"))
    name = f"claimflow/appeals/{DEFAULT_MAPPING}"
    if path is not None:
        name = str(path)
        try:
            override = load_yaml(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the mapping: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not YAML: {exc}") from None
        if not isinstance(override, dict):
            raise ConfigError(f"{path}: expected a mapping of sections (tables, parameters, ...)")
        data = {**data, **override}
    try:
        return CsvMapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
            for e in exc.errors(include_input=False)
        )
        raise ConfigError(f"{name}: not a CSV mapping: {problems}") from None


# --- reading a case's CSV tables ----------------------------------------------------------


def csv_files(case_dir: Path, mapping: CsvMapping) -> list[Path]:
    """The mapped CSV files present in ``case_dir``."""
    return [case_dir / t.file for t in mapping.tables.values() if (case_dir / t.file).is_file()]


@dataclass
class _Row:
    line: int
    fields: dict[str, str]
    source: Source


def _rows(path: Path, name: str, table: TableMap, record: Record) -> list[_Row]:
    """The records of one CSV file, with the mapped fields by field name.

    Raises:
        UnreadableFileError: Empty, not UTF-8, or not CSV.
        MissingColumnError: A mapped column is not in the header.
    """
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFileError(name, "empty file (no header line)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(name, f"not valid UTF-8 at byte {exc.start}") from None
    if "\x00" in text:
        raise UnreadableFileError(name, "binary content (NUL byte); expected CSV text")
    file_id = hashlib.sha256(data).hexdigest()
    record.files[name] = file_id
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise UnreadableFileError(name, f"not CSV: {exc}") from None
    index = {h.upper(): i for i, h in enumerate(header)}
    where: dict[str, int] = {}
    for field_name, column in table.columns.items():
        if column.upper() not in index:
            raise MissingColumnError(
                name, f"no column {column} (field {field_name}); the header has {', '.join(header)}"
            )
        where[field_name] = index[column.upper()]
    rows = []
    line = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise UnreadableFileError(name, f"line {line}: not CSV: {exc}") from None
        first, line = line, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue
        raw = json.dumps(
            {h: (values[i] if i < len(values) else None) for i, h in enumerate(header)},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        position = str(first)
        source = Source(lineage_hash(file_id, position, raw), name, position)
        fields = {f: (values[i].strip() if i < len(values) else "") for f, i in where.items()}
        rows.append(_Row(first, fields, source))
    return rows


def _column(table: TableMap, field_name: str) -> str:
    return table.columns.get(field_name, field_name)


class _Reader:
    def __init__(self, case_dir: Path, mapping: CsvMapping, record: Record) -> None:
        self.case_dir = case_dir
        self.mapping = mapping
        self.record = record
        self.encounter_id: str | None = None

    def time(self, text: str) -> dt.datetime | None:
        if not text:
            return None
        for fmt in self.mapping.time_formats:
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
        raise RowProblem("time.unparseable", "time", f"not a time ({self.mapping.time_formats[0]})")

    def table(self, key: TableName) -> tuple[str, TableMap, list[_Row]] | None:
        table = self.mapping.tables[key]
        path = self.case_dir / table.file
        if not path.is_file():
            return None
        rows = _rows(path, table.file, table, self.record)
        if self.encounter_id is not None and "encounter_id" in table.columns:
            kept = []
            for row in rows:
                if row.fields["encounter_id"] and row.fields["encounter_id"] != self.encounter_id:
                    self.record.ignore(f"{table.file}: another encounter")
                else:
                    kept.append(row)
            rows = kept
        return table.file, table, rows

    def quarantine(
        self, target: str, name: str, table: TableMap, row: _Row, problem: RowProblem, **values: Any
    ) -> None:
        column = _column(table, {"value": "value", "unit": "unit"}.get(problem.part, problem.part))
        self.record.quarantined.append(
            Quarantined(
                target,
                name,
                row.source.position,
                column,
                problem.rule,
                problem.details,
                row.source.lineage_hash,
                self.record.files[name],
                values,
            )
        )

    def encounter(self) -> None:
        found = self.table("encounter")
        if found is None:
            file = self.mapping.tables["encounter"].file
            raise UnreadableFileError(file, "the encounter table is missing from the case")
        name, table, rows = found
        if not rows:
            raise UnreadableFileError(name, "no encounter row")
        if len(rows) > 1:
            self.record.ignore(f"{name}: rows after the first encounter")
        row = rows[0]
        fields = row.fields
        self.encounter_id = fields.get("encounter_id") or None
        self.record.account_number = fields.get("account_number") or None
        self.record.member_id = fields.get("member_id") or None
        for key in ("admitted", "discharged"):
            try:
                value = self.time(fields.get(key, ""))
            except RowProblem as problem:
                raise UnreadableFileError(
                    name, f"line {row.line}, {_column(table, key)}: {problem.details}"
                ) from None
            setattr(self.record, key, value)
        if self.record.admitted is None:
            raise UnreadableFileError(
                name, f"line {row.line}, {_column(table, 'admitted')}: no admission time"
            )

    def observations(self, key: TableName) -> None:
        found = self.table(key)
        if found is None:
            return
        name, table, rows = found
        for row in rows:
            f = row.fields
            param = self.mapping.parameter(f["name"])
            if param is None:
                self.record.ignore(f"{name}: names not mapped to a parameter")
                continue
            values: dict[str, Any] = {
                "param": param,
                "raw_value": f["value"],
                "raw_unit": f.get("unit", ""),
            }
            try:
                time = self.time(f["time"])
                if time is None:
                    raise RowProblem("time.missing", "time", "no time")
                values["observed_at"] = time
                end = self.time(f.get("end", ""))
                comment = " ".join(f.get("comment", "").split()).lower()
                qualifier = self.mapping.qualifiers.get(comment) if comment else None
                obs = build_observation(
                    param,
                    time,
                    f["value"],
                    f.get("unit", ""),
                    row.source,
                    end=end,
                    qualifier=qualifier,
                )
            except RowProblem as problem:
                self.quarantine(OBSERVATIONS, name, table, row, problem, **values)
                continue
            self.record.observations.append(obs)

    def medications(self) -> None:
        found = self.table("medications")
        if found is None:
            return
        name, table, rows = found
        drugs = self.mapping.drug_table()
        for row in rows:
            f = row.fields
            drug, drug_class = drugs.identify(f["name"])
            values: dict[str, Any] = {"drug": drug, "drug_class": drug_class}
            try:
                start = self.time(f["start"])
                if start is None:
                    raise RowProblem("time.missing", "start", "no start time")
                values["started_at"] = start
                end = self.time(f.get("end", "")) if f.get("end") else None
                rate = _amount(f.get("rate", ""), f.get("rate_unit", ""), "rate")
                dose = _amount(f.get("dose", ""), f.get("dose_unit", ""), "dose")
            except RowProblem as problem:
                self.quarantine(MEDICATIONS, name, table, row, problem, **values)
                continue
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
                    row.source,
                )
            )

    def diagnoses(self) -> None:
        found = self.table("diagnoses")
        if found is None:
            return
        name, table, rows = found
        for row in rows:
            f = row.fields
            values: dict[str, Any] = {"code": f["code"]}
            try:
                code = normalise_icd10(f["code"])
                poa = normalise_poa(f.get("poa", ""))
                onset = self.time(f.get("time", ""))
            except RowProblem as problem:
                self.quarantine(DIAGNOSES, name, table, row, problem, **values)
                continue
            self.record.diagnoses.append(
                Diagnosis(code, f.get("description", ""), poa, onset, row.source)
            )

    def notes(self) -> None:
        found = self.table("notes")
        if found is None:
            return
        name, table, rows = found
        for row in rows:
            f = row.fields
            values: dict[str, Any] = {"note_type": f.get("note_type", "")}
            try:
                time = self.time(f["time"])
                if time is None:
                    raise RowProblem("time.missing", "time", "no time")
                if not f["text"]:
                    raise RowProblem("text.empty", "text", "the note has no text")
            except RowProblem as problem:
                self.quarantine(NOTES, name, table, row, problem, **values)
                continue
            self.record.notes.append(
                Note(
                    f.get("note_type", "") or "Note",
                    time,
                    f["text"],
                    row.source,
                    f.get("author", ""),
                )
            )


def _amount(value: str, unit: str, part: str) -> tuple[float, str] | None:
    if not value:
        return None
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        raise RowProblem("value.not_number", part, f"the {part} is not a number") from None
    convert = rate_to_canonical if part == "rate" else dose_to_canonical
    try:
        converted = convert(number, unit)
    except UnknownUnitError as exc:
        raise RowProblem("unit.unknown", f"{part}_unit", str(exc)) from None
    return converted.value, converted.unit


_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")


def normalise_icd10(code: str) -> str:
    """An ICD-10-CM code upper case with its dot (``a419`` → ``A41.9``).

    Raises:
        RowProblem: Not the shape of an ICD-10-CM code.
    """
    text = code.strip().upper()
    if not _ICD10.match(text):
        raise RowProblem("code.invalid", "code", "not an ICD-10-CM code")
    if "." not in text and len(text) > 3:
        text = f"{text[:3]}.{text[3:]}"
    return text


def normalise_poa(flag: str) -> str:
    """Y, N, U or W; ``""`` for an empty flag or 1 (exempt).

    Raises:
        RowProblem: Any other value.
    """
    text = flag.strip().upper()
    if text in POA_VALUES:
        return text
    if text in ("", "1"):
        return ""
    raise RowProblem("poa.unknown", "poa", "present on admission is not Y, N, U, W, 1 or empty")


def read_csv_record(case_dir: Path, mapping: CsvMapping) -> Record:
    """Read a case's CSV tables (the encounter table is required, the others optional).

    Raises:
        UnreadableFileError: The encounter table is missing, empty or has no admission time;
            a file is not UTF-8 CSV.
        MissingColumnError: A mapped column is not in a file's header.
    """
    record = Record("csv")
    reader = _Reader(case_dir, mapping, record)
    reader.encounter()
    reader.observations("labs")
    reader.observations("vitals")
    reader.medications()
    reader.diagnoses()
    reader.notes()
    return record
