"""Read a case directory (docs/appeals.md, "A case directory") into a :class:`Case`.

A case is one inpatient encounter: the denial letter (``denial.pdf``/``.png``/``.tif``/``.txt``)
and the clinical record, as FHIR (``*.ndjson`` or ``bundle.json``) or as CSV tables mapped by
``ehr_csv.yaml`` (or ``--config``). Its id is the directory's name.

``load_case`` reads the letter (:mod:`letter_text`), its fields (:mod:`denial`), the record
(:mod:`fhir` or :mod:`ehr_csv`) into a :class:`~claimflow.clinical.records.Chart`, and asks the
condition profiles (:mod:`profiles`) which condition the denial disputes and which of the
profile's payer arguments it makes. Rows that cannot be read are quarantined, with their
reasons, on the case; a case that cannot be read at all is a clear error naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from claimflow.appeals.denial import DenialFields, read_denial
from claimflow.appeals.ehr_csv import CsvMapping, Quarantined, Record, load_mapping, read_csv_record
from claimflow.appeals.fhir import fhir_files, read_fhir_record
from claimflow.appeals.letter_text import LetterText, find_letter, read_letter
from claimflow.appeals.profiles import Profile, detect_condition, load_profiles
from claimflow.clinical.records import Chart, Source
from claimflow.errors import SourceError


class CaseError(SourceError):
    """A case directory that cannot be prepared (no letter, no clinical data, two records)."""


@dataclass
class Case:
    """A case as read: the chart, the denial's fields and text, and what could not be loaded."""

    case_id: str
    case_dir: Path
    chart: Chart
    letter: LetterText
    denial: DenialFields
    record: Record
    condition: str | None = None
    arguments: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def account_number(self) -> str | None:
        """The patient account number: the denial's, else the record's encounter's."""
        return self.denial.account_number or self.record.account_number

    @property
    def member_id(self) -> str | None:
        """The member id: the denial's, else the record's."""
        return self.denial.member_id or self.record.member_id

    @property
    def quarantined(self) -> list[Quarantined]:
        """The rows not loaded, with file, position, field and reason."""
        return self.record.quarantined

    @property
    def diagnosis_codes(self) -> list[str]:
        return [d.code for d in self.chart.diagnoses]


def _at(source: Source) -> tuple[str, int]:
    digits = "".join(ch for ch in source.position if ch.isdigit())
    return source.file, int(digits or 0)


def ordered(chart: Chart) -> Chart:
    """The chart with its rows in one order (time, then parameter or drug, then file and
    position), the same whether read from the files or back from the warehouse."""
    chart.observations = sorted(chart.observations, key=lambda o: (o.time, o.param, _at(o.source)))
    chart.medications = sorted(chart.medications, key=lambda m: (m.start, m.drug, _at(m.source)))
    chart.diagnoses = sorted(chart.diagnoses, key=lambda d: _at(d.source))
    chart.notes = sorted(chart.notes, key=lambda n: (n.time, _at(n.source)))
    return chart


def record_format(case_dir: Path, mapping: CsvMapping) -> str:
    """``fhir`` or ``csv``: which record the case holds.

    Raises:
        CaseError: Neither, or both.
    """
    fhir = fhir_files(case_dir)
    tables = [t.file for t in mapping.tables.values() if (case_dir / t.file).is_file()]
    if fhir and tables:
        raise CaseError(
            str(case_dir),
            f"two clinical records: FHIR ({', '.join(p.name for p in fhir)}) and CSV"
            f" ({', '.join(tables)}); keep one",
        )
    if fhir:
        return "fhir"
    if tables:
        return "csv"
    names = ", ".join(t.file for t in mapping.tables.values())
    raise CaseError(
        str(case_dir),
        f"no clinical data: no FHIR record (*.ndjson or bundle.json) and no CSV table ({names})",
    )


def load_case(
    case_dir: Path,
    *,
    mapping: CsvMapping | None = None,
    profiles: dict[str, Profile] | None = None,
) -> Case:
    """Read a case directory.

    Args:
        case_dir: The case's directory; its name is the case id.
        mapping: How CSV tables are read and medication names known (default: the packaged
            ``ehr_csv.yaml``; :func:`~claimflow.appeals.ehr_csv.load_mapping` reads another).
        profiles: The condition profiles (default: the packaged ones).

    Raises:
        CaseError: Not a directory, no clinical data (or every row quarantined), FHIR and CSV
            both present.
        UnreadableFileError: The letter or a record file cannot be read (naming the file).
        MissingColumnError: A CSV table lacks a mapped column.
    """
    case_dir = Path(case_dir)
    if not case_dir.is_dir():
        raise CaseError(str(case_dir), "not a case directory")
    mapping = mapping or load_mapping()
    kind = record_format(case_dir, mapping)
    letter = read_letter(find_letter(case_dir))
    denial = read_denial(letter.text)
    if kind == "fhir":
        record = read_fhir_record(case_dir, mapping.drug_table())
    else:
        record = read_csv_record(case_dir, mapping)
    if record.rows == 0:
        held = f"; {len(record.quarantined)} rows quarantined" if record.quarantined else ""
        raise CaseError(
            str(case_dir),
            f"no clinical data: no observation, medication, diagnosis or note in"
            f" {', '.join(sorted(record.files))}{held}",
        )
    assert record.admitted is not None  # the readers raise without one
    chart = ordered(
        Chart(
            case_id=case_dir.resolve().name,
            admitted=record.admitted,
            discharged=record.discharged,
            observations=record.observations,
            medications=record.medications,
            diagnoses=record.diagnoses,
            notes=record.notes,
        )
    )
    case = Case(chart.case_id, case_dir, chart, letter, denial, record)
    case.warnings = _cross_checks(case)
    profiles = load_profiles() if profiles is None else profiles
    profile = detect_condition(
        profiles, denial.original_drg, denial.proposed_drg, letter.text, case.diagnosis_codes
    )
    if profile is not None:
        case.condition = profile.condition
        case.arguments = profile.match_arguments(letter.text)
    return case


def _cross_checks(case: Case) -> list[str]:
    """What the letter and the record disagree on (fields named, values not shown)."""
    warnings = []
    d, r = case.denial, case.record
    files = ", ".join(sorted(r.files))
    if d.account_number and r.account_number and d.account_number != r.account_number.upper():
        warnings.append(
            f"the letter's account number differs from the record's encounter account number"
            f" ({files}): is this letter about this encounter?"
        )
    if d.admitted and d.admitted != case.chart.admitted.date():
        warnings.append(f"the letter's admission date differs from the record's ({files})")
    if d.discharged and case.chart.discharged and d.discharged != case.chart.discharged.date():
        warnings.append(f"the letter's discharge date differs from the record's ({files})")
    if case.letter.ocr and case.letter.confidence is not None and case.letter.confidence < 70:
        warnings.append(
            f"{case.letter.file}: OCR confidence {case.letter.confidence:.0f}/100; check the"
            " fields read from it"
        )
    return warnings
