"""Appeals: the DRG downgrades being fought (issue 20; docs/appeals.md) — every prepared case,
nearest appeal deadline first, with its condition, payer, DRG billed and revised, the payer's
arguments, the strength of its latest recorded draft, the conflicts it found and the outcome —
and, for a case chosen, its draft: the five-dimension assessment (✓ present, △ could
strengthen, ✗ missing), the note-versus-chart conflicts as neutral questions for the CDI
reviewer, and ``letter.docx`` and ``review.docx`` to download.

The list is :func:`claimflow.appeals.worklist.appeal_rows` (``claimflow appeal list``,
``GET /appeals``). A case's draft is computed from the published snapshot when the case is
chosen, as ``claimflow appeal draft`` computes it (:func:`claimflow.appeals.draft.make_draft`,
the packaged profiles, no rewording), its documents written into a temporary directory and
offered for download: the page shows what a draft of the case says now, whether or not the
files of the recorded draft are still where it wrote them, and records nothing.

Patient identifiers follow the dashboard's rule (:mod:`.masking`): for a role that may not see
them, the case's own identifiers (its ``member_id``) read ``•••`` wherever the draft's text
would carry them, and a document that names one is not offered. The account and claim numbers
are shown, as the claim number (PCN) is on the Worklist.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from claimflow import display
from claimflow.appeals.worklist import appeal_rows
from claimflow.dashboard.data import View
from claimflow.dashboard.format import dataframe
from claimflow.dashboard.masking import mask, shows_phi
from claimflow.dashboard.page import Page
from claimflow.phi import mask_identifiers, record_identifiers

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

COLUMNS = [
    "case_id", "appeal_deadline", "days_left", "condition", "payer", "account_number",
    "claim_number", "drg_billed", "drg_revised", "arguments", "strength", "rating",
    "conflicts", "untraced_numbers", "drafted_at", "outcome",
]  # fmt: skip
"""The list's columns, in order (their headers are :func:`claimflow.display.label`'s words)."""

DIMENSIONS = {
    "source_fidelity": "Source fidelity",
    "criteria_coverage": "Criteria coverage",
    "argument_structure": "Argument structure",
    "evidence_quality": "Evidence quality",
    "formatting": "Formatting",
}
"""The assessment's five dimensions, in the order of docs/appeals.md."""

MARKS = {"present": "✓", "could_strengthen": "△", "missing": "✗"}
"""A finding's status as the page marks it."""

SOON = 30
"""A deadline within this many days is counted as due soon."""

_TABLES = """SELECT count(*) FROM duckdb_tables()
             WHERE table_name IN ('appeal_cases', 'appeal_drafts', 'appeal_outcomes')"""


@st.cache_resource(show_spinner=False)
def _vocabulary() -> tuple[dict[str, str], dict[str, str]]:
    """Condition id → its name, argument id → the payer's argument in words (the packaged
    profiles); none when they cannot be read (the ids are then humanized)."""
    try:
        from claimflow.appeals.profiles import load_profiles

        profiles = load_profiles()
    except Exception:  # the appeals extra missing, a broken profile: ids in words
        return {}, {}
    conditions = {c: p.display_name for c, p in profiles.items()}
    arguments = {a.id: a.label for p in profiles.values() for a in p.arguments}
    return conditions, arguments


def _word(value: object, known: dict[str, str]) -> object:
    if not isinstance(value, str):
        return value
    return known.get(value) or display.enum(value)


def cases_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The cases as the list shows them: one row each, in :data:`COLUMNS`' order."""
    conditions, arguments = _vocabulary()
    shown = [
        {
            "case_id": r["case_id"],
            "appeal_deadline": None
            if r["appeal_deadline"] is None
            else r["appeal_deadline"].isoformat(),
            "days_left": r["days_left"],
            "condition": _word(r["condition"], conditions),
            "payer": r["payer"],
            "account_number": r["account_number"],
            "claim_number": r["claim_number"],
            "drg_billed": r["original_drg"],
            "drg_revised": r["proposed_drg"],
            "arguments": "; ".join(str(_word(a, arguments)) for a in r["arguments"] or ()),
            "strength": r["overall"],
            "rating": None if r["rating"] is None else str(r["rating"]).capitalize(),
            "conflicts": r["conflicts"],
            "untraced_numbers": r["untraced"],
            "drafted_at": r["drafted_at"],
            "outcome": r["outcome"],
        }
        for r in rows
    ]
    frame = pd.DataFrame(shown, columns=COLUMNS)
    for column in ("days_left", "strength", "conflicts", "untraced_numbers"):
        frame[column] = frame[column].astype("Int64")
    frame["drafted_at"] = pd.to_datetime(frame["drafted_at"])
    return frame


