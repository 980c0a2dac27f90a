"""Rejection log: the open exceptions a person has to look at, largest first."""

from __future__ import annotations

import streamlit as st

from claimflow.dashboard.data import View
from claimflow.dashboard.filters import of_filtered_claims
from claimflow.dashboard.page import Page
from claimflow.dashboard.rows import Rows, rows_behind


def render(view: View) -> None:
    st.header("Rejection log: open exceptions, largest first")
    where, params = of_filtered_claims(view.filters)
    log = Rows(
        "SELECT patient_control_number AS claim_id, source_system, reason, category, disposition,"
        f" amount, confidence, logged_at FROM rejection_log WHERE {where}",
        tuple(params),
        "warehouse",
        order="amount DESC NULLS LAST, logged_at, claim_id",
    )
    rows_behind(
        view, log, "Open exceptions", "rejection_log", "Exceptions for a person", listing=True
    )


PAGE = Page(
    title="Rejection log",
    icon=":material/report:",
    slug="rejection-log",
    summary="The denials and rejections no rule could resubmit, for a person to work, largest"
    " amount first.",
    render=render,
)
