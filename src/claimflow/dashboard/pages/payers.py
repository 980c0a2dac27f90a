"""Payers: the scorecard (claims, dollars, denial rate, lag, first-pass acceptance, top denial
category, underpayment) and the days each takes to pay."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from claimflow import display
from claimflow.dashboard.charts import plot
from claimflow.dashboard.data import View, query, report
from claimflow.dashboard.figures import LAG
from claimflow.dashboard.format import axis, dataframe, payer
from claimflow.dashboard.page import Page
from claimflow.dashboard.rows import Rows, Summary, drill, grouped, names, total

LAGS = """
    SELECT payer_id, count(*) AS claims, min(lag) AS min, quantile_cont(lag, 0.25) AS q1,
           median(lag) AS median, quantile_cont(lag, 0.75) AS q3, max(lag) AS max
    FROM (SELECT payer_id, first_payment_date - submission_date AS lag FROM kpi_claims
          WHERE first_payment_date IS NOT NULL)
    GROUP BY 1 ORDER BY 1"""
"""The spread of each payer's lag from submission to first payment."""

PAYER_CLAIMS = Rows(  # every claim of the payer, with its lag (none without an 835)
    "SELECT first_payment_date - submission_date AS lag_days, * FROM kpi_claims",
    summary=(
        total("total_charge", "Σ billed"),
        Summary("median lag", "median(lag_days)", "days"),
    ),
    order="submission_date, claim_id",
)


def render(view: View) -> None:
    st.header("Payers: scorecard")
    payers = names(view)
    frame = report(view, "payer_scorecard")
    dataframe(frame, "payer_scorecard")
    drill(view, frame, "payer", grouped(PAYER_CLAIMS, {"payer_id": "payer_id"}), ["payer_id"])
    lags = query(view, LAGS)
    if lags.empty:
        return
    figure = go.Figure(
        go.Box(
            x=[payer(p, payers) for p in lags["payer_id"]],
            q1=lags["q1"],
            median=lags["median"],
            q3=lags["q3"],
            lowerfence=lags["min"],
            upperfence=lags["max"],
            name=display.label("lag_days"),  # Plotly's hover names each statistic (median...)
        )
    )
    figure.update_layout(
        title="Days from submission to payment (box: quartiles; whiskers: min and max)",
        xaxis=axis("payer_name", type="category"),  # a payer's id may read as a number
        yaxis=axis("lag_days", title="Days from submission to first 835"),
    )
    plot(figure)
    drill(
        view,
        lags,
        "lag",
        grouped(LAG, {"payer_id": "payer_id"}),
        lambda r: (
            f"{payer(r['payer_id'], payers)}: {display.count(r['claims'])} claims paid,"
            f" median {display.days(r['median'])} days"
        ),
    )


PAGE = Page(
    title="Payers",
    icon=":material/account_balance:",
    slug="payers",
    summary="Each payer's claims, dollars, denial rate, lag and underpayment, and the spread of"
    " the days it takes to pay.",
    render=render,
)
