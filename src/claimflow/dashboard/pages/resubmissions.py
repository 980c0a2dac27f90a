"""Resubmissions: the claims claimflow resubmitted automatically (EMR candidates and corrected
837s), each with the fix applied, and how the payers answered them.

The page was called "Worklist" (``/worklist``, ``?page=Worklist``); that name is now the open
exceptions a person must work (:mod:`.worklist`), as on the command line and the API."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from claimflow import display
from claimflow.dashboard.data import View, report
from claimflow.dashboard.figures import OUTCOMES
from claimflow.dashboard.filters import of_filtered_claims
from claimflow.dashboard.format import dataframe
from claimflow.dashboard.page import Page
from claimflow.dashboard.rows import Rows, drill, grouped, pick_figure, rows_behind


def render(view: View) -> None:
    st.header("Resubmissions: claims resubmitted automatically")
    st.caption(
        "What claimflow resubmitted by itself: EMR candidates and corrected 837s. The"
        " exceptions no rule could resubmit, for a person to work, are on the Worklist."
    )
    where, params = of_filtered_claims(view.filters, "r.claim_id")
    resubmissions = Rows(
        "SELECT c.patient_control_number, c.payer_id, r.trigger, r.frequency_code, r.category,"
        " r.fix, r.original_payer_claim_control_number, r.created_at, r.claim_id"
        " FROM resubmissions r"
        f" LEFT JOIN claims_header c ON c.claim_id = r.claim_id WHERE {where}",
        tuple(params),
        "warehouse",
        order="created_at DESC, claim_id",
    )
    rows_behind(
        view,
        resubmissions,
        "Claims resubmitted automatically, each with the fix applied",
        "resubmissions",
        listing=True,
    )
    st.subheader("Resubmission outcomes")
    outcomes = report(view, "resubmission_outcomes")

    def total(column: str) -> float:
        return float(outcomes[column].astype(float).sum()) if not outcomes.empty else 0.0

    answered, paid, recovered = total("answered"), total("paid"), total("recovered_amount")
    left, middle, right = st.columns(3)
    left.metric(
        "Answered by the payer",
        f"{display.count(answered)} of {display.count(total('resubmitted'))}",
    )
    middle.metric(
        display.label("resubmission_success_rate"),
        display.rate(paid / answered) if answered else display.MISSING,
        help=display.definition("resubmission_success_rate"),
    )
    right.metric(
        display.label("recovered_amount"),
        display.money(recovered),
        help=display.definition("recovered_amount"),
    )
    st.caption(
        "The payer's answer is the first 835 after the one that triggered the resubmission, on"
        " the claim or its replacement; paid if it pays anything."
    )
    figures: dict[str, Callable[[], Rows]] = {
        "Resubmitted (of the cohort's claims)": lambda: OUTCOMES,
        "Answered by the payer": lambda: OUTCOMES.where("outcome <> 'pending'"),
        f"{display.label('resubmission_success_rate')}: paid (numerator)": lambda: OUTCOMES.where(
            "outcome = 'paid'"
        ),
        display.label("recovered_amount"): lambda: OUTCOMES.where("recovered_amount <> 0"),
    }
    pick_figure(view, figures, "outcome_figure", "the resubmissions")
    dataframe(outcomes, "resubmission_outcomes")
    drill(view, outcomes, "outcomes", grouped(OUTCOMES, {"category": "category"}), ["category"])


PAGE = Page(
    title="Resubmissions",
    icon=":material/autorenew:",
    slug="resubmissions",
    summary="The claims resubmitted automatically, each with its fix, and what the payers"
    " answered: paid, denied again or pending.",
    render=render,
)