def _md(text: str) -> str:
    """A text of the draft for ``st.markdown``: the letter's bold marks dropped (a finding may
    quote a paragraph's start, cut inside one) and ``$`` not read as mathematics."""
    return text.replace("**", "").replace("$", "\\$")


def _docx_text(content: bytes) -> str:
    from claimflow.appeals.documents import docx_text  # python-docx: loaded when a case is open

    return docx_text(content)


@st.cache_data(max_entries=32, show_spinner="Drafting the letter and its review…")
def _drafted(
    _conn: duckdb.DuckDBPyConnection, key: tuple[Any, ...], case_id: str
) -> dict[str, Any]:
    """The case's draft, computed now: its JSON, the two documents' bytes and the case's
    patient identifiers (``error``: why it cannot be drafted)."""
    del key  # the cache key only: warehouse, snapshot, day
    try:
        from claimflow.appeals.draft import DraftError, draft_json, make_draft, write_documents
        from claimflow.appeals.profiles import load_profiles
        from claimflow.appeals.store import CaseNotFoundError
    except ImportError as exc:
        return {
            "error": "Drafting needs the appeals extra (pip install 'claimflow[appeals]';"
            f" `make` installs it): {exc.name or 'a module it needs'} is not installed."
        }
    with tempfile.TemporaryDirectory(prefix="claimflow-appeal-") as tmp:
        out_dir = Path(tmp) / "draft"
        try:
            made, record = make_draft(
                _conn,
                case_id,
                load_profiles(),
                out_dir=out_dir,
                now=dt.datetime.now().replace(microsecond=0),
            )
        except (DraftError, CaseNotFoundError) as exc:
            return {"error": str(exc)}
        write_documents(made, record)
        letter = (out_dir / "letter.docx").read_bytes()
        review = (out_dir / "review.docx").read_bytes()
    return {
        "json": draft_json(made, record),
        "letter": letter,
        "review": review,
        "identifiers": record_identifiers(record),
    }


def _tiles(rows: list[dict[str, Any]]) -> None:
    left, middle, right = st.columns(3)
    left.metric("Appeal cases", display.count(len(rows)), help="Cases prepared.")
    soon = sum(1 for r in rows if r["days_left"] is not None and 0 <= r["days_left"] <= SOON)
    middle.metric(
        f"Deadline within {SOON} days",
        display.count(soon),
        help=f"Cases whose appeal deadline is today or in the next {SOON} days.",
    )
    right.metric(
        "Not drafted yet",
        display.count(sum(1 for r in rows if r["drafted_at"] is None)),
        help="Cases with no recorded draft (`claimflow appeal draft CASE_ID --out DIR`).",
    )


def _choice(rows: list[dict[str, Any]]) -> str | None:
    labels = {
        r["case_id"]: " · ".join(
            [
                str(r["case_id"]),
                str(r["payer"] or display.MISSING),
                f"deadline {display.show('appeal_deadline', r['appeal_deadline'])}",
            ]
        )
        for r in rows
    }
    chosen: str | None = st.selectbox(
        "A case's draft",
        list(labels),
        index=None,
        format_func=lambda c: labels[c],
        placeholder="Choose a case to see its draft's assessment and conflicts and download it",
        key="appeal_case",
    )
    return chosen


