"""At rest: ``claimflow purge`` removes raw records and offending values past the retention
period; ``claimflow warehouse-encrypt`` rewrites an unencrypted warehouse encrypted."""

from __future__ import annotations

from typing import Annotated

import typer

from claimflow.cli_common import EXIT_USAGE, JsonOpt, WarehouseOpt, fail, out, print_json
from claimflow.errors import ClaimflowError
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE


def purge(
    older_than: Annotated[
        int,
        typer.Option(
            "--older-than",
            metavar="DAYS",
            help="Retention period: rows that came in more than DAYS days ago lose their raw"
            " values.",
        ),
    ],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be removed; change nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove raw records, offending values and clinical text older than the retention period.

    Sets to NULL bronze's raw records, quarantine rows' offending values and identifiers,
    X12 errors' bad values, appeal letters' and clinical notes' text, for rows whose run
    started (appeal cases: were prepared) more than DAYS days ago. Lineage hashes and counts
    stay; each purge is recorded in retention_purges, and `claimflow lineage` of a purged
    row says when. Running it again removes nothing more. Publishes the serving snapshot.
    """
    from claimflow.warehouse.connection import open_warehouse
    from claimflow.warehouse.purge import purge as run_purge
    from claimflow.warehouse.serving import publish_snapshot

    if older_than < 0:
        raise fail(f"--older-than {older_than}: give a number of days, 0 or more", EXIT_USAGE)
    if not warehouse.exists():
        raise fail(f"{warehouse}: no such warehouse (run `claimflow run` first)")
    try:
        conn = open_warehouse(warehouse)
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    try:
        result = run_purge(conn, older_than, dry_run=dry_run)
        if not dry_run:
            publish_snapshot(conn, warehouse)  # readers must not keep the purged values
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    finally:
        conn.close()
    if as_json:
        print_json(result.as_dict())
        return
    verb = "would remove" if dry_run else "removed"
    out.print(
        f"purge {'(dry run) ' if dry_run else ''}of rows that came in before"
        f" {result.cutoff:%Y-%m-%d %H:%M} UTC ({older_than} days):",
        highlight=False,
    )
    for table, count in result.rows.items():
        cols = ", ".join(result.columns[table])
        out.print(f"  {table:<40} {count:>9,} rows  ({cols})", highlight=False, markup=False)
    total = sum(result.rows.values())
    tail = "" if dry_run else f"; recorded as purge {result.purge_id} in retention_purges"
    out.print(f"{verb} the raw values of {total:,} rows{tail}", highlight=False)


def warehouse_encrypt(warehouse: WarehouseOpt = DEFAULT_WAREHOUSE) -> None:
    """Rewrite an unencrypted warehouse encrypted with the warehouse_key secret.

    Set the secret first (CLAIMFLOW_WAREHOUSE_KEY, CLAIMFLOW_WAREHOUSE_KEY_FILE or
    CLAIMFLOW_WAREHOUSE_KEY_COMMAND); no other claimflow may use the warehouse meanwhile. Its
    unencrypted serving snapshot is removed; the next run (or purge) publishes an encrypted one.
    """
    from claimflow.warehouse.connection import encrypt_warehouse, open_warehouse
    from claimflow.warehouse.serving import publish_snapshot

    try:
        encrypt_warehouse(warehouse)
        conn = open_warehouse(warehouse)
        try:
            publish_snapshot(conn, warehouse)
        finally:
            conn.close()
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    out.print(f"{warehouse}: encrypted with the warehouse_key secret", highlight=False)
