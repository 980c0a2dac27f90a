"""SLA alerts: claims still waiting for an acknowledgment past its due time."""

from __future__ import annotations

import streamlit as st

from claimflow import display
from claimflow.dashboard.data import View, query
from claimflow.dashboard.filters import of_filtered_claims
from claimflow.dashboard.format import dataframe
from claimflow.dashboard.page import Page
from claimflow.dashboard.rows import Rows, drill, grouped, rows_behind


def render(view: View) -> None:
    st.header("SLA alerts: missing acknowledgments")
    where, params = of_filtered_claims(view.filters)
    alerts = Rows(
        "SELECT patient_control_number, payer_id, kind, submission_date, due_at, first_raised_at,"
        f" notified_at FROM sla_alerts WHERE resolved_at IS NULL AND {where}",
        tuple(params),
        "warehouse",
        order="due_at, patient_control_number",
    )
    by_payer = query(
        view,
        f"SELECT payer_id, kind, count(*) AS open_alerts, min(due_at) AS oldest_due_at"
        f" FROM ({alerts.sql}) GROUP BY 1, 2 ORDER BY 1, 2",
        alerts.params,
        "warehouse",
    )
    total = int(by_payer["open_alerts"].sum()) if not by_payer.empty else 0
    st.metric(display.label("open_alerts"), display.count(total))
    st.subheader("Open alerts by payer and kind")
    dataframe(by_payer)
    keys = {"payer_id": "payer_id", "kind": "kind"}
    drill(view, by_payer, "sla", grouped(alerts, keys), list(keys))
    st.subheader("Every open alert")
    rows_behind(view, alerts, "Open alerts", "sla_alerts", listing=True)


PAGE = Page(
    title="SLA alerts",
    icon=":material/alarm:",
    slug="sla-alerts",
    summary="Claims whose 999 or 277CA is overdue, by payer and kind, oldest due first.",
    render=render,
)
