"""Cash forecast: what the open claims are expected to bring in the coming weeks, and how the
same forecast fared on past weeks."""

from __future__ import annotations

import streamlit as st

from claimflow import display
from claimflow.dashboard.charts import chart
from claimflow.dashboard.data import View, report
from claimflow.dashboard.format import dataframe
from claimflow.dashboard.page import Page
from claimflow.dashboard.rows import Rows, Summary, drill, grouped, total, value
from claimflow.marts.reports import FORECAST_WEEKS, LIVE_CUTOFF, open_claim_forecast

FORECAST = Rows(
    "SELECT k.patient_control_number, f.payer_id, k.submission_date, k.total_charge,"
    " f.week_start, f.expected_payment, f.claim_id"
    f" FROM ({open_claim_forecast(LIVE_CUTOFF, FORECAST_WEEKS)})"
    " AS f JOIN claims_header AS k USING (claim_id) WHERE f.expected_payment <> 0",
    summary=(
        Summary(
            "claims expecting a payment", "count(*) FILTER (WHERE expected_payment > 0)", "count"
        ),
        total("expected_payment", "Σ expected"),
    ),
    order="expected_payment DESC, claim_id",
)
"""Each open claim's expected payment, week by week."""


def backtest_week(week: object) -> Rows:
    """The claims open on a back-test Monday: the forecast for each and what its 835s paid that
    week (the back-test's query for that one Monday: each Monday uses only what was known)."""
    one = "SELECT CAST(? AS DATE) AS cutoff"
    return Rows(
        "SELECT k.patient_control_number, f.payer_id, k.submission_date,"
        " k.total_charge, f.expected_payment AS forecast,"
        " coalesce((SELECT sum(a.paid_amount) FROM adjudication AS a"
        "  JOIN payments AS p ON p.payment_id = a.payment_id WHERE a.claim_id = f.claim_id"
        "  AND p.payment_date >= f.cutoff AND p.payment_date < f.cutoff + 7), 0) AS actual,"
        f" f.claim_id FROM ({open_claim_forecast(one, 1)}) AS f"
        " JOIN claims_header AS k USING (claim_id)",
        (week,),
        summary=(total("forecast", "Σ forecast"), total("actual", "Σ actual")),
        order="forecast DESC, claim_id",
    )


def render(view: View) -> None:
    st.header("Cash forecast: expected payments on open claims")
    frame = report(view, "cash_forecast")
    backtest = report(view, "cash_forecast_backtest")
    left, right = st.columns(2)
    with left:
        st.subheader("Next weeks")
        if not frame.empty and not frame["expected_payment"].astype(float).any():
            st.info(
                "Nothing expected: every open claim is older than any age at which a claim was"
                " still paid (or nothing has been paid yet)."
            )
        if not frame.empty:
            chart(
                "bar",
                frame,
                x="expected_week",
                y="expected_payment",
                title="Expected payments by week",
            )
        dataframe(frame, "cash_forecast")
    with right:
        st.subheader("Back-test on past weeks")
        if backtest.empty:
            st.info("No past week to test yet: it needs an 835 before the week and after it.")
        else:
            chart(
                "line",
                backtest,
                x="week",
                y=["forecast", "actual"],
                title="Forecast as of each Monday vs paid that week",
                y_title="Dollars",
            )
            actual = float(backtest["actual"].astype(float).sum())
            error = float(backtest["error"].astype(float).abs().sum())
            st.metric(
                "Back-test error (Σ|forecast − actual| ÷ Σ actual)",
                display.rate(error / actual) if actual else display.MISSING,
            )
        dataframe(backtest, "cash_forecast_backtest")
    drill(
        view,
        frame,
        "forecast",
        grouped(FORECAST, {"expected_week": "week_start"}),
        lambda r: (
            f"week of {display.date(r['expected_week'])}:"
            f" expected {display.money(r['expected_payment'])}"
        ),
    )
    drill(
        view,
        backtest,
        "backtest",
        lambda r: backtest_week(value(r["week"])),
        lambda r: (
            f"week of {display.date(r['week'])}: forecast {display.money(r['forecast'])},"
            f" paid {display.money(r['actual'])}"
        ),
    )
    st.caption(
        "The rows behind a week of the forecast: each open claim's expected payment that week;"
        " behind a back-test week: the claims open that Monday (their forecast from what was"
        " known then) and what their 835s paid that week."
    )


PAGE = Page(
    title="Cash forecast",
    icon=":material/trending_up:",
    slug="cash-forecast",
    summary="The payments expected on open claims over the coming weeks, and how the same"
    " forecast did on past weeks.",
    render=render,
)
