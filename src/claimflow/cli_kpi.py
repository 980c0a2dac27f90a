"""``claimflow kpi``: the revenue-cycle KPIs of a window of claims."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table

from claimflow.cli_common import EXIT_USAGE, JsonOpt, WarehouseOpt, fail, out, reading
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE


def kpi(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    start: Annotated[
        str, typer.Option("--from", help="First submission date YYYY-MM-DD.")
    ] = "1900-01-01",
    end: Annotated[
        str | None, typer.Option("--to", help="Last submission date; A/R as of it (default today).")
    ] = None,
    payer: Annotated[str | None, typer.Option("--payer", help="One payer id.")] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="One billing provider NPI.")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="One source system.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Revenue-cycle KPIs for claims submitted in the window (definitions: docs/kpis.md)."""
    from claimflow.marts.kpis import compute_kpis

    try:
        first = dt.date.fromisoformat(start)
        last = dt.date.fromisoformat(end) if end else dt.date.today()
    except ValueError:
        raise fail("--from/--to: expected YYYY-MM-DD", EXIT_USAGE) from None
    with reading(warehouse) as conn:
        values = compute_kpis(
            conn, start=first, end=last, payer=payer, provider=provider, source=source
        )
    if as_json:
        out.print_json(json.dumps(values))
        return
    chosen = (("payer", payer), ("provider", provider), ("source", source))
    table = Table(
        title=f"KPIs, claims submitted {first} to {last}"
        + "".join(f", {name} {value}" for name, value in chosen if value)
    )
    table.add_column("kpi")
    table.add_column("value", justify="right")
    for key, value in values.items():
        if isinstance(value, dict):
            for bucket, amount in value.items():
                table.add_row(f"{key} {bucket}", f"{amount:,.2f}")
        elif isinstance(value, float) and ("rate" in key):
            table.add_row(key, f"{value:.1%}")
        else:
            table.add_row(key, "—" if value is None else f"{value:,}")
    out.print(table)
