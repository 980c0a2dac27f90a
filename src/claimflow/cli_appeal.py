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
    err,
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


# --------------------------------------------------------------------- appeal prepare


@appeal_app.command("prepare")
def prepare(
    case_dirs: Annotated[
        list[Path],
        typer.Argument(
            help="Case directories: each holds denial.pdf/.png/.tif/.txt and the record as FHIR"
            " (*.ndjson or bundle.json) or CSV tables; its name is the case id."
        ),
    ],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="How another EHR's CSV export is read: a YAML file of the shape of"
            " claimflow/appeals/ehr_csv.yaml (its sections replace the default's).",
        ),
    ] = None,
    draft_to: Annotated[
        Path | None,
        typer.Option(
            "--draft",
            help="Draft each case prepared into this folder too (as `claimflow appeal draft`"
            " does, one folder per case when there are several), in the same process.",
        ),
    ] = None,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    as_json: JsonOpt = False,
) -> None:
    """Validate and load cases: each denial letter's fields and its chart, with lineage.

    Preparing the same case again replaces its rows (one transaction per case). Rows that
    cannot be read are quarantined with the file, the position and the reason; the exit code
    is then 3. A case that cannot be read at all is named with the reason and the others are
    loaded; the exit code is then 1.
    """
    from claimflow.appeals.batch import read_cases
    from claimflow.appeals.ehr_csv import load_mapping
    from claimflow.appeals.store import store_case
    from claimflow.cli_common import EXIT_QUARANTINE
    from claimflow.errors import ConfigError
    from claimflow.warehouse.connection import open_warehouse
    from claimflow.warehouse.serving import publish_snapshot

    try:
        mapping = load_mapping(config)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    summaries: list[dict[str, Any]] = []
    failed: list[str] = []
    quarantined = False
    conn = None  # opened with the first case read: a case that cannot be read changes nothing
    try:
        for case_dir, read in read_cases(case_dirs, mapping):
            try:
                if isinstance(read, ClaimflowError):
                    raise read
                case = read
                conn = conn or open_warehouse(warehouse)
                stored = store_case(conn, case)
            except ClaimflowError as exc:
                if len(case_dirs) == 1:
                    raise
                failed.append(f"{case_dir}: {exc}")
                continue
            quarantined = quarantined or bool(case.quarantined)
            summary = _prepared_summary(case, stored)
            summaries.append(summary)
            if not as_json:
                _print_prepared(summary)
            if draft_to is not None:
                where = draft_to / case.case_id if len(case_dirs) > 1 else draft_to
                try:
                    made = _draft_one(conn, case.case_id, where)
                except ClaimflowError as exc:
                    failed.append(f"{case_dir}: prepared, not drafted: {exc}")
                    continue
                summary["draft"] = {
                    "out_dir": str(where),
                    "overall": made.assessment.overall,
                    "rating": made.assessment.rating,
                }
                if not as_json:
                    _print_drafted(made, where)
        if conn is not None:
            publish_snapshot(conn, warehouse)
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    finally:
        if conn is not None:
            conn.close()
    if as_json:
        print_json(summaries[0] if len(case_dirs) == 1 else {"cases": summaries, "failed": failed})
    for line in failed:
        err.print(f"not prepared: {line}", highlight=False)
    if failed:
        raise typer.Exit(1)
    if quarantined:
        raise typer.Exit(EXIT_QUARANTINE)


