"""Expectations compiled to SQL behave like their plain definitions."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claimflow.config import DEFAULT_DATE_FORMATS
from claimflow.quality.expectations import date_parse_sql

FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y%m%d", "%Y-%m-%dT%H:%M:%SZ", "%d.%m.%Y")


def _first_match(text: str, formats: tuple[str, ...]) -> dt.date | None:
    """The definition: the first declared format that parses the text wins."""
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@pytest.fixture(scope="module")
def conn() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2035, 12, 31)),
    written=st.sampled_from(FORMATS),
    declared=st.permutations(FORMATS).map(lambda p: tuple(p[:4])),
)
def test_guarded_parse_equals_first_matching_format(
    conn: duckdb.DuckDBPyConnection, day: dt.date, written: str, declared: tuple[str, ...]
) -> None:
    text = day.strftime(written)
    row = conn.execute(
        f"SELECT CAST({date_parse_sql('$v', declared)} AS DATE)", {"v": text}
    ).fetchone()
    assert row is not None
    assert row[0] == _first_match(text, declared)


@pytest.mark.parametrize(
    "text", ["2025-02-30", "13/45/2025", "not a date", "2025-07", "07/01/25", "2025 -07-01"]
)
def test_unparseable_text_gives_null_with_the_defaults(
    conn: duckdb.DuckDBPyConnection, text: str
) -> None:
    row = conn.execute(
        f"SELECT {date_parse_sql('$v', DEFAULT_DATE_FORMATS)}", {"v": text}
    ).fetchone()
    assert row == (None,)  # the pipeline then quarantines it (or retries without spaces)
