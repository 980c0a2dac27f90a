"""Runs: the history of pipeline runs, each leading to the files it recorded."""

from __future__ import annotations

import streamlit as st

from claimflow import display
from claimflow.dashboard.data import View, report
from claimflow.dashboard.format import dataframe
from claimflow.dashboard.page import Page
from claimflow.dashboard.rows import Rows, drill, grouped

FILES = Rows(
    "SELECT run_id, path, kind, source_system, size_bytes, received_at, status, message"
    " FROM source_files",
    scope="warehouse",
    order="path",
)


def render(view: View) -> None:
    st.header("Runs: history")
    frame = report(view, "run_history")
    if not frame.empty:
        latest = frame.iloc[0]
        st.caption(
            f"Latest run {latest['run_id']}: {display.show('status', latest['status'])},"
            f" {display.count(latest['rows_read'])} rows read ="
            f" {display.count(latest['rows_loaded'])} loaded"
            f" + {display.count(latest['rows_quarantined'])} quarantined"
            f" + {display.count(latest['rows_duplicate'])} duplicate"
        )
    dataframe(frame, "run_history")
    drill(view, frame, "run", grouped(FILES, {"run_id": "run_id"}), ["run_id", "status"])


PAGE = Page(
    title="Runs",
    icon=":material/history:",
    slug="runs",
    summary="Every pipeline run: when, how it ended, files and rows read, loaded, quarantined"
    " and duplicate.",
    render=render,
)