def _prepared_summary(case: Any, stored: Any) -> dict[str, Any]:
    """What ``prepare`` tells: no member id, no name, no note text (file, position, field)."""
    d, letter = case.denial, case.letter
    return {
        "case_id": case.case_id,
        "condition": case.condition,
        "account_number": case.account_number,
        "claim_number": d.claim_number,
        "payer": d.payer,
        "original_drg": d.original_drg,
        "proposed_drg": d.proposed_drg,
        "letter_date": d.letter_date,
        "appeal_deadline": d.appeal_deadline,
        "deadline_rule": d.deadline_rule,
        "arguments": case.arguments,
        "letter": {
            "file": letter.file,
            "format": letter.format,
            "ocr": letter.ocr,
            "psm": letter.psm,
            "confidence": None if letter.confidence is None else round(letter.confidence, 1),
        },
        "record_format": case.record.format,
        "record_files": sorted(case.record.files),
        "claim_id": stored.claim_id,
        "loaded": stored.loaded,
        "quarantined": [
            {
                "table": q.table,
                "file": q.file,
                "position": q.position,
                "field": q.field,
                "rule": q.rule,
                "details": q.details,
                "lineage_hash": q.lineage_hash,
            }
            for q in case.quarantined
        ],
        "ignored": case.record.ignored,
        "warnings": case.warnings,
        "prepared_at": stored.prepared_at,
    }


def _print_prepared(s: dict[str, Any]) -> None:
    from claimflow.appeals.denial import shown

    def say(text: str) -> None:
        out.print(text, highlight=False, markup=False)

    letter = s["letter"]
    how = "read with Tesseract" if letter["ocr"] else "text"
    say(
        f"Prepared case {s['case_id']}: condition {shown(s['condition'])}; letter"
        f" {letter['file']} ({how}), record {s['record_format']}"
        f" ({', '.join(s['record_files'])})"
    )
    say(
        f"  account {shown(s['account_number'])}, claim {shown(s['claim_number'])}, payer"
        f" {shown(s['payer'])}; DRG {shown(s['original_drg'])} → {shown(s['proposed_drg'])}"
    )
    deadline = shown(s["appeal_deadline"])
    if s["deadline_rule"]:
        deadline += f" ({s['deadline_rule']})"
    say(f"  letter dated {shown(s['letter_date'])}; appeal deadline {deadline}")
    say(f"  payer arguments: {', '.join(s['arguments']) or 'none recognised'}")
    say(
        "  warehouse claim: "
        + (s["claim_id"] or "none has the account or claim number as patient control number")
    )
    loaded = ", ".join(f"{n} {table.removeprefix('clinical_')}" for table, n in s["loaded"].items())
    say(f"  loaded: {loaded}")
    if letter["ocr"]:
        say(
            f"  OCR: used (Tesseract page segmentation mode {letter['psm']}, mean word confidence"
            f" {letter['confidence']})"
        )
    else:
        say("  OCR: not used")
    for why, count in sorted(s["ignored"].items()):
        say(f"  ignored: {count} × {why}")
    for warning in s["warnings"]:
        say(f"  warning: {warning}")
    if s["quarantined"]:
        say(f"  quarantined: {len(s['quarantined'])} rows")
        for q in s["quarantined"]:
            where = q["position"] if q["position"].startswith("entry") else f"line {q['position']}"
            say(f"    {q['file']}, {where}, {q['field']}: {q['details']} [{q['rule']}]")


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


# --------------------------------------------------------------------- appeal draft / list


