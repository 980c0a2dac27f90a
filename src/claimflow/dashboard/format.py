"""How the dashboard writes what it shows, built on :mod:`claimflow.display` (the vocabulary and
the way each kind of value is written, shared by every surface).

- Tables: :func:`dataframe` shows a frame under human headers, with no index column, each
  column formatted by its kind in the browser (``st.column_config``: the numbers stay numbers, so
  a column still sorts by value). The values are rounded here first, half to even as
  :func:`claimflow.display.money` rounds, because Streamlit's number formats cut digits off
  rather than round: a table and a tile show the same dollars.
- Chart axes: :func:`axis` (a label and a D3 format per kind, see :mod:`.charts`).
- Text (tiles, captions, choices): :func:`claimflow.display.show` itself.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from claimflow import display
from claimflow.display import Kind

D3: dict[Kind, tuple[str, str]] = {
    "money": ("$,.2~f", "$,.0f"),
    "rate": (".1~%", ".1%"),
    "count": (",.2~f", ",d"),
    "days": (",.1~f", ",.1f"),
    "number": (",.2~f", ",.2f"),
}
"""The kinds as D3 number formats for Plotly: an axis's ticks (trailing zeros trimmed, so that
ticks between whole numbers stay apart: ``$0.5``) and hover labels (display's rules)."""

DATE_D3 = "%Y-%m-%d"


def kind_of(frame: pd.DataFrame, column: str, report: str | None = None) -> Kind:
    """The kind of ``column``: its term's, or for a column the vocabulary calls text, what its
    values are (flags, counts, numbers, dates)."""
    kind = display.term(column, report).kind
    if kind != "text":
        return kind
    dtype = frame[column].dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "flag"
    if pd.api.types.is_integer_dtype(dtype):
        return "count"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    return "text"


def _rounded(values: pd.Series, digits: int) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return numbers.round(digits) + 0.0  # + 0.0: no "-$0" for a value that rounds to nothing


def presented(
    frame: pd.DataFrame, report: str | None = None, *, cents: bool = False
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``frame`` as shown (values rounded as written, identifiers as words) and the column
    configuration that labels and formats it; ``cents`` for the money of single claims or
    lines (a list of rows), whole dollars for totals."""
    shown = frame.copy()
    config: dict[str, Any] = {}
    columns = st.column_config
    for column in frame.columns:
        name = str(column)
        label = display.label(name, report)
        kind = kind_of(frame, name, report)
        date_column = pd.api.types.is_datetime64_any_dtype(frame[column].dtype)
        if kind == "money":
            shown[column] = _rounded(frame[column], 2 if cents else 0)
            config[name] = columns.NumberColumn(label, format="dollar", step=0.01 if cents else 1)
        elif kind == "rate":
            shown[column] = _rounded(frame[column], 3)
            config[name] = columns.NumberColumn(label, format="percent", step=0.001)
        elif kind == "days":
            shown[column] = _rounded(frame[column], 1)
            config[name] = columns.NumberColumn(label, format="%,.1f")
        elif kind == "number":
            shown[column] = _rounded(frame[column], 2)
            config[name] = columns.NumberColumn(label, format="%,.2f")
        elif kind == "count":
            config[name] = columns.NumberColumn(label, format="localized")
        elif kind == "date" and date_column:
            config[name] = columns.DatetimeColumn(label, format="YYYY-MM-DD")
        elif kind == "date":
            config[name] = columns.DateColumn(label, format="YYYY-MM-DD")
        elif kind == "timestamp" and date_column:
            config[name] = columns.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
        elif kind == "flag":
            config[name] = columns.CheckboxColumn(label)
        else:
            if kind == "enum":
                shown[column] = frame[column].map(
                    lambda v: display.enum(v) if isinstance(v, str) else v
                )
            config[name] = columns.TextColumn(label)
    return shown, config


def dataframe(frame: pd.DataFrame, report: str | None = None, *, cents: bool = False) -> None:
    """Show ``frame`` as a table: human headers, values as :func:`presented` writes them, no
    index column."""
    shown, config = presented(frame, report, cents=cents)
    st.dataframe(shown, hide_index=True, column_config=config, width="stretch")


def axis(column: str, report: str | None = None, **layout: Any) -> dict[str, Any]:
    """A Plotly axis of ``column``'s values: its label as title, its kind's format on ticks and
    hover labels (``layout`` adds to it)."""
    term = display.term(column, report)
    spec: dict[str, Any] = {"title": term.label}
    if term.kind in D3:
        spec["tickformat"], spec["hoverformat"] = D3[term.kind]
    elif term.kind in ("date", "timestamp"):
        spec["hoverformat"] = DATE_D3
    return {**spec, **layout}
