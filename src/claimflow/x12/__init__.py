"""claimflow.x12: a standalone X12 5010 engine (read, validate, extract, write).

It imports nothing else of claimflow and needs only the standard library.
"""

from __future__ import annotations

from claimflow.x12.errors import (
    BalancingError,
    ElementError,
    EnvelopeError,
    ErrorKind,
    ErrorLevel,
    StructureError,
    UnsupportedGuideError,
    X12Error,
    X12SyntaxError,
    X12ValidationError,
    X12ValidationFailed,
    X12WriteError,
)
from claimflow.x12.parser import parse_bytes, parse_file, parse_stream
from claimflow.x12.result import GroupInfo, ParseResult, TransactionInfo
from claimflow.x12.tokens import Delimiters, iter_segments
from claimflow.x12.writer import write_999
from claimflow.x12.writer837 import write_837

__all__ = [
    "BalancingError",
    "Delimiters",
    "ElementError",
    "EnvelopeError",
    "ErrorKind",
    "ErrorLevel",
    "GroupInfo",
    "ParseResult",
    "StructureError",
    "TransactionInfo",
    "UnsupportedGuideError",
    "X12Error",
    "X12SyntaxError",
    "X12ValidationError",
    "X12ValidationFailed",
    "X12WriteError",
    "iter_segments",
    "parse_bytes",
    "parse_file",
    "parse_stream",
    "write_837",
    "write_999",
]
