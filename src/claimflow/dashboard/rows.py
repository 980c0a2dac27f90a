"""The rows behind a figure: every number on the dashboard leads to the rows it counts.

A figure's rows are one query, a :class:`Rows` (with aggregates over them that give the figure
back); :func:`rows_behind` shows them — how many, the aggregates, the first :data:`SHOWN_ROWS`
and an **Export CSV** of all of them, computed when clicked — with the same filters, patient
identifiers masked, payers by name beside their id. Nothing is queried until a figure or a row
is chosen: :func:`pick_figure` (a box of figures, as on the Overview) and :func:`drill` (under a
table of aggregates: one of its rows, through :func:`grouped`) have no default choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from claimflow import display
from claimflow.dashboard.data import Scope, View, connect, frame_of, payer_names
from claimflow.dashboard.filters import Filters
from claimflow.dashboard.format import dataframe, payer
from claimflow.dashboard.masking import mask
from claimflow.display import Kind

SHOWN_ROWS = 500
"""Rows a table shows on screen; its CSV export has all of them."""


@dataclass(frozen=True)
class Summary:
    """An aggregate over the rows behind a figure, shown beside their count: its label, its
    SQL (over the rows' columns) and the kind of value it gives."""

    label: str
    sql: str
    kind: Kind = "number"


def total(column: str, label: str = "") -> Summary:
    """Σ ``column`` (named "Σ" and the column's label, unless ``label``)."""
    term = display.term(column)
    return Summary(label or f"Σ {display.inline(term.label)}", f"sum({column})", term.kind)


@dataclass(frozen=True)
class Rows:
    """The rows behind a figure: one query (its parameters, and what it reads: see
    :meth:`View.need`), with aggregates over them that give the figure back."""

    sql: str
    params: tuple[Any, ...] = ()
    scope: Scope = "cohort"
    summary: tuple[Summary, ...] = ()
    order: str = ""

    def where(self, condition: str, *params: Any) -> Rows:
        """These rows, only those meeting ``condition`` (over this query's columns)."""
        return Rows(
            f"SELECT * FROM ({self.sql}) AS r WHERE {condition}",
            (*self.params, *params),
            self.scope,
            self.summary,
            self.order,
        )

    def also(self, *summary: Summary) -> Rows:
        """These rows, with more aggregates shown beside their count."""
        return Rows(self.sql, self.params, self.scope, (*self.summary, *summary), self.order)


CLAIMS = Rows("SELECT * FROM kpi_claims", order="submission_date, claim_id")
"""The claims of the cohort: every claim the filters keep, one row each."""


def claims(condition: str, *params: Any) -> Rows:
    """Claims of the cohort (``kpi_claims``) meeting ``condition``."""
    return CLAIMS.where(condition, *params)


def names(view: View) -> dict[str, str]:
    """The payers' names (payer id → name) of the view's warehouse."""
    return payer_names(view.conn, view.path, view.stamp)


def value(cell: object) -> object:
    """A cell of a pandas frame as a query parameter (missing → NULL)."""
    if cell is None or (not isinstance(cell, list | tuple) and pd.isna(cell)):
        return None
    if isinstance(cell, pd.Timestamp):
        return cell.date()
    item = getattr(cell, "item", None)  # numpy scalars
    return item() if callable(item) else cell


def grouped(base: Rows, keys: dict[str, str]) -> Callable[[dict[str, Any]], Rows]:
    """The rows behind one row of an aggregate: ``base`` (the rows the aggregate groups) whose
    SQL expression ``keys[column]`` equals that row's ``column``, for each key column."""

    def rows_of(row: dict[str, Any]) -> Rows:
        condition = " AND ".join(f"({expr}) IS NOT DISTINCT FROM ?" for expr in keys.values())
        return base.where(condition, *(value(row[c]) for c in keys))

    return rows_of


@st.cache_data(max_entries=64, show_spinner=False)
def _behind(
    _view: View, key: tuple[Any, ...], rows: Rows
) -> tuple[int, list[tuple[Summary, object]], pd.DataFrame]:
    """How many rows, their aggregates, and the first :data:`SHOWN_ROWS` of them."""
    del key
    _view.need(rows.scope)
    conn = _view.conn
    # the rows once (unsorted: cheaper), then their count, aggregates and first rows in order
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE rows_behind AS SELECT * FROM ({rows.sql}) AS r",
        list(rows.params),
    )
    aggregates = ", ".join(["count(*)", *(s.sql for s in rows.summary)])
    found = conn.execute(f"SELECT {aggregates} FROM rows_behind").fetchone() or (0,)
    order = f"ORDER BY {rows.order}" if rows.order else ""
    head = frame_of(conn.execute(f"SELECT * FROM rows_behind {order} LIMIT {SHOWN_ROWS}"))
    conn.execute("DROP TABLE rows_behind")
    return int(found[0]), list(zip(rows.summary, found[1:], strict=True)), head