@appeal_app.command("draft")
def draft(
    case_ids: Annotated[
        list[str] | None,
        typer.Argument(
            help="Prepared cases (claimflow appeal list); or --all.", show_default=False
        ),
    ] = None,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Where letter.docx, review.docx and draft.json are written (for several "
            "cases, one folder per case inside it).",
        ),
    ] = Path("appeals"),
    every: Annotated[bool, typer.Option("--all", help="Draft every prepared case.")] = False,
    profiles: Annotated[
        Path | None,
        typer.Option(
            "--profiles",
            help="A directory of extra condition profiles (*.yaml) besides the packaged ones.",
        ),
    ] = None,
    rephrase_url: Annotated[
        str | None,
        typer.Option(
            "--rephrase-url",
            envvar="CLAIMFLOW_REPHRASE_URL",
            help="Reword the letter through this OpenAI-compatible API (e.g. "
            "http://127.0.0.1:8080/v1); the rewording is kept only when its numbers all trace "
            "and its lint is clean. Off by default. The letter holds PHI. Key: "
            "CLAIMFLOW_REPHRASE_API_KEY.",
        ),
    ] = None,
    rephrase_model: Annotated[
        str, typer.Option("--rephrase-model", envvar="CLAIMFLOW_REPHRASE_MODEL")
    ] = "default",
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    as_json: JsonOpt = False,
) -> None:
    """Draft prepared cases: the letter for the payer and, apart, the review for CDI.

    Scores the chart by the condition's profile, cross-checks the notes, retrieves a past
    winning letter, writes the letter, checks every number and every word, and assesses it.
    """
    import os

    from claimflow.appeals.draft import draft_case, draft_json
    from claimflow.appeals.profiles import load_profiles
    from claimflow.appeals.rephrase import Endpoint
    from claimflow.appeals.store import read_case
    from claimflow.warehouse.connection import open_warehouse
    from claimflow.warehouse.serving import publish_snapshot

    if not case_ids and not every:
        raise fail("name the cases to draft (claimflow appeal list), or --all", EXIT_USAGE)
    _existing(warehouse)
    endpoint = (
        Endpoint(rephrase_url, rephrase_model, os.environ.get("CLAIMFLOW_REPHRASE_API_KEY"))
        if rephrase_url
        else None
    )
    try:
        known = load_profiles(*([profiles] if profiles else []))
        conn = open_warehouse(warehouse)
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    drafted: list[dict[str, Any]] = []
    failed: list[str] = []
    try:
        ids = case_ids or []
        if every:
            ids = [
                str(r[0])
                for r in conn.execute("SELECT case_id FROM appeal_cases ORDER BY 1").fetchall()
            ]
        several = len(ids) > 1
        for case_id in ids:
            where = out_dir / case_id if several else out_dir
            try:
                made = draft_case(
                    conn, case_id, where, known, drafted_by=getpass.getuser(), endpoint=endpoint
                )
            except ClaimflowError as exc:
                if not several:
                    raise
                failed.append(f"{case_id}: {exc}")
                continue
            drafted.append(draft_json(made, read_case(conn, case_id)))
            if not as_json:
                _print_drafted(made, where)
        publish_snapshot(conn, warehouse)
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    finally:
        conn.close()
    if as_json:
        print_json(
            drafted[0]
            if len(drafted) == 1 and not failed and not every
            else {"drafts": drafted, "failed": failed}
        )
    for line in failed:
        err.print(f"not drafted: {line}", highlight=False)
    if failed:
        raise typer.Exit(1)


def _existing(warehouse: Path) -> None:
    """Refuse a warehouse that does not exist yet, saying how one starts."""
    if not warehouse.exists():
        raise fail(f"{warehouse}: no warehouse here; `claimflow appeal prepare CASE_DIR` first")


def _draft_one(conn: Any, case_id: str, where: Path) -> Any:
    """Draft one prepared case with the packaged profiles and record it."""
    from claimflow.appeals.draft import draft_case
    from claimflow.appeals.profiles import load_profiles

    return draft_case(conn, case_id, where, load_profiles(), drafted_by=getpass.getuser())


def _print_drafted(made: Any, where: Path) -> None:
    a = made.assessment
    conflicts = sum(c.conflict for c in made.comparisons)
    out.print(
        f"Case {made.case_id} ({made.letter.condition}): strength {a.overall}/10 {a.rating}. "
        f"{a.summary}",
        highlight=False,
    )
    out.print(
        f"  {len(a.numbers)} numbers, {len(a.untraced)} untraced; {len(a.lint)} lint finding(s); "
        f"{conflicts} conflict(s) for CDI review; template: {made.template}"
        + (f"; rewording {made.rephrased}" if made.rephrased else ""),
        highlight=False,
    )
    out.print(f"  Letter: {where / 'letter.docx'}", highlight=False)
    out.print(f"  Review: {where / 'review.docx'} (internal: not for the payer)", highlight=False)
    out.print(f"  JSON:   {where / 'draft.json'}", highlight=False)


