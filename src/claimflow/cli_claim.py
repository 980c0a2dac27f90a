"""``claimflow claim``: one claim's whole lifecycle, as a timeline a person reads."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

import typer

from claimflow import display
from claimflow.cli_common import (
    JsonOpt,
    ShowPhiOpt,
    WarehouseOpt,
    fail,
    out,
    print_json,
    reading,
)
from claimflow.cli_tables import FormatOpt, TableFormat, WideOpt, print_table
from claimflow.phi import mask_row
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE

_LINE_COLUMNS = ("line_number", "procedure_code", "modifier_1", "line_charge", "service_from")


def claim(
    key: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="The claim's number (PCN, the provider's claim number) or its internal claim ID.",
        ),
    ],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    show_phi: ShowPhiOpt = False,
    fmt: FormatOpt = TableFormat.table,
    wide: WideOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """A claim's whole lifecycle as a timeline, by its claim number (PCN) or internal ID.

    What was sent, acknowledged, paid or denied, resubmitted and logged, on its date (what the
    API's /claims/{claim_id} returns), then the claim's lines. Patient identifiers are masked
    unless --show-phi.
    """
    from claimflow.marts.lifecycle import claim_lifecycle, code_descriptions

    with reading(warehouse) as conn:
        found = claim_lifecycle(conn, key.strip())
        descriptions = code_descriptions(conn) if found else {}
    if found is None:
        raise fail("no claim has this claim number (PCN) or internal claim ID")
    sections = {s: [mask_row(r, show_phi=show_phi) for r in rows] for s, rows in found.items()}
    events = timeline(sections, descriptions)
    if as_json:
        print_json({"timeline": events, **sections})
        return
    if fmt == TableFormat.csv:
        print_table(events, ("date", "event", "details"), "", fmt=fmt)
        return
    _print_header(sections["claims"])
    print_table(events, ("date", "event", "details"), "Timeline", wide=wide)
    if sections["lines"]:
        lines = sorted(sections["lines"], key=lambda r: r.get("line_number") or 0)
        by_claim = {c["claim_id"]: c.get("source_system") for c in sections["claims"]}
        rows = [{**r, "source_system": by_claim.get(r["claim_id"])} for r in lines]
        print_table(
            rows, (*_LINE_COLUMNS, "source_system"), "Lines", cents=True, wide=wide,
            ids=("procedure_code", "modifier_1"),
        )  # fmt: skip


def _print_header(claims: list[dict[str, Any]]) -> None:
    first = claims[0]
    payer = next((c.get("payer_name") for c in claims if c.get("payer_name")), None)
    payer_id = next((c.get("payer_id") for c in claims if c.get("payer_id")), None)
    member = next((c.get("member_id") for c in claims if c.get("member_id")), None)
    dob = next((c.get("patient_dob") for c in claims if c.get("patient_dob")), None)
    facts = [
        (display.label("patient_control_number"), first.get("patient_control_number")),
        *(
            (
                display.label("claim_ids") if i == 0 else "",
                f"{c['claim_id']} ({c.get('source_system')})",
            )
            for i, c in enumerate(claims)
        ),
        (
            display.label("payer_name"),
            f"{payer} ({payer_id})" if payer and payer_id else payer or payer_id,
        ),
        (display.label("member_id"), display.show("member_id", member)),
        (display.label("patient_dob"), display.show("patient_dob", dob)),
        (display.label("total_charge"), display.money(first.get("total_charge"), cents=True)),
    ]
    width = max(len(name) for name, _ in facts) + 2
    for name, value in facts:
        out.print(
            f"{name + ':' if name else '':<{width}}{value if value is not None else display.MISSING}",
            highlight=False, markup=False, soft_wrap=True,
        )  # fmt: skip


# --- the timeline ---------------------------------------------------------------------------

_CLAIM_TYPES = {"professional": "837P", "institutional": "837I", "dental": "837D"}

Row = Mapping[str, Any]


def _money(value: object) -> str:
    return display.money(value, cents=True)


def _when(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def _join(parts: Iterable[str | None]) -> str:
    return "; ".join(p for p in parts if p)


class _Timeline:
    def __init__(self, descriptions: Mapping[tuple[str, str], str]) -> None:
        self.descriptions = descriptions
        self.events: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def explain(self, code_set: str, code: object) -> str | None:
        if code is None:
            return None
        text = self.descriptions.get((code_set, str(code)))
        return f"{code} ({text})" if text else str(code)

    def add(self, when: object, order: int, event: str, details: str, at: object = None) -> None:
        """An event on ``when`` (a date or a moment; None: not dated, placed at ``at``)."""
        day = _when(when)
        anchor = day or _when(at) or dt.date.max
        moment = when if isinstance(when, dt.datetime) else dt.datetime.min
        key = (anchor, day is None, order, moment, len(self.events))
        self.events.append((key, {"date": day, "event": event, "details": details}))

    def rows(self) -> list[dict[str, Any]]:
        return [row for _, row in sorted(self.events, key=lambda e: e[0])]


def timeline(
    lifecycle: Mapping[str, Sequence[Row]], descriptions: Mapping[tuple[str, str], str]
) -> list[dict[str, Any]]:
    """The events of a claim's lifecycle in the order they happened: ``date`` (None when the
    warehouse does not date it, as a 999, which is placed after the claim it answers),
    ``event`` and ``details``.

    Args:
        lifecycle: :func:`~claimflow.marts.lifecycle.claim_lifecycle`'s sections (masked).
        descriptions: :func:`code_descriptions`.
    """
    t = _Timeline(descriptions)
    submitted = {c["claim_id"]: c.get("submission_date") for c in lifecycle.get("claims", ())}
    for c in lifecycle.get("claims", ()):
        _claim(t, c)
    for a in lifecycle.get("acks_999", ()):
        code = a.get("transaction_ack_code")
        errors = a.get("transaction_error_codes")
        t.add(
            None, 1, f"999 acknowledgment: {t.explain('ik501', code) or display.MISSING}",
            _join([f"errors {errors}" if errors else None, f"transaction set {a.get('ack_st_control_number')}"]),
            at=submitted.get(a.get("claim_id")),
        )  # fmt: skip
    for a in lifecycle.get("acks_277ca", ()):
        category = a.get("status_category_code")
        status = "-".join(str(x) for x in (category, a.get("status_code")) if x)
        t.add(
            a.get("status_date") or a.get("bht_date"), 2,
            f"277CA status {status or display.MISSING}",
            _join([
                t.explain("claim_status_category", category),
                f"entity {a['entity_code']}" if a.get("entity_code") else None,
                f"{a['level']} level" if a.get("level") else None,
                a.get("message"),
            ]),
        )  # fmt: skip
    _remittances(t, lifecycle)
    for r in lifecycle.get("resubmissions", ()):
        t.add(
            r.get("created_at"), 4, f"Resubmitted (attempt {r.get('attempt')})",
            _join([
                f"frequency code {r['frequency_code']}" if r.get("frequency_code") else None,
                f"after the {r['trigger']}" if r.get("trigger") else None,
                display.enum(r["category"]) if r.get("category") else None,
                r.get("fix"),
            ]),
        )  # fmt: skip
    for r in lifecycle.get("rejection_log", ()):
        t.add(
            r.get("logged_at"), 5,
            f"Rejection log: {display.enum(r['reason']) if r.get('reason') else display.MISSING}",
            _join([
                display.enum(r["category"]) if r.get("category") else None,
                display.enum(r["disposition"]) if r.get("disposition") else None,
                _money(r["amount"]) if r.get("amount") is not None else None,
                r.get("recommended_fix"),
            ]),
        )  # fmt: skip
    for s in lifecycle.get("sla_alerts", ()):
        resolved = s.get("resolved_at")
        t.add(
            s.get("due_at"), 6, f"SLA alert: {display.inline(display.enum(str(s.get('kind'))))}",
            _join([
                f"due {display.timestamp(s.get('due_at'))}",
                f"resolved {display.timestamp(resolved)}" if resolved else "open",
            ]),
        )  # fmt: skip
    return t.rows()


def _claim(t: _Timeline, c: Row) -> None:
    charge = f"total charge {_money(c.get('total_charge'))}"
    payer = c.get("payer_name") or c.get("payer_id")
    payer_text = f"payer {payer}" if payer else None
    if c.get("claim_type") or c.get("segment_index") is not None:
        kind = _CLAIM_TYPES.get(str(c.get("claim_type")), "837")
        frequency = t.explain("claim_frequency", c.get("claim_frequency_code"))
        t.add(
            c.get("submission_date"), 0, f"{kind} claim sent ({c.get('source_system')})",
            _join([f"frequency {frequency}" if frequency else None, charge, payer_text]),
        )  # fmt: skip
        return
    status = c.get("claim_status")
    t.add(
        c.get("submission_date"), 0, f"EMR record ({c.get('source_system')})",
        _join([
            f"status {status}" if status else None,
            f"denial reason: {c['denial_reason']}" if c.get("denial_reason") else None,
            charge, payer_text,
        ]),
    )  # fmt: skip


def _remittances(t: _Timeline, lifecycle: Mapping[str, Sequence[Row]]) -> None:
    adjustments: dict[str, dict[str, Any]] = defaultdict(dict)
    for a in lifecycle.get("adjustments", ()):
        code = f"{a.get('group_code')}-{a.get('reason_code')}"
        totals = adjustments[a["adjudication_id"]]
        totals[code] = totals.get(code, 0) + (a.get("amount") or 0)
    remarks: dict[str, list[str]] = defaultdict(list)
    for r in lifecycle.get("remarks", ()):
        if r.get("remark_code") not in remarks[r["adjudication_id"]]:
            remarks[r["adjudication_id"]].append(str(r.get("remark_code")))
    for x in lifecycle.get("adjudications", ()):
        if x.get("record_type") == "reversal":
            event = "835 reversal"
        elif x.get("is_denied"):
            event = "835 denied"
        else:
            event = "835 paid"
        adjusted = adjustments.get(x["adjudication_id"], {})
        t.add(
            x.get("payment_date"), 3, event,
            _join([
                f"status {t.explain('clp02', x.get('claim_status_code'))}",
                f"paid {_money(x.get('paid_amount'))} of {_money(x.get('total_charge'))}",
                (f"patient responsibility {_money(x['patient_responsibility'])}"
                 if x.get("patient_responsibility") else None),
                ("adjustments " + ", ".join(f"{k} {_money(v)}" for k, v in adjusted.items())
                 if adjusted else None),
                "remarks " + ", ".join(remarks[x["adjudication_id"]])
                if remarks.get(x["adjudication_id"]) else None,
                f"payer claim number {x['payer_claim_control_number']}"
                if x.get("payer_claim_control_number") else None,
            ]),
        )  # fmt: skip
