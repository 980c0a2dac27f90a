"""``claimflow risk …``: train, evaluate, promote and watch the denial-risk model.

Commands that change the registry (train, promote, retrain, score) write the warehouse itself
and publish a new serving snapshot, so the API and the dashboard see the new champion at once;
``list`` and ``evaluate`` read what was published.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import duckdb
import typer

from claimflow.cli_common import (
    EXIT_USAGE,
    JsonOpt,
    WarehouseOpt,
    fail,
    out,
    parse_date,
    print_json,
    reading,
)
from claimflow.cli_tables import print_table
from claimflow.errors import ClaimflowError
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE

risk_app = typer.Typer(
    help="Denial risk before submission: train, evaluate, promote, score, monitor, retrain."
)

SeedOpt = Annotated[
    int, typer.Option("--seed", help="Random seed (same data and seed: same model).")
]
TestMonthsOpt = Annotated[
    int, typer.Option("--test-months", min=1, help="Latest submission months to test on.")
]
CalibrationMonthsOpt = Annotated[
    int,
    typer.Option("--calibration-months", min=1, help="Months before them to calibrate on."),
]
T = TypeVar("T")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@contextmanager
def _writing(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, for writing; on success the serving snapshot is published."""
    from claimflow.warehouse.connection import open_warehouse
    from claimflow.warehouse.serving import publish_snapshot

    if not warehouse.exists():
        raise fail(f"{warehouse}: no such warehouse (run `claimflow run` first)")
    try:
        conn = open_warehouse(warehouse)
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    try:
        yield conn
        publish_snapshot(conn, warehouse)
    except ClaimflowError as exc:
        raise fail(str(exc)) from None
    finally:
        conn.close()


