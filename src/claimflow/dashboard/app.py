"""The claimflow dashboard (Streamlit + Plotly), read-only over the warehouse.

Started by ``claimflow dashboard``; the warehouse path and the viewer's role come from the
environment (``CLAIMFLOW_WAREHOUSE``, ``CLAIMFLOW_ROLE``). Every figure comes from
:mod:`claimflow.marts` (KPIs and named reports); under each one an expander shows the rows
behind it. Patient identifiers are masked unless the role is allowed to see them.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import plotly.express as px
import streamlit as st

from claimflow.dashboard import PAGES
from claimflow.marts import snapshot
from claimflow.marts.kpis import compute_kpis
from claimflow.marts.reports import prepare, run_report
from claimflow.phi import PHI_COLUMNS

PHI_ROLES = tuple(r.strip() for r in os.environ.get("CLAIMFLOW_PHI_ROLES", "auditor").split(","))
KPI_LABELS = {
    "claims_submitted": "Claims submitted",
    "total_billed": "Billed",
    "total_paid": "Paid",
    "first_pass_clean_claim_rate": "First-pass clean claim rate",
    "initial_denial_rate": "Initial denial rate",
    "initial_denial_rate_hfma_3m": "Initial denial rate, HFMA 3-month",
    "rejection_rate_999": "999 rejection rate",
    "rejection_rate_277ca": "277CA rejection rate",
    "payer_lag_days_median": "Payer lag, median days",
    "net_collection_rate": "Net collection rate",
    "days_in_ar": "Days in A/R",
    "ar_total": "A/R",
    "auto_posting_rate": "835 auto-posting rate",
    "final_denial_write_off_amount": "Final denial write-offs",
    "resubmission_success_rate": "Resubmission success rate",
}


def _connect() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        os.environ.get("CLAIMFLOW_WAREHOUSE", "warehouse/claimflow.duckdb"), read_only=True
    )


def _frame(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> pd.DataFrame:
    frame: pd.DataFrame = conn.execute(sql, params or []).df()
    return _mask(frame)


def _mask(frame: pd.DataFrame) -> pd.DataFrame:
    if os.environ.get("CLAIMFLOW_ROLE", "analyst") in PHI_ROLES:
        return frame
    for column in PHI_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].map(lambda v: None if v is None else "•••")
    return frame


# True while the page shows the default view the latest run stored (claimflow.marts.snapshot)
_SNAPSHOT = {"on": False}


def _prepare(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    """Build the cohort of the filters, or take the stored one when it is the same."""
    if _SNAPSHOT["on"]:
        snapshot.use_cohort(conn)
    else:
        prepare(conn, **_cohort(f))


def _report(conn: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    if _SNAPSHOT["on"] and name in snapshot.STORED:  # the stored rows, as the live query's
        cursor = conn.execute(f"SELECT * FROM {snapshot.report_table(name)} ORDER BY rowid")
        columns = [d[0] for d in cursor.description or ()]
        frame = pd.DataFrame(cursor.fetchall(), columns=columns)
    else:
        frame = pd.DataFrame(run_report(conn, name))
    for column in frame.columns:  # DECIMAL money arrives as Decimal objects: chart it as numbers
        if frame[column].map(lambda v: isinstance(v, Decimal)).any():
            frame[column] = frame[column].map(lambda v: None if v is None else float(v))
    return _mask(frame)


SHOWN_ROWS = 500


def _table(frame: pd.DataFrame, name: str) -> None:
    """A table with its CSV export; a long one shows its first rows (the export has them all)."""
    if len(frame) > SHOWN_ROWS:
        st.caption(f"{len(frame):,} rows: the first {SHOWN_ROWS} are shown, Export CSV has all")
    st.dataframe(frame.head(SHOWN_ROWS), use_container_width=True)
    st.download_button(  # the CSV is written when the button is clicked, not on every view
        "Export CSV",
        lambda: frame.to_csv(index=False),
        f"{name}.csv",
        "text/csv",
        key=f"csv_{name}",
    )


def _format(key: str, value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and "rate" in key:
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _rows_behind(conn: duckdb.DuckDBPyConnection, label: str, where: str = "true") -> None:
    with st.expander(f"Rows behind: {label}"):
        st.dataframe(
            _frame(
                conn,
                f"SELECT * FROM kpi_claims WHERE {where} ORDER BY submission_date"
                f" LIMIT {SHOWN_ROWS}",
            ),
            use_container_width=True,
        )


def _filters(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    bounds = conn.execute(
        "SELECT min(submission_date), max(submission_date) FROM claims_header"
    ).fetchone()
    low = bounds[0] if bounds and bounds[0] else dt.date.today() - dt.timedelta(days=365)
    high = bounds[1] if bounds and bounds[1] else dt.date.today()
    st.sidebar.header("Filters")
    window = st.sidebar.date_input("Submitted between", (low, high))
    start, end = (
        (window[0], window[-1]) if isinstance(window, tuple | list) and window else (low, high)
    )
    payers = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT payer_id FROM claims_header WHERE payer_id IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    sources = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT source_system FROM claims_header ORDER BY 1"
        ).fetchall()
    ]
    providers = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT billing_npi FROM claims_header WHERE billing_npi IS NOT NULL ORDER BY 1 LIMIT 500"
        ).fetchall()
    ]
    payer = st.sidebar.selectbox("Payer", ["(all)", *payers])
    source = st.sidebar.selectbox("Source system", ["(all)", *sources])
    provider = st.sidebar.selectbox("Billing provider (NPI)", ["(all)", *providers])
    chosen = {
        "start": start,
        "end": end,
        "payer": None if payer == "(all)" else payer,
        "source": None if source == "(all)" else source,
        "provider": None if provider == "(all)" else provider,
    }  # fmt: skip
    narrowed = (start, end) != (low, high) or any(
        chosen[k] for k in ("payer", "source", "provider")
    )
    return {**chosen, "narrowed": narrowed}


def _cohort(f: dict[str, Any]) -> dict[str, Any]:
    """The filters as :func:`compute_kpis` and :func:`prepare` take them."""
    return {k: f[k] for k in ("start", "end", "payer", "source", "provider")}


def _of_filtered_claims(f: dict[str, Any], column: str = "claim_id") -> tuple[str, list[Any]]:
    """SQL condition (and its parameters): ``column`` is a claim the filters keep. Nothing is
    left out while no filter is narrowed (rows of claims without a submission date included)."""
    if not f["narrowed"]:
        return "true", []
    return (
        f"{column} IN (SELECT claim_id FROM claims_header WHERE submission_date BETWEEN ? AND ?"
        " AND (? IS NULL OR payer_id = ?) AND (? IS NULL OR source_system = ?)"
        " AND (? IS NULL OR billing_npi = ?))",
        [f["start"], f["end"], f["payer"], f["payer"], f["source"], f["source"], f["provider"],
         f["provider"]],
    )  # fmt: skip


def overview(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("Overview")
    if _SNAPSHOT["on"]:  # the latest run stored this view: read it (and its cohort)
        kpis = snapshot.kpis(conn)
        snapshot.use_cohort(conn)
    else:
        kpis = compute_kpis(conn, **_cohort(f))  # it leaves the cohort (kpi_claims) behind
    columns = st.columns(4)
    for i, (key, label) in enumerate(KPI_LABELS.items()):
        columns[i % 4].metric(label, _format(key, kpis.get(key)))
    trend = _frame(
        conn,
        "SELECT date_trunc('week', submission_date) AS week, count(*) AS claims,"
        " sum(total_charge) AS billed, sum(paid_amount) AS paid,"
        " count(*) FILTER (WHERE initially_denied) AS initially_denied"
        " FROM kpi_claims GROUP BY 1 ORDER BY 1",
    )
    if not trend.empty:
        st.plotly_chart(
            px.line(
                trend, x="week", y=["billed", "paid"], title="Billed and paid by week of submission"
            ),
            use_container_width=True,
        )
        st.plotly_chart(
            px.bar(trend, x="week", y="initially_denied", title="Initially denied claims by week"),
            use_container_width=True,
        )
    _rows_behind(conn, "claims submitted")
    _rows_behind(conn, "initially denied claims", "initially_denied")
    _rows_behind(conn, "final denial write-offs", "written_off_amount > 0")
    st.subheader("Daily by payer, provider and source")
    daily = _report(conn, "daily_by_payer_provider_source")
    if not daily.empty:
        money = ["total_billed", "total_allowed", "total_paid", "final_denial_write_off_amount"]
        by_day = daily.groupby("day", as_index=False)[money].sum()
        st.plotly_chart(
            px.line(by_day, x="day", y=money, title="Billed, allowed, paid and written off by day"),
            use_container_width=True,
        )
    st.caption(f"{len(daily):,} day × payer × provider × source rows (filters apply)")
    _table(daily, "daily_by_payer_provider_source")
    st.subheader("A/R by day")
    ar = _report(conn, "daily_ar")
    if not ar.empty:
        buckets = [c for c in ar.columns if c.startswith("ar_") and c != "ar_total"]
        by_day = ar.groupby("day", as_index=False)[["ar_total", *buckets, "charges_90d"]].sum()
        daily_charges = by_day["charges_90d"].where(by_day["charges_90d"] != 0) / 90
        by_day["days_in_ar"] = (by_day["ar_total"] / daily_charges).round(2)
        st.plotly_chart(
            px.area(by_day, x="day", y=buckets, title="Open A/R by age (days since submission)"),
            use_container_width=True,
        )
        st.dataframe(by_day, use_container_width=True)
    st.caption(
        "A/R as of each day: every claim of the filters submitted by then; days in A/R = A/R ÷"
        f" (charges of the last 90 days ÷ 90). By payer, provider and source: {len(ar):,} rows"
        " in the export."
    )
    st.download_button(
        "Export CSV", lambda: ar.to_csv(index=False), "daily_ar.csv", "text/csv", key="csv_ar"
    )


def denials(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("Denials")
    _prepare(conn, f)
    by_category = _report(conn, "denials_by_category")
    if by_category.empty:
        st.info("No denials in this window.")
        return
    st.plotly_chart(
        px.bar(
            by_category,
            x="category",
            y="denied_amount",
            hover_data=["claims"],
            title="Denied amount by category",
        ),
        use_container_width=True,
    )
    st.dataframe(by_category, use_container_width=True)
    st.subheader("Top CARCs")
    st.dataframe(_report(conn, "denials_by_carc"), use_container_width=True)
    st.subheader("By payer")
    st.dataframe(_report(conn, "denials_by_payer"), use_container_width=True)
    st.subheader("Daily by payer, provider and source")
    st.caption("By the claims' submission day; the top CARCs are each group's five largest.")
    for name in ("daily_denials_by_category", "daily_denials_by_carc"):
        _table(_report(conn, name), name)
    st.subheader("277CA rejections by status code")
    rejections = _report(conn, "daily_277ca_rejections")
    if not rejections.empty:
        codes = rejections.assign(
            status=rejections["status_category"] + ":" + rejections["status_code"].fillna("")
        )
        st.plotly_chart(
            px.bar(
                codes.groupby("status", as_index=False)["claims"].sum(),
                x="status",
                y="claims",
                title="Claims rejected by the 277CA, by STC01 category:status code",
            ),
            use_container_width=True,
        )
    _table(rejections, "daily_277ca_rejections")
    category = st.selectbox("Claims of category", list(by_category["category"]))
    with st.expander(f"Rows behind: {category} denials"):
        st.dataframe(
            _frame(
                conn,
                "SELECT DISTINCT a.patient_control_number, c.payer_id, c.submission_date, j.group_code,"
                " j.reason_code, j.amount FROM adjustments j JOIN adjudication a USING (adjudication_id)"
                " JOIN kpi_claims c ON c.claim_id = a.claim_id LEFT JOIN ref_carc_category r ON r.carc = j.reason_code"
                " WHERE coalesce(r.category, 'other') = ? ORDER BY j.amount DESC LIMIT 1000",
                [category],
            ),
            use_container_width=True,
        )


def worklist(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("Worklist: automatic resubmissions")
    where, params = _of_filtered_claims(f, "r.claim_id")
    frame = _frame(
        conn,
        "SELECT r.claim_id, c.patient_control_number, r.trigger, r.frequency_code, r.category, r.fix,"
        " r.original_payer_claim_control_number, r.created_at FROM resubmissions r"
        f" LEFT JOIN claims_header c ON c.claim_id = r.claim_id WHERE {where}"
        " ORDER BY r.created_at DESC",
        params,
    )
    st.caption(f"{len(frame)} claim(s) resubmitted automatically, each with the fix applied.")
    _table(frame, "resubmissions")
    st.subheader("Resubmission outcomes")
    _prepare(conn, f)
    outcomes = _report(conn, "resubmission_outcomes")

    def total(column: str) -> float:
        return float(outcomes[column].astype(float).sum()) if not outcomes.empty else 0.0

    answered, paid, recovered = total("answered"), total("paid"), total("recovered_amount")
    left, middle, right = st.columns(3)
    left.metric("Answered by the payer", f"{answered:,.0f} of {total('resubmitted'):,.0f}")
    middle.metric("Resubmission success rate", f"{paid / answered:.1%}" if answered else "—")
    right.metric("Recovered", f"{recovered:,.2f}")
    st.caption(
        "The payer's answer is the first 835 after the one that triggered the resubmission, on"
        " the claim or its replacement; paid if it pays anything."
    )
    st.dataframe(outcomes, use_container_width=True)


def rejection_log(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("Rejection log: open exceptions, largest first")
    where, params = _of_filtered_claims(f)
    frame = _frame(
        conn,
        "SELECT patient_control_number AS claim_id, source_system, reason, category, disposition,"
        f" amount, confidence, logged_at FROM rejection_log WHERE {where}"
        " ORDER BY amount DESC NULLS LAST, logged_at",
        params,
    )
    st.metric("Exceptions for a person", f"{len(frame):,}")
    _table(frame, "rejection_log")


def sla(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("SLA alerts: missing acknowledgments")
    where, params = _of_filtered_claims(f)
    frame = _frame(
        conn,
        "SELECT patient_control_number, payer_id, kind, submission_date, due_at, first_raised_at,"
        f" notified_at FROM sla_alerts WHERE resolved_at IS NULL AND {where} ORDER BY due_at",
        params,
    )
    st.metric("Open alerts", f"{len(frame):,}")
    _table(frame, "sla_alerts")


def payers(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("Payers: scorecard")
    _prepare(conn, f)
    frame = _report(conn, "payer_scorecard")
    st.dataframe(frame, use_container_width=True)
    lags = _frame(
        conn,
        "SELECT payer_id, first_payment_date - submission_date AS lag_days FROM kpi_claims WHERE first_payment_date IS NOT NULL",
    )
    if not lags.empty:
        st.plotly_chart(
            px.box(lags, x="payer_id", y="lag_days", title="Days from submission to payment"),
            use_container_width=True,
        )


def forecast(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("Cash forecast: expected payments on open claims")
    _prepare(conn, f)
    frame = _report(conn, "cash_forecast")
    backtest = _report(conn, "cash_forecast_backtest")
    left, right = st.columns(2)
    with left:
        st.subheader("Next weeks")
        if not frame.empty and not frame["expected_payment"].astype(float).any():
            st.info(
                "Nothing expected: every open claim is older than any age at which a claim was"
                " still paid (or nothing has been paid yet)."
            )
        if not frame.empty:
            st.plotly_chart(
                px.bar(
                    frame,
                    x="expected_week",
                    y="expected_payment",
                    title="Expected payments by week",
                ),
                use_container_width=True,
            )
        st.dataframe(frame, use_container_width=True)
    with right:
        st.subheader("Back-test on past weeks")
        if backtest.empty:
            st.info("No past week to test yet: it needs an 835 before the week and after it.")
        else:
            st.plotly_chart(
                px.line(
                    backtest, x="week", y=["forecast", "actual"],
                    title="Forecast as of each Monday vs paid that week",
                ),
                use_container_width=True,
            )  # fmt: skip
            actual = float(backtest["actual"].astype(float).sum())
            error = float(backtest["error"].astype(float).abs().sum())
            st.metric(
                "Back-test error (Σ|forecast − actual| ÷ Σ actual)",
                f"{error / actual:.1%}" if actual else "—",
            )
        st.dataframe(backtest, use_container_width=True)
    _rows_behind(conn, "open claims", "first_payment_date IS NULL")


def reconciliation(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("Reconciliation")
    _prepare(conn, f)
    st.subheader("837 → 835 by payer and week")
    st.dataframe(_report(conn, "reconciliation_by_week"), use_container_width=True)
    st.subheader("EMR expected vs paid")
    st.dataframe(_report(conn, "expected_vs_paid"), use_container_width=True)
    st.subheader("835 auto-posting by payment day")
    posting = _report(conn, "daily_auto_posting")
    st.caption(
        "835 service lines of payments dated in the window, matched to a claim line without"
        " review; a provider or source filter keeps the lines matched to its claims."
    )
    st.dataframe(posting, use_container_width=True)
    st.subheader("Unmatched remittances and acknowledgments")
    st.dataframe(
        _frame(conn, "SELECT left_kind, left_id, reason FROM unmatched ORDER BY 1, 2 LIMIT 1000"),
        use_container_width=True,
    )


def data_quality(conn: duckdb.DuckDBPyConnection, _f: dict[str, Any]) -> None:
    st.header("Data quality")
    st.dataframe(_report(conn, "quarantine_by_rule"), use_container_width=True)
    st.subheader("Failed files")
    st.dataframe(
        _frame(
            conn,
            "SELECT path, kind, source_system, message FROM source_files WHERE status = 'failed'",
        ),
        use_container_width=True,
    )


def runs(conn: duckdb.DuckDBPyConnection, _f: dict[str, Any]) -> None:
    st.header("Runs: history")
    frame = _report(conn, "run_history")
    if not frame.empty:
        latest = frame.iloc[0]
        st.caption(
            f"Latest run {latest['run_id']}: {latest['status']}, {latest['rows_read']:,} rows read ="
            f" {latest['rows_loaded']:,} loaded + {latest['rows_quarantined']:,} quarantined"
            f" + {latest['rows_duplicate']:,} duplicate"
        )
    st.dataframe(frame, use_container_width=True)


RENDER = {
    "Overview": overview,
    "Denials": denials,
    "Worklist": worklist,
    "Rejection log": rejection_log,
    "SLA alerts": sla,
    "Payers": payers,
    "Cash forecast": forecast,
    "Reconciliation": reconciliation,
    "Data quality": data_quality,
    "Runs": runs,
}


def main() -> None:
    """Render the page chosen in the sidebar (or by ``?page=``)."""
    st.set_page_config(page_title="claimflow", layout="wide")
    st.sidebar.title("claimflow")
    wanted = st.query_params.get("page", "Overview")
    page = st.sidebar.radio("Page", PAGES, index=PAGES.index(wanted) if wanted in PAGES else 0)
    conn = _connect()
    try:
        filters = _filters(conn)
        _SNAPSHOT["on"] = snapshot.usable(conn, **_cohort(filters))
        RENDER[page](conn, filters)
    finally:
        conn.close()


main()
