"""Reconciliation: 837s against 835s by payer and week, EMR expected against paid, 835
auto-posting, and the remittances and acknowledgments matched to no claim."""

from __future__ import annotations

import streamlit as st

from claimflow.dashboard.data import View, report
from claimflow.dashboard.figures import AUTO_POSTING
from claimflow.dashboard.format import dataframe
from claimflow.dashboard.page import Page
from claimflow.dashboard.rows import CLAIMS, Rows, drill, grouped, rows_behind

UNMATCHED = Rows(
    "SELECT left_kind, left_id, reason FROM unmatched", scope="warehouse", order="1, 2"
)


def render(view: View) -> None:
    st.header("Reconciliation")
    st.subheader("837 → 835 by payer and week")
    weeks = report(view, "reconciliation_by_week")
    dataframe(weeks, "reconciliation_by_week")
    keys = {"payer_id": "payer_id", "week": "CAST(date_trunc('week', submission_date) AS DATE)"}
    drill(view, weeks, "recon_week", grouped(CLAIMS, keys), list(keys))
    st.subheader("EMR expected vs paid")
    dataframe(report(view, "expected_vs_paid"), "expected_vs_paid", cents=True)
    st.subheader("835 auto-posting by payment day")
    posting = report(view, "daily_auto_posting")
    st.caption(
        "835 service lines of payments dated in the window, matched to a claim line without"
        " review; a provider or source filter keeps the lines matched to its claims."
    )
    dataframe(posting, "daily_auto_posting")
    keys = {"day": "day", "payer_id": "payer_id", "provider": "provider",
            "source_system": "source_system"}  # fmt: skip
    drill(view, posting, "posting", grouped(AUTO_POSTING, keys), list(keys))
    st.subheader("Unmatched remittances and acknowledgments")
    rows_behind(view, UNMATCHED, "Unmatched", "unmatched", listing=True)


PAGE = Page(
    title="Reconciliation",
    icon=":material/compare_arrows:",
    slug="reconciliation",
    summary="Claims sent against claims remitted by payer and week, EMR expected against paid,"
    " 835 auto-posting and what matched no claim.",
    render=render,
)
