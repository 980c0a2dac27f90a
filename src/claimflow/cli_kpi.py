"""``claimflow kpi``: the revenue-cycle KPIs of a window of claims."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from claimflow import display
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
    fail,
    out,
    print_json,
    reading,
)
from claimflow.cli_tables import WideOpt, tables
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE


def kpi(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    start: FromOpt = None,
    end: ToOpt = None,
    payer: PayerOpt = None,
    provider: ProviderOpt = None,
    source: SourceOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Revenue-cycle KPIs for claims submitted in the window (definitions: docs/kpis.md)."""
    from claimflow.marts.kpis import kpis_of, resolve_window

    try:
        first = dt.date.fromisoformat(start) if start else None
        last = dt.date.fromisoformat(end) if end else None
    except ValueError:
        raise fail("--from/--to: expected YYYY-MM-DD", EXIT_USAGE) from None
    with reading(warehouse) as conn:
        try:
            first, last = resolve_window(conn, first, last)
        except ValueError as exc:
            raise fail(f"--{exc}", EXIT_USAGE) from None
        check_filters(conn, payer=payer, provider=provider, source=source)
        values = kpis_of(conn, start=first, end=last, payer=payer, provider=provider, source=source)
    if as_json:
        print_json(values)  # money (Decimal) as decimal strings, as kpis_json writes it
        return
    chosen = (("payer", payer), ("provider", provider), ("source", source))
    title = f"KPIs of the claims submitted {first} to {last}" + "".join(
        f", {name} {value}" for name, value in chosen if value
    )
    for table in tables(
        kpi_rows(values), ("kpi", "value", "basis"), title, width=None if wide else out.width
    ):
        table.columns[1].justify = "right"  # a figure of any kind, written as its kind says
        out.print(table, crop=False)


def kpi_rows(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row per figure of ``values`` (:func:`~claimflow.marts.kpis.compute_kpis`): its label
    (an as-of figure with its date), its value as :mod:`claimflow.display` writes it, and
    what it is counted over — its populations, or why it could not be computed."""
    from claimflow.marts.kpis import AR_BUCKETS, AS_OF_KPIS

    as_of = values.get("as_of")
    populations: Mapping[str, Any] = values.get("populations") or {}
    missing: Mapping[str, str] = values.get("not_computed") or {}
    rows: list[dict[str, str]] = []
    for key, value in values.items():
        if key in ("as_of", "window", "populations", "not_computed"):
            continue
        if key == "ar_aging":
            for bucket, _, _ in AR_BUCKETS:
                label = f"{display.label(f'ar_{bucket}')} as of {as_of}"
                amount = display.show("ar_total", value.get(bucket))
                rows.append({"kpi": label, "value": amount, "basis": ""})
            continue
        label = display.label(key) + (f" as of {as_of}" if key in AS_OF_KPIS else "")
        basis = missing.get(key) or _counts(populations.get(key) or [], key)
        rows.append({"kpi": label, "value": display.show(key, value), "basis": basis})
    return rows


def _counts(found: list[Mapping[str, Any]], key: str) -> str:
    from claimflow.marts.kpis import RATE_COUNTS

    """``235 claims initially denied ÷ 2,000 claims submitted`` (a rate's numerator and
    denominator), ``1,900 837 claims + 100 EMR claims without an 837`` (the parts of a count),
    ``over 1,700 claims with an 835``."""
    parts = [display.counted(p["count"], p["population"]) for p in found]
    if key == "claims_submitted":
        return " + ".join(parts)
    if key in RATE_COUNTS or len(parts) == 2:
        return " ÷ ".join(parts)
    return "over " + "; ".join(parts) if parts else ""
