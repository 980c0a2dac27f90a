"""``claimflow lineage``: the file, position and raw record behind a row."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from claimflow.cli_common import JsonOpt, WarehouseOpt, out, reading
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE


def lineage(
    lineage_hash: Annotated[str, typer.Argument(help="A lineage hash, or a unique prefix.")],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    as_json: JsonOpt = False,
) -> None:
    """Print the file, the position and the original raw record of a row."""
    from claimflow.warehouse.lineage import find_lineage

    with reading(warehouse) as conn:
        record = find_lineage(conn, lineage_hash)
    if as_json:
        out.print_json(json.dumps(record.__dict__, default=str))
        return
    if record.segment_index is not None:
        position = f"segment {record.segment_index} ({', '.join(record.tables)})"
    elif record.row_number is not None:
        position = f"record {record.row_number}"
    else:
        position = f"line {record.line}"
    out.print(f"lineage hash: {record.lineage_hash}")
    out.print(f"file:         {record.path}")
    out.print(f"file id:      {record.file_id} (sha256 of its bytes)")
    out.print(f"source:       {record.source_system}")
    out.print(f"position:     {position}")
    out.print(f"disposition:  {record.disposition} (run {record.run_id})")
    out.print("raw record:")
    out.print(record.raw_record, markup=False, highlight=False, soft_wrap=True)
