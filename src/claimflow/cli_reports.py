"""``claimflow worklist``, ``alerts`` and ``report``: what the warehouse holds, as tables a person reads."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table

from claimflow.cli_common import EXIT_USAGE, JsonOpt, WarehouseOpt, fail, out, parse_date, reading
from claimflow.marts.reports import REPORTS
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE


def worklist(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many, largest first.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The open exceptions of the rejection log, by value: what a person should work first."""
    from claimflow.marts.worklist import open_worklist

    with reading(warehouse) as conn:
        records = open_worklist(conn, limit=limit)
    keys = ("claim_id", "source_system", "reason", "category", "disposition", "amount",
            "recommended_fix", "logged_at")  # fmt: skip
    if as_json:
        out.print_json(json.dumps(records, default=str))
        return
    table = Table(title=f"Worklist: {len(records)} open exception(s), largest first")
    for key in keys[:-1]:
        table.add_column(key, justify="right" if key == "amount" else "left")
    for r in records:
        table.add_row(*(("" if r[k] is None else str(r[k])) for k in keys[:-1]))
    out.print(table)


def alerts(warehouse: WarehouseOpt = DEFAULT_WAREHOUSE, as_json: JsonOpt = False) -> None:
    """Open acknowledgment SLA alerts: submitted claims with no 999 or no 277CA in time."""
    from claimflow.marts.sla import open_alerts

    with reading(warehouse) as conn:
        records = open_alerts(conn)
    if as_json:
        out.print_json(json.dumps(records, default=str))
        return
    table = Table(title=f"{len(records)} open SLA alert(s)")
    for key in ("patient_control_number", "payer_id", "kind", "submission_date", "due_at"):
        table.add_column(key)
    for r in records:
        table.add_row(
            r["patient_control_number"], r["payer_id"] or "", r["kind"],
            str(r["submission_date"]), str(r["due_at"]),
        )  # fmt: skip
    out.print(table)


def report(
    name: Annotated[str, typer.Argument(help="A report: " + ", ".join(REPORTS) + ".")],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    start: Annotated[str, typer.Option("--from", help="First submission date.")] = "1900-01-01",
    end: Annotated[str | None, typer.Option("--to", help="Last submission date.")] = None,
    payer: Annotated[str | None, typer.Option("--payer", help="One payer id.")] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="One billing provider NPI.")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="One source system.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print one named report (the same queries the dashboard shows)."""
    from claimflow.marts.reports import prepare, run_report

    if name not in REPORTS:
        raise fail(f"unknown report {name!r}; one of: {', '.join(REPORTS)}", EXIT_USAGE)
    first = parse_date(start) or dt.date(1900, 1, 1)
    last = parse_date(end) or dt.date.today()
    with reading(warehouse) as conn:
        prepare(conn, start=first, end=last, payer=payer, provider=provider, source=source)
        rows = run_report(conn, name)
    if as_json:
        out.print_json(json.dumps(rows, default=str))
        return
    table = Table(title=name.replace("_", " "))
    for column in rows[0] if rows else ["(no rows)"]:
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(
                "" if v is None else f"{v:,.2f}" if isinstance(v, float) else str(v)
                for v in row.values()
            )
        )
    out.print(table)
