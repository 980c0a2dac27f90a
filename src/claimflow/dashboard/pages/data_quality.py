"""Data quality: the rows quarantined by rule and file, and the files that failed."""

from __future__ import annotations

import streamlit as st

from claimflow.dashboard.data import View, report
from claimflow.dashboard.format import dataframe
from claimflow.dashboard.masking import shows_phi
from claimflow.dashboard.page import Page
from claimflow.dashboard.rows import Rows, drill, grouped, rows_behind


def quarantined_rows() -> Rows:
    """The quarantined claims: where each was read and the rule it broke first, the internal
    key (claim_id) last; every rule broken with its offending value (``dq_details``, which may
    quote a patient identifier) only for a role that may see patient identifiers."""
    details = "q.dq_details, " if shows_phi() else ""
    return Rows(
        f"SELECT f.path AS file, q.source_row_number, q.dq_rule, {details}"
        " q.* EXCLUDE (claim_id, source_row_number, dq_rule, dq_details), q.claim_id"
        " FROM claims_header__quarantine AS q"
        " LEFT JOIN source_files AS f ON f.file_id = q.source_file_id",
        scope="warehouse",
        order="file, source_row_number",
    )


FAILED = Rows(
    "SELECT path, kind, source_system, message FROM source_files WHERE status = 'failed'",
    scope="warehouse",
    order="path",
)


def render(view: View) -> None:
    st.header("Data quality")
    quarantine = report(view, "quarantine_by_rule")
    dataframe(quarantine, "quarantine_by_rule")
    keys = {"dq_rule": "dq_rule", "file": "file", "source_system": "source_system"}
    drill(view, quarantine, "quarantine", grouped(quarantined_rows(), keys), list(keys))
    st.subheader("Failed files")
    rows_behind(view, FAILED, "Failed files", "failed_files", listing=True)


PAGE = Page(
    title="Data quality",
    icon=":material/rule:",
    slug="data-quality",
    summary="The rows held back by a data-quality rule, by rule and file, and the files that"
    " could not be read.",
    render=render,
)
