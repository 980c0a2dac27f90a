"""Canonical tables: one definition each, from which the DDL, the views and the docs derive.

Column names follow the project's data model (a contract with users' queries). Every silver
table ``T`` has a quarantine sibling ``T__quarantine`` with the same columns plus ``dq_rule``,
``dq_severity`` and ``dq_details``.
"""

from __future__ import annotations

from claimflow.schema._types import (
    LINEAGE,
    PART_SEPARATOR,
    QUARANTINE_COLUMNS,
    SQL_TYPES,
    Column,
    Kind,
    Table,
    create_table_sql,
    empty_select_sql,
    part_table_name,
    quarantine_table,
)
from claimflow.schema.acks import ACK_277CA, ACK_277CA_SUMMARY, ACK_999, ACK_999_ERRORS, ACK_TABLES
from claimflow.schema.appeal_drafts import APPEAL_DRAFTS, APPEAL_OUTCOMES, APPEAL_WORK_TABLES
from claimflow.schema.appeals import APPEAL_CASES, APPEAL_TABLES, CLINICAL_TABLES
from claimflow.schema.claims import (
    CLAIM_STATUSES,
    CLAIM_TABLES,
    CLAIMS_HEADER,
    CLAIMS_LINE,
    DIAGNOSES,
    EMR_FIELDS,
    EMR_HEADER_FIELDS,
    EMR_LINE_FIELDS,
    PROCEDURES_ICD,
    emr_field,
)
from claimflow.schema.matching import (
    CLAIM_LINE_MATCH,
    CLAIM_MATCH,
    MATCHING_TABLES,
    SLA_ALERTS,
    UNMATCHED,
)
from claimflow.schema.operational import (
    BRONZE_EMR_ROWS,
    CONTROL_NUMBERS,
    DENIAL_TEXT_CLASSIFICATIONS,
    DQ_RESULTS,
    OPERATIONAL_TABLES,
    OUTBOUND_INTERCHANGES,
    REJECTION_LOG,
    RESUBMISSIONS,
    RETENTION_PURGES,
    RUN_FILES,
    RUN_OUTPUTS,
    RUNS,
    SOURCE_FILES,
    X12_ERRORS,
    X12_TRANSACTIONS,
)
from claimflow.schema.reference import (
    REF_CARC_CATEGORY,
    REF_CODES,
    REF_RARC_CATEGORY,
    REF_SETS,
    REFERENCE_TABLES,
)
from claimflow.schema.remittance import (
    ADJUDICATION,
    ADJUDICATION_LINE,
    ADJUSTMENTS,
    PAYMENTS,
    PROVIDER_ADJUSTMENTS,
    REMARKS,
    REMITTANCE_TABLES,
)
from claimflow.schema.risk import (
    FEATURES,
    HISTORY_KINDS,
    RISK_FEATURES,
    RISK_HISTORY,
    RISK_TABLES,
    Feature,
)

SILVER_TABLES: tuple[Table, ...] = CLAIM_TABLES + REMITTANCE_TABLES + ACK_TABLES

__all__ = [
    "ACK_277CA",
    "ACK_277CA_SUMMARY",
    "ACK_999",
    "ACK_999_ERRORS",
    "ADJUDICATION",
    "ADJUDICATION_LINE",
    "ADJUSTMENTS",
    "APPEAL_CASES",
    "APPEAL_DRAFTS",
    "APPEAL_OUTCOMES",
    "APPEAL_TABLES",
    "APPEAL_WORK_TABLES",
    "BRONZE_EMR_ROWS",
    "CLAIMS_HEADER",
    "CLAIMS_LINE",
    "CLAIM_LINE_MATCH",
    "CLAIM_MATCH",
    "CLAIM_STATUSES",
    "CLINICAL_TABLES",
    "CONTROL_NUMBERS",
    "DENIAL_TEXT_CLASSIFICATIONS",
    "DIAGNOSES",
    "DQ_RESULTS",
    "EMR_FIELDS",
    "EMR_HEADER_FIELDS",
    "EMR_LINE_FIELDS",
    "FEATURES",
    "HISTORY_KINDS",
    "LINEAGE",
    "MATCHING_TABLES",
    "OPERATIONAL_TABLES",
    "OUTBOUND_INTERCHANGES",
    "PART_SEPARATOR",
    "PAYMENTS",
    "PROCEDURES_ICD",
    "PROVIDER_ADJUSTMENTS",
    "QUARANTINE_COLUMNS",
    "REFERENCE_TABLES",
    "REF_CARC_CATEGORY",
    "REF_CODES",
    "REF_RARC_CATEGORY",
    "REF_SETS",
    "REJECTION_LOG",
    "REMARKS",
    "RESUBMISSIONS",
    "RETENTION_PURGES",
    "RISK_FEATURES",
    "RISK_HISTORY",
    "RISK_TABLES",
    "RUNS",
    "RUN_FILES",
    "RUN_OUTPUTS",
    "SILVER_TABLES",
    "SLA_ALERTS",
    "SOURCE_FILES",
    "SQL_TYPES",
    "UNMATCHED",
    "X12_ERRORS",
    "X12_TRANSACTIONS",
    "Column",
    "Feature",
    "Kind",
    "Table",
    "all_tables",
    "create_table_sql",
    "empty_select_sql",
    "emr_field",
    "markdown",
    "part_table_name",
    "quarantine_table",
]


def all_tables() -> tuple[Table, ...]:
    """Every table of the warehouse, quarantine siblings included, in creation order."""
    tables: list[Table] = []
    for table in SILVER_TABLES:
        tables.append(table)
        if table.quarantine:
            tables.append(quarantine_table(table))
    return (
        *tables,
        *MATCHING_TABLES,
        *OPERATIONAL_TABLES,
        *REFERENCE_TABLES,
        *RISK_TABLES,
        *APPEAL_TABLES,
        *APPEAL_WORK_TABLES,
    )


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
        kind = (
            "view over parts"
            if table.partitioned
            else f"view over `{table.stored_in}`"
            if table.stored_in
            else "table"
        )
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
