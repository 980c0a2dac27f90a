"""What every extractor shares: lineage, surrogate keys, and typed values from elements."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable
from decimal import Decimal

from claimflow.x12.result import Row

_sha256 = hashlib.sha256

Handler = Callable[[list[str], str, int, str], None]
"""A segment handler: ``handler(elements, loop id, file index, raw text)``."""
Report = Callable[..., None]
"""``report(code, x12_code, message, kind=..., element=..., value=..., at=...)``."""


def surrogate_key(*parts: object) -> str:
    """Deterministic surrogate key: sha256 of the parts joined by ``|``, 32 hex characters."""
    text = "|".join([p if type(p) is str else ("" if p is None else str(p)) for p in parts])
    return _sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


class RowContext:
    """Where rows come from (file, envelope) and how to reach the error sink."""

    __slots__ = (
        "_base",
        "_prefix",
        "component",
        "data_source",
        "file_id",
        "gs06",
        "isa13",
        "repetition",
        "report",
        "st02",
        "st_index",
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
        st_index: int = 0,
    ) -> None:
        self.file_id = file_id
        self.data_source = data_source
        self.isa13 = isa13
        self.gs06 = gs06
        self.st02 = st02
        self.component = component
        self.repetition = repetition
        self.report = report
        self.st_index = st_index
        self._prefix = hashlib.sha256(file_id.encode("utf-8", "surrogateescape") + b"|")
        self._base: Row = {
            "source_file_id": file_id,
            "data_source": data_source,
            "isa_control_number": isa13,
            "group_control_number": gs06,
            "st_control_number": st02,
        }

    def at(self, index: int, sid: str, loop_id: str) -> tuple[int, int, str, str]:
        """Error coordinates of segment ``index``: (file index, set position, id, loop)."""
        return (index, index - self.st_index + 1, sid, loop_id)

    def lineage(self, index: int, raw: str, part: int = 0) -> Row:
        """Lineage columns for a row built from segment ``index`` (``part``: which piece)."""
        h = self._prefix.copy()
        h.update(f"{index}|{part}|{raw}".encode("utf-8", "surrogateescape"))
        row = self._base.copy()
        row["segment_index"] = index
        row["lineage_hash"] = h.hexdigest()
        return row


def element(els: list[str], pos: int) -> str | None:
    """Element ``pos`` of a segment, or None when absent or empty."""
    try:
        return els[pos] or None
    except IndexError:
        return None


def composite(els: list[str], pos: int, sep: str) -> list[str]:
    """Components of element ``pos`` (empty list when absent)."""
    try:
        value = els[pos]
    except IndexError:
        return []
    return value.split(sep) if value else []


def part(parts: list[str], i: int) -> str | None:
    """Component ``i`` (1-based) of a split composite, or None when absent or empty."""
    try:
        return parts[i - 1] or None
    except IndexError:
        return None


_DECIMAL = re.compile(r"(-?)(?=\.?[0-9])([0-9]*)(?:\.([0-9]*))?").fullmatch
"""X12's R form: an optional minus, digits with an optional decimal point, at least one digit
(no exponent, no plus, no spaces). Linear in the value's length (no backtracking blow-up)."""
MAX_DIGITS = 18
"""Most significant digits a number may have: the longest numeric element of the guides (R
1/18); quantities keep them as doubles, integers as BIGINT."""
MAX_AMOUNT_DIGITS = 16
"""Most digits an amount may have before its decimal point: money is DECIMAL(18,2)."""


def _digits(value: str) -> tuple[str, str, str] | None:
    """``(sign, whole digits, fraction digits)`` of an R-form value, leading zeros of the whole
    part and trailing zeros of the fraction dropped; None when the value is not in that form.

    Only the text is looked at (no Decimal arithmetic), so a value of any length costs one
    pass and cannot overflow.
    """
    match = _DECIMAL(value)
    if match is None:
        return None
    sign, whole, fraction = match.groups("")
    return sign, whole.lstrip("0"), fraction.rstrip("0")


def _bad_number(ctx: RowContext, pos: int, value: str, code: str, why: str) -> None:
    shown = value if len(value) <= 30 else f"{value[:20]}… ({len(value)} characters)"
    ctx.report(
        "element_invalid",
        code,
        f"Element {pos:02d} holds '{shown}', {why}.",
        element=pos,
        value=value,
    )


