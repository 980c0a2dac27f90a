"""Expectations declared as data, compiled to SQL over a staged source.

An expectation names a rule (``<column>.<check>``), its severity, the SQL condition under
which a row fails it, and the SQL message that says why, with the offending value. Severity
``error`` sends the row to quarantine; ``warn`` only counts it in ``dq_results``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from claimflow.config import SourceDefinition
from claimflow.schema import CLAIM_STATUSES, Kind, emr_field
from claimflow.warehouse.sql import sql_str


@dataclass(frozen=True)
class Expectation:
    """One rule over one column of a staged source."""

    rule: str
    column: str
    severity: str  # "error" or "warn"
    fails_sql: str
    message_sql: str


def sql_list(values: tuple[str, ...] | list[str]) -> str:
    """A SQL list literal of strings."""
    return "[" + ", ".join(sql_str(v) for v in values) + "]"


def text_var(column: str) -> str:
    """The name under which the cleaned text of ``column`` is kept in the typed stage."""
    return f"v__{column}"


def trim_sql(field_sql: str) -> str:
    """Trim the spaces around a field (the first pass of cleaning)."""
    return f"trim({field_sql})"


def clean_sql(trimmed_sql: str, null_tokens: tuple[str, ...]) -> str:
    """Turn a trimmed field that holds a declared null token (any case) into NULL."""
    tokens = ", ".join(sql_str(t) for t in null_tokens)
    return f"CASE WHEN lower({trimmed_sql}) IN ({tokens}) THEN NULL ELSE {trimmed_sql} END"


def typed_sql(column: str, definition: SourceDefinition) -> str:
    """Parse the cleaned text of ``column`` into its canonical type.

    A value that does not parse becomes NULL *here* and is caught by the format expectation,
    which compares the typed value with the text it came from.
    """
    var = text_var(column)
    kind = emr_field(column).kind
    value_map = {k.strip().lower(): v for k, v in definition.value_maps.get(column, {}).items()}
    if column == "claim_status" or value_map:
        base = f"lower({var})" if column == "claim_status" else var
        if not value_map:
            return base
        cases = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(v)}" for k, v in value_map.items())
        return f"CASE lower({var}) {cases} ELSE {base} END"
    if kind is Kind.DATE:
        # As written first; then with the spaces removed, for exports that write '2025 -07-01'
        # (only through the formats that have no space of their own).
        spaceless = tuple(f for f in definition.date_formats if " " not in f)
        attempts = [date_parse_sql(var, definition.date_formats)]
        if spaceless:
            attempts.append(date_parse_sql(f"replace({var}, ' ', '')", spaceless))
        return f"CAST(COALESCE({', '.join(attempts)}) AS DATE)"
    if kind is Kind.MONEY:
        bare = f"replace(replace({var}, '$', ''), ',', '')"
        return (
            f"CASE WHEN regexp_full_match({bare}, '-?[0-9]+(\\.[0-9]{{1,2}})?')"
            f" THEN CAST({bare} AS DECIMAL(18,2)) END"
        )
    if kind is Kind.INTEGER:
        return f"TRY_CAST({var} AS BIGINT)"
    if kind is Kind.NUMBER:
        return f"TRY_CAST({var} AS DOUBLE)"
    return var


def _shape(fmt: str) -> str | None:
    """A LIKE pattern every string ``fmt`` parses must match: its literals, in order."""
    if "_" in fmt or "'" in fmt:
        return None
    pattern = re.sub(r"%.", "%", fmt)
    pattern = re.sub(r"%+", "%", pattern)
    return None if pattern == "%" else pattern


_WIDTHS = {
    "Y": (4, 4),  # DuckDB's %Y reads 1-4 digits; the year check below keeps only 4
    "m": (1, 2),
    "d": (1, 2),
    "H": (1, 2),
    "I": (1, 2),
    "M": (1, 2),
    "S": (1, 2),
    "y": (1, 2),
    "j": (1, 3),
    "%": (1, 1),
}


def _length_bounds(fmt: str) -> tuple[int, int] | None:
    """The shortest and longest string ``fmt`` parses (with a 4-digit year), if bounded.

    None when the format has a directive of unknown width (month names, fractions, zones) or
    white space, which DuckDB matches with any run of white space.
    """
    if any(ch.isspace() for ch in fmt):
        return None
    low = high = 0
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            width = _WIDTHS.get(fmt[i + 1])
            if width is None:
                return None
            low, high, i = low + width[0], high + width[1], i + 2
        else:
            low, high, i = low + 1, high + 1, i + 1
    return low, high


def date_parse_sql(value_sql: str, formats: tuple[str, ...]) -> str:
    """Parse with the first format that fits, trying a format only where it can fit.

    A failed ``strptime`` costs about nine times a successful one, so each format is guarded by
    two cheap tests its strings must pass: their length lies within the format's bounds, and
    they have its literals in order (LIKE). DuckDB's ``%Y`` also takes a 1-3 digit year
    ('07/01/25' would become the year 25); like Python's ``strptime``, a ``%Y`` format here
    needs four digits, else it does not fit. Like Python's, a date padded with other white
    space than the spaces cleaning trims (a tab) fits no bounded format.
    """
    tries = []
    for fmt in formats:
        parse = f"try_strptime({value_sql}, {sql_str(fmt)})"
        if "%Y" in fmt:
            parse = f"CASE WHEN year({parse}) >= 1000 THEN {parse} END"
        guards = []
        bounds = _length_bounds(fmt)
        if bounds:
            guards.append(f"length({value_sql}) BETWEEN {bounds[0]} AND {bounds[1]}")
        shape = _shape(fmt)
        if shape:
            guards.append(f"{value_sql} LIKE {sql_str(shape)}")
        tries.append(f"CASE WHEN {' AND '.join(guards)} THEN {parse} END" if guards else parse)
    return tries[0] if len(tries) == 1 else f"COALESCE({', '.join(tries)})"


_FORMAT_WORDS = {
    Kind.DATE: "a date in a declared format",
    Kind.MONEY: "an amount like 1234.56",
    Kind.INTEGER: "a whole number",
    Kind.NUMBER: "a number",
}


def expectations_for(definition: SourceDefinition, mapped: list[str]) -> list[Expectation]:
    """The expectations of a source, for the canonical columns its file actually has.

    Args:
        definition: The source definition (required columns, date formats).
        mapped: Canonical columns present in the staged file.

    Returns:
        Error rules first (their order decides ``dq_rule``), then warnings.
    """
    rules: list[Expectation] = []
    for column in definition.required:
        var = text_var(column)
        rules.append(
            Expectation(
                f"{column}.not_null",
                column,
                "error",
                f"{var} IS NULL",
                sql_str(f"{column}: a value is required (column {definition.columns[column]!r})"),
            )
        )
    for column in mapped:
        kind = emr_field(column).kind
        var = text_var(column)
        if column == "claim_status":
            allowed = ", ".join(CLAIM_STATUSES)
            rules.append(
                Expectation(
                    "claim_status.in_set",
                    column,
                    "error",
                    f"{var} IS NOT NULL AND claim_status NOT IN ({allowed_sql()})",
                    f"'claim_status: ' || to_json({var}) || "
                    f"{sql_str(f' is not a known status (expected one of {allowed}, or a value_maps entry)')}",
                )
            )
        elif kind in _FORMAT_WORDS:
            expected = _FORMAT_WORDS[kind]
            if kind is Kind.DATE:
                expected += f" ({', '.join(definition.date_formats)})"
            rules.append(
                Expectation(
                    f"{column}.{kind.value}_format",
                    column,
                    "error",
                    f"{var} IS NOT NULL AND {column} IS NULL",
                    f"{sql_str(column + ': ')} || to_json({var}) || {sql_str(' is not ' + expected)}",
                )
            )
    if "member_id" in mapped and "member_id" not in definition.required:
        rules.append(
            Expectation(
                "member_id.not_null",
                "member_id",
                "warn",
                f"{text_var('member_id')} IS NULL",
                sql_str("member_id: missing (the claim cannot be resubmitted automatically)"),
            )
        )
    return rules


def allowed_sql() -> str:
    """The canonical claim statuses as a SQL IN list body."""
    return ", ".join(sql_str(s) for s in CLAIM_STATUSES)
