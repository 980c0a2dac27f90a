"""The parse driver: tokens → envelopes → loop builder → extractors, in one streaming pass."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import BinaryIO

from claimflow.x12.envelope import ENVELOPE_IDS, EnvelopeHandler
from claimflow.x12.errors import ErrorKind, ErrorLevel
from claimflow.x12.extract import extractor_for
from claimflow.x12.extract.base import Extractor, Handler, RowContext
from claimflow.x12.result import GroupInfo, ParseResult, Row, TransactionInfo
from claimflow.x12.spec import CompiledSpec, LoopBuilder, TransactionSpec
from claimflow.x12.tokens import CHUNK_SIZE, Delimiters, SegmentReader, allowed_in, escape_text

RowSink = Callable[[str, list[Row]], None]
"""``on_rows(table name, rows)``: receives rows in batches when streaming."""
FLUSH_ROWS = 10_000
_READER_ISSUES = {
    "isa_missing": (ErrorKind.ENVELOPE, "error"),
    "isa_length": (ErrorKind.ENVELOPE, "error"),
    "isa_delimiters": (ErrorKind.SYNTAX, "error"),
    "junk_before_isa": (ErrorKind.SYNTAX, "warning"),
    "junk_after_iea": (ErrorKind.SYNTAX, "warning"),
}


class _Parser(EnvelopeHandler):
    """One pass over a file; holds the envelope state. Not reusable."""

    def __init__(
        self,
        file_id: str,
        level: ErrorLevel,
        data_source: str,
        keep_segments: bool = False,
        on_rows: RowSink | None = None,
    ) -> None:
        self.result = ParseResult(file_id)
        self.on_rows = on_rows
        self.keep_segments = keep_segments
        if keep_segments:
            self.result.tables["x12_segments"] = []
        self.file_id = file_id
        self.level = level
        self.data_source = data_source
        self.index = 0
        self.sid = ""
        self.position = 0
        self.loop_id = ""
        self.isa: list[str] | None = None
        self.isa13: str | None = None
        self.isa_groups = 0
        self.group: GroupInfo | None = None
        self.gs06: str | None = None
        self.txn: TransactionInfo | None = None
        self.builder: LoopBuilder | None = None
        self.extractor: Extractor | None = None
        self.pending: list[tuple[str, list[str], int]] | None = None
        self.delims = Delimiters()
        self.els: list[str] = []
        self.handlers: dict[str, Handler] = {}
        self.compiled: dict[str, CompiledSpec] = {}
        self.last_element_error: tuple[int | None, int | None] = (None, None)
        self.garbled: dict[int, list[tuple[int, int | None, str]]] = {}

    # ------------------------------------------------------------------ errors

    # ------------------------------------------------------------------ driving

    def run(self, stream: BinaryIO, chunk_size: int) -> ParseResult:
        reader = SegmentReader(stream, chunk_size)
        seen_issues = 0
        keep = self.keep_segments
        builder = self.builder
        handlers = self.handlers
        for delims, texts in reader.batches():
            if self.on_rows is not None:
                self._flush(force=False)
            if len(reader.issues) > seen_issues:
                seen_issues = self._reader_issues(reader, seen_issues)
            self.delims = delims
            separator = delims.element
            component = delims.component
            # file positions of the segments holding characters outside X12's set (rarely any)
            unclean = {self.index + 1 + i for i in reader.unclean} if reader.unclean else None
            for text in texts:
                self.index = index = self.index + 1
                els = text.split(separator)
                if unclean and index in unclean:
                    self._scrub(els, index)
                sid = self.sid = els[0]
                if builder is not None and sid not in ENVELOPE_IDS:
                    self.position += 1
                    self.els = els
                    loop_id = self.loop_id = builder.feed(sid, els, component)
                    handler = handlers.get(sid)
                    if handler is not None:
                        handler(els, loop_id, index, text)
                    if unclean and index in unclean:
                        self._report_garbled(index)
                elif self.pending is not None and sid not in ENVELOPE_IDS:
                    self.pending.append((text, els, index))
                    continue  # kept (and counted) when the set's guide is known
                else:
                    if unclean and index in unclean and sid == "SE" and self.txn is not None:
                        # reported inside the set the SE closes (pending segments go first)
                        self.loop_id = ""
                        at = self.position + 1 + len(self.pending or ())
                        self._report_garbled(index, position=at)
                    self._envelope(sid, els, text)
                    if unclean and index in unclean:
                        self._report_garbled(index)
                    builder = self.builder
                    handlers = self.handlers
                if keep:
                    self._keep(sid, els)
        self._reader_issues(reader, seen_issues)
        self.sid = ""
        self._close_interchange()
        self.result.segment_count = self.index
        if self.on_rows is not None:
            self._flush(force=True)
        return self.result

    def _scrub(self, els: list[str], index: int) -> None:
        """Show the values of an unclean segment escaped, and note them for the error sink.

        Every element holding a character outside X12's character set (see ``tokens``) is
        replaced, in ``els``, by its escaped form, so nothing downstream (rows, errors, the
        999) holds raw bytes; each becomes one element error, reported by
        :meth:`_report_garbled` once the segment is placed. A bad character in the segment id
        is not an element error: the id is then unknown, which the loop builder reports.
        """
        outside = allowed_in(self.delims)[1].search
        component = self.delims.component
        found: list[tuple[int, int | None, str]] = []
        for pos, value in enumerate(els):
            if outside(value) is None:
                continue
            shown = els[pos] = escape_text(value)
            if pos == 0:
                continue
            part = None
            if component in value:
                part = next(
                    (n for n, p in enumerate(value.split(component), 1) if outside(p)), None
                )
            found.append((pos, part, shown))
        if found:
            self.garbled[index] = found

    def _report_garbled(self, index: int, position: int | None = None) -> None:
        """Report the element errors :meth:`_scrub` noted for segment ``index``."""
        for pos, part, shown in self.garbled.pop(index, ()):
            where = f"{self.sid}{pos:02d}" + (f"-{part}" if part else "")
            self.report(
                "element_invalid_character",
                "6",
                f"{where} holds '{shown[:40]}': characters outside the X12 character set "
                f"(printable ASCII), shown here as \\xNN.",
                element=pos,
                component_pos=part,
                value=shown,
                at=(index, position, self.sid, "") if position is not None else None,
            )

    def _flush(self, *, force: bool) -> None:
        """Hand buffered rows to ``on_rows`` (only rows that no extractor will touch again)."""
        assert self.on_rows is not None
        if not force and self.extractor is not None and not self.extractor.streaming_safe:
            return
        tables = self.result.tables
        if not force and sum(len(rows) for rows in tables.values()) < FLUSH_ROWS:
            return
        for name, rows in tables.items():
            if rows:
                self.on_rows(name, rows)
                tables[name] = []

    def _keep(self, sid: str, els: list[str]) -> None:
        txn = self.txn
        self.result.tables["x12_segments"].append(
            {
                "source_file_id": self.file_id,
                "isa_control_number": self.isa13,
                "group_control_number": self.gs06,
                "st_control_number": txn.st02 if txn is not None else None,
                "segment_index": self.index,
                "segment_id": sid,
                "loop_id": self.loop_id if txn is not None and sid not in ENVELOPE_IDS else None,
                "elements": els[1:],
            }
        )

    def _reader_issues(self, reader: SegmentReader, seen: int) -> int:
        for issue in reader.issues[seen:]:
            kind, severity = _READER_ISSUES[issue.code]
            self.report(
                issue.code,
                None,
                issue.message,
                kind=kind,
                value=issue.value,
                severity=severity,
                at=(issue.segment_index, 0, "ISA" if "isa" in issue.code else "", ""),
            )
        return len(reader.issues)

    def _start(self, spec: TransactionSpec | None) -> None:
        txn = self.txn
        assert txn is not None
        if spec is None:
            txn.kind = "unsupported"
            txn.supported = False
            self.report(
                "unsupported_guide",
                "1",
                f"Transaction set {txn.transaction_set} with guide '{txn.guide}' is not "
                f"supported; its segments are not read into tables.",
                kind=ErrorKind.GUIDE,
                severity="warning",
            )
            return
        txn.kind = spec.kind
        if not txn.guide.startswith(spec.guide_prefix):
            self.report(
                "guide_inferred",
                None,
                f"The guide '{txn.guide}' is not a 5010 id; the content reads as {spec.kind}.",
                kind=ErrorKind.GUIDE,
                severity="warning",
            )
        ctx = RowContext(
            self.file_id,
            self.data_source,
            self.isa13,
            self.gs06,
            txn.st02,
            self.delims.component,
            self.delims.repetition,
            self._extract_report,
            txn.first_segment,
        )
        compiled = self.compiled.get(spec.kind)
        if compiled is None or compiled.spec is not spec:
            compiled = self.compiled[spec.kind] = CompiledSpec(spec)
        self.builder = LoopBuilder(compiled, self._build_report)
        self.extractor = extractor_for(spec.kind, ctx, self.result.tables)
        self.handlers = self.extractor.handlers if self.extractor is not None else {}

    # ------------------------------------------------------------------ sinks

    def _build_report(
        self,
        code: str,
        x12_code: str,
        message: str,
        *,
        loop_id: str,
        element: int | None = None,
        component_pos: int | None = None,
        value: str | None = None,
        missing: str | None = None,
    ) -> None:
        self.report(
            code,
            x12_code,
            message,
            loop_id=loop_id,
            element=element,
            component_pos=component_pos,
            value=value,
            missing=missing,
        )

    def _extract_report(
        self,
        code: str,
        x12_code: str | None,
        message: str,
        *,
        kind: ErrorKind | None = None,
        element: int | None = None,
        value: str | None = None,
        at: tuple[int, int, str, str] | None = None,
        severity: str = "error",
    ) -> None:
        self.report(
            code,
            x12_code,
            message,
            kind=kind,
            element=element,
            value=value,
            at=at,
            severity=severity,
        )


def parse_stream(
    stream: BinaryIO,
    *,
    file_id: str,
    level: ErrorLevel = ErrorLevel.COLLECT,
    data_source: str = "x12",
    chunk_size: int = CHUNK_SIZE,
    keep_segments: bool = False,
    on_rows: RowSink | None = None,
) -> ParseResult:
    """Parse X12 from a binary reader into canonical rows.

    Args:
        stream: A binary reader positioned at the start of the data.
        file_id: The caller's id for the file (e.g. the sha256 of its bytes).
        level: ``STRICT`` raises at the first error, ``COLLECT`` records them all.
        data_source: Value for the ``data_source`` lineage column and the claim key.
        chunk_size: Bytes read at a time.
        keep_segments: Also return every segment (with its loop id) in an ``x12_segments``
            table, the bronze layer's raw form. Memory then grows with the file.
        on_rows: When given, rows are handed to it in batches of about 20,000 as soon as they
            are final, and ``result.tables`` is left empty: memory stays flat whatever the
            file size.

    Returns:
        The parse result.

    Raises:
        X12Error: In strict mode, at the first error found.
    """
    parser = _Parser(file_id, level, data_source, keep_segments, on_rows)
    return parser.run(stream, chunk_size)


def parse_file(
    path: str | os.PathLike[str],
    *,
    file_id: str,
    level: ErrorLevel = ErrorLevel.COLLECT,
    data_source: str = "x12",
    keep_segments: bool = False,
    on_rows: RowSink | None = None,
) -> ParseResult:
    """Parse an X12 file, streaming it from disk.

    Args:
        path: The file.
        file_id: The caller's id for the file (e.g. the sha256 of its bytes).
        level: ``STRICT`` raises at the first error, ``COLLECT`` records them all.
        data_source: Value for the ``data_source`` lineage column and the claim key.
        keep_segments: Also return every segment in an ``x12_segments`` table.
        on_rows: Receive rows in batches instead of in ``result.tables`` (flat memory).

    Returns:
        The parse result.

    Raises:
        X12Error: In strict mode, at the first error found.
        OSError: When the file cannot be opened.
    """
    with open(path, "rb") as stream:
        return parse_stream(
            stream,
            file_id=file_id,
            level=level,
            data_source=data_source,
            keep_segments=keep_segments,
            on_rows=on_rows,
        )


def parse_bytes(
    data: bytes,
    *,
    file_id: str,
    level: ErrorLevel = ErrorLevel.COLLECT,
    data_source: str = "x12",
    keep_segments: bool = False,
    on_rows: RowSink | None = None,
) -> ParseResult:
    """Parse X12 held in memory.

    Args:
        data: The bytes of the file.
        file_id: The caller's id for the file.
        level: ``STRICT`` raises at the first error, ``COLLECT`` records them all.
        data_source: Value for the ``data_source`` lineage column and the claim key.
        keep_segments: Also return every segment in an ``x12_segments`` table.
        on_rows: Receive rows in batches instead of in ``result.tables`` (flat memory).

    Returns:
        The parse result.

    Raises:
        X12Error: In strict mode, at the first error found.
    """
    return parse_stream(
        io.BytesIO(data),
        file_id=file_id,
        level=level,
        data_source=data_source,
        keep_segments=keep_segments,
        on_rows=on_rows,
    )