def export(path: str, filters: Filters, stored: bool, rows: Rows) -> str:
    """All the rows as CSV (the warehouse's column names and values, patient identifiers
    masked), on a connection of its own: run when Export CSV is clicked."""
    conn = connect(path)
    try:
        view = View(conn, path, filters, stored, ("", 0))
        view.need(rows.scope)
        order = f"ORDER BY {rows.order}" if rows.order else ""
        frame = frame_of(
            conn.execute(f"SELECT * FROM ({rows.sql}) AS r {order}", list(rows.params))
        )
        text: str = mask(frame).to_csv(index=False)
        return text
    finally:
        conn.close()


def rows_behind(
    view: View, rows: Rows, label: str, name: str, metric: str = "", listing: bool = False
) -> int:
    """Show the rows behind a figure: how many, the aggregates that give the figure back, the
    first :data:`SHOWN_ROWS` and an export of all (the only way rows are shown). With
    ``metric``, their count is shown first as a metric of that name; a ``listing`` is a page's
    own list (an open worklist), not the rows behind a figure. Returns the count."""
    count, aggregates, head = _behind(view, view.key, rows)
    if metric:
        st.metric(metric, display.count(count))
    described = "".join(f" · {s.label}: {display.write(v, s.kind)}" for s, v in aggregates)
    more = f" (the first {SHOWN_ROWS} are shown, Export CSV has all)" if count > SHOWN_ROWS else ""
    title = label if listing else f"Rows behind {label}"
    st.caption(f"{title}: {count:,} row{'' if count == 1 else 's'}{described}{more}")
    dataframe(mask(head), cents=True)
    path, filters, stored = view.path, view.filters, view.stored
    st.download_button(
        "Export CSV",
        lambda: export(path, filters, stored, rows),
        f"{name}.csv",
        "text/csv",
        key=f"csv_{name}",
        on_click="ignore",
    )
    return count


def table(
    frame: pd.DataFrame,
    name: str,
    report: str | None = None,
) -> None:
    """A table already read (of ``report``), with its CSV export (the warehouse's columns); a
    long one shows its first :data:`SHOWN_ROWS` rows."""
    if len(frame) > SHOWN_ROWS:
        st.caption(f"{len(frame):,} rows: the first {SHOWN_ROWS} are shown, Export CSV has all")
    dataframe(frame.head(SHOWN_ROWS), report)
    st.download_button(
        "Export CSV",
        lambda: frame.to_csv(index=False),
        f"{name}.csv",
        "text/csv",
        key=f"csv_{name}",
        on_click="ignore",
    )


def drill(
    view: View,
    frame: pd.DataFrame,
    name: str,
    rows_of: Callable[[dict[str, Any]], Rows],
    label: Callable[[dict[str, Any]], str] | list[str],
    report: str | None = None,
) -> None:
    """Under a table of aggregates: choose one of its rows (those on screen) to see the rows
    behind it, named by ``label`` (a function of the row, or the columns whose values name
    it; a payer by its name and id). Nothing is queried until a row is chosen."""
    if frame.empty:
        return
    records = frame.head(SHOWN_ROWS).to_dict("records")
    if isinstance(label, list):
        columns, payers = label, names(view)

        def shown(column: str, cell: object) -> str:
            if column == "payer_id":
                return payer(value(cell), payers)
            return display.show(column, value(cell), report)

        texts = [" · ".join(shown(c, r[c]) for c in columns) for r in records]
    else:
        texts = [label(r) for r in records]
    choice = st.selectbox(
        "Rows behind a row of this table",
        range(len(records)),
        index=None,
        format_func=lambda i: texts[i],
        placeholder="Choose a row to see the rows behind it",
        key=f"drill_{name}",
    )
    if choice is not None:
        rows_behind(view, rows_of(records[choice]), texts[choice], f"{name}_{choice}")


def pick_figure(view: View, figures: dict[str, Callable[[], Rows]], key: str, what: str) -> None:
    """A box of figures with no default; the chosen one's rows, once chosen."""
    choice = st.selectbox(
        "Rows behind a figure",
        list(figures),
        index=None,
        placeholder=f"Choose a figure to see {what} behind it",
        key=key,
    )
    if choice is not None:
        rows_behind(view, figures[choice](), choice, key)
