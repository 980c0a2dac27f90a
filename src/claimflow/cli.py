"""The ``claimflow`` command line: a thin layer over the pipeline and the warehouse.

Exit codes: 0 success, 1 error, 2 usage, 3 finished with quarantined or failed input, or warnings.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import signal
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from claimflow import __version__
from claimflow.atomic import private_umask
from claimflow.cli_common import (
    EXIT_QUARANTINE,
    EXIT_USAGE,
    JsonOpt,
    WarehouseOpt,
    err,
    fail,
    out,
    parse_date,
    print_json,
    reading,
)
from claimflow.cli_tables import print_table
from claimflow.display import enum, inline
from claimflow.errors import ClaimflowError
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE

if TYPE_CHECKING:
    from claimflow.pipeline import RunReport


_LAZY_COMMANDS = {
    "api": ("claimflow.api.command", "api_command"),
    "worklist": ("claimflow.cli_reports", "worklist"),
    "alerts": ("claimflow.cli_reports", "alerts"),
    "report": ("claimflow.cli_reports", "report"),
    "lineage": ("claimflow.cli_lineage", "lineage"),
    "kpi": ("claimflow.cli_kpi", "kpi"),
    "claim": ("claimflow.cli_claim", "claim"),
    "quarantine": ("claimflow.cli_quarantine", "quarantine"),
    "sql": ("claimflow.cli_sql", "sql"),
    "check": ("claimflow.cli_check", "check"),
    "purge": ("claimflow.cli_purge", "purge"),
    "warehouse-encrypt": ("claimflow.cli_purge", "warehouse_encrypt"),
}
_LAZY_GROUPS = {
    "synth": ("claimflow.synth.cli", "synth_app"),
    "x12": ("claimflow.cli_x12", "x12_app"),
    "reference": ("claimflow.cli_reference", "reference_app"),
    "denials": ("claimflow.cli_denials", "denials_app"),
    "risk": ("claimflow.cli_risk", "risk_app"),
    "appeal": ("claimflow.cli_appeal", "appeal_app"),
}


class _LazyGroup(TyperGroup):
    """The top-level group, importing a sub-command's module only when that command is used.

    ``claimflow run`` then starts without the X12 engine, pyarrow, the synthetic generator or
    the API; ``--help`` lists every command, in the order Typer gives them when registered up
    front (commands, then groups), with the same help.
    """

    # ``Any``: the click types are typer's own (vendored) or click's, by typer version
    def list_commands(self, ctx: Any) -> list[str]:
        own = super().list_commands(ctx)
        groups = [n for n in own if isinstance(self.commands[n], TyperGroup)]
        commands = [n for n in own if n not in groups]
        return [*_LAZY_COMMANDS, *commands, *_LAZY_GROUPS, *groups]

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _verbose_first(args))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in {**_LAZY_COMMANDS, **_LAZY_GROUPS}:
            self.commands[cmd_name] = _load_command(cmd_name)
        return super().get_command(ctx, cmd_name)


def _verbose_first(args: list[str]) -> list[str]:
    """``-v``/``--verbose`` anywhere on the line (``claimflow run -v ...`` as well as
    ``claimflow -v run ...``) moved before the command, where the option is defined; what
    follows ``--`` is left alone."""
    end = args.index("--") if "--" in args else len(args)
    verbose = [a for a in args[:end] if a in _VERBOSE]
    return [*verbose, *(a for a in args[:end] if a not in _VERBOSE), *args[end:]]


_VERBOSE = frozenset({"-v", "--verbose"})


def _load_command(name: str) -> Any:
    """Build a lazily registered command exactly as ``add_typer``/``command`` would have."""
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    holder.callback()(lambda: None)
    if name in _LAZY_GROUPS:
        module, attr = _LAZY_GROUPS[name]
        holder.add_typer(getattr(importlib.import_module(module), attr), name=name)
    else:
        module, attr = _LAZY_COMMANDS[name]
        holder.command(name)(getattr(importlib.import_module(module), attr))
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return group.commands[name]


app = typer.Typer(
    cls=_LazyGroup,
    help="claimflow: EMR exports and X12 in, one auditable warehouse, safe resubmissions out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        out.print(__version__)
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Log each stage (before or after the command)."),
    ] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    private_umask()  # what claimflow writes may hold patient data: the owner's alone
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command()
def version() -> None:
    """Print the claimflow version."""
    out.print(__version__)


@app.command()
def run(
    config: Annotated[Path, typer.Option("--config", "-c", help="Source definitions (YAML).")],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for candidates, log and metrics.")
    ] = Path("out"),
    reference_date: Annotated[
        str | None,
        typer.Option("--reference-date", help="Decision date YYYY-MM-DD (default: today)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest every source file, classify denials, and write resubmission outputs.

    Writes OUT/resubmission_candidates.json, appends OUT/rejection_log.csv, and writes
    OUT/metrics/<run_id>.json. Files already loaded (same bytes) are skipped. Exits 3 when
    any row was quarantined, any file failed or the run warns of something.
    """
    ref: dt.date | None = None
    if reference_date is not None:
        try:
            ref = dt.date.fromisoformat(reference_date)
        except ValueError:
            raise fail(
                f"--reference-date: expected YYYY-MM-DD, got {reference_date!r}", EXIT_USAGE
            ) from None
    from claimflow.config import load_settings
    from claimflow.pipeline import run as run_pipeline

    try:
        settings = load_settings(config)
        with err.status("running…", spinner="dots") as status:
            report = run_pipeline(
                settings,
                warehouse=warehouse,
                out_dir=out_dir,
                reference_date=ref,
                config_path=str(config),
                progress=lambda msg: status.update(msg),
            )
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    if as_json:
        print_json(report.metrics())
    else:
        _print_summary(report)
    if report.status != "ok":
        raise typer.Exit(EXIT_QUARANTINE)


