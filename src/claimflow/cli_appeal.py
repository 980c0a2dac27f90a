"""``claimflow appeal …``: prepare a case, draft its letter and review, keep winning letters."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from claimflow.cli_common import (
    EXIT_USAGE,
    JsonOpt,
    WarehouseOpt,
    fail,
    out,
    print_json,
    reading,
)
from claimflow.cli_tables import print_table
from claimflow.errors import ClaimflowError
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE

if TYPE_CHECKING:
    from claimflow.appeals.library import Calibration

appeal_app = typer.Typer(
    help="DRG clinical-validation appeals: prepare a case, draft the letter and its review, "
    "keep past winning letters."
)
library_app = typer.Typer(help="Past winning letters, retrieved for new drafts.")
appeal_app.add_typer(library_app, name="library")


# --------------------------------------------------------------------- appeal library …


def _calibration_json(c: Calibration | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "threshold": c.threshold,
        "letters": c.letters,
        "positives": c.positives,
        "negatives": c.negatives,
        "balanced_accuracy": c.balanced_accuracy,
        "reason": c.reason,
    }


def _calibration_line(c: Calibration) -> str:
    if c.threshold is None:
        return f"No letter is retrieved for drafts yet: {c.reason}."
    return f"Drafts retrieve a letter scoring at least {c.threshold:.3f}: {c.reason}."


@library_app.command("add")
def library_add(
    file: Annotated[
        Path, typer.Argument(help="The winning letter: .txt, .pdf (with a text layer) or .docx.")
    ],
    condition: Annotated[
        str,
        typer.Option(
            "--condition", help="The condition the letter argues (a profile's: sepsis, …)."
        ),
    ],
    outcome: Annotated[
        str, typer.Option("--outcome", help="How the appeal ended: overturned or partially_paid.")
    ] = "overturned",
    arguments: Annotated[
        str | None,
        typer.Option(
            "--arguments",
            help="The payer argument ids the letter answers, comma-separated (default: detected"
            " by the condition profile's patterns where the letter quotes the denial).",
        ),
    ] = None,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    as_json: JsonOpt = False,
) -> None:
    """Keep a past winning letter; drafts for the same condition and payer arguments retrieve it.

    The same file added again is counted as a duplicate, not kept twice. Each add recalibrates
    the retrieval threshold on the library (`claimflow appeal library list` shows it).
    """
    from claimflow.appeals.library import LibraryError, add_letter
    from claimflow.warehouse.connection import open_warehouse
    from claimflow.warehouse.serving import publish_snapshot

    given = None
    if arguments is not None:
        given = [a.strip() for a in arguments.split(",") if a.strip()]
        if not given:
            raise fail(
                "--arguments: name one payer argument id or more, comma-separated", EXIT_USAGE
            )
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    try:
        conn = open_warehouse(warehouse)
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    try:
        conn.execute("BEGIN TRANSACTION")
        try:
            added = add_letter(
                conn, file, condition, outcome=outcome, arguments=given, added_by=who
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        publish_snapshot(conn, warehouse)
    except LibraryError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    finally:
        conn.close()
    if as_json:
        print_json(
            {
                "letter_id": added.letter_id,
                "duplicate": added.duplicate,
                "duplicate_adds": added.duplicate_adds,
                "condition": added.condition,
                "arguments": list(added.arguments),
                "arguments_source": added.arguments_source,
                "payer": added.payer,
                "title": added.title,
                "calibration": _calibration_json(added.calibration),
            }
        )
        return
    if added.duplicate:
        out.print(
            f"Duplicate: {file.name} is already in the library as {added.letter_id}"
            f" ({added.condition}, {added.title!r}); not added again (added"
            f" {added.duplicate_adds + 1} times in all).",
            highlight=False,
        )
        return
    how = "given" if added.arguments_source == "given" else "detected by the profile"
    answers = ", ".join(added.arguments) or "no payer argument"
    out.print(
        f"Added {added.letter_id} ({added.condition}): {added.title!r}; payer"
        f" {added.payer or 'not written'}; answers {answers} ({how}).",
        highlight=False,
    )
    if not added.arguments:
        out.print(
            "  No argument was detected: a denial will find this letter by its text only, after"
            " the letters answering its arguments. Say which it answers with --arguments.",
            highlight=False,
        )
    if added.calibration is not None:
        out.print(_calibration_line(added.calibration), highlight=False)


@library_app.command("list")
def library_list(
    condition: Annotated[
        str | None, typer.Option("--condition", help="One condition's letters.")
    ] = None,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    as_json: JsonOpt = False,
) -> None:
    """The past winning letters, newest first, and the retrieval threshold calibrated on them."""
    from claimflow.appeals.library import known_arguments, library_calibration, list_letters

    known = known_arguments()
    if condition is not None and condition not in known:
        raise fail(
            f"--condition {condition!r}: unknown; the known conditions: {', '.join(sorted(known))}",
            EXIT_USAGE,
        )
    if not warehouse.exists():
        raise fail(
            f"{warehouse}: no warehouse here; `claimflow appeal library add FILE --condition …`"
            " starts the library"
        )
    with reading(warehouse) as conn:
        letters = list_letters(conn, condition)
        calibration = library_calibration(conn)
    if as_json:
        print_json({"letters": letters, "calibration": _calibration_json(calibration)})
        return
    if not letters:
        where = f" for {condition}" if condition else ""
        out.print(
            f"The library has no letter{where} yet: add one with `claimflow appeal library add"
            " FILE --condition …`.",
            highlight=False,
        )
        return
    rows = [
        {
            "letter_id": r["letter_id"],
            "condition": r["condition"],
            "outcome": r["outcome"],
            "arguments": ", ".join(r["arguments"] or []),
            "payer": r["payer"],
            "title": r["title"],
            "added_at": r["added_at"],
            "duplicate_adds": r["duplicate_adds"],
        }
        for r in letters
    ]
    print_table(rows, tuple(rows[0]), "Past winning letters", ids=("letter_id",), hint=None)
    out.print(_calibration_line(calibration), highlight=False)
