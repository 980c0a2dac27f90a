"""Overview: the KPI tiles (each leads to its rows: a rate's numerator and denominator), the
weekly trend, the daily mart by payer, provider and source, and A/R by day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from claimflow import display
from claimflow.dashboard.charts import LEGEND_BELOW, chart, plot
from claimflow.dashboard.data import View, kpis, report
from claimflow.dashboard.figures import (
    AUTO_POSTING,
    FIRST_PASS_CLEAN,
    LAG,
    OUTCOMES,
    ar,
    hfma,
    open_ar,
)
from claimflow.dashboard.format import axis, dataframe
from claimflow.dashboard.page import Page
from claimflow.dashboard.rows import (
    CLAIMS,
    Rows,
    Summary,
    claims,
    drill,
    grouped,
    pick_figure,
    table,
    total,
    value,
)
from claimflow.marts.kpis import (
    AR_BUCKETS,
    AS_OF_KPIS,
    REJECTED_277CA_CLAIM,
    REJECTED_999,
    TRANSACTION_SET,
)

TILES: tuple[str, ...] = (
    "claims_submitted",
    "total_billed",
    "total_paid",
    "first_pass_clean_claim_rate",
    "initial_denial_rate",
    "initial_denial_rate_hfma_3m",
    "rejection_rate_999",
    "rejection_rate_277ca",
    "payer_lag_days_median",
    "net_collection_rate",
    "days_in_ar",
    "ar_total",
    "auto_posting_rate",
    "final_denial_write_off_amount",
    "resubmission_success_rate",
)
"""The KPIs shown as tiles, in order (their labels and formats: :mod:`claimflow.display`)."""


def label(key: str, as_of: dt.date) -> str:
    """A KPI's label; an as-of figure's (A/R, its buckets, days in A/R) with its day, as every
    surface writes it: ``A/R as of 2025-08-18``."""
    as_of_figure = key in AS_OF_KPIS or any(key == f"ar_{b}" for b, _, _ in AR_BUCKETS)
    return display.label(key) + (f" as of {as_of.isoformat()}" if as_of_figure else "")


def basis(key: str, values: dict[str, object]) -> str:
    """What a tile is counted over, or why it is empty (the help beside its definition)."""
    missing = values.get("not_computed")
    if isinstance(missing, dict) and key in missing:
        return f"Not computed: {missing[key]}."
    found = values.get("populations")
    counted = found.get(key) if isinstance(found, dict) else None
    if not counted:
        return ""
    parts = [display.counted(p["count"], p["population"]) for p in counted]
    joined = " + " if key == "claims_submitted" else " ÷ " if len(parts) == 2 else "; "
    return ("" if len(parts) == 2 or key == "claims_submitted" else "Over ") + joined.join(parts)


def figures(view: View) -> dict[str, Callable[[], Rows]]:
    """Each tile (a rate: its numerator and its denominator) → the rows behind it, the very
    conditions of the KPI's aggregate (``claimflow.marts.kpis.COHORT_KPIS``)."""
    end = view.filters.end

    def name(key: str, what: str = "") -> str:
        return f"{label(key, end)}: {what}" if what else label(key, end)

    sets = Summary("transaction sets", f"count(DISTINCT {TRANSACTION_SET})", "count")
    net = Summary(
        display.inline(display.label("net_collection_rate")),
        "sum(paid_amount) / sum(total_charge - contractual_amount)",
        "rate",
    )
    ar_buckets: dict[str, Callable[[], Rows]] = {
        name(f"ar_{bucket}", "open claims of that age"): (
            lambda bucket=bucket: open_ar(end, bucket)  # type: ignore[misc]
        )
        for bucket, _, _ in AR_BUCKETS
    }
    return {
        name("claims_submitted"): lambda: CLAIMS,
        name("total_billed"): lambda: CLAIMS.also(total("total_charge")),
        name("total_paid"): lambda: claims("paid_amount <> 0").also(total("paid_amount")),
        name("first_pass_clean_claim_rate", "clean on the first pass (numerator)"): lambda: claims(
            FIRST_PASS_CLEAN
        ),
        name(
            "first_pass_clean_claim_rate", "original claims with a 999 or 277CA (denominator)"
        ): lambda: claims("frequency = '1' AND (ik501 IS NOT NULL OR first_status IS NOT NULL)"),
        name("initial_denial_rate", "initially denied (numerator)"): lambda: claims(
            "initially_denied"
        ),
        name("initial_denial_rate", "claims submitted (denominator)"): lambda: CLAIMS,
        name("initial_denial_rate_hfma_3m", "denials in the reporting months (numerator)"): (
            lambda: hfma(view, numerator=True)
        ),
        name(
            "initial_denial_rate_hfma_3m",
            "submitted in the 3 months before each (denominator)",
        ): lambda: hfma(view, numerator=False),
        name("rejection_rate_999", "claims of rejected transaction sets (numerator)"): lambda: (
            claims(f"ik501 IN {REJECTED_999}").also(sets)
        ),
        name("rejection_rate_999", "claims of transaction sets with a 999 (denominator)"): (
            lambda: claims("ik501 IS NOT NULL").also(sets)
        ),
        name("rejection_rate_277ca", "rejected by the latest 277CA (numerator)"): lambda: claims(
            REJECTED_277CA_CLAIM
        ),
        name("rejection_rate_277ca", "claims with a 277CA (denominator)"): lambda: claims(
            "latest_status IS NOT NULL"
        ),
        name("payer_lag_days_median", "claims with an 835"): lambda: LAG,
        name("net_collection_rate", "claims with an 835"): lambda: claims(
            "first_payment_date IS NOT NULL"
        ).also(
            total("paid_amount"),
            Summary("Σ charge − contractual", "sum(total_charge - contractual_amount)", "money"),
            net,
        ),
        name("days_in_ar", "open claims (numerator, the A/R)"): lambda: open_ar(end),
        name("days_in_ar", "charges of the last 90 days (denominator ÷ 90)"): lambda: (
            ar(end).where("age_days < 90").also(total("total_charge"))
        ),
        name("ar_total", "open claims"): lambda: open_ar(end),
        **ar_buckets,
        name("auto_posting_rate", "lines posted without review (numerator)"): lambda: (
            AUTO_POSTING.where("auto_posted")
        ),
        name("auto_posting_rate", "835 lines paid in the window (denominator)"): lambda: (
            AUTO_POSTING
        ),
        name("final_denial_write_off_amount"): lambda: claims("written_off_amount <> 0").also(
            total("written_off_amount")
        ),
        name("resubmission_success_rate", "paid (numerator)"): lambda: OUTCOMES.where(
            "outcome = 'paid'"
        ),
        name("resubmission_success_rate", "answered by the payer (denominator)"): lambda: (
            OUTCOMES.where("outcome <> 'pending'")
        ),
    }


