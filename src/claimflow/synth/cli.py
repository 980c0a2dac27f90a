"""The body of ``claimflow synth`` (registered in claimflow.cli with one line): the world
(``claimflow synth --claims ...``) and ``claimflow synth appeals``."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from claimflow.synth.generate import generate_world, parse_month

ClaimsOption = Annotated[int, typer.Option(help="How many claims to generate.", min=1)]
SeedOption = Annotated[int, typer.Option(help="Random seed: the same seed gives the same bytes.")]
StartOption = Annotated[str, typer.Option(help="First submission date (YYYY-MM-DD).")]
MonthsOption = Annotated[int, typer.Option(help="Months of submissions.", min=1)]
OutOption = Annotated[
    Path, typer.Option(help="Inbox folder to write (with claimflow.yaml and truth/).")
]
OpenEndOption = Annotated[
    bool,
    typer.Option(
        "--open-end",
        help="End the world on its last submission day: 835s due later are not written "
        "and their claims stay open (what the cash forecast forecasts).",
    ),
]
DriftOption = Annotated[
    str | None,
    typer.Option(
        help="YYYY-MM: from that month on one payer (chosen from the seed) wants a prior "
        "authorization for three more codes, and denies its claims of them without one "
        "(truth/summary.json: drift).",
    ),
]


def synth_command(
    claims: ClaimsOption = 20000,
    seed: SeedOption = 7,
    start: StartOption = "2025-01-01",
    months: MonthsOption = 6,
    out: OutOption = Path("inbox"),
    open_end: OpenEndOption = False,
    drift: DriftOption = None,
) -> None:
    """Generate a synthetic revenue cycle: EMR exports, 837P/837I, 999, 277CA and 835 files."""
    console = Console()
    try:
        first = dt.date.fromisoformat(start)
    except ValueError:
        raise typer.BadParameter(
            f"not a YYYY-MM-DD date: {start!r}", param_hint="--start"
        ) from None
    try:
        drift_from = None if drift is None else parse_month(drift)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--drift") from None
    began = time.perf_counter()
    with console.status(f"Generating {claims:,} claims into {out} ..."):
        try:
            summary = generate_world(
                out,
                claims=claims,
                seed=seed,
                start=first,
                months=months,
                open_end=open_end,
                drift=drift_from,
            )
        except ValueError as exc:
            if drift_from is None:
                raise
            raise typer.BadParameter(str(exc), param_hint="--drift") from None
    seconds = time.perf_counter() - began
    table = Table(title=f"claimflow synth: {claims:,} claims, seed {seed}")
    table.add_column("kind")
    table.add_column("files", justify="right")
    for kind, n in summary.files.items():
        table.add_row(kind, f"{n:,}")
    console.print(table)
    counts = summary.truth.get("counts", {})
    denied = counts.get("denied", 0)
    adjudicated = denied + counts.get("not_denied", 0)
    awaiting = counts.get("awaiting_835", 0)
    console.print(
        f"[bold]{summary.bytes_written / 1e6:,.1f} MB[/] in {seconds:,.1f} s · "
        f"denied {denied:,} of {adjudicated:,} claims with an 835 · "
        + (f"{awaiting:,} still awaiting theirs · " if awaiting else "")
        + f"best achievable AUC {summary.truth.get('best_achievable_auc')}"
    )
    shift = summary.truth.get("drift")
    if shift is not None:
        console.print(
            f"drift: from {shift['month']} payer {shift['payer_id']} ({shift['payer_name']}) "
            f"wants a prior authorization for {', '.join(shift['codes'])}: "
            f"{shift['claims']:,} claims get cause {shift['cause']} (p {shift['p']}) · "
            f"best achievable AUC before {shift['best_achievable_auc_before']}, "
            f"from {shift['month']} {shift['best_achievable_auc_after']}"
        )
    console.print(f"config: {summary.config}")
    console.print(f"truth:  {summary.out_dir / 'truth'} (invalid on purpose: "
                  f"{len(summary.invalid_files)} files, see invalid_files.csv)")  # fmt: skip


synth_app = typer.Typer(
    name="synth",
    help="Generate synthetic data with its truth: a revenue cycle (the default), or DRG appeal "
    "cases (synth appeals).",
    add_completion=False,
    pretty_exceptions_enable=False,
)


@synth_app.callback(invoke_without_command=True)
def synth_group(
    ctx: typer.Context,
    claims: ClaimsOption = 20000,
    seed: SeedOption = 7,
    start: StartOption = "2025-01-01",
    months: MonthsOption = 6,
    out: OutOption = Path("inbox"),
    open_end: OpenEndOption = False,
    drift: DriftOption = None,
) -> None:
    """Generate a synthetic revenue cycle: EMR exports, 837P/837I, 999, 277CA and 835 files.

    With a sub-command (appeals), that instead.
    """
    if ctx.invoked_subcommand is None:
        synth_command(
            claims=claims,
            seed=seed,
            start=start,
            months=months,
            out=out,
            open_end=open_end,
            drift=drift,
        )


@synth_app.command("appeals")
def appeals_command(
    cases: Annotated[int, typer.Option(help="How many cases to generate.", min=1)] = 200,
    seed: SeedOption = 7,
    out: Annotated[
        Path, typer.Option(help="Folder to write: one directory per case, and truth/.")
    ] = Path("appeal_cases"),
) -> None:
    """Generate DRG appeal cases (sepsis, ARF, AKI) with their truth.

    Each case: the record as FHIR NDJSON, a FHIR Bundle or EHR CSV tables, notes with planted
    agreements and contradictions, and the denial letter as text, a text PDF, a scanned PDF, a
    PNG or a TIFF; truth/ holds SOFA, the verdicts, conflicts, DRGs and arguments per case.
    """
    from claimflow.synth.appeals import generate_appeals

    console = Console()
    began = time.perf_counter()
    with console.status(f"Generating {cases:,} appeal cases into {out} ..."):
        summary = generate_appeals(out, cases=cases, seed=seed)
    seconds = time.perf_counter() - began
    truth = summary.truth
    table = Table(title=f"claimflow synth appeals: {cases:,} cases, seed {seed}")
    table.add_column("kind")
    table.add_column("cases", justify="right")
    for title, key in (
        ("condition", "by_condition"),
        ("record", "by_record_format"),
        ("letter", "by_letter_format"),
    ):
        for name, n in truth[key].items():
            table.add_row(f"{title}: {name}", f"{n:,}")
    console.print(table)
    console.print(
        f"meets criteria {truth['meets_criteria']:,} of {cases:,} "
        f"({truth['does_not_meet_criteria']:,} weak on purpose) · "
        f"note conflicts {truth['conflicts']:,}, agreements {truth['agreements']:,} · "
        f"{len(truth['hard_cases'])} hard-case tags · {seconds:,.1f} s"
    )
    console.print(f"truth:  {summary.out_dir / 'truth'}")