def _draft(view: View, row: dict[str, Any]) -> None:
    case_id = str(row["case_id"])
    found = _drafted(view.conn, (view.path, view.stamp, dt.date.today()), case_id)
    if "error" in found:
        st.warning(f"{case_id} cannot be drafted: {found['error']}")
        return
    show_phi = shows_phi()
    identifiers: list[str] = [] if show_phi else found["identifiers"]
    body: dict[str, Any] = mask_identifiers(found["json"], identifiers)
    assessment = body["assessment"]
    recorded = (
        "no draft of it is recorded yet"
        if row["drafted_at"] is None
        else f"the list shows its latest recorded draft, of"
        f" {display.show('drafted_at', row['drafted_at'])}"
    )
    st.subheader(f"Draft of {case_id}")
    st.caption(
        f"Drafted now from the prepared case, as `claimflow appeal draft` drafts it, and recorded"
        f" nowhere ({recorded}; `claimflow appeal draft {case_id} --out DIR` records one)."
    )
    cells = st.columns(4)
    cells[0].metric("Strength", f"{assessment['overall']} / 10")
    cells[1].metric("Rating", str(assessment["rating"]).capitalize())
    condition = _word(body["condition"], _vocabulary()[0])
    cells[2].metric(
        "Criteria",
        "Met" if assessment["verdict"] else "Not met",
        help=f"Whether the chart meets the criteria of {condition} (the profile's verdict).",
    )
    traced = assessment["numbers"] - len(assessment["untraced"])
    cells[3].metric(
        "Numbers traced",
        f"{traced} of {assessment['numbers']}",
        help="Numbers of the letter traced to a row of the chart.",
    )
    st.markdown(_md(assessment["summary"]))
    st.markdown("**Assessment** (✓ present, △ could strengthen, ✗ missing)")
    for name, title in DIMENSIONS.items():
        dimension = assessment.get(name) or {"score": None, "findings": []}
        findings = dimension["findings"]
        lines = [f"- {MARKS.get(f['status'], '·')} {_md(f['item'])}" for f in findings]
        st.markdown(
            f"**{title}**: {dimension['score']} / 10"
            + ("\n" + "\n".join(lines) if lines else " — nothing to note")
        )
    st.markdown("**Conflicts for CDI review**")
    conflicts = body["conflicts"]
    if conflicts:
        st.markdown("\n".join(f"- {_md(c['question'])}" for c in conflicts))
    else:
        st.markdown("No number in the notes disagrees with the chart.")
    st.markdown("**Documents**")
    left, right = st.columns(2)
    for cell, name, what in (
        (left, "letter", "the letter to the payer"),
        (right, "review", "the review for the CDI reviewer"),
    ):
        content: bytes = found[name]
        if identifiers and any(i in _docx_text(content) for i in identifiers):
            cell.caption(
                f"{name}.docx names a patient identifier, which your role may not see: a role"
                " allowed to see patient identifiers can download it."
            )
            continue
        cell.download_button(
            f"Download {name}.docx",
            content,
            f"{case_id}_{name}.docx",
            DOCX,
            key=f"appeal_{name}",
            help=f"{what.capitalize()} (DOCX).",
            on_click="ignore",
        )


def render(view: View) -> None:
    st.header("Appeals: DRG downgrades to fight, nearest deadline first")
    st.caption(
        "Every prepared appeal case (`claimflow appeal prepare CASE_DIR`): its deadline and the"
        " days left to it (negative: passed), the condition, the payer and its arguments, the DRG"
        " billed and the DRG the payer revised it to, the strength (1–10) and rating of its"
        " latest recorded draft with the conflicts it found between the notes and the chart, and"
        " the outcome. The sidebar's filters do not apply: a case is an encounter, not a claim of"
        " the cohort."
    )
    found = view.conn.execute(_TABLES).fetchone()
    rows = appeal_rows(view.conn) if found and found[0] == 3 else []
    if not found or found[0] != 3:
        st.caption(
            "This warehouse has no appeal tables yet (an older claimflow wrote it): the next"
            " `claimflow run` adds them."
        )
    _tiles(rows)
    if not rows:
        st.info(
            "No appeal case prepared yet: `claimflow appeal prepare CASE_DIR` loads one (the"
            " denial letter and the chart, docs/appeals.md), `claimflow appeal draft CASE_ID"
            " --out DIR` drafts its letter."
        )
    dataframe(mask(cases_frame(rows)))
    if not rows:
        return
    chosen = _choice(rows)
    if chosen is not None:
        _draft(view, next(r for r in rows if r["case_id"] == chosen))


PAGE = Page(
    title="Appeals",
    icon=":material/gavel:",
    slug="appeals",
    summary="DRG downgrades being appealed: deadlines, the payer's arguments, the strength and"
    " conflicts of each draft, the outcome; a case's assessment and its letter and review to"
    " download.",
    render=render,
)
