"""``claimflow reference …``: look up and refresh the reference code sets in the warehouse."""

from __future__ import annotations

import csv
import io
import json
import re
from importlib import resources
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.table import Table
from rich.text import Text

from claimflow.cli_common import EXIT_USAGE, JsonOpt, WarehouseOpt, fail, out
from claimflow.denials.reference import CODE_SETS, ensure_reference, refresh_from_file
from claimflow.errors import ClaimflowError
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE, open_warehouse

reference_app = typer.Typer(help="Reference code sets: CARC, RARC, claim status, 999, ...")
SETS = ", ".join([*CODE_SETS, "carc_category"])

GROUPED_CARC = re.compile(r"(CO|PR|OA|PI|CR)[-\s:*]?([A-Z]?[0-9]+)")
"""A CARC as the reports print it, with its CAS01 group code in front: ``CO-45``, ``PR 1``."""


def _fail(message: str, code: int = 1) -> typer.Exit:
    return fail(message, code)


@reference_app.command()
def refresh(
    code_set: Annotated[str, typer.Argument(help=f"One of: {SETS}.")],
    file: Annotated[Path, typer.Argument(help="A newer CSV of that set (same columns).")],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
) -> None:
    """Merge a newer code list into the warehouse; codes it no longer lists stay known."""
    try:
        conn = open_warehouse(warehouse)
        try:
            ensure_reference(conn)
            n = refresh_from_file(conn, code_set, file)
        finally:
            conn.close()
    except ClaimflowError as exc:
        raise _fail(str(exc)) from None
    out.print(f"{code_set}: {n} codes loaded from {file}", markup=False, highlight=False)


def group_meanings() -> dict[str, tuple[str, str]]:
    """CAS01 group code → (name, what it means for posting), from the shipped code list."""
    text = (resources.files("claimflow.reference") / "claim_adjustment_group_codes.csv").read_text(
        encoding="utf-8"
    )
    meanings = {}
    for row in csv.DictReader(io.StringIO(text)):
        meaning = row["meaning_for_posting"]
        if not row["valid_in_5010_835"].startswith("Y"):
            meaning += f" (not valid in 5010: {row['valid_in_5010_835']})"
        meanings[row["code"]] = (row["name"], meaning)
    return meanings


def _split(code_set: str, code: str) -> tuple[str | None, str]:
    """``("CO", "45")`` for ``carc CO-45``; ``(None, code)`` when no group code is in front."""
    code = code.strip().upper()
    if code_set == "carc":
        grouped = GROUPED_CARC.fullmatch(code)
        if grouped:
            return grouped.group(1), grouped.group(2)
    return None, code


def _known_sets(conn: duckdb.DuckDBPyConnection) -> list[str]:
    rows = conn.execute("SELECT DISTINCT code_set FROM ref_codes ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


@reference_app.command()
def lookup(
    code_set: Annotated[str, typer.Argument(help="carc, rarc, group_code, clp02, ik304, ...")],
    code: Annotated[
        str,
        typer.Argument(help="The code, e.g. 45 or N30; a CARC also as reports print it: CO-45."),
    ],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    as_json: JsonOpt = False,
) -> None:
    """Print a code's description, status and (for CARC) denial category.

    A CARC may carry its group code, as every report prints it: CO-45, PR-1, OA-23, PI-96.
    """
    code_set = code_set.strip().lower()
    group, bare = _split(code_set, code)
    try:
        conn = open_warehouse(warehouse)
        try:
            ensure_reference(conn)
            known = _known_sets(conn)
            row = conn.execute(
                "SELECT r.code_set, r.code, r.description, r.status, r.in_latest, r.source,"
                " c.category, c.default_action FROM ref_codes r LEFT JOIN ref_carc_category c"
                " ON r.code_set = 'carc' AND c.carc = r.code WHERE r.code_set = ? AND r.code = ?",
                [code_set, bare],
            ).fetchone()
        finally:
            conn.close()
    except ClaimflowError as exc:
        raise _fail(str(exc)) from None
    if code_set not in known:
        raise _fail(f"unknown code set {code_set!r}; known: {', '.join(known)}", EXIT_USAGE)
    if row is None:
        raise _fail(f"{code_set} {code.strip()}: not a known code")
    keys = (
        "code_set",
        "code",
        "description",
        "status",
        "in_latest",
        "source",
        "category",
        "action",
    )
    record: dict[str, object] = dict(zip(keys, row, strict=True))
    if group is not None:
        name, meaning = group_meanings().get(group, ("", ""))
        record = {
            "code_set": record.pop("code_set"),
            "code": record.pop("code"),
            "group_code": group,
            "group_name": name,
            "group_meaning": meaning,
            **record,
        }
    if as_json:
        out.print_json(json.dumps(record))
        return
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in record.items():
        if value is not None:
            grid.add_row(Text(f"{key}:"), Text(str(value)))
    out.print(grid, highlight=False, emoji=False)
