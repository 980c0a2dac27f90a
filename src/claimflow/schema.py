"""Canonical tables: one definition each, from which the DDL, the docs and the checks derive.

Column names follow ``DATA_MODEL.md`` (a contract with users' queries). Every silver table
``T`` has a quarantine sibling ``T__quarantine`` with the same columns plus ``dq_rule``,
``dq_severity`` and ``dq_details``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a value is parsed from text and stored."""

    TEXT = "text"  # free text, trimmed
    CODE = "code"  # identifier or code: trimmed, leading zeros kept
    DATE = "date"
    MONEY = "money"  # DECIMAL(18,2)
    INTEGER = "integer"
    TIMESTAMP = "timestamp"
    BOOLEAN = "boolean"
    NUMBER = "number"  # DOUBLE (scores, weights)
    JSON = "json"


SQL_TYPES: dict[Kind, str] = {
    Kind.TEXT: "VARCHAR",
    Kind.CODE: "VARCHAR",
    Kind.DATE: "DATE",
    Kind.MONEY: "DECIMAL(18,2)",
    Kind.INTEGER: "BIGINT",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.NUMBER: "DOUBLE",
    Kind.JSON: "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    kind: Kind
    doc: str = ""

    @property
    def sql_type(self) -> str:
        """The DuckDB type of the column."""
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Table:
    """A canonical table: its name, columns and primary key."""

    name: str
    columns: tuple[Column, ...]
    primary_key: str | None = None
    quarantine: bool = False
    partitioned: bool = False
    doc: str = ""

    def column(self, name: str) -> Column:
        """Return the column called ``name``.

        Raises:
            KeyError: The table has no such column.
        """
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names in table order."""
        return tuple(c.name for c in self.columns)


def _cols(kind: Kind, *names: str) -> tuple[Column, ...]:
    return tuple(Column(n, kind) for n in names)


C, T, D, M, N, INT = Kind.CODE, Kind.TEXT, Kind.DATE, Kind.MONEY, Kind.NUMBER, Kind.INTEGER

LINEAGE: tuple[Column, ...] = (
    Column("source_system", C, "the system the record came from (config `source_system`)"),
    Column("data_source", C, "Tuva's name for the same: equals source_system"),
    Column("source_file_id", C, "sha256 of the bytes of the file the row came from"),
    Column("source_row_number", INT, "EMR: 1-based position of the record in its file"),
    Column("isa_control_number", C, "X12: ISA13"),
    Column("group_control_number", C, "X12: GS06"),
    Column("st_control_number", C, "X12: ST02"),
    Column("segment_index", INT, "X12: position of the first segment of the row"),
    Column("lineage_hash", C, "sha256 over file id, position and the raw record"),
    Column("run_id", C, "the run that loaded the row"),
    Column("ingested_at", Kind.TIMESTAMP, "when the row was loaded"),
)

CLAIMS_HEADER = Table(
    "claims_header",
    (
        Column("claim_id", C, "surrogate key"),
        Column("patient_control_number", C, "CLM01, or the EMR claim id"),
        Column("claim_type", C, "professional / institutional / dental"),
        Column("claim_status", C, "EMR status: approved, denied, pending, submitted, void"),
        Column("denial_reason", T, "EMR free-text denial reason, as exported"),
        Column("total_charge", M, "CLM02"),
        *_cols(C, "place_of_service_code", "bill_type_code", "claim_frequency_code"),
        *_cols(C, "assignment_code", "benefits_assignment", "release_of_info"),
        *_cols(C, "related_causes", "delay_reason_code"),
        *_cols(C, "payer_responsibility_seq", "subscriber_relationship_code", "group_number"),
        *_cols(C, "claim_filing_indicator", "member_id", "person_id"),
        Column("patient_dob", D, "DMG02"),
        Column("patient_gender", C, "DMG03"),
        Column("payer_id", C),
        Column("payer_name", T),
        *_cols(C, "billing_npi", "billing_tin", "billing_taxonomy", "rendering_npi"),
        *_cols(C, "attending_npi", "operating_npi", "referring_npi", "facility_npi"),
        *_cols(D, "statement_from", "statement_to", "admission_date"),
        *_cols(C, "discharge_hour", "admission_type_code", "admission_source_code"),
        *_cols(C, "discharge_status_code", "drg_code", "prior_auth_number", "referral_number"),
        *_cols(C, "original_payer_claim_control_number", "clearinghouse_trace_number"),
        Column("medical_record_number", C),
        Column("patient_paid_amount", M, "AMT*F5"),
        Column("expected_payment", M, "EMR: the amount the provider expects to be paid"),
        Column("submission_date", D, "BHT04, or the EMR submission date"),
        Column("batch_id", C, "BHT03"),
        *LINEAGE,
    ),
    primary_key="claim_id",
    quarantine=True,
    partitioned=True,
    doc="One row per submitted claim version (one 2300 CLM, or one EMR claim).",
)

CLAIMS_LINE = Table(
    "claims_line",
    (
        Column("claim_line_id", C, "surrogate key: hash(claim_id, line_number)"),
        Column("claim_id", C),
        Column("line_number", INT, "LX01"),
        Column("line_item_control_number", C, "REF*6R"),
        Column("revenue_code", C, "SV201"),
        Column("procedure_qualifier", C),
        Column("procedure_code", C),
        *_cols(C, "modifier_1", "modifier_2", "modifier_3", "modifier_4"),
        Column("line_charge", M),
        Column("unit_basis", C),
        Column("units", N),
        Column("place_of_service_code", C),
        *_cols(INT, "dx_pointer_1", "dx_pointer_2", "dx_pointer_3", "dx_pointer_4"),
        Column("non_covered_charge", M),
        Column("emergency_indicator", C),
        *_cols(D, "service_from", "service_to"),
        Column("ndc_code", C),
        Column("drug_qty", N),
        Column("drug_unit", C),
        Column("rendering_npi", C),
        *LINEAGE,
    ),
    primary_key="claim_line_id",
    partitioned=True,
    doc="One row per 2400 LX, or per EMR line.",
)

DIAGNOSES = Table(
    "diagnoses",
    (
        Column("diagnosis_id", C, "surrogate key: hash(claim_id, sequence)"),
        Column("claim_id", C),
        Column("sequence", INT, "1..n in HI order; what SV107 pointers refer to"),
        Column("qualifier", C, "ABK principal, ABF other, ..."),
        Column("code", C, "ICD-10-CM without the dot"),
        Column("poa_indicator", C),
        Column("is_principal", Kind.BOOLEAN),
        *LINEAGE,
    ),
    primary_key="diagnosis_id",
    partitioned=True,
    doc="One row per diagnosis code on a claim (long).",
)

SILVER_TABLES: tuple[Table, ...] = (CLAIMS_HEADER, CLAIMS_LINE, DIAGNOSES)

TS, B = Kind.TIMESTAMP, Kind.BOOLEAN

SOURCE_FILES = Table(
    "source_files",
    (
        Column("file_id", C, "sha256 of the file's bytes"),
        Column("path", T, "where the file was read from (last time)"),
        Column("kind", C, "csv, json, ndjson, parquet, x12"),
        Column("source_system", C),
        Column("size_bytes", INT),
        Column("received_at", TS, "first time the file was seen"),
        Column("status", C, "loaded or failed"),
        Column("message", T, "why a file failed"),
        Column("run_id", C, "the run that last processed the file"),
    ),
    primary_key="file_id",
    doc="bronze: the file registry. A loaded file is never ingested again.",
)

BRONZE_EMR_ROWS = Table(
    "bronze_emr_rows",
    (
        Column("source_file_id", C),
        Column("source_system", C),
        Column("source_row_number", INT, "1-based record position; NULL for unparseable lines"),
        Column("source_line", INT, "line number, where the reader knows it"),
        Column("raw_record", Kind.JSON, "the record as read: a JSON object of its fields"),
        Column("lineage_hash", C),
        Column("disposition", C, "loaded, quarantined or duplicate"),
        Column("run_id", C),
    ),
    doc="bronze: every EMR record exactly as read, and where it went.",
)

RUNS = Table(
    "runs",
    (
        Column("run_id", C),
        Column("started_at", TS),
        Column("ended_at", TS),
        Column("config_path", T),
        Column("config_hash", C, "sha256 of the validated configuration"),
        Column("reference_date", D),
        Column("status", C, "running, ok, finished_with_quarantine, failed"),
        *_cols(INT, "files_seen", "files_loaded", "files_skipped", "files_failed"),
        *_cols(INT, "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"),
        Column("duration_seconds", N),
    ),
    primary_key="run_id",
)

RUN_FILES = Table(
    "run_files",
    (
        Column("run_id", C),
        Column("file_id", C),
        Column("path", T),
        Column("source_name", C),
        Column("source_system", C),
        Column("status", C, "loaded, failed, or skipped (already loaded)"),
        *_cols(INT, "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"),
        Column("message", T),
    ),
    doc="Per run and file: rows read = loaded + quarantined + duplicate.",
)

DQ_RESULTS = Table(
    "dq_results",
    (
        Column("run_id", C),
        Column("table_name", C),
        Column("rule", C),
        Column("severity", C, "error (quarantines) or warn (flags)"),
        Column("failed_rows", INT),
        Column("data_source", C),
        Column("source_file_id", C),
    ),
    doc="One row per (run, table, rule, file): Tuva's logical DQ summary shape.",
)

DENIAL_TEXT_CLASSIFICATIONS = Table(
    "denial_text_classifications",
    (
        Column("normalized_text", T),
        Column("classifier_version", C),
        Column("label", C),
        Column("category", C),
        Column("confidence", N),
        Column("layer", C, "exact, rule, model or fallback"),
        Column("explanation", T),
        Column("classified_at", TS),
        Column("run_id", C),
    ),
    doc="Cache: each distinct normalised denial text, classified once per classifier version.",
)

REJECTION_LOG = Table(
    "rejection_log",
    (
        Column("run_id", C),
        Column("logged_at", TS),
        Column("claim_id", C),
        Column("patient_control_number", C),
        Column("source_system", C),
        Column("reason", C),
        Column("classification", C),
        Column("label", C),
        Column("confidence", N),
        Column("denial_reason", T),
        Column("lineage_hash", C),
    ),
    doc="Append-only: each (claim, decision) logged once, ever.",
)

OPERATIONAL_TABLES: tuple[Table, ...] = (
    SOURCE_FILES,
    BRONZE_EMR_ROWS,
    RUNS,
    RUN_FILES,
    DQ_RESULTS,
    DENIAL_TEXT_CLASSIFICATIONS,
    REJECTION_LOG,
)

QUARANTINE_COLUMNS: tuple[Column, ...] = (
    Column("dq_rule", C, "the first error rule the row broke"),
    Column("dq_severity", C, "error"),
    Column("dq_details", T, "every rule broken, with the column and the offending value"),
)

# Canonical columns an EMR source may map, and the table each lands in. A claim-grain export
# fills one header row per record and, when it maps line columns, one line per record.
EMR_HEADER_FIELDS: tuple[str, ...] = tuple(
    c.name
    for c in CLAIMS_HEADER.columns
    if c not in LINEAGE and c.name not in {"claim_id", "person_id"}
)
EMR_LINE_FIELDS: tuple[str, ...] = tuple(
    c.name
    for c in CLAIMS_LINE.columns
    if c not in LINEAGE
    and c.name not in {"claim_line_id", "claim_id", "rendering_npi"}
    and c.name not in EMR_HEADER_FIELDS
)
EMR_FIELDS: tuple[str, ...] = EMR_HEADER_FIELDS + EMR_LINE_FIELDS

CLAIM_STATUSES: tuple[str, ...] = ("approved", "denied", "pending", "submitted", "void")


def emr_field(name: str) -> Column:
    """Return the canonical column an EMR source maps to ``name``.

    Raises:
        KeyError: ``name`` is not a column an EMR export can fill.
    """
    if name in EMR_HEADER_FIELDS:
        return CLAIMS_HEADER.column(name)
    if name in EMR_LINE_FIELDS:
        return CLAIMS_LINE.column(name)
    raise KeyError(name)


def all_tables() -> tuple[Table, ...]:
    """Every table of the warehouse, quarantine siblings included, in creation order."""
    tables: list[Table] = []
    for table in SILVER_TABLES:
        tables.append(table)
        if table.quarantine:
            tables.append(quarantine_table(table))
    return (*tables, *OPERATIONAL_TABLES)


def quarantine_table(table: Table) -> Table:
    """The quarantine sibling of ``table``: same columns plus the dq columns."""
    return Table(f"{table.name}__quarantine", table.columns + QUARANTINE_COLUMNS)


PART_SEPARATOR = "__part__"


def part_table_name(table: Table, part: str) -> str:
    """The physical table holding ``part`` of a partitioned table (e.g. one EMR source)."""
    safe = "".join(ch if ch.isalnum() else "_" for ch in part.lower())
    return f"{table.name}{PART_SEPARATOR}{safe}"


def create_table_sql(table: Table) -> str:
    """The statement that creates ``table``: a table, or for a partitioned one an empty view.

    A partitioned table is a view over physical parts, one per source, each holding only the
    columns its source fills: DuckDB spends as much appending an all-NULL column as a real
    one, and an EMR export fills a tenth of ``claims_header``. The view restores every column.

    Keys are documented, not declared: DuckDB maintains an index per declared key, which at
    millions of rows costs more memory than the whole load. The loader guarantees uniqueness
    (deduplication before insert) and the tests check it.
    """
    if table.partitioned:
        return f"CREATE VIEW {table.name} AS {empty_select_sql(table)};"
    body = ",\n".join(f"    {c.name} {c.sql_type}" for c in table.columns)
    return f"CREATE TABLE {table.name} (\n{body}\n);"


def empty_select_sql(table: Table) -> str:
    """A SELECT with the columns of ``table`` and no rows."""
    cols = ", ".join(f"CAST(NULL AS {c.sql_type}) AS {c.name}" for c in table.columns)
    return f"SELECT {cols} WHERE false"


def markdown() -> str:
    """The warehouse tables as Markdown (``docs/data-model.md`` is this, kept in sync by a test)."""
    lines = [
        "# Warehouse data model",
        "",
        "Generated from `claimflow.schema` (a test fails when this file is stale). Column names",
        "follow the project's DATA_MODEL contract. Partitioned tables are views over one",
        "physical part per source (`<table>__part__<source>`); query the view.",
        "",
    ]
    for table in all_tables():
        kind = "view over parts" if table.partitioned else "table"
        lines.append(f"## `{table.name}` ({kind})")
        lines.append("")
        if table.doc:
            lines += [table.doc, ""]
        if table.primary_key:
            lines += [f"Key: `{table.primary_key}` (unique by construction).", ""]
        lines += ["| column | type | notes |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.sql_type} | {c.doc} |" for c in table.columns]
        lines.append("")
    return "\n".join(lines)
