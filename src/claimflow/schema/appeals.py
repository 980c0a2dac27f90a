"""Appeal cases and their charts (issue 20, docs/appeals.md): one row per prepared case in
``appeal_cases``, and the chart's rows in ``clinical_*``, each with its lineage hash back to the
file and the position it was read from. A row that could not be read is in the table's
quarantine sibling (``clinical_*__quarantine``: the same columns plus ``dq_rule``,
``dq_severity``, ``dq_details``). ``claimflow appeal prepare`` replaces a case's rows whole.
"""

from __future__ import annotations

from claimflow.schema._types import TS, B, C, Column, D, J, N, T, Table, quarantine_table

CASE_LINEAGE: tuple[Column, ...] = (
    Column("file", T, "the file the row was read from, relative to the case directory"),
    Column("position", C, "its line (NDJSON, CSV: the record's first line) or 'entry N' (Bundle)"),
    Column("source_file_id", C, "sha256 of the bytes of that file"),
    Column("lineage_hash", C, "sha256 over the file id, the position and the raw record"),
)

APPEAL_CASES = Table(
    "appeal_cases",
    (
        Column("case_id", C, "the case directory's name"),
        Column("case_dir", T, "the case directory as prepared"),
        Column("condition", C, "the condition profile the denial disputes (NULL: undecided)"),
        Column("account_number", C, "patient account number: the letter's, else the record's"),
        Column("claim_number", C, "the payer's claim number, as the letter writes it"),
        Column("payer", T, "the payer, as the letter names it"),
        Column("member_id", C, "PHI: the member id (the letter's, else the record's)"),
        Column("admitted", TS, "admission, from the clinical record"),
        Column("discharged", TS, "discharge, from the clinical record"),
        Column("original_drg", C, "the DRG billed, only when written as a number (NULL: unknown)"),
        Column("proposed_drg", C, "the payer's DRG, only when written as a number (NULL: unknown)"),
        Column("letter_date", D, "the denial letter's date"),
        Column("appeal_deadline", D, "a written date, or the letter date + N days"),
        Column("deadline_rule", T, "how the deadline was read"),
        Column("arguments", J, "the payer's arguments (profile argument ids, letter order)"),
        Column("letter_file", T, "denial.pdf, denial.png, denial.tif or denial.txt"),
        Column("letter_file_id", C, "sha256 of the letter's bytes"),
        Column("letter_format", C, "txt, pdf, pdf_scanned, png or tif"),
        Column("ocr", B, "the letter (or a page of it) was read with Tesseract"),
        Column("ocr_confidence", N, "Tesseract's mean word confidence, 0-100"),
        Column("letter_text", T, "the letter's text as read (PHI)"),
        Column("record_format", C, "csv, fhir_ndjson, fhir_bundle or fhir_ndjson+bundle (both)"),
        Column("record_files", J, "each record file read → its sha256"),
        Column(
            "claim_id",
            C,
            "the warehouse claim whose patient control number is the account"
            " or claim number (claims_header; NULL: none)",
        ),
        Column("warnings", J, "what the letter and the record disagree on"),
        Column("prepared_at", TS, "when the case was prepared"),
    ),
    primary_key="case_id",
    doc="appeals: one row per prepared case (claimflow appeal prepare): the denial letter's"
    " fields, the condition and the payer's arguments.",
)

CLINICAL_OBSERVATIONS = Table(
    "clinical_observations",
    (
        Column("case_id", C),
        Column("param", C, "the canonical parameter (lactate, map, gcs, ...)"),
        Column("observed_at", TS, "when it was taken (the start of a period)"),
        Column("observed_until", TS, "the end of its period (urine output)"),
        Column("value", N, "in the parameter's canonical unit"),
        Column("unit", C, "the canonical unit"),
        Column("value_text", C, "a text parameter's value (respiratory_support, blood_culture)"),
        Column("qualifier", C, "'sedated' for a GCS assessed under sedation"),
        Column("raw_value", T, "the value as written"),
        Column("raw_unit", C, "the unit as written"),
        *CASE_LINEAGE,
    ),
    quarantine=True,
    doc="appeals: the labs, vital signs and assessments of each case's chart.",
)

CLINICAL_MEDICATIONS = Table(
    "clinical_medications",
    (
        Column("case_id", C),
        Column("drug", C, "canonical name, lower case"),
        Column("drug_class", C, "vasoactive, antibiotic, crystalloid or NULL"),
        Column("started_at", TS),
        Column("ended_at", TS),
        Column("rate", N),
        Column("rate_unit", C, "ug/kg/min, ug/min, U/min or mL/h"),
        Column("dose", N),
        Column("dose_unit", C, "mL, mg, g, ug or U"),
        *CASE_LINEAGE,
    ),
    quarantine=True,
    doc="appeals: the medication administrations of each case's chart.",
)

CLINICAL_DIAGNOSES = Table(
    "clinical_diagnoses",
    (
        Column("case_id", C),
        Column("code", C, "ICD-10-CM with its dot (A41.9)"),
        Column("description", T),
        Column("poa", C, "present on admission: Y, N, U, W or ''"),
        Column("onset_at", TS),
        *CASE_LINEAGE,
    ),
    quarantine=True,
    doc="appeals: the diagnoses on each case's encounter.",
)

CLINICAL_NOTES = Table(
    "clinical_notes",
    (
        Column("case_id", C),
        Column("note_type", C, "Discharge Summary, History and Physical, Progress Note, ..."),
        Column("written_at", TS),
        Column("author", T),
        Column("note_text", T, "PHI: the note"),
        *CASE_LINEAGE,
    ),
    quarantine=True,
    doc="appeals: the clinical notes of each case.",
)

CLINICAL_TABLES: tuple[Table, ...] = (
    CLINICAL_OBSERVATIONS,
    CLINICAL_MEDICATIONS,
    CLINICAL_DIAGNOSES,
    CLINICAL_NOTES,
)

APPEAL_TABLES: tuple[Table, ...] = (
    APPEAL_CASES,
    *(t for table in CLINICAL_TABLES for t in (table, quarantine_table(table))),
)
"""Every table of a prepared case, quarantine siblings included, in creation order."""

__all__ = [
    "APPEAL_CASES",
    "APPEAL_TABLES",
    "CLINICAL_DIAGNOSES",
    "CLINICAL_MEDICATIONS",
    "CLINICAL_NOTES",
    "CLINICAL_OBSERVATIONS",
    "CLINICAL_TABLES",
]
