"""``claimflow lineage``: the file, position and raw record behind a row."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from claimflow.cli_common import JsonOpt, ShowPhiOpt, WarehouseOpt, out, print_json, reading
from claimflow.phi import MASK, mask_row
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE


def lineage(
    lineage_hash: Annotated[str, typer.Argument(help="A lineage hash, or a unique prefix.")],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    show_phi: ShowPhiOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Print the file, the position and the original raw record of a row.

    The raw record holds patient identifiers: it is masked unless --show-phi (as the API masks
    it).
    """
    from claimflow.warehouse.lineage import find_lineage

    with reading(warehouse) as conn:
        found = find_lineage(conn, lineage_hash)
    record = mask_row(dataclasses.asdict(found), show_phi=show_phi)
    if as_json:
        print_json(record)
        return
    if found.segment_index is not None:
        position = f"segment {found.segment_index} ({', '.join(found.tables)})"
    elif found.row_number is not None:
        position = f"record {found.row_number}"
    else:
        position = f"line {found.line}"
    out.print(f"lineage hash: {found.lineage_hash}", highlight=False)
    out.print(f"file:         {found.path}", highlight=False, markup=False)
    out.print(f"file id:      {found.file_id} (sha256 of its bytes)", highlight=False)
    out.print(f"source:       {found.source_system}", highlight=False, markup=False)
    out.print(f"position:     {position}", highlight=False)
    out.print(f"disposition:  {found.disposition} (run {found.run_id})", highlight=False)
    if found.purged_on is not None:
        out.print(f"raw record:   purged on {found.purged_on} (retention, `claimflow purge`)")
        return
    if record["raw_record"] == MASK:
        out.print(f"raw record:   {MASK} (patient identifiers: --show-phi to show it)")
        return
    out.print("raw record:")
    out.print(record["raw_record"], markup=False, highlight=False, soft_wrap=True)
