"""The claimflow dashboard (Streamlit + Plotly), read-only over the warehouse.

Started by ``claimflow dashboard``; the warehouse path and the viewer's role come from the
environment (``CLAIMFLOW_WAREHOUSE``, ``CLAIMFLOW_ROLE``). Every figure comes from
:mod:`claimflow.marts` (KPIs and named reports); under each one an expander shows the rows
behind it. Patient identifiers are masked unless the role is allowed to see them.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import duckdb
import pandas as pd
import plotly.express as px
import streamlit as st

from claimflow.dashboard import PAGES
from claimflow.marts.kpis import compute_kpis
from claimflow.marts.reports import prepare, run_report

PHI_COLUMNS = ("member_id", "patient_id", "patient_dob", "patient_member_id", "insured_member_id")
PHI_ROLES = tuple(r.strip() for r in os.environ.get("CLAIMFLOW_PHI_ROLES", "auditor").split(","))
KPI_LABELS = {
    "claims_submitted": "Claims submitted",
    "total_billed": "Billed",
    "total_paid": "Paid",
    "first_pass_clean_claim_rate": "First-pass clean claim rate",
    "initial_denial_rate": "Initial denial rate",
    "rejection_rate_999": "999 rejection rate",
    "rejection_rate_277ca": "277CA rejection rate",
    "payer_lag_days_median": "Payer lag, median days",
    "net_collection_rate": "Net collection rate",
    "days_in_ar": "Days in A/R",
    "auto_posting_rate": "835 auto-posting rate",
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


def _report(conn: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    return _mask(pd.DataFrame(run_report(conn, name)))


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
                conn, f"SELECT * FROM kpi_claims WHERE {where} ORDER BY submission_date LIMIT 1000"
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
    return {
        "start": start,
        "end": end,
        "payer": None if payer == "(all)" else payer,
        "source": None if source == "(all)" else source,
        "provider": None if provider == "(all)" else provider,
    }  # fmt: skip


def overview(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("Overview")
    kpis = compute_kpis(conn, start=f["start"], end=f["end"], payer=f["payer"])
    prepare(conn, **f)  # compute_kpis built the cohort for payer only; narrow it to all filters
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


def denials(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("Denials")
    prepare(conn, **f)
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


def worklist(conn: duckdb.DuckDBPyConnection, _f: dict[str, Any]) -> None:
    st.header("Worklist: automatic resubmissions")
    frame = _frame(
        conn,
        "SELECT r.claim_id, c.patient_control_number, r.trigger, r.frequency_code, r.category, r.fix,"
        " r.original_payer_claim_control_number, r.created_at FROM resubmissions r"
        " LEFT JOIN claims_header c ON c.claim_id = r.claim_id ORDER BY r.created_at DESC",
    )
    st.caption(f"{len(frame)} claim(s) resubmitted automatically, each with the fix applied.")
    st.dataframe(frame, use_container_width=True)
    st.download_button("Export CSV", frame.to_csv(index=False), "resubmissions.csv", "text/csv")


def rejection_log(conn: duckdb.DuckDBPyConnection, _f: dict[str, Any]) -> None:
    st.header("Rejection log: open exceptions, largest first")
    frame = _frame(
        conn,
        "SELECT patient_control_number AS claim_id, source_system, reason, category, disposition,"
        " amount, confidence, logged_at FROM rejection_log ORDER BY amount DESC NULLS LAST, logged_at",
    )
    st.metric("Exceptions for a person", f"{len(frame):,}")
    st.dataframe(frame, use_container_width=True)
    st.download_button("Export CSV", frame.to_csv(index=False), "rejection_log.csv", "text/csv")


def sla(conn: duckdb.DuckDBPyConnection, _f: dict[str, Any]) -> None:
    st.header("SLA alerts: missing acknowledgments")
    frame = _frame(
        conn,
        "SELECT patient_control_number, payer_id, kind, submission_date, due_at, first_raised_at,"
        " notified_at FROM sla_alerts WHERE resolved_at IS NULL ORDER BY due_at",
    )
    st.metric("Open alerts", f"{len(frame):,}")
    st.dataframe(frame, use_container_width=True)


def payers(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("Payers: scorecard")
    prepare(conn, **f)
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
    prepare(conn, **f)
    frame = _report(conn, "cash_forecast")
    if not frame.empty:
        st.plotly_chart(
            px.bar(
                frame, x="expected_week", y="expected_payment", title="Expected payments by week"
            ),
            use_container_width=True,
        )
    st.dataframe(frame, use_container_width=True)
    _rows_behind(conn, "open claims", "first_payment_date IS NULL")


def reconciliation(conn: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    st.header("Reconciliation")
    prepare(conn, **f)
    st.subheader("837 → 835 by payer and week")
    st.dataframe(_report(conn, "reconciliation_by_week"), use_container_width=True)
    st.subheader("EMR expected vs paid")
    st.dataframe(_report(conn, "expected_vs_paid"), use_container_width=True)
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
        RENDER[page](conn, filters)
    finally:
        conn.close()


main()
