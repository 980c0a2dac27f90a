"""Errors of the X12 engine: the validation record and the exception tree.

Every problem found in a file is an :class:`X12ValidationError` record carrying the
coordinates a 999 acknowledgment needs. In ``collect`` mode the records are gathered on the
parse result; in ``strict`` mode the first one is raised inside an exception. Every exception
the engine raises on bad input derives from :class:`X12Error`::

    X12Error                      anything the X12 engine raises on bad input
    ├── X12SyntaxError            the bytes cannot be read as X12 (no ISA, broken ISA)
    ├── X12ValidationFailed       strict mode: the first validation error, as an exception
    │   ├── EnvelopeError         ISA/IEA, GS/GE, ST/SE control numbers and counts
    │   ├── StructureError        segments and loops: unknown, missing, out of place, repeated
    │   ├── ElementError          element presence, length, code value, date, number
    │   ├── BalancingError        money that does not add up
    │   └── UnsupportedGuideError a guide we have no spec for (reserved: parse reports it as a warning)
    └── X12WriteError             the writers were given rows they cannot turn into X12
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ErrorLevel(enum.Enum):
    """How the parser reacts to a validation error."""

    STRICT = "strict"
    """Raise at the first error."""
    COLLECT = "collect"
    """Record every error with its coordinates and go on."""


class ErrorKind(enum.Enum):
    """The family an error belongs to; picks the exception class in strict mode."""

    SYNTAX = "syntax"
    ENVELOPE = "envelope"
    STRUCTURE = "structure"
    ELEMENT = "element"
    BALANCING = "balancing"
    GUIDE = "guide"


@dataclass(frozen=True, slots=True)
class X12ValidationError:
    """One problem found in an X12 file, with the coordinates a 999 uses.

    Attributes:
        kind: The error family.
        code: Our short machine name for the rule, e.g. ``"se_count"``.
        message: A sentence a billing analyst understands.
        file_id: The caller's id of the file.
        isa13: Interchange control number (ISA13), if known.
        gs06: Group control number (GS06), if known.
        st02: Transaction set control number (ST02), if known.
        segment_index: 1-based position of the segment in the file.
        segment_position: 1-based position of the segment in its transaction set (IK302).
        segment_id: The segment id, e.g. ``"CLM"`` (IK301).
        loop_id: The loop the segment sits in, e.g. ``"2300"`` (IK303).
        element_position: 1-based element position (IK401-1).
        component_position: 1-based component position (IK401-2).
        bad_value: The offending value (IK404).
        segment_error_code: IK304 code for segment-level problems.
        element_error_code: IK403 code for element-level problems.
        transaction_error_code: IK502 code this error implies for its transaction set.
        group_error_code: AK905 code this error implies for its functional group.
        interchange_error_code: TA105 code (interchange-level problems have no 999 code).
        context: The claim (CLM01) the error sits in, for a CTX segment.
        severity: ``"error"`` or ``"warning"``.
    """

    kind: ErrorKind
    code: str
    message: str
    file_id: str
    isa13: str | None = None
    gs06: str | None = None
    st02: str | None = None
    segment_index: int | None = None
    segment_position: int | None = None
    segment_id: str | None = None
    loop_id: str | None = None
    element_position: int | None = None
    component_position: int | None = None
    bad_value: str | None = None
    segment_error_code: str | None = None
    element_error_code: str | None = None
    transaction_error_code: str | None = None
    group_error_code: str | None = None
    interchange_error_code: str | None = None
    context: str | None = None
    severity: str = "error"

    def describe(self) -> str:
        """Return the message with its coordinates, for logs and exception text."""
        where = [f"file {self.file_id}"]
        if self.isa13 is not None:
            where.append(f"ISA13 {self.isa13}")
        if self.gs06 is not None:
            where.append(f"GS06 {self.gs06}")
        if self.st02 is not None:
            where.append(f"ST02 {self.st02}")
        if self.segment_index is not None:
            where.append(f"segment #{self.segment_index}")
        if self.segment_id is not None:
            where.append(f"{self.segment_id}")
        if self.loop_id is not None:
            where.append(f"loop {self.loop_id}")
        if self.element_position is not None:
            pos = f"element {self.element_position:02d}"
            if self.component_position is not None:
                pos += f"-{self.component_position}"
            where.append(pos)
        return f"{self.message} ({', '.join(where)})"


class X12Error(Exception):
    """Base of every exception the X12 engine raises on bad input."""


class X12SyntaxError(X12Error):
    """The bytes cannot be read as X12 at all (no ISA, a broken ISA)."""

    def __init__(self, error: X12ValidationError) -> None:
        super().__init__(error.describe())
        self.error = error


class X12ValidationFailed(X12Error):
    """Strict mode: the first validation error found, raised."""

    def __init__(self, error: X12ValidationError) -> None:
        super().__init__(error.describe())
        self.error = error


class EnvelopeError(X12ValidationFailed):
    """ISA/IEA, GS/GE or ST/SE control numbers or counts do not agree."""


class StructureError(X12ValidationFailed):
    """A segment or loop is unknown, missing, out of place or repeated too often."""


class ElementError(X12ValidationFailed):
    """An element is missing, too long or short, or holds a bad code, date or number."""


class BalancingError(X12ValidationFailed):
    """Amounts that must add up do not."""


class UnsupportedGuideError(X12ValidationFailed):
    """A transaction set follows an implementation guide we have no spec for."""


class X12WriteError(X12Error):
    """A writer was given rows it cannot turn into X12."""


_EXCEPTION_BY_KIND: dict[ErrorKind, type[X12Error]] = {
    ErrorKind.SYNTAX: X12SyntaxError,
    ErrorKind.ENVELOPE: EnvelopeError,
    ErrorKind.STRUCTURE: StructureError,
    ErrorKind.ELEMENT: ElementError,
    ErrorKind.BALANCING: BalancingError,
    ErrorKind.GUIDE: UnsupportedGuideError,
}


def exception_for(error: X12ValidationError) -> X12Error:
    """Return the exception that strict mode raises for ``error``.

    Args:
        error: The validation record.

    Returns:
        An instance of the :class:`X12Error` subclass matching the error's kind.
    """
    cls = _EXCEPTION_BY_KIND[error.kind]
    if issubclass(cls, (X12SyntaxError, X12ValidationFailed)):
        return cls(error)
    return cls(error.describe())  # pragma: no cover - every kind maps to a record class