@app.command()
def resubmit(
    config: Annotated[Path, typer.Option("--config", "-c", help="The run configuration (policy).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    reference_date: Annotated[
        str | None, typer.Option("--reference-date", help="Decision date YYYY-MM-DD.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide again on what the warehouse holds (no ingestion) and write the resubmission files.

    Writes OUT/resubmission_candidates.json, OUT/corrected_claims.x12 (837 replacements with
    CLM05-3 = 7 and REF*F8 for denials, new originals for rejections), appends the rejection
    log, and records each resubmission so that it is not repeated.
    """
    from claimflow.config import load_settings
    from claimflow.pipeline import run as run_pipeline

    ref = parse_date(reference_date)
    try:
        settings = load_settings(config)
        report = run_pipeline(
            settings, warehouse=warehouse, out_dir=out_dir, reference_date=ref,
            config_path=str(config), ingest=False,
        )  # fmt: skip
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    if as_json:
        print_json(report.metrics())
        return
    print_table(
        _decision_rows(report), ("population", "claims"), "Resubmission decisions", hint=None
    )
    out.print(f"Outputs in {out_dir}")


export_app = typer.Typer(help="Export the warehouse for other tools.", no_args_is_help=True)
app.add_typer(export_app, name="export")


class _Dates(StrEnum):
    year = "year"
    shift = "shift"


_DATES_HELP = (
    "De-identified dates: the year only (Safe Harbor), or shifted per patient by an offset"
    " drawn from the secret (keeps intervals; not Safe Harbor)."
)
DatesOpt = Annotated[_Dates, typer.Option("--dates", help=_DATES_HELP)]


@export_app.command("tuva")
def export_tuva_command(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for medical_claim.parquet.")
    ],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    deidentify: Annotated[
        bool,
        typer.Option(
            "--deidentify",
            help="Apply the de-identified export's rules (docs/security.md); needs the secret"
            " CLAIMFLOW_DEID_KEY (or _FILE, _COMMAND).",
        ),
    ] = False,
    dates: Annotated[
        _Dates | None, typer.Option("--dates", help=_DATES_HELP + " Default: year.")
    ] = None,
) -> None:
    """Write the Tuva Project input layer `medical_claim` table as Parquet."""
    if dates is not None and not deidentify:
        raise fail("--dates applies to a de-identified export: add --deidentify", EXIT_USAGE)
    if not deidentify:
        from claimflow.marts.tuva import export_tuva

        with reading(warehouse) as conn:
            rows = export_tuva(conn, out_dir)
        out.print(f"{out_dir / 'medical_claim.parquet'}: {rows} claim lines")
        return
    from claimflow.marts.deidentify import export_tuva_deidentified, read_keyer

    try:
        keyer = read_keyer()
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    with reading(warehouse) as conn:
        rows = export_tuva_deidentified(conn, out_dir, keyer, (dates or _Dates.year).value)
    out.print(
        f"{out_dir / 'medical_claim.parquet'}: {rows} claim lines, de-identified"
        f" (dates: {(dates or _Dates.year).value}); {out_dir / 'MANIFEST.md'} says what each"
        " column became"
    )


@export_app.command("deidentified")
def export_deidentified_command(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for the export.")],
    dates: DatesOpt = _Dates.year,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
) -> None:
    """Write the analytic tables de-identified (HIPAA Safe Harbor) as Parquet, with a MANIFEST.

    Claims, lines, diagnoses, procedures, remittances and their lines, adjustments and remarks
    with their categories, denials and the KPI inputs. Identifiers are dropped or replaced by
    HMAC surrogate keys from the secret CLAIMFLOW_DEID_KEY (or CLAIMFLOW_DEID_KEY_FILE, a file
    readable by its owner only, or CLAIMFLOW_DEID_KEY_COMMAND); ages over 89 are 90+; free
    text is dropped. The folder must be empty or hold an earlier de-identified export.
    """
    from claimflow.marts.deidentify import export_deidentified, read_keyer

    try:
        keyer = read_keyer()
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    with reading(warehouse) as conn:
        written = export_deidentified(conn, out_dir, keyer, dates.value)
    print_table(
        [{"file": w.table.file, "rows": w.rows} for w in written],
        ("file", "rows"),
        f"De-identified export (dates: {dates.value})",
        hint=None,
    )
    out.print(f"Written to {out_dir}; {out_dir / 'MANIFEST.md'} says what each column became")


@app.command()
def dashboard(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    role: Annotated[
        str, typer.Option(help="Viewer role; patient ids are shown only to PHI roles.")
    ] = "analyst",
    phi_roles: Annotated[
        str, typer.Option(help="Comma-separated roles allowed to see patient identifiers.")
    ] = "auditor",
) -> None:
    """Open the web dashboard (Streamlit) on the warehouse, read-only.

    Ctrl-C, SIGTERM or SIGHUP stops it together with its Streamlit server.
    """
    from claimflow.dashboard.serve import run_child, streamlit_command
    from claimflow.ports import cannot_listen

    if not warehouse.exists():
        raise fail(f"{warehouse}: no warehouse here (run `claimflow run` first)")
    if (problem := cannot_listen(host, port)) is not None:
        raise fail(problem)  # a port in use: one line and exit 1, not Streamlit's own error
    env = {
        **os.environ,
        "CLAIMFLOW_WAREHOUSE": str(warehouse.resolve()),
        "CLAIMFLOW_ROLE": role,
        "CLAIMFLOW_PHI_ROLES": phi_roles,
    }
    command = streamlit_command(host, port)  # served mode: the viewer's toolbar only
    out.print(f"claimflow dashboard on http://{host}:{port} (Ctrl-C to stop)")
    # Streamlit stops with us: SIGTERM/SIGINT/SIGHUP are passed on to it, and it is waited for
    raise typer.Exit(run_child(command, env))


def _risk_line(risk: dict[str, Any]) -> str:
    """The run's denial-risk scoring in one line."""
    if not risk:
        return "not scored"
    if risk.get("skipped"):
        return f"not scored: {risk['skipped']}"
    bands = ", ".join(f"{n:,} {band}" for band, n in risk.get("by_band", {}).items())
    alerts = len((risk.get("monitoring") or {}).get("alerts") or ())
    return (
        f"{risk.get('scored', 0):,} open claims scored with {risk.get('model_version')}"
        + (f" ({bands})" if bands else "")
        + (f"; {alerts} model alert(s), see `claimflow risk monitor`" if alerts else "")
    )


def _print_summary(report: RunReport) -> None:
    per_file = len(report.files) <= 12
    title = f"Run {report.run_id}: " + ("files" if per_file else "files by source")
    counts = ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")
    rows: list[dict[str, Any]] = []
    if per_file:
        for f in report.files:
            rows.append({"file": Path(f.path).name, "source": f.source, "status": f.status,
                         **{a: getattr(f, a) for a in counts}, "note": f.message})  # fmt: skip
    else:
        by_source: dict[str, list[Any]] = {}
        for f in report.files:
            by_source.setdefault(f.source, []).append(f)
        for source, group in by_source.items():
            statuses = ", ".join(
                f"{sum(1 for f in group if f.status == s)} {s}"
                for s in ("loaded", "skipped", "failed")
                if any(f.status == s for f in group)
            )
            notes = "; ".join(
                sorted({f.message for f in group if f.status == "failed" and f.message})
            )
            rows.append({"source": source, "files": len(group), "status": statuses,
                         **{a: sum(getattr(f, a) for f in group) for a in counts},
                         "note": notes[:120] or None})  # fmt: skip
    first = ("file", "source", "status") if per_file else ("source", "files", "status")
    note = ("note",) if any(r["note"] for r in rows) else ()
    print_table(rows, (*first, *counts, *note), title, ids=("status",), hint=None)
    for warning in report.all_warnings():
        out.print(f"[yellow]Warning:[/yellow] {escape(warning)}")
    for dead in report.interrupted:
        out.print(
            f"Run {dead.run_id} was interrupted before it committed; it had loaded"
            f" {dead.files_loaded} file(s): {dead.rows_read} rows read, {dead.rows_loaded} loaded,"
            f" {dead.rows_quarantined} quarantined, {dead.rows_duplicate} duplicate"
            f"{f', {dead.files_failed} file(s) failed' if dead.files_failed else ''}."
        )
    for run_id in report.published_for:
        out.print(f"Put in place the outputs of run {run_id} (committed, then stopped).")
    new_rows = report.total("rows_read")
    if report.files and not new_rows and not report.files_with("failed"):
        out.print("Nothing new: every file was already loaded; the warehouse is unchanged.")
    print_table(
        _decision_rows(report), ("population", "claims"), "Resubmission decisions", hint=None
    )
    m = report.metrics()["outputs"]
    out.print(f"Warehouse:   {m['warehouse']}")
    out.print(f"Candidates:  {m['candidates']}")
    out.print(f"Rejections:  {m['rejection_log']}")
    out.print(f"Metrics:     {Path(report.out_dir) / 'metrics' / (report.run_id + '.json')}")
    out.print(f"Risk:        {_risk_line(report.risk)}", highlight=False)
    out.print(f"Status:      {report.status} ({report.duration_seconds:.2f} s)")


def _decision_rows(report: RunReport) -> list[dict[str, Any]]:
    """The decisions' counts, each naming its population, nested so that each group's lines
    add up to the line above them: the EMR claims (by their EMR status), and the 837 claims
    an 835 denied or a 277CA/999 rejected (decided this run)."""
    from claimflow.resubmit.decide import LOGGED_REASONS

    d = report.decisions
    reasons = dict(d.get("exclusion_reasons", {}))
    not_denied = reasons.pop("not_denied", 0)
    rows: list[dict[str, Any]] = [
        {"population": "EMR claims (with a status)", "claims": d.get("total_claims", 0)},
        {"population": "├ not denied", "claims": not_denied},
        {"population": "└ denied (EMR status)", "claims": d.get("denied", 0)},
        {
            "population": "  ├ flagged for resubmission (EMR candidates)",
            "claims": d.get("flagged_for_resubmission", 0),
        },
    ]
    for i, (reason, n) in enumerate(reasons.items(), 1):
        branch = "└" if i == len(reasons) else "├"
        where = "rejection log" if reason in LOGGED_REASONS else "waits"
        rows.append({"population": f"  {branch} excluded ({where}): {inline(enum(reason))}",
                     "claims": n})  # fmt: skip
    x = report.x12_resubmissions
    if x.get("denied_or_rejected"):
        rows.append(
            {
                "population": "837 claims denied (835) or rejected (277CA/999), decided this run",
                "claims": x["denied_or_rejected"],
            }
        )
        by_reason = dict(x.get("by_reason", {}))
        by_reason.pop("eligible", None)
        written = x.get("corrected_claims_written")
        rows.append(
            {
                "population": "├ resubmitted with a fix"
                + (f" ({written} corrected 837s written)" if written is not None else ""),
                "claims": x.get("resubmitted", 0),
            }
        )
        for i, (reason, n) in enumerate(by_reason.items(), 1):
            branch = "└" if i == len(by_reason) else "├"
            rows.append({"population": f"{branch} to the rejection log: {_x12_reason(reason)}",
                         "claims": n})  # fmt: skip
    rows.append(
        {
            "population": "Rejection log: lines appended this run",
            "claims": report.rejection_log_appended,
        }
    )
    return rows


def _x12_reason(reason: str) -> str:
    """``not_resubmittable (timely_filing)`` → ``not resubmittable (timely filing)``."""
    head, _, rest = reason.partition(" (")
    words = inline(enum(head))
    return f"{words} ({inline(enum(rest.rstrip(')')))})" if rest else words


def main() -> None:
    """Console-script entry point.

    Ctrl-C and SIGTERM end the command at once with one line and exit 128 + the signal (130
    for Ctrl-C), never a traceback. Nothing is unwound: what a run had not committed is
    discarded by DuckDB, as after a kill, and the next run marks the run interrupted, removes
    what it staged and puts in place what it committed — one path for every way a run can
    end early. Worker processes end with it (:mod:`claimflow.sources.workers`).
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop)
    app()


def _stop(signum: int, _frame: object) -> None:
    name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    if sys.stderr.isatty():
        sys.stderr.write("\x1b[?25h\n")  # the progress spinner hid the cursor
    sys.stderr.write(f"claimflow: stopped ({name}).\n")
    sys.stderr.flush()
    os._exit(128 + signum)
