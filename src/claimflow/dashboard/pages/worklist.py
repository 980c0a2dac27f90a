"""Worklist: the open exceptions of the rejection log that a person must work, largest first —
the very list of ``claimflow worklist`` and the API's ``/worklist``
(:mod:`claimflow.marts.worklist`) — and below it the rejection log itself, every exception ever
logged.

The page was called "Rejection log" (``/rejection-log``): those links land here."""

from __future__ import annotations

import streamlit as st

from claimflow.dashboard.data import View
from claimflow.dashboard.filters import of_filtered_claims
from claimflow.dashboard.page import Page, link
from claimflow.dashboard.pages import resubmissions
from claimflow.dashboard.rows import Rows, rows_behind, total
from claimflow.marts.worklist import WORKLIST_SQL

OPEN_LABEL = "Open exceptions"
"""The count of the worklist's rows (claims to work), as the page titles it."""


def open_exceptions(view: View) -> Rows:
    """The worklist (one row per claim number, with its sources and the internal keys of its
    versions) of the claims the filters keep: a row is kept when one of its versions is."""
    where, params = of_filtered_claims(view.filters, "u.claim_id")
    kept = (
        ""
        if not params
        else " WHERE EXISTS (SELECT 1 FROM (SELECT unnest(w.claim_ids) AS claim_id) AS u"
        f" WHERE {where})"
    )
    return Rows(
        f"SELECT * FROM ({WORKLIST_SQL}) AS w{kept}",
        tuple(params),
        "warehouse",
        summary=(total("amount"),),
        order="amount DESC NULLS LAST, patient_control_number",
    )


def rejection_log(view: View) -> Rows:
    """Every logged exception of the claims the filters keep, newest first."""
    where, params = of_filtered_claims(view.filters)
    return Rows(
        "SELECT logged_at, patient_control_number, source_system, reason, category, disposition,"
        " amount, confidence, recommended_fix, claim_id, run_id"
        f" FROM rejection_log WHERE {where}",
        tuple(params),
        "warehouse",
        order="logged_at DESC, patient_control_number, source_system, claim_id",
    )


def render(view: View) -> None:
    st.header("Worklist: open exceptions, largest first")
    st.caption(
        "The denials and rejections no rule could resubmit, for a person to work: one row per"
        " claim number (PCN) with every source it was logged from, largest amount first. An"
        " exception stays open until the claim is resubmitted after it was logged. The same"
        " list as `claimflow worklist` and the API's /worklist."
    )
    link(resubmissions.PAGE, "Resubmissions: the claims claimflow resubmitted by itself")
    rows_behind(view, open_exceptions(view), OPEN_LABEL, "worklist", OPEN_LABEL, listing=True)
    st.subheader("Rejection log")
    st.caption(
        "Every exception claimflow logged (the append-only log), newest first: one row per"
        " claim version and decision, open or since resubmitted."
    )
    rows_behind(view, rejection_log(view), "Logged exceptions", "rejection_log", listing=True)


PAGE = Page(
    title="Worklist",
    icon=":material/checklist:",
    slug="worklist",
    summary="The open exceptions a person must work, largest amount first (as `claimflow"
    " worklist` lists them), and the whole rejection log below.",
    render=render,
    old_titles=("Rejection log",),
    old_slugs=("rejection-log",),
)
