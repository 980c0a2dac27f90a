"""How the dashboard writes what it shows, built on :mod:`claimflow.display` (the vocabulary and
the way each kind of value is written, shared by every surface).

- Tables: :func:`dataframe` shows a frame under human headers, with no index column, each
  column formatted by its kind in the browser (``st.column_config``: the numbers stay numbers, so
  a column still sorts by value). The values are rounded here first, half to even as
  :func:`claimflow.display.money` rounds, because Streamlit's number formats cut digits off
  rather than round: a table and a tile show the same dollars.
- A column that is a defined figure (a KPI, :func:`claimflow.display.definition`) has its
  definition as the header's tooltip.
- Payers by name: every table puts each payer's name (``payer_name``, "Payer") before its id
  (``payer_id``, "Payer ID") (:func:`with_payer_names`), from the names the sidebar read for
  the script run (:func:`remember_payers`); :func:`payer` writes one for a chart or a choice
  (``ACME HEALTH (P1)``).
- Chart axes: :func:`axis` (a label and a D3 format per kind, see :mod:`.charts`).
- Text (tiles, captions, choices): :func:`claimflow.display.show` itself.
"""

from __future__ import annotations

from collections.abc import Mapping
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


PAYERS_KEY = "claimflow.payer_names"
"""Where the script run keeps the payers' names (``st.session_state``)."""


def remember_payers(names: Mapping[str, str]) -> None:
    """Keep the payers' names (payer id → name) for the tables of this script run: the
    sidebar reads them before any page draws."""
    st.session_state[PAYERS_KEY] = dict(names)


def known_payers() -> Mapping[str, str]:
    """The payers' names the sidebar read for this script run (none outside a script run)."""
    try:
        names: Mapping[str, str] = st.session_state.get(PAYERS_KEY, {})
    except Exception:  # no script run (a unit test): no session state  # pragma: no cover
        return {}
    return names


def payer(payer_id: object, names: Mapping[str, str]) -> str:
    """A payer as people read it: its name and id (``ACME HEALTH (P1)``), its id alone when it
    has no name, ``—`` for none."""
    if payer_id is None or (not isinstance(payer_id, str) and pd.isna(payer_id)):
        return display.MISSING
    name = names.get(str(payer_id))
    return f"{name} ({payer_id})" if name and name != str(payer_id) else str(payer_id)


def with_payer_names(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with each payer's name (``payer_name``) just before its ``payer_id``, when the
    warehouse knows payers' names (``names``): every table has the same headers, whichever of
    its payers have a name (the frame itself is left as it was)."""
    if "payer_id" not in frame.columns or "payer_name" in frame.columns or not names:
        return frame
    found = frame["payer_id"].map(lambda p: names.get(str(p)) if isinstance(p, str) else None)
    named = frame.copy()
    named.insert(int(frame.columns.get_loc("payer_id")), "payer_name", found)
    return named


def _listed(value: object) -> object:
    """A list of values (a claim's sources) as one text, its values separated by commas."""
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else value
        if isinstance(items, list):
            return ", ".join(str(item) for item in items)
    return value


def _rounded(values: pd.Series, digits: int) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return numbers.round(digits) + 0.0  # + 0.0: no "-$0" for a value that rounds to nothing


def presented(
    frame: pd.DataFrame,
    report: str | None = None,
    *,
    cents: bool = False,
    payers: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``frame`` as shown (values rounded as written, identifiers as words, payers named by
    ``payers``, by default the names the sidebar read) and the column configuration that labels
    and formats it (a defined figure's header has its definition as tooltip); ``cents`` for the
    money of single claims or lines (a list of rows), whole dollars for totals."""
    frame = with_payer_names(frame, known_payers() if payers is None else payers)
    shown = frame.copy()
    config: dict[str, Any] = {}
    columns = st.column_config
    for column in frame.columns:
        name = str(column)
        label = display.label(name, report)
        help_text = display.definition(name, report) or None
        kind = kind_of(frame, name, report)
        date_column = pd.api.types.is_datetime64_any_dtype(frame[column].dtype)
        if kind == "money":
            shown[column] = _rounded(frame[column], 2 if cents else 0)
            config[name] = columns.NumberColumn(
                label, help=help_text, format="dollar", step=0.01 if cents else 1
            )
        elif kind == "rate":
            shown[column] = _rounded(frame[column], 3)
            config[name] = columns.NumberColumn(label, help=help_text, format="percent", step=0.001)
        elif kind == "days":
            shown[column] = _rounded(frame[column], 1)
            config[name] = columns.NumberColumn(label, help=help_text, format="%,.1f")
        elif kind == "number":
            shown[column] = _rounded(frame[column], 2)
            config[name] = columns.NumberColumn(label, help=help_text, format="%,.2f")
        elif kind == "count":
            config[name] = columns.NumberColumn(label, help=help_text, format="localized")
        elif kind == "date" and date_column:
            config[name] = columns.DatetimeColumn(label, help=help_text, format="YYYY-MM-DD")
        elif kind == "date":
            config[name] = columns.DateColumn(label, help=help_text, format="YYYY-MM-DD")
        elif kind == "timestamp" and date_column:
            config[name] = columns.DatetimeColumn(label, help=help_text, format="YYYY-MM-DD HH:mm")
        elif kind == "flag":
            config[name] = columns.CheckboxColumn(label, help=help_text)
        else:
            if kind == "enum":
                shown[column] = frame[column].map(
                    lambda v: display.enum(v) if isinstance(v, str) else v
                )
            elif frame[column].dtype == object:
                shown[column] = frame[column].map(_listed)
            config[name] = columns.TextColumn(label, help=help_text)
    return shown, config


def dataframe(
    frame: pd.DataFrame,
    report: str | None = None,
    *,
    cents: bool = False,
    payers: Mapping[str, str] | None = None,
) -> None:
    """Show ``frame`` as a table: human headers, values as :func:`presented` writes them
    (payers by name), no index column."""
    shown, config = presented(frame, report, cents=cents, payers=payers)
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
