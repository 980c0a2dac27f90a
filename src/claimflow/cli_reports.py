"""``claimflow worklist``, ``alerts`` and ``report``: what the warehouse holds, as tables a person
reads (or CSV, or JSON, for another program)."""

from __future__ import annotations

from typing import Annotated

import typer

from claimflow.cli_common import (
    EXIT_USAGE,
    FromOpt,
    JsonOpt,
    PayerOpt,
    ProviderOpt,
    SourceOpt,
    ToOpt,
    WarehouseOpt,
    check_filters,
    did_you_mean,
    fail,
    parse_date,
    print_json,
    reading,
)
from claimflow.cli_tables import FormatOpt, TableFormat, WideOpt, print_table
from claimflow.display import count
from claimflow.marts.reports import DESCRIPTIONS, REPORTS
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE

WORKLIST_TABLE = ("patient_control_number", "sources", "category", "amount", "recommended_fix")
"""The worklist's columns a person reads first, within 80 columns (the fix says what to do:
appeal, correct, write off); ``--json`` and ``--format csv`` give every column."""

ALERTS_TABLE = ("patient_control_number", "payer_id", "kind", "submission_date", "due_at", "detail")
ALERTS_CSV = ("claim_id", *ALERTS_TABLE, "first_raised_at", "model_version")
"""Every column of an alert (``marts.sla.open_alerts``), for ``--format csv``."""


def _title(what: str, shown: int, total: int) -> str:
    """``what: top 50 of 2,896 open`` (or ``all 12 open`` when every one is shown)."""
    if shown < total:
        return f"{what}: top {count(shown)} of {count(total)} open"
    return f"{what}: {'all ' if total > 1 else ''}{count(total) if total else 'none'} open"


def worklist(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many claims, largest first.")
    ] = 50,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
    fmt: FormatOpt = TableFormat.table,
) -> None:
    """The worklist: the open exceptions of the rejection log, by value, that a person must work.

    One row per claim (its claim number, PCN) with every source it was logged from; largest
    amount first.
    """
    from claimflow.marts.worklist import COLUMNS, count_open_worklist, open_worklist

    with reading(warehouse) as conn:
        total = count_open_worklist(conn)
        records = open_worklist(conn, limit=limit)
    if as_json:
        print_json(records)
        return
    columns = COLUMNS if fmt == TableFormat.csv else WORKLIST_TABLE
    title = _title("Worklist", len(records), total) + ", largest first"
    print_table(records, columns, title, cents=True, fmt=fmt, wide=wide)


def alerts(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="How many, oldest deadline first.")
    ] = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
    fmt: FormatOpt = TableFormat.table,
) -> None:
    """Open acknowledgment SLA alerts: submitted claims with no 999 or no 277CA in time."""
    from claimflow.marts.sla import open_alerts

    with reading(warehouse) as conn:
        records = open_alerts(conn)
    total = len(records)
    records = records[:limit] if limit is not None else records
    if as_json:
        print_json(records)
        return
    columns = ALERTS_CSV if fmt == TableFormat.csv else ALERTS_TABLE
    title = _title("SLA alerts", len(records), total) + ", oldest deadline first"
    print_table(records, columns, title, fmt=fmt, wide=wide)


def report(
    name: Annotated[
        str | None, typer.Argument(help="A report (see --list).", show_default=False)
    ] = None,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    start: FromOpt = None,
    end: ToOpt = None,
    payer: PayerOpt = None,
    provider: ProviderOpt = None,
    source: SourceOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
    fmt: FormatOpt = TableFormat.table,
    listing: Annotated[
        bool, typer.Option("--list", help="List the reports, one line each, and exit.")
    ] = False,
) -> None:
    """Print one named report (the same queries the dashboard shows); --list names them all."""
    from claimflow.marts.reports import PER_CLAIM, prepare, report_columns_and_rows

    if listing:
        _list_reports(as_json, fmt, wide)
        return
    if name is None:
        raise fail("which report? name one (claimflow report --list shows them)", EXIT_USAGE)
    if name not in REPORTS:
        hint = did_you_mean(name, REPORTS) or (
            f"; one of: {', '.join(REPORTS)} (claimflow report --list says what each shows)"
        )
        raise fail(f"no report is named {name!r}{hint}", EXIT_USAGE)
    from claimflow.marts.kpis import resolve_window

    first, last = parse_date(start), parse_date(end)
    with reading(warehouse) as conn:
        try:  # the window of every surface: claimflow kpi, the API's /reports, the dashboard
            first, last = resolve_window(conn, first, last)
        except ValueError as exc:
            raise fail(f"--from/--to: {exc}", EXIT_USAGE) from None
        check_filters(conn, payer=payer, provider=provider, source=source)
        prepare(conn, start=first, end=last, payer=payer, provider=provider, source=source)
        columns, rows = report_columns_and_rows(conn, name)
    if as_json:
        print_json(rows)
        return
    title = f"{DESCRIPTIONS[name].rstrip('.')} (submitted {first} to {last})"
    print_table(rows, columns, title, report=name, cents=name in PER_CLAIM, fmt=fmt, wide=wide)


def _list_reports(as_json: bool, fmt: TableFormat, wide: bool) -> None:
    if as_json:
        print_json(DESCRIPTIONS)
        return
    rows = [{"report": n, "description": DESCRIPTIONS[n]} for n in REPORTS]
    print_table(
        rows, ("report", "description"), "Reports (claimflow report NAME)", fmt=fmt, wide=wide
    )
