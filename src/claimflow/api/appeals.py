"""``GET /appeals`` and ``POST /appeals/{case_id}/draft``: the DRG appeal cases and their drafts
(issue 20; docs/api.md, "Appeals"; docs/appeals.md).

Both read the published snapshot, as every route does, and write nothing: ``GET /appeals`` is
:func:`claimflow.appeals.worklist.appeal_rows` (what ``claimflow appeal list`` shows), and the
draft is computed from the snapshot by :func:`claimflow.appeals.draft.make_draft` (scored,
cross-checked, written and assessed as ``claimflow appeal draft`` does, with the packaged
condition profiles and no rewording endpoint) and answered as its JSON, or as ``letter.docx`` or
``review.docx`` (written into a temporary directory, then sent). The draft is not recorded in
``appeal_drafts``: ``claimflow appeal draft CASE_ID --out DIR`` records it.

Patient identifiers follow :mod:`claimflow.phi`, as on every route: a role that may not see
them gets the rows with every PHI column masked, the draft's JSON with every PHI key masked and
the case's own identifiers (its ``member_id``) replaced by ``•••`` wherever a text would carry
them, and no document that names one (403). The patient account number and the claim number
are shown, as the claim number (PCN) is on ``/worklist``.

The draft engine needs the ``appeals`` extra (python-docx, ...): without it the routes answer
503 saying so; the rest of the API does not import it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from claimflow.appeals.worklist import appeal_rows
from claimflow.phi import mask_identifiers, may_see_phi, record_identifiers
from claimflow.warehouse.serving import Reader

if TYPE_CHECKING:
    from claimflow.appeals.profiles import Profile

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCUMENTS = {"letter": "letter.docx", "review": "review.docx"}
"""``?document=`` → the file ``write_documents`` writes."""

NO_EXTRA = (
    "drafting appeals needs the appeals extra (pip install 'claimflow[appeals]'; `make`"
    " installs it): {name} is not installed"
)


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, default=str, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
    )


def _error(status: int, message: str) -> Response:
    """The house's error body, ``{"error": ...}``."""
    return _json({"error": message}, status)


def _show_phi(request: Request) -> bool:
    settings = request.app.state.settings
    return may_see_phi(settings.role, settings.phi_roles)


@contextmanager
def _reading(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection of the request's own to the published snapshot (before one is published,
    the warehouse itself, read-only, for this request)."""
    reader: Reader = request.app.state.reader
    snap = reader.snapshot()
    if snap.version is None:
        try:
            yield snap.conn
        finally:
            snap.conn.close()
        return
    conn = snap.cursor()
    try:
        yield conn
    finally:
        conn.close()


class _Profiles:
    """The packaged condition profiles, read once per server (on the first draft)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._profiles: dict[str, Profile] | None = None

    def get(self) -> dict[str, Profile]:
        with self._lock:
            if self._profiles is None:
                from claimflow.appeals.profiles import load_profiles

                self._profiles = load_profiles()
            return self._profiles


def _names_identifier(path: Path, identifiers: list[str]) -> bool:
    """Whether a DOCX's text (paragraphs and table cells) carries one of ``identifiers``."""
    from claimflow.appeals.documents import docx_text

    text = docx_text(path)
    return any(identifier in text for identifier in identifiers)


def _filename(case_id: str, name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", case_id).strip("._") or "case"
    return f"{safe}_{name}"


_ERROR: dict[str, Any] = {
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
}
"""An answer other than 200: the house's ``ErrorBody`` (``{"error": "..."}``, claimflow.api.app)."""

router = APIRouter(tags=["appeals"])


@router.get("/appeals", response_model=None, summary="DRG appeal cases, nearest deadline first")
def appeals(request: Request) -> Response:
    """Every prepared appeal case (``claimflow appeal list --json``): its condition, payer,
    account and claim numbers, DRG billed and revised, the payer's arguments, the appeal
    deadline and ``days_left`` to it (negative: passed), the latest recorded draft's strength
    (``overall`` 1-10, ``rating``, ``verdict``, ``untraced``, ``lint_findings``, ``conflicts``)
    and the outcome, nearest deadline first (cases without a deadline last)."""
    with _reading(request) as conn:
        rows = appeal_rows(conn)
    if not _show_phi(request):
        rows = [mask_identifiers(row, []) for row in rows]
    return _json({"total": len(rows), "items": rows})


@router.post(
    "/appeals/{case_id}/draft",
    response_model=None,
    summary="Draft a case's appeal letter and review (not recorded)",
    responses={
        200: {
            "description": "The draft as JSON, or with `document` the DOCX",
            "content": {"application/json": {"schema": {"type": "object"}}, DOCX: {}},
        },
        403: {
            "description": "The document names a patient identifier the role may not see.",
            **_ERROR,
        },
        404: {"description": "No prepared case has this id.", **_ERROR},
        422: {
            "description": "The case cannot be drafted (its condition is undecided, ...), or a"
            " bad parameter.",
            **_ERROR,
        },
        503: {"description": "The appeals extra is not installed.", **_ERROR},
    },
)
def draft(
    request: Request,
    case_id: Annotated[
        str, PathParam(description="The case id (the case directory's name).", max_length=200)
    ],
    document: Annotated[
        Literal["letter", "review"] | None,
        Query(description="`letter` or `review`: that DOCX instead of the JSON."),
    ] = None,
) -> Response:
    """The case's draft, computed now from the snapshot as ``claimflow appeal draft`` computes
    it: the letter (each payer argument quoted and answered with the patient's values and
    their times), the five-dimension strength assessment, the note-versus-chart conflicts as
    neutral questions, and every score with the rows it cites (``claimflow appeal draft
    --json``). With ``document=letter`` or ``document=review``, that DOCX instead (an
    attachment). Nothing is written to the warehouse: the draft is not recorded in
    ``appeal_drafts`` (``claimflow appeal draft CASE_ID --out DIR`` records it)."""
    try:
        from claimflow.appeals.draft import DraftError, draft_json, make_draft, write_documents
        from claimflow.appeals.store import CaseNotFoundError
    except ImportError as exc:
        return _error(503, NO_EXTRA.format(name=exc.name or "a module it needs"))
    profiles: _Profiles = request.app.state.appeal_profiles
    show_phi = _show_phi(request)
    now = dt.datetime.now().replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="claimflow-appeal-") as tmp:
        out_dir = Path(tmp) / "draft"
        try:
            with _reading(request) as conn:
                made, record = make_draft(conn, case_id, profiles.get(), out_dir=out_dir, now=now)
        except CaseNotFoundError:
            return _error(404, "no prepared case has this id (claimflow appeal prepare CASE_DIR)")
        except DraftError as exc:
            return _error(422, str(exc))
        identifiers = [] if show_phi else record_identifiers(record)
        if document is None:
            body = draft_json(made, record)
            return _json(body if show_phi else mask_identifiers(body, identifiers))
        write_documents(made, record)
        path = out_dir / DOCUMENTS[document]
        if identifiers and _names_identifier(path, identifiers):
            return _error(
                403,
                f"the {document} names a patient identifier, which this server's role may not"
                " see: ask a role allowed to see patient identifiers",
            )
        content = path.read_bytes()
    return Response(
        content,
        media_type=DOCX,
        headers={
            "Content-Disposition": (
                f'attachment; filename="{_filename(case_id, DOCUMENTS[document])}"'
            )
        },
    )


def install_appeals(app: FastAPI) -> None:
    """Add the appeal routes to ``app`` (its ``state.reader`` and ``state.settings`` set)."""
    app.state.appeal_profiles = _Profiles()
    app.include_router(router)
