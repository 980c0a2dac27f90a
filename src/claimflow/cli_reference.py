"""``claimflow reference …``: look up and refresh the reference code sets in the warehouse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from claimflow.denials.reference import CODE_SETS, ensure_reference, refresh_from_file
from claimflow.errors import ClaimflowError
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE, open_warehouse

reference_app = typer.Typer(help="Reference code sets: CARC, RARC, claim status, 999, ...")
out = Console()
err = Console(stderr=True)
SETS = ", ".join([*CODE_SETS, "carc_category"])

WarehouseOpt = Annotated[
    Path,
    typer.Option("--warehouse", "-w", help="DuckDB warehouse file.", envvar="CLAIMFLOW_WAREHOUSE"),
]


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
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    out.print(f"{code_set}: {n} codes loaded from {file}")


@reference_app.command()
def lookup(
    code_set: Annotated[str, typer.Argument(help="carc, rarc, group_code, clp02, ik304, ...")],
    code: Annotated[str, typer.Argument(help="The code, e.g. 45 or N30.")],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a code's description, status and (for CARC) denial category."""
    try:
        conn = open_warehouse(warehouse)
        try:
            ensure_reference(conn)
            row = conn.execute(
                "SELECT r.code_set, r.code, r.description, r.status, r.in_latest, r.source,"
                " c.category, c.default_action FROM ref_codes r LEFT JOIN ref_carc_category c"
                " ON r.code_set = 'carc' AND c.carc = r.code WHERE r.code_set = ? AND r.code = ?",
                [code_set.lower(), code.strip().upper()],
            ).fetchone()
        finally:
            conn.close()
    except ClaimflowError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    if row is None:
        err.print(f"{code_set} {code}: not a known code")
        raise typer.Exit(1)
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
    record = dict(zip(keys, row, strict=True))
    if as_json:
        out.print_json(json.dumps(record))
        return
    for key, value in record.items():
        if value is not None:
            out.print(f"{key + ':':<13}{value}", highlight=False)
