"""Coverage: a mapped column that holds no value in any row of a file is worth a warning.

Many optional columns are empty for a whole batch and rightly so (modifiers, prior
authorisation numbers, a denial text in a file without denials), so only the columns the
resubmission decisions read are checked: empty in every row, they make every decision
exclude its claim without any row being wrong. (A mapped column missing from a file's header
is warned of when the file is staged, whatever the column.)
"""

from __future__ import annotations

from dataclasses import dataclass

from claimflow.config import SourceDefinition


@dataclass(frozen=True)
class Coverage:
    """One decision column to check, and which of a file's rows should hold a value."""

    column: str
    rows_where: str | None = None
    """SQL condition (over the typed stage) of the rows that should hold one; None: all."""
    rows_word: str = "rows"
    """What those rows are, in the warning."""
    needs: tuple[str, ...] = ()
    """Columns ``rows_where`` reads: without them mapped, the column is not checked."""


DECISION_COLUMNS: tuple[Coverage, ...] = (
    Coverage("member_id"),
    Coverage("submission_date"),
    Coverage("denial_reason", "claim_status = 'denied'", "denied rows", ("claim_status",)),
)
"""The columns the decisions read, beside the required claim id and status. Their values are
counted with the file's other counts (``count(column)``: 20 ms per million rows); the rows
that should hold one are counted only for a column with no value at all."""

MIN_ROWS = 2
"""Fewer rows that should hold a value say nothing of the column: one record without one is
that record's exclusion reason, reported with its decision."""


def coverage_checks(mapped: list[str]) -> list[Coverage]:
    """The checks that apply to a file whose staged columns are ``mapped``."""
    return [c for c in DECISION_COLUMNS if {c.column, *c.needs} <= set(mapped)]


def empty_column_warning(
    definition: SourceDefinition, check: Coverage, rows: int, rules_failed: bool
) -> str | None:
    """The warning for a decision column with no value in any row of a file.

    Args:
        definition: The file's source.
        check: The column checked (it holds no value in the file).
        rows: Rows that should hold one (at least :data:`MIN_ROWS`, else no warning).
        rules_failed: An error rule of the column failed in the file: values were there, but
            their rows were quarantined, which says so itself.
    """
    if rows < MIN_ROWS or rules_failed:
        return None
    return (
        f"source {definition.name}: {check.column} (column"
        f" {definition.columns[check.column]!r}) has no value in any of the file's {rows}"
        f" {check.rows_word}; decisions that need it will exclude every claim"
    )
