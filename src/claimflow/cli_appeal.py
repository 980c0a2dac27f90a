"""``claimflow appeal …``: prepare a case, draft its letter and review, keep winning letters."""

from __future__ import annotations

import typer

appeal_app = typer.Typer(
    help="DRG clinical-validation appeals: prepare a case, draft the letter and its review, "
    "keep past winning letters."
)
library_app = typer.Typer(help="Past winning letters, retrieved for new drafts.")
appeal_app.add_typer(library_app, name="library")
