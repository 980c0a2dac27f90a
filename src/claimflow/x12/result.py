"""What a parse returns: canonical rows, errors, warnings and one record per transaction set."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from claimflow.x12.errors import X12ValidationError

Row = dict[str, object]

TABLES: tuple[str, ...] = (
    "claims_header",
    "claims_line",
    "diagnoses",
    "procedures_icd",
    "claim_line_teeth",
    "payments",
    "adjudication",
    "adjudication_line",
    "adjustments",
    "remarks",
    "provider_adjustments",
    "ack_999",
    "ack_999_errors",
    "ack_277ca",
    "ack_277ca_summary",
)
"""The canonical tables a parse can fill, named as in DATA_MODEL.md."""


@dataclass(slots=True)
class GroupInfo:
    """One functional group (GS…GE) and its interchange envelope.

    Attributes:
        isa13: Interchange control number.
        gs06: Group control number.
        functional_id: GS01, e.g. ``HC``.
        sender_id: GS02.
        receiver_id: GS03.
        version: GS08.
        isa_sender_qualifier: ISA05.
        isa_sender_id: ISA06.
        isa_receiver_qualifier: ISA07.
        isa_receiver_id: ISA08.
        usage: ISA15 (``P`` production, ``T`` test).
        transaction_count: How many ST…SE sets the group held.
        first_segment: File position (1-based) of its GS.
        last_segment: File position of its GE (or of its last segment when GE is missing).
    """

    isa13: str | None
    gs06: str | None
    functional_id: str = ""
    sender_id: str = ""
    receiver_id: str = ""
    version: str = ""
    isa_sender_qualifier: str = ""
    isa_sender_id: str = ""
    isa_receiver_qualifier: str = ""
    isa_receiver_id: str = ""
    usage: str = ""
    transaction_count: int = 0
    first_segment: int = 0
    last_segment: int = 0

    def holds(self, segment_index: int | None) -> bool:
        """True when the file position lies inside this group (control numbers may repeat)."""
        return segment_index is not None and (
            self.first_segment <= segment_index <= self.last_segment
        )


@dataclass(slots=True)
class TransactionInfo:
    """One transaction set (ST…SE).

    Attributes:
        isa13: Interchange control number of its envelope.
        gs06: Group control number of its envelope.
        st02: Its control number.
        transaction_set: ST01, e.g. ``837``.
        guide: The guide id as written (ST03, else GS08), e.g. ``005010X222A1``.
        kind: ``837P``, ``837I``, ``837D``, ``835``, ``999``, ``277CA``, or ``unsupported``.
        first_segment: File position (1-based) of its ST.
        last_segment: File position of its SE (or of its last segment when SE is missing).
        error_count: Errors found inside it.
        supported: False when no spec exists for its guide (its rows are then not extracted).
        group: Index of its functional group in ``ParseResult.groups`` (None without GS).
    """

    isa13: str | None
    gs06: str | None
    st02: str | None
    transaction_set: str
    guide: str
    kind: str
    first_segment: int
    last_segment: int = 0
    error_count: int = 0
    supported: bool = True
    group: int | None = None

    def holds(self, segment_index: object) -> bool:
        """True when the file position lies inside this set (control numbers may repeat)."""
        return isinstance(segment_index, int) and (
            self.first_segment <= segment_index <= self.last_segment
        )

    @property
    def valid(self) -> bool:
        """True when the set is supported and no error was found in it."""
        return self.supported and self.error_count == 0

    @property
    def key(self) -> tuple[str | None, str | None, str | None]:
        """``(isa13, gs06, st02)``: the coordinates rows carry to point at this set."""
        return (self.isa13, self.gs06, self.st02)


@dataclass(slots=True)
class ParseResult:
    """Everything a parse produced.

    Attributes:
        file_id: The caller's id of the file.
        tables: Canonical rows keyed by table name (every name in :data:`TABLES` is present).
        errors: Validation errors (severity ``error``).
        warnings: Findings that do not make a transaction invalid.
        transactions: One record per ST…SE.
        groups: One record per GS…GE.
        segment_count: Segments read.
    """

    file_id: str
    tables: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLES})
    errors: list[X12ValidationError] = field(default_factory=list)
    warnings: list[X12ValidationError] = field(default_factory=list)
    transactions: list[TransactionInfo] = field(default_factory=list)
    groups: list[GroupInfo] = field(default_factory=list)
    segment_count: int = 0

    def rows_for(self, transaction: TransactionInfo, table: str) -> list[Row]:
        """Return the rows of ``table`` that came from ``transaction``.

        Rows are matched on their control numbers and on their file position, so sets that
        reuse control numbers (several interchanges in one file) are told apart.
        """
        isa13, gs06, st02 = transaction.key
        return [
            r
            for r in self.tables[table]
            if r["st_control_number"] == st02
            and r["group_control_number"] == gs06
            and r["isa_control_number"] == isa13
            and transaction.holds(r["segment_index"])
        ]

    def errors_for(self, transaction: TransactionInfo) -> list[X12ValidationError]:
        """Return the errors found inside ``transaction``."""
        return [
            e
            for e in self.errors
            if e.st02 == transaction.st02 and transaction.holds(e.segment_index)
        ]

    def errors_outside_sets(self) -> list[X12ValidationError]:
        """Return the errors that sit in no transaction set (as :meth:`errors_for` places them).

        These are the interchange's and groups' own problems: an ISA of the wrong length, a
        missing IEA or GE, counts and control numbers of IEA and GE, a bad byte in an ISA or GS
        element, a file with no ISA. They invalidate no set, so a loader that quarantines
        invalid sets loads every row of such a file; it must report them some other way.
        """
        sets = self.transactions  # in file order, one after the other
        starts = [t.first_segment for t in sets]
        outside = []
        for e in self.errors:
            i = bisect.bisect_right(starts, e.segment_index or 0) - 1  # the one set that may
            if i < 0 or e.st02 != sets[i].st02 or not sets[i].holds(e.segment_index):
                outside.append(e)
        return outside
