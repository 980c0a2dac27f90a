"""Column and table definitions, and the SQL each one produces."""

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
    stored_in: str = ""
    """For a view over one physical table that is not partitioned: that table's name."""

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
TS, B, J = Kind.TIMESTAMP, Kind.BOOLEAN, Kind.JSON

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

QUARANTINE_COLUMNS: tuple[Column, ...] = (
    Column("dq_rule", C, "the first error rule the row broke"),
    Column("dq_severity", C, "error"),
    Column("dq_details", T, "every rule broken, with the column and the offending value"),
)


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
