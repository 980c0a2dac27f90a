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


def _unguarded(value: str, formats: tuple[str, ...]) -> str:
    """The definition the guards must not change: every format tried, in order."""
    tries = [
        f"CASE WHEN year(try_strptime({value}, '{f}')) >= 1000"
        f" THEN try_strptime({value}, '{f}') END"
        for f in formats
    ]
    return f"COALESCE({', '.join(tries)})"


_FIELD_DIGITS = {"Y": (1, 5), "m": (1, 3), "d": (1, 3), "H": (1, 3), "M": (1, 3), "S": (1, 3)}


@st.composite
def _written_like(draw: st.DrawFn) -> str:
    """A declared format written with too few, enough and too many digits per field."""
    fmt = draw(st.sampled_from(FORMATS))
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%":
            low, high = _FIELD_DIGITS[fmt[i + 1]]
            width = draw(st.integers(low, high))
            out.append(str(draw(st.integers(0, 10**width - 1))).zfill(width))
            i += 2
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out)


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(_written_like(), st.text(alphabet="0123456789-/:TZ .", max_size=22)),
    declared=st.permutations(FORMATS).map(lambda p: tuple(p[:4])),
)
def test_guards_only_skip_formats_that_cannot_fit(
    conn: duckdb.DuckDBPyConnection, text: str, declared: tuple[str, ...]
) -> None:
    """Unpadded numbers, short and long years, stray times: same result as no guard at all."""
    guarded, plain = conn.execute(
        f"SELECT CAST({date_parse_sql('$v', declared)} AS DATE),"
        f" CAST({_unguarded('$v', declared)} AS DATE)",
        {"v": text.strip(" ")},
    ).fetchone() or (None, None)
    assert guarded == plain


@pytest.mark.parametrize(
    "text",
    ["2025-7-1", "7/1/2025", "1.7.2025", "2025-7-1T1:2:3Z", "2025-07-01T10:00:00Z", "2025071",
     "20250701", "99-1-1", "0999-01-01", "12025-01-01", "2025-007-01", "07/01/25", ""],
)  # fmt: skip
def test_guards_keep_every_edge_width(conn: duckdb.DuckDBPyConnection, text: str) -> None:
    guarded, plain = conn.execute(
        f"SELECT CAST({date_parse_sql('$v', FORMATS)} AS DATE),"
        f" CAST({_unguarded('$v', FORMATS)} AS DATE)",
        {"v": text},
    ).fetchone() or (None, None)
    assert guarded == plain