def number(ctx: RowContext, els: list[str], pos: int) -> Decimal | None:
    """Element ``pos`` as a Decimal (units, weights, fractions); reports a bad number.

    The value must be in X12's R form with at most :data:`MAX_DIGITS` significant digits;
    anything else is reported (IK403 6 not a number, 5 too long) and read as None.
    """
    try:
        value = els[pos]
    except IndexError:
        return None
    if not value:
        return None
    parts = _digits(value)
    if parts is None:
        _bad_number(ctx, pos, value, "6", "which is not a number")
        return None
    sign, whole, fraction = parts
    if len(whole) + len(fraction) > MAX_DIGITS:
        _bad_number(ctx, pos, value, "5", f"more than the {MAX_DIGITS} digits a number may have")
        return None
    if len(value) <= 2 * MAX_DIGITS:
        return Decimal(value)
    return Decimal(f"{sign}{whole or 0}.{fraction or 0}")  # padded with zeros: keep it small


def money(ctx: RowContext, els: list[str], pos: int) -> Decimal | None:
    """Element ``pos`` as an amount of money: dollars and cents, as the tables keep it.

    An amount that is not a number (in X12's R form), with non-zero digits past the cents, or
    of 10^16 dollars or more (more than DECIMAL(18,2) holds) is reported (not rounded) and read
    as None. The checks look at the text only, so no value, however long, costs more than a pass
    over it or overflows a Decimal.
    """
    try:
        value = els[pos]
    except IndexError:
        return None
    if not value:
        return None
    dot = value.find(".")
    if len(value) <= 16 and (dot < 0 or len(value) - dot <= 3) and _DECIMAL(value) is not None:
        return Decimal(value)  # the common case, told by the text alone
    parts = _digits(value)
    if parts is None:
        _bad_number(ctx, pos, value, "6", "which is not an amount")
        return None
    sign, whole, fraction = parts
    if len(whole) > MAX_AMOUNT_DIGITS:
        _bad_number(
            ctx,
            pos,
            value,
            "5",
            f"which has {len(whole)} digits before the decimal point; an amount has at most "
            f"{MAX_AMOUNT_DIGITS}",
        )
        return None
    if len(fraction) > 2:
        _bad_number(ctx, pos, value, "6", "which is not an amount in dollars and cents")
        return None
    return Decimal(f"{sign}{whole or 0}.{fraction.ljust(2, '0')}")


def integer(ctx: RowContext, value: str | None, pos: int) -> int | None:
    """A count or position (BIGINT): digits only, as the guides' N0 values are; None when
    absent or not digits (the spec's rules report those), reported when longer than
    :data:`MAX_DIGITS` digits."""
    if not value or not (value.isascii() and value.isdigit()):
        return None
    if len(value) > MAX_DIGITS:
        _bad_number(ctx, pos, value, "5", f"more than the {MAX_DIGITS} digits a number may have")
        return None
    return int(value)


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


def adjustment_rows(
    ctx: RowContext,
    els: list[str],
    index: int,
    raw: str,
    parent: object,
    links: Row,
    level: str,
    source: str,
) -> tuple[list[Row], Decimal]:
    """One ``adjustments`` row per CAS triplet, and the sum of their amounts.

    Args:
        ctx: Row context.
        els: The CAS elements.
        index: File position of the CAS.
        raw: The CAS segment text.
        parent: Key of the claim or line the CAS belongs to (part of the surrogate key).
        links: Foreign keys (``adjudication_id``, ``adjudication_line_id``, ``claim_id``,
            ``claim_line_id``).
        level: ``claim`` or ``line``.
        source: ``835`` or ``837_cob``.

    Returns:
        The rows and the total of their amounts.
    """
    group = element(els, 1)
    rows: list[Row] = []
    total = Decimal(0)
    for triplet in range(1, min(6, len(els) // 3) + 1):
        base = 2 + (triplet - 1) * 3
        reason = element(els, base)
        amount = money(ctx, els, base + 1)
        if reason is None and amount is None:
            continue
        row = ctx.lineage(index, raw, triplet)
        row.update(links)
        row["adjustment_id"] = surrogate_key(parent, index, triplet)
        row["level"] = level
        row["group_code"] = group
        row["reason_code"] = reason
        row["amount"] = amount
        row["quantity"] = number(ctx, els, base + 2)
        row["triplet_index"] = triplet
        row["is_patient_responsibility"] = group == "PR"
        row["source"] = source
        rows.append(row)
        if amount is not None:
            total += amount
    return rows, total


class Extractor:
    """Base of the per-guide extractors: dispatches segments to handlers by segment id."""

    tables: tuple[str, ...] = ()
    streaming_safe = True
    """True when every row already handed to ``out`` is final (rows may be flushed mid-set)."""

    def __init__(self, ctx: RowContext, out: dict[str, list[Row]]) -> None:
        self.ctx = ctx
        self.out = out
        self.handlers: dict[str, Handler] = {}

    def finish(self) -> None:
        """Called at SE: flush open rows and run end-of-set checks."""
