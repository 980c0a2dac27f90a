"""``claimflow check``: a configuration tried on the files it matches, writing nothing."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import duckdb
import typer

from claimflow.cli_common import (
    EXIT_QUARANTINE,
    JsonOpt,
    ShowPhiOpt,
    err,
    fail,
    out,
    print_json,
)
from claimflow.cli_tables import WideOpt, print_table
from claimflow.errors import ClaimflowError
from claimflow.phi import mask_row
from claimflow.warehouse.connection import DEFAULT_MEMORY_LIMIT

if TYPE_CHECKING:
    from claimflow.config import SourceDefinition
    from claimflow.ingest.preview import FilePreview


def check(
    config: Annotated[Path, typer.Option("--config", "-c", help="Source definitions (YAML).")],
    show_phi: ShowPhiOpt = False,
    wide: WideOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Try a configuration on the files it matches, writing nothing.

    For each source, its files; for an EMR source, each file's columns no mapping uses, the
    mapped columns it lacks (with "did you mean"), and its first five rows as a run would load
    them (patient identifiers masked unless --show-phi); for an X12 source, each file's
    transaction sets. No warehouse is opened and no output written. Exits 3 when something
    would fail or be empty in a run.
    """
    from claimflow.config import load_settings
    from claimflow.ingest.preview import preview_file
    from claimflow.pipeline import discover

    warnings: list[str] = []
    try:
        settings = load_settings(config)
        found = discover(settings, warn=warnings.append)
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    sources: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="claimflow-check-") as spill:
        conn = duckdb.connect()  # in memory: nothing of the warehouse is opened or written
        try:
            conn.execute("SET temp_directory = ?", [spill])
            limit = os.environ.get("CLAIMFLOW_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
            try:  # the run's memory budget
                conn.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
            except duckdb.Error as exc:
                raise fail(f"CLAIMFLOW_MEMORY_LIMIT={limit!r}: {exc}") from None
            for definition in settings.sources:
                files = [
                    preview_file(conn, path, definition) for d, path in found if d is definition
                ]
                sources.append({"definition": definition, "files": files})
        finally:
            conn.close()
    trouble = bool(warnings) or any(f.problem or f.missing for s in sources for f in s["files"])
    if as_json:
        print_json(_as_json(sources, warnings, show_phi))
    else:
        for source in sources:
            _print_source(source["definition"], source["files"], show_phi=show_phi, wide=wide)
        for warning in warnings:
            err.print(f"[yellow]Warning:[/] {warning}", highlight=False)
    if trouble:
        raise typer.Exit(EXIT_QUARANTINE)


def _as_json(sources: list[dict[str, Any]], warnings: list[str], show_phi: bool) -> dict[str, Any]:
    made = []
    for source in sources:
        d = source["definition"]
        files = []
        for f in source["files"]:
            item = dataclasses.asdict(f)
            item["sample"] = [mask_row(r, show_phi=show_phi) for r in f.sample]
            files.append(item)
        made.append({"name": d.name, "format": d.format, "pattern": d.pattern, "files": files})
    return {"sources": made, "warnings": warnings}


def _print_source(
    definition: SourceDefinition, files: list[FilePreview], *, show_phi: bool, wide: bool
) -> None:
    count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
    out.rule(f"Source {definition.name} ({definition.format}): {count}", align="left")
    out.print(f"pattern: {definition.pattern}", highlight=False, markup=False)
    if not files:
        return
    rows: list[dict[str, Any]]
    if definition.format == "x12":
        rows = [
            {
                "file": f.path.name,
                "transaction_sets": f.problem
                or ", ".join(f"{k} ×{n}" for k, n in sorted(f.transactions.items())),
            }
            for f in files
        ]
        print_table(
            rows, ("file", "transaction_sets"), "Files", ids=("file",), wide=wide, hint="--wide"
        )
        out.print(
            "(their segments are checked by `claimflow x12 validate FILE|DIR`)",
            highlight=False, markup=False,
        )  # fmt: skip
        return
    rows = [
        {
            "file": f.path.name,
            "rows": None if f.problem else f.rows,
            "result": f"cannot be read: {f.problem}" if f.problem else _status(f),
        }
        for f in files
    ]
    print_table(rows, ("file", "rows", "result"), "Files", ids=("file",), wide=wide, hint=None)
    for f in files:
        if f.problem:
            continue
        if f.missing:
            out.print(f"{f.path.name}: mapped columns the file lacks:", highlight=False)
            for m in f.missing:
                hint = f" (did you mean {m.did_you_mean!r}?)" if m.did_you_mean else ""
                needed = "required" if m.required else "optional: empty in every row"
                out.print(
                    f"  {m.canonical} ← {m.mapped_to!r}, {needed}{hint}",
                    highlight=False, markup=False,
                )  # fmt: skip
        for note in f.notes:
            out.print(f"{f.path.name}: {note}", highlight=False, markup=False, soft_wrap=True)
        if f.unused:
            out.print(
                f"{f.path.name}: columns no mapping uses: {', '.join(f.unused)}",
                highlight=False, markup=False, soft_wrap=True,
            )  # fmt: skip
    first = next((f for f in files if f.sample), None)
    if first is None:
        out.print("No rows to show (no file could be mapped).", highlight=False)
        return
    sample = [mask_row(r, show_phi=show_phi) for r in first.sample]
    print_table(
        sample, list(sample[0]), f"The first {len(sample)} rows of {first.path.name}, as mapped",
        cents=True, wide=wide, ids=("row",), hint="--wide",
    )  # fmt: skip


def _status(f: FilePreview) -> str:
    required = [m.canonical for m in f.missing if m.required]
    if required:
        return f"would fail: required column {', '.join(required)} missing"
    if f.missing:
        return f"{len(f.missing)} mapped column(s) missing"
    quarantined = sum(1 for r in f.sample if r["would_be"] != "loaded")
    if quarantined:
        return f"ok; {quarantined} of the first {len(f.sample)} rows would be quarantined"
    return "ok"