def _tiles(view: View) -> None:
    values = kpis(view)
    columns = st.columns(4)
    for i, key in enumerate(TILES):
        columns[i % 4].metric(
            label(key, view.filters.end),
            display.show(key, values.get(key)),
            help=" ".join(t for t in (display.definition(key), basis(key, values)) if t) or None,
        )
    missing = values.get("not_computed")
    if isinstance(missing, dict) and any(key in missing for key in TILES):
        st.caption(
            "Not computed: "
            + "; ".join(
                f"{label(key, view.filters.end)}, {missing[key]}" for key in TILES if key in missing
            )
            + "."
        )
    st.caption(
        f"Claims submitted {display.date(view.filters.start)} to"
        f" {display.date(view.filters.end)}; A/R, its aging and days in A/R as of"
        f" {display.date(view.filters.end)}, the window's end (by default the latest submission"
        " or 835 payment date, as `claimflow kpi` and the API's /kpi)."
    )


def _weekly_trend(view: View, daily: pd.DataFrame) -> None:
    """Billed, paid and initially denied claims by week of submission, from the daily mart (no
    second pass over the claims)."""
    day = pd.to_datetime(daily["day"])
    weekly = daily.assign(
        week=(day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.date,
        initially_denied=(daily["initial_denial_rate"] * daily["claims_submitted"]).round(),
    )
    trend = weekly.groupby("week", as_index=False).agg(
        claims=("claims_submitted", "sum"),
        billed=("total_billed", "sum"),
        paid=("total_paid", "sum"),
        initially_denied=("initially_denied", "sum"),
    )
    trend["initially_denied"] = trend["initially_denied"].astype(int)
    denied = "Initially denied claims"
    figure = go.Figure(  # one chart: dollars on the left axis, denied claims on the right
        data=[
            go.Scatter(x=trend["week"], y=trend["billed"], name=display.label("billed"), mode="lines"),
            go.Scatter(x=trend["week"], y=trend["paid"], name=display.label("paid"), mode="lines"),
            go.Bar(x=trend["week"], y=trend["initially_denied"], name=denied, yaxis="y2", opacity=0.35),
        ]
    )  # fmt: skip
    figure.update_layout(
        title="Billed and paid (left) and initially denied claims (right), by week of submission",
        xaxis=axis("week", title="Week of submission"),
        yaxis=axis("billed", title="Dollars", rangemode="tozero"),
        yaxis2=axis("claims", title=denied, overlaying="y", side="right", showgrid=False,
                    tickmode="auto", rangemode="tozero"),
        legend=LEGEND_BELOW,
    )  # fmt: skip
    plot(figure)
    drill(
        view,
        trend,
        "week",
        lambda r: claims(
            "submission_date BETWEEN ? AND ?", r["week"], r["week"] + dt.timedelta(days=6)
        ),
        lambda r: (
            f"week of {display.date(r['week'])}: {display.count(r['claims'])} claims,"
            f" {display.count(r['initially_denied'])} initially denied,"
            f" billed {display.money(r['billed'])}, paid {display.money(r['paid'])}"
        ),
    )


def _daily(view: View, daily: pd.DataFrame) -> None:
    st.subheader("Daily by payer, provider and source")
    if not daily.empty:
        money = ["total_billed", "total_allowed", "total_paid", "final_denial_write_off_amount"]
        by_day = daily.groupby("day", as_index=False)[money].sum()
        chart(
            "line",
            by_day,
            x="day",
            y=money,
            title="Billed, allowed, paid and written off by day",
            y_title="Dollars",
        )
    st.caption(f"{len(daily):,} day × payer × provider × source rows (filters apply)")
    table(daily, "daily_by_payer_provider_source", "daily_by_payer_provider_source")
    keys = {"day": "submission_date", "payer_id": "payer_id", "provider": "billing_npi",
            "source_system": "source_system"}  # fmt: skip
    drill(view, daily, "daily", grouped(CLAIMS, keys), list(keys))


def _ar_by_day(view: View) -> None:
    st.subheader("A/R by day")
    ar_daily = report(view, "daily_ar")
    if not ar_daily.empty:
        buckets = [c for c in ar_daily.columns if c.startswith("ar_") and c != "ar_total"]
        by_day = ar_daily.groupby("day", as_index=False)[
            ["ar_total", *buckets, "charges_90d"]
        ].sum()
        daily_charges = by_day["charges_90d"].where(by_day["charges_90d"] != 0) / 90
        by_day["days_in_ar"] = (by_day["ar_total"] / daily_charges).round(2)
        chart(
            "area",
            by_day,
            x="day",
            y=buckets,
            title="Open A/R by age (days since submission)",
            y_title="Dollars",
        )
        dataframe(by_day, "daily_ar")
        drill(
            view,
            by_day,
            "ar",
            lambda r: open_ar(value(r["day"])),  # type: ignore[arg-type]
            lambda r: f"{display.date(r['day'])}: A/R {display.money(r['ar_total'])}",
        )
    st.caption(
        "A/R as of each day: every claim of the filters submitted by then; days in A/R = A/R ÷"
        f" (charges of the last 90 days ÷ 90). By payer, provider and source: {len(ar_daily):,}"
        " rows in the export."
    )
    st.download_button(
        "Export CSV",
        lambda: ar_daily.to_csv(index=False),
        "daily_ar.csv",
        "text/csv",
        key="csv_ar",
        on_click="ignore",
    )


def render(view: View) -> None:
    st.header("Overview")
    _tiles(view)
    pick_figure(view, figures(view), "figure", "the rows")
    daily = report(view, "daily_by_payer_provider_source")
    if not daily.empty:
        _weekly_trend(view, daily)
    _daily(view, daily)
    _ar_by_day(view)


PAGE = Page(
    title="Overview",
    icon=":material/dashboard:",
    slug="overview",
    summary="The KPIs of the filtered claims, each leading to the claims behind it; weekly and"
    " daily trends; A/R by day.",
    render=render,
)