@appeal_app.command("list")
def list_cases(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    as_json: JsonOpt = False,
) -> None:
    """The prepared cases, nearest deadline first: condition, DRGs, arguments, the latest
    draft's strength and conflicts, and the outcome."""
    from claimflow.appeals.worklist import appeal_rows

    _existing(warehouse)
    with reading(warehouse) as conn:
        rows = appeal_rows(conn)
    if as_json:
        print_json({"cases": rows})
        return
    if not rows:
        out.print(
            "No prepared case yet: `claimflow appeal prepare CASE_DIR` loads one.",
            highlight=False,
        )
        return
    columns = [
        "case",
        "condition",
        "payer",
        "DRG",
        "deadline",
        "days left",
        "arguments",
        "strength",
        "conflicts",
        "outcome",
    ]
    print_table(
        [
            {
                "case": r["case_id"],
                "condition": r["condition"] or "undecided",
                "payer": r["payer"],
                "DRG": f"{r['original_drg'] or 'unknown'} → {r['proposed_drg'] or 'unknown'}",
                "deadline": r["appeal_deadline"],
                "days left": r["days_left"],
                "arguments": len(r["arguments"] or []),
                "strength": "" if r["overall"] is None else f"{r['overall']}/10 {r['rating']}",
                "conflicts": r["conflicts"],
                "outcome": r["outcome"] or "",
            }
            for r in rows
        ],
        columns,
        "Appeal cases",
        hint=None,
    )


# --------------------------------------------------------------------- outcomes


@appeal_app.command("outcome")
def outcome(
    case_id: Annotated[str, typer.Argument(help="A prepared case.")],
    decision: Annotated[
        str, typer.Argument(help="What the payer decided: overturned, partially_paid or upheld.")
    ],
    decided_on: Annotated[
        str | None, typer.Option("--on", help="The payer's decision date (YYYY-MM-DD).")
    ] = None,
    paid: Annotated[
        str | None, typer.Option("--paid", help="What the payer paid after the appeal.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Free text.")] = None,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    as_json: JsonOpt = False,
) -> None:
    """Record the payer's decision on an appeal (a new row; the latest one stands)."""
    from decimal import Decimal, InvalidOperation

    from claimflow.appeals.outcomes import record_outcome
    from claimflow.cli_common import parse_date
    from claimflow.warehouse.connection import open_warehouse
    from claimflow.warehouse.serving import publish_snapshot

    day = parse_date(decided_on)
    try:
        amount = Decimal(paid) if paid is not None else None
    except InvalidOperation:
        raise fail(f"--paid {paid!r}: expected an amount such as 1234.56", EXIT_USAGE) from None
    _existing(warehouse)
    conn = open_warehouse(warehouse)
    try:
        row = record_outcome(
            conn,
            case_id,
            decision,
            decided_on=day,
            paid_amount=amount,
            recorded_by=getpass.getuser(),
            note=note,
        )
        publish_snapshot(conn, warehouse)
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    finally:
        conn.close()
    if as_json:
        print_json(row)
        return
    out.print(f"Recorded: case {case_id} {decision}.", highlight=False)


@appeal_app.command("rates")
def rates(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    as_json: JsonOpt = False,
) -> None:
    """Overturn rates of the decided appeals, by payer, condition and payer argument."""
    from claimflow.appeals.outcomes import overturn_rates

    _existing(warehouse)
    with reading(warehouse) as conn:
        rows = overturn_rates(conn)
    if as_json:
        print_json({"rates": rows})
        return
    if not rows:
        out.print(
            "No decided appeal yet: `claimflow appeal outcome CASE_ID overturned` records one.",
            highlight=False,
        )
        return
    print_table(
        [
            {
                "by": r["dimension"],
                "value": r["value"],
                "decided": r["decided"],
                "won": r["won"],
                "overturn rate": f"{r['overturn_rate']:.0%}",
                "upheld": r["upheld"],
            }
            for r in rows
        ],
        ["by", "value", "decided", "won", "overturn rate", "upheld"],
        "Appeal overturn rates (overturned or partially paid, of decided)",
        hint=None,
    )
