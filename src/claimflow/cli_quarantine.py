"""``claimflow quarantine``: the rows a run set aside, with the rule, the field and the
offending value."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from claimflow.cli_common import (
    EXIT_USAGE,
    JsonOpt,
    ShowPhiOpt,
    WarehouseOpt,
    did_you_mean,
    fail,
    out,
    print_json,
    reading,
)
from claimflow.cli_tables import FormatOpt, TableFormat, WideOpt, print_table
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE

_COLUMNS = ("dq_rule", "field", "value", "file", "position", "lineage_hash", "dq_details")
_CSV_COLUMNS = (
    "dq_rule", "field", "value", "path", "source_row_number", "segment_index", "table_name",
    "source_system", "run_id", "lineage_hash", "dq_details",
)  # fmt: skip


def quarantine(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    rule: Annotated[
        str | None, typer.Option("--rule", "-r", help="Only this rule (e.g. x12.se_count).")
    ] = None,
    file: Annotated[
        str | None,
        typer.Option("--file", "-f", help="Only this file: its path, name or file id (8+)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="How many (0: all).")] = 50,
    show_phi: ShowPhiOpt = False,
    fmt: FormatOpt = TableFormat.table,
    wide: WideOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Quarantined rows with the rule each broke, the field and the offending value.

    Latest run first, with the file, the position and the lineage hash that `claimflow lineage`
    traces; values that are patient identifiers are masked unless --show-phi.
    """
    from claimflow.marts.quarantine import quarantined

    with reading(warehouse) as conn:
        found = quarantined(conn, rule=rule, file=file, limit=limit, show_phi=show_phi)
        files = (
            [str(r[0]) for r in conn.execute("SELECT path FROM source_files").fetchall()]
            if file is not None and not found.total
            else []
        )
    if rule is not None and rule not in found.rules:
        raise fail(
            f"no row was quarantined by rule {rule!r}{did_you_mean(rule, found.rules)}"
            + ("" if found.rules else " (nothing is quarantined)"),
            EXIT_USAGE,
        )
    if file is not None and not found.total:
        names = {Path(p).name for p in files}
        if file not in names and file not in files:
            raise fail(f"no file {file!r} was loaded{did_you_mean(file, names)}", EXIT_USAGE)
    rows = [_row(r) for r in found.rows]
    if as_json:
        print_json({"total": found.total, "rows": rows})
        return
    if fmt == TableFormat.csv:
        print_table(rows, _CSV_COLUMNS, "", fmt=fmt)
        return
    shown = len(rows)
    title = (
        f"Quarantined rows: top {shown:,} of {found.total:,}"
        if shown < found.total
        else f"Quarantined rows: {found.total:,}"
    )
    if not rows:
        out.print(f"{title} (nothing matches)" if rule or file else f"{title}", highlight=False)
        return
    print_table(
        rows, _COLUMNS, title, wide=wide,
        ids=("dq_rule", "field", "file", "position", "lineage_hash"),
    )  # fmt: skip
    if shown < found.total:
        out.print(f"More: --limit {found.total}, or --format csv for all.", highlight=False)


def _row(r: dict[str, Any]) -> dict[str, Any]:
    if r.get("source_row_number") is not None:
        position = f"row {r['source_row_number']}"
    elif r.get("segment_index") is not None:
        position = f"segment {r['segment_index']}"
    else:
        position = None
    return {
        **r,
        "file": Path(str(r["path"])).name if r.get("path") else None,
        "position": position,
    }
