"""The 999 writer, and what every writer shares: delimiter-safe segment output and the ISA."""

from __future__ import annotations

import datetime
from decimal import Decimal

from claimflow.x12.errors import ErrorKind, X12ValidationError, X12WriteError
from claimflow.x12.result import GroupInfo, ParseResult, TransactionInfo
from claimflow.x12.tokens import Delimiters

_ACKED_KINDS = frozenset((ErrorKind.STRUCTURE, ErrorKind.ELEMENT, ErrorKind.BALANCING))


class Composite(str):
    """A composite element already joined with the component separator (not cleaned again)."""

    __slots__ = ()


class SegmentWriter:
    """Collects segments with one set of delimiters; counts them for SE/GE/IEA."""

    def __init__(self, delims: Delimiters) -> None:
        self.d = delims
        self.segments: list[str] = []
        self.bad = {delims.element, delims.component, delims.segment}
        if delims.repetition:
            self.bad.add(delims.repetition)

    def clean(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, Composite):
            return str(value)
        if isinstance(value, datetime.date):
            return value.strftime("%Y%m%d")
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        for char in self.bad:
            text = text.replace(char, " ")
        return text

    def add(self, sid: str, *elements: object) -> None:
        values = [self.clean(v) for v in elements]
        while values and values[-1] == "":
            values.pop()
        self.segments.append(self.d.element.join([sid, *values]))

    def comp(self, *parts: object) -> Composite:
        values = [self.clean(p) for p in parts]
        while values and values[-1] == "":
            values.pop()
        return Composite(self.d.component.join(values))

    def text(self) -> bytes:
        term = self.d.segment
        return ("\n".join(s + term for s in self.segments) + "\n").encode("utf-8")


def write_isa(
    out: SegmentWriter,
    sender: tuple[str, str],
    receiver: tuple[str, str],
    control: int,
    when: datetime.datetime,
    usage: str,
) -> None:
    rep = out.d.repetition or "^"
    out.segments.append(
        out.d.element.join(
            [
                "ISA",
                "00",
                " " * 10,
                "00",
                " " * 10,
                sender[0].ljust(2)[:2],
                sender[1].ljust(15)[:15],
                receiver[0].ljust(2)[:2],
                receiver[1].ljust(15)[:15],
                when.strftime("%y%m%d"),
                when.strftime("%H%M"),
                rep,
                "00501",
                f"{control:09d}",
                "0",
                usage or "P",
                out.d.component,
            ]
        )
    )


# ------------------------------------------------------------------------------ 999


def _ik5(txn: TransactionInfo, errors: list[X12ValidationError]) -> tuple[str, list[str]]:
    if not txn.supported:
        return "R", ["1"]
    codes = sorted({e.transaction_error_code for e in errors if e.transaction_error_code})
    if any(e.kind in _ACKED_KINDS for e in errors):
        codes.append("5")
    return ("R" if errors else "A"), codes[:5]


def write_999(
    result: ParseResult,
    *,
    control_number: int = 1,
    when: datetime.datetime | None = None,
    delimiters: Delimiters | None = None,
) -> bytes:
    """Write a 999 acknowledging every functional group of a parsed (usually 837) file.

    One ST*999 per inbound group: AK1 names the group, then per transaction set an AK2, an
    IK3 (+ CTX with the claim's CLM01 when the error sits in a claim) and IK4 per error found,
    and IK5 (A accepted / R rejected with IK502 codes); AK9 closes with the group's counts.

    Args:
        result: The parse result of the inbound file.
        control_number: ISA13/GS06 of the 999 (ST02 counts from 0001).
        when: Date and time to stamp; defaults to now (UTC).
        delimiters: Delimiters to write with; defaults to ``* : ^ ~``.

    Returns:
        The 999 as bytes, one segment per line.

    Raises:
        X12WriteError: When the result holds no functional group to acknowledge.
    """
    if not result.groups:
        raise X12WriteError("There is no functional group (GS) to acknowledge.")
    when = when or datetime.datetime.now(datetime.UTC)
    out = SegmentWriter(delimiters or Delimiters())
    first = result.groups[0]
    write_isa(
        out,
        (first.isa_receiver_qualifier or "ZZ", first.isa_receiver_id or "RECEIVER"),
        (first.isa_sender_qualifier or "ZZ", first.isa_sender_id or "SENDER"),
        control_number,
        when,
        first.usage,
    )
    out.add(
        "GS",
        "FA",
        first.receiver_id,
        first.sender_id,
        when.strftime("%Y%m%d"),
        when.strftime("%H%M"),
        control_number,
        "X",
        "005010X231A1",
    )
    for number, group in enumerate(result.groups, 1):
        _ack_group(out, result, group, number)
    out.add("GE", len(result.groups), control_number)
    out.add("IEA", 1, f"{control_number:09d}")
    return out.text()


def _ack_group(out: SegmentWriter, result: ParseResult, group: GroupInfo, number: int) -> None:
    start = len(out.segments)
    st02 = f"{number:04d}"
    out.add("ST", "999", st02, "005010X231A1")
    out.add("AK1", group.functional_id, group.gs06, group.version)
    txns = [t for t in result.transactions if t.group == number - 1]
    accepted = 0
    for txn in txns:
        errors = [e for e in result.errors_for(txn) if e.severity == "error"]
        out.add("AK2", txn.transaction_set, txn.st02, txn.guide)
        for e in errors:
            if e.kind not in _ACKED_KINDS or not e.segment_position:
                continue
            segment_id = (e.segment_id or "")[:3]
            if not segment_id:  # an unreadable segment id cannot be echoed in IK301
                continue
            out.add("IK3", segment_id, e.segment_position, e.loop_id, e.segment_error_code)
            if e.context:
                out.add("CTX", out.comp("CLM01", e.context))
            if e.element_error_code and e.element_position:
                out.add(
                    "IK4",
                    out.comp(e.element_position, e.component_position),
                    "",
                    e.element_error_code,
                    e.bad_value if e.element_error_code != "1" else None,
                )
        code, reasons = _ik5(txn, errors)
        accepted += code == "A"
        out.add("IK5", code, *reasons)
    group_errors = sorted(
        {
            e.group_error_code
            for e in result.errors
            if e.group_error_code and group.holds(e.segment_index)
        }
    )
    if accepted == len(txns) and not group_errors:
        ak901 = "A"
    elif accepted:
        ak901 = "P"
    else:
        ak901 = "R"
    out.add("AK9", ak901, len(txns), len(txns), accepted, *group_errors[:5])
    out.add("SE", len(out.segments) - start + 1, st02)
