"""Chart conventions: Plotly graph objects (a tenth of the time of plotly.express for the same
figure), human labels on axes, legends and hover labels, values formatted by their kind
(:func:`.format.axis`), a legend only when there is more than one series (below the plot, so a
chart in a half-width column keeps its width), the full width of its column. A hover label
names each value by its label (``Denied amount: $226,021``), and a series that is a defined
figure (a KPI) adds its definition (:func:`claimflow.display.definition`)."""

from __future__ import annotations

import textwrap
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from claimflow import display
from claimflow.dashboard.format import D3, DATE_D3, axis

LEGEND_BELOW: dict[str, Any] = {"orientation": "h", "x": 0, "y": -0.25}
"""Where a legend goes when the series need room (below the plot, left-aligned)."""


def categories(frame: pd.DataFrame, column: str) -> pd.Series:
    """The values of ``column`` as a chart's axis shows them (identifiers as words)."""
    if display.term(column).kind == "enum":
        return frame[column].map(lambda v: display.enum(v) if isinstance(v, str) else v)
    return frame[column]


def hover_value(column: str, placeholder: str, report: str | None = None) -> str:
    """A Plotly hover template's placeholder (``x``, ``y``, ``customdata[0]``...) for a value
    of ``column``, formatted by its kind."""
    kind = display.term(column, report).kind
    if kind in D3:
        return f"%{{{placeholder}:{D3[kind][1]}}}"
    if kind in ("date", "timestamp"):
        return f"%{{{placeholder}|{DATE_D3}}}"
    return f"%{{{placeholder}}}"


def explained(column: str, report: str | None = None) -> str:
    """A hover label's last lines: the definition of ``column`` when it is a defined figure,
    folded to fit a hover label."""
    text = display.definition(column, report)
    return "<br><i>" + "<br>".join(textwrap.wrap(text, 60)) + "</i>" if text else ""


def hovertemplate(
    x: str, y: str, report: str | None = None, *, name: str = "", extra: str = ""
) -> str:
    """The hover label of a series of ``y`` against ``x`` (:func:`chart`'s, and for a figure
    drawn by hand): each value under its label and formatted by its kind (``name`` the series'
    label if not ``y``'s; ``extra`` more lines), then the definition of ``y`` when it is a
    defined figure."""
    return (
        f"{display.label(x, report)}: {hover_value(x, 'x', report)}"
        f"<br>{name or display.label(y, report)}: {hover_value(y, 'y', report)}"
        f"{extra}{explained(y, report)}<extra></extra>"
    )


def chart(
    kind: Literal["line", "bar", "area"],
    frame: pd.DataFrame,
    x: str,
    y: str | list[str],
    title: str,
    *,
    hover: str = "",
    y_title: str = "",
    report: str | None = None,
) -> None:
    """A line, bar or stacked-area chart of ``frame``: one series per column of ``y`` named by
    its label; ``hover`` a column shown beside each bar; ``y_title`` the value axis's title
    when there are several series (one series: its label)."""
    columns = [y] if isinstance(y, str) else y
    xs = categories(frame, x)
    shown_hover = (
        frame[hover].map(lambda v: display.show(hover, v, report)).tolist() if hover else None
    )
    extra = f"<br>{display.label(hover, report)}: %{{customdata}}" if hover else ""
    traces: list[Any] = []
    for column in columns:
        name = display.label(column, report)
        template = hovertemplate(x, column, report, extra=extra)
        if kind == "bar":
            traces.append(
                go.Bar(
                    x=xs, y=frame[column], name=name, customdata=shown_hover, hovertemplate=template
                )
            )
        else:
            stack = "all" if kind == "area" else None
            traces.append(
                go.Scatter(
                    x=xs,
                    y=frame[column],
                    name=name,
                    mode="lines",
                    stackgroup=stack,
                    customdata=shown_hover,
                    hovertemplate=template,
                )
            )
    figure = go.Figure(data=traces)
    value_axis = axis(columns[0], report)
    if len(columns) > 1:
        value_axis["title"] = y_title
    figure.update_layout(
        title=title,
        xaxis=axis(x, report),
        yaxis=value_axis,
        showlegend=len(columns) > 1,
        legend=LEGEND_BELOW,
    )
    plot(figure)


def plot(figure: go.Figure) -> None:
    """Show a figure across the page."""
    st.plotly_chart(figure, width="stretch")
