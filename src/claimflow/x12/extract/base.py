"""What every extractor shares: lineage, surrogate keys, and typed values from elements."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from claimflow.x12.result import Row

Report = Callable[..., None]
"""``report(code, x12_code, message, kind=..., element=..., value=..., at=...)``."""


def surrogate_key(*parts: object) -> str:
    """Deterministic surrogate key: sha256 of the parts joined by ``|``, 32 hex characters."""
    text = "|".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


class RowContext:
    """Where rows come from (file, envelope) and how to reach the error sink."""

    __slots__ = (
        "component",
        "data_source",
        "file_id",
        "gs06",
        "isa13",
        "report",
        "repetition",
        "st02",
        "_prefix",
    )

    def __init__(
        self,
        file_id: str,
        data_source: str,
        isa13: str | None,
        gs06: str | None,
        st02: str | None,
        component: str,
        repetition: str | None,
        report: Report,
    ) -> None:
        self.file_id = file_id
        self.data_source = data_source
        self.isa13 = isa13
        self.gs06 = gs06
        self.st02 = st02
        self.component = component
        self.repetition = repetition
        self.report = report
        self._prefix = hashlib.sha256(file_id.encode("utf-8", "surrogateescape") + b"|")

    def lineage(self, index: int, raw: str, part: int = 0) -> Row:
        """Lineage columns for a row built from segment ``index`` (``part``: which piece)."""
        h = self._prefix.copy()
        h.update(f"{index}|{part}|".encode())
        h.update(raw.encode("utf-8", "surrogateescape"))
        return {
            "source_file_id": self.file_id,
            "data_source": self.data_source,
            "isa_control_number": self.isa13,
            "group_control_number": self.gs06,
            "st_control_number": self.st02,
            "segment_index": index,
            "lineage_hash": h.hexdigest(),
        }


def element(els: list[str], pos: int) -> str | None:
    """Element ``pos`` of a segment, or None when absent or empty."""
    if pos < len(els):
        value = els[pos]
        return value if value else None
    return None


def composite(els: list[str], pos: int, sep: str) -> list[str]:
    """Components of element ``pos`` (empty list when absent)."""
    if pos < len(els) and els[pos]:
        return els[pos].split(sep)
    return []


def part(parts: list[str], i: int) -> str | None:
    """Component ``i`` (1-based) of a split composite, or None when absent or empty."""
    if i <= len(parts):
        value = parts[i - 1]
        return value if value else None
    return None


def money(ctx: RowContext, els: list[str], pos: int) -> Decimal | None:
    """Element ``pos`` as a Decimal amount; reports a bad number and returns None."""
    if pos >= len(els) or not els[pos]:
        return None
    value = els[pos]
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        ctx.report(
            "element_invalid",
            "6",
            f"Element {pos:02d} holds '{value[:30]}', which is not an amount.",
            element=pos,
            value=value,
        )
        return None
    return amount


def parse_date(ctx: RowContext, value: str | None, pos: int) -> datetime.date | None:
    """A ``CCYYMMDD`` value as a date; reports a bad date and returns None."""
    if not value:
        return None
    if len(value) == 8 and value.isdigit():
        try:
            return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    ctx.report(
        "element_invalid",
        "8",
        f"Element {pos:02d} holds '{value[:30]}', which is not a valid CCYYMMDD date.",
        element=pos,
        value=value,
    )
    return None


def date_range(
    ctx: RowContext, qualifier: str | None, value: str | None, pos: int
) -> tuple[datetime.date | None, datetime.date | None]:
    """A D8 date or RD8 range as ``(from, to)``."""
    if not value:
        return None, None
    if qualifier == "RD8" or (qualifier is None and "-" in value):
        first, _, last = value.partition("-")
        return parse_date(ctx, first, pos), parse_date(ctx, last or first, pos)
    if qualifier in ("D8", None):
        day = parse_date(ctx, value, pos)
        return day, day
    if qualifier == "DT":
        day = parse_date(ctx, value[:8], pos)
        return day, day
    return None, None


class Extractor:
    """Base of the per-guide extractors: dispatches segments to handlers by segment id."""

    tables: tuple[str, ...] = ()

    def __init__(self, ctx: RowContext, out: dict[str, list[Row]]) -> None:
        self.ctx = ctx
        self.out = out
        self.handlers: dict[str, Callable[[list[str], str, int, str], None]] = {}

    def segment(self, sid: str, els: list[str], loop_id: str, index: int, raw: str) -> None:
        """Feed one segment (between ST and SE)."""
        handler = self.handlers.get(sid)
        if handler is not None:
            handler(els, loop_id, index, raw)

    def finish(self) -> None:
        """Called at SE: flush open rows and run end-of-set checks."""