def _transaction(conn: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    conn.execute("BEGIN TRANSACTION")
    try:
        result = work()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def _fmt(value: Any, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _print_entry(e: Any, new: bool | None = None) -> None:
    m = e.metrics
    state = (
        "" if new is None else (" (new)" if new else " (already registered: same data and seed)")
    )
    out.print(f"Model {e.version}{state}, status {e.status}", highlight=False)
    out.print(
        f"  trained on {e.claims['train']:,} claims submitted {e.windows['train'][0][:10]} to"
        f" {e.windows['train'][1][:10]}; calibrated on {e.claims['calibration']:,}"
        f" ({e.windows['calibration'][0][:10]} to {e.windows['calibration'][1][:10]});"
        f" tested on {e.claims['test']:,} ({e.windows['test'][0][:10]} to"
        f" {e.windows['test'][1][:10]})",
        highlight=False,
    )
    out.print(
        f"  test months: AUC {_fmt(m.get('auc'))} (± {_fmt(m.get('auc_se'))}), ECE"
        f" {_fmt(m.get('ece'))}, Brier {_fmt(m.get('brier'))}, predicted"
        f" {_fmt(m.get('mean_predicted'))} vs observed {_fmt(m.get('observed_rate'))} denied,"
        f" category right for {_fmt(m.get('category_accuracy'))} of denied claims",
        highlight=False,
    )


@risk_app.command()
def train(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    seed: SeedOpt = 7,
    test_months: TestMonthsOpt = 1,
    calibration_months: CalibrationMonthsOpt = 1,
    as_json: JsonOpt = False,
) -> None:
    """Train a model on every claim whose outcome is known and register it (a candidate).

    Splits by submission month: the latest month(s) test, the month(s) before calibrate, the
    rest train. Refuses fewer than 500 outcomes or one outcome only. `risk promote` makes a
    candidate the champion that every run scores with.
    """
    from claimflow.risk.training import train_version

    with _writing(warehouse) as conn:
        e, new = _transaction(
            conn,
            lambda: train_version(
                conn,
                warehouse,
                now=_now(),
                seed=seed,
                test_months=test_months,
                calibration_months=calibration_months,
            ),
        )
    if as_json:
        print_json({**e.as_json(), "new": new})
        return
    _print_entry(e, new)
    out.print(f"  promote it: claimflow risk promote {e.version}", highlight=False)


@risk_app.command("list")
def list_(warehouse: WarehouseOpt = DEFAULT_WAREHOUSE, as_json: JsonOpt = False) -> None:
    """Every registered model, newest first: status, test months and their figures."""
    from claimflow.risk.registry import entries

    with reading(warehouse) as conn:
        found = entries(conn)
    if as_json:
        print_json([e.as_json() for e in found])
        return
    if not found:
        out.print("No model yet: `claimflow risk train`.")
        return
    rows = [
        {
            "model_version": e.version,
            "status": e.status,
            "test_months": f"{e.windows['test'][0][:10]} to {e.windows['test'][1][:10]}",
            "auc": _fmt(e.metrics.get("auc")),
            "ece": _fmt(e.metrics.get("ece")),
            "brier": _fmt(e.metrics.get("brier")),
        }
        for e in found
    ]
    print_table(rows, tuple(rows[0]), "Denial-risk models", ids=("model_version",))


@risk_app.command()
def evaluate(
    version: Annotated[
        str | None, typer.Argument(help="The model version (default: the champion).")
    ] = None,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="First submission date (default: the model's test months)."),
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last submission date.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A model's AUC, ECE, Brier and category accuracy on claims whose outcome is known now.

    Without --from/--to, on its own test months (with the outcomes the warehouse holds today).
    """
    from claimflow.risk.registry import champion, entry, load
    from claimflow.risk.training import evaluate as evaluate_model

    start, end = parse_date(from_), parse_date(to)
    with _writing(warehouse) as conn:  # features of new claims are computed and kept

        def work() -> dict[str, Any]:
            e = entry(conn, version) if version else champion(conn)
            if e is None:
                raise fail("no champion yet: name a version (`claimflow risk list`)", EXIT_USAGE)
            first, last = (dt.date.fromisoformat(d[:10]) for d in e.windows["test"])
            figures = evaluate_model(
                conn, load(conn, warehouse, e.version), start or first, end or last
            )
            return {"model_version": e.version, **figures}

        result = _transaction(conn, work)
    if as_json:
        print_json(result)
        return
    out.print(
        f"Model {result['model_version']} on {result['claims']:,} claims submitted"
        f" {result['window'][0]} to {result['window'][1]} ({result['denied']:,} denied): AUC"
        f" {_fmt(result['auc'])}, ECE {_fmt(result['ece'])}, Brier {_fmt(result['brier'])},"
        f" category right for {_fmt(result['category_accuracy'])} of denied claims",
        highlight=False,
    )


@risk_app.command()
def promote(
    version: Annotated[str, typer.Argument(help="The model version to make the champion.")],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    force: Annotated[
        bool, typer.Option("--force", help="Promote even if worse than the champion.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Make a version the champion, unless it is worse than the champion on its test months.

    Both are scored on the same claims (the candidate's test months); worse means a lower AUC.
    --force promotes anyway, and the registry records that it was forced. Exits 1 when refused.
    """
    from claimflow.risk.training import promote as promote_version

    with _writing(warehouse) as conn:
        decision = _transaction(
            conn,
            lambda: promote_version(conn, warehouse, version, now=_now(), by=_who(), force=force),
        )
    if as_json:
        print_json(decision.as_json())
    elif decision.promoted:
        out.print(f"{version} is the champion: {decision.reason}.", highlight=False)
    else:
        out.print(f"{version} not promoted: {decision.reason}.", highlight=False)
    if not decision.promoted and decision.reason != "already the champion":
        raise typer.Exit(1)


@risk_app.command()
def retrain(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    seed: SeedOpt = 7,
    test_months: TestMonthsOpt = 1,
    calibration_months: CalibrationMonthsOpt = 1,
    as_json: JsonOpt = False,
) -> None:
    """Train on the newest window and promote the result only if it is no worse."""
    from claimflow.risk.training import retrain as retrain_model

    with _writing(warehouse) as conn:
        e, decision = _transaction(
            conn,
            lambda: retrain_model(
                conn,
                warehouse,
                now=_now(),
                by=f"{_who()} (retrain)",
                seed=seed,
                test_months=test_months,
                calibration_months=calibration_months,
            ),
        )
    if as_json:
        print_json({"model": e.as_json(), "promotion": decision.as_json()})
        return
    _print_entry(e)
    verdict = "promoted" if decision.promoted else "not promoted"
    out.print(f"  {verdict}: {decision.reason}", highlight=False)


@risk_app.command()
def score(warehouse: WarehouseOpt = DEFAULT_WAREHOUSE, as_json: JsonOpt = False) -> None:
    """Score every claim still waiting for its outcome with the champion (as a run does).

    Writes risk_scores (one row per claim and model version) and the history the API builds
    features from; prints how many claims fall in each band.
    """
    from claimflow.marts.kpis import default_as_of
    from claimflow.risk.scoring import score_open_claims

    with _writing(warehouse) as conn:
        # the history as of the day after the warehouse's latest date, as a run of that day
        day = default_as_of(conn) + dt.timedelta(days=1)
        report = _transaction(
            conn,
            lambda: score_open_claims(
                conn,
                warehouse,
                run_id=None,
                now=_now(),
                history_as_of=dt.datetime.combine(day, dt.time()),
            ),
        )
    if as_json:
        print_json(report.as_json())
    elif report.skipped:
        out.print(f"No scores: {report.skipped}", highlight=False)
    else:
        bands = ", ".join(f"{n:,} {band}" for band, n in report.bands.items()) or "none"
        out.print(
            f"Scored {report.scored:,} open claims with {report.model_version}: {bands}.",
            highlight=False,
        )
    if report.skipped:
        raise typer.Exit(1)


MONITORING_SQL = """
SELECT run_id, model_version, computed_at, metric, subject, window_from, window_to, claims,
       value, reference, threshold, alert
FROM risk_monitoring
WHERE model_version = $version AND run_id IS NOT DISTINCT FROM $run
ORDER BY alert DESC, metric = 'psi', metric, subject
"""


@risk_app.command()
def monitor(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    run: Annotated[
        str | None,
        typer.Option("--run", help="A run's figures (default: the champion's latest run)."),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every feature's PSI, not only those past a threshold.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The champion's latest monitoring: drift, expected AUC, outcome figures, what crossed.

    Each run measures the champion on the last 30 days of claims against its own test months
    (thresholds: config risk.monitoring); a figure past its threshold is an alert in
    `claimflow alerts` (an alert, not an error: the command exits 0).
    """
    from claimflow.risk.registry import champion

    with reading(warehouse) as conn:
        if run is None:
            e = champion(conn)
            if e is None:
                raise fail("no champion yet: `claimflow risk train`, then `risk promote`")
            version = e.version
            found = conn.execute(
                "SELECT run_id FROM risk_monitoring WHERE model_version = ?"
                " ORDER BY computed_at DESC, run_id DESC LIMIT 1",
                [version],
            ).fetchone()
            if found is None:
                raise fail(f"the champion {version} has not been monitored yet: `claimflow run`")
            run_id = found[0]
        else:
            found = conn.execute(
                "SELECT model_version FROM risk_monitoring WHERE run_id = ?"
                " ORDER BY computed_at DESC LIMIT 1",
                [run],
            ).fetchone()
            if found is None:
                raise fail(f"no monitoring figures for run {run!r}", EXIT_USAGE)
            version, run_id = found[0], run
        rows = conn.execute(MONITORING_SQL, {"version": version, "run": run_id}).fetchall()
    figures = [
        {
            "metric": r[3],
            "subject": r[4],
            "claims": r[7],
            "value": r[8],
            "reference": r[9],
            "threshold": r[10],
            "alert": bool(r[11]),
        }
        for r in rows
    ]
    crossed = [f for f in figures if f["alert"]]
    first = rows[0]
    result = {
        "model_version": version,
        "run_id": run_id,
        "computed_at": first[2].isoformat(timespec="seconds"),
        "window": [str(first[5]), str(first[6])],
        "figures": figures,
        "alerts": crossed,
    }
    if as_json:
        print_json(result)
    else:
        out.print(
            f"Model {version}, run {run_id}: claims submitted {first[5]} to {first[6]};"
            f" {len(crossed)} figure(s) past their threshold",
            highlight=False,
        )
        shown = [f for f in figures if every or f["alert"] or f["metric"] != "psi"]
        print_table(
            [
                {
                    "metric": f["metric"],
                    "subject": f["subject"],
                    "claims": f["claims"],
                    "figure": _fmt(f["value"]),
                    "test_months": _fmt(f["reference"]),
                    "threshold": _fmt(f["threshold"]),
                    "alert": f["alert"],
                }
                for f in shown
            ],
            ("metric", "subject", "claims", "figure", "test_months", "threshold", "alert"),
            "Monitoring" + ("" if every else " (every PSI: --all)"),
        )
