"""Envelopes: ISA/IEA, GS/GE and ST/SE handling, control numbers and counts, guide choice."""

from __future__ import annotations

from claimflow.x12.errors import ErrorKind, ErrorLevel, X12ValidationError, exception_for
from claimflow.x12.extract.base import Extractor, Handler
from claimflow.x12.result import GroupInfo, ParseResult, TransactionInfo
from claimflow.x12.spec import LoopBuilder, TransactionSpec
from claimflow.x12.specs import spec_for_guide, spec_for_kind
from claimflow.x12.tokens import Delimiters, escape_text

ENVELOPE_IDS = frozenset(("ISA", "IEA", "GS", "GE", "ST", "SE"))
BAD_VALUE_MAX = 99
"""An error keeps at most this many characters of the offending value (IK404's maximum)."""
_CONTENT_KIND = {"835": "835", "999": "999"}
_CLAIM_SEGMENTS = frozenset(("CLM", "CLP"))
_CLAIM_LOOPS = frozenset(("23", "24", "21"))
_SERVICE_KIND = {"SV1": "837P", "SV2": "837I", "SV3": "837D"}


_STRUCTURE_CODES = frozenset(
    ("loop_repeat", "segment_max_use", "segment_unexpected", "segment_missing", "loop_missing")
)
_STRUCTURE_CODES |= {"segment_order", "segment_outside"}
_TA1_CODES = {
    "iea_control": "001",
    "isa_control": "018",
    "iea_count": "021",
    "iea_missing": "023",
    "isa_missing": "024",
    "isa_elements": "024",
    "isa_length": "024",
    "iea_unmatched": "024",
    "isa_delimiters": "026",
}


class EnvelopeHandler:
    """The envelope half of the parser: what happens at ISA, IEA, GS, GE, ST and SE.

    It also owns ``report``, the one error sink: every error gets its coordinates here. The
    parser (``parser._Parser``) inherits it, sets up the state and provides ``_start`` (which
    builds the loop builder and extractor for a set) and ``_keep``.
    """

    result: ParseResult
    file_id: str
    keep_segments: bool
    index: int
    sid: str
    position: int
    loop_id: str
    els: list[str]
    isa: list[str] | None
    isa13: str | None
    isa_groups: int
    group: GroupInfo | None
    gs06: str | None
    txn: TransactionInfo | None
    builder: LoopBuilder | None
    extractor: Extractor | None
    handlers: dict[str, Handler]
    level: ErrorLevel
    last_element_error: tuple[int | None, int | None]
    garbled: dict[int, list[tuple[int, int | None, str]]]
    pending: list[tuple[str, list[str], int]] | None
    delims: Delimiters

    def report(
        self,
        code: str,
        x12_code: str | None,
        message: str,
        *,
        kind: ErrorKind | None = None,
        loop_id: str | None = None,
        element: int | None = None,
        component_pos: int | None = None,
        value: str | None = None,
        missing: str | None = None,
        at: tuple[int, int, str, str] | None = None,
        severity: str = "error",
        st02: str | bool | None = True,
    ) -> None:
        """Record (collect) or raise (strict) one error at the current or given segment."""
        if kind is None:
            if code in _STRUCTURE_CODES:
                kind = ErrorKind.STRUCTURE
            elif code.startswith("element"):
                kind = ErrorKind.ELEMENT
            else:
                kind = ErrorKind.ENVELOPE
        index, position, sid, here = at if at else (self.index, self.position, self.sid, "")
        if kind is ErrorKind.ELEMENT and self.garbled and code != "element_invalid_character":
            garbled = self.garbled.get(index)
            if garbled is not None and any(pos == element for pos, _, _ in garbled):
                return  # the element's bad characters are its error (reported once placed)
        if value is not None:
            value = escape_text(value)[:BAD_VALUE_MAX]
        message = escape_text(message, keep_unicode=True)
        txn = self.txn
        seg_code = elem_code = txn_code = group_code = None
        if kind is ErrorKind.STRUCTURE:
            seg_code = x12_code
        elif kind in (ErrorKind.ELEMENT, ErrorKind.BALANCING):
            seg_code, elem_code = "8", x12_code
        elif code.startswith(("se_", "st_")):
            txn_code = x12_code
        elif code.startswith(("ge_", "gs_")):
            group_code = x12_code
        where = loop_id if loop_id is not None else (here or self.loop_id or None)
        context = None
        if txn is not None and (sid in _CLAIM_SEGMENTS or (where or "")[:2] in _CLAIM_LOOPS):
            # only errors inside a claim (837 2300/2400, 835 2100/2110) name it for a CTX
            context = getattr(self.extractor, "context", None)
            if sid == "CLM" and not at and len(self.els) > 1 and self.els[0] == "CLM":
                context = self.els[1] or None
        error = X12ValidationError(
            kind=kind,
            code=code,
            message=message,
            file_id=self.file_id,
            isa13=self.isa13,
            gs06=self.gs06,
            st02=(txn.st02 if txn is not None else None) if st02 is True else st02 or None,
            segment_index=index or None,
            segment_position=position if txn is not None and position else None,
            segment_id=(missing or sid) if (missing or sid or index) else None,
            loop_id=where,
            element_position=element,
            component_position=component_pos,
            bad_value=value,
            segment_error_code=seg_code,
            element_error_code=elem_code,
            transaction_error_code=txn_code,
            group_error_code=group_code,
            interchange_error_code=_TA1_CODES.get(code),
            context=context if isinstance(context, str) else None,
            severity=severity,
        )
        if severity != "error":
            self.result.warnings.append(error)
            return
        dedupe = (error.segment_index, error.element_position)
        if kind is ErrorKind.ELEMENT and dedupe == self.last_element_error:
            return  # one error per element: a value too long is not also "not an amount"
        self.last_element_error = dedupe
        if self.level is ErrorLevel.STRICT:
            raise exception_for(error)
        self.result.errors.append(error)
        if txn is not None and error.st02 == txn.st02:
            txn.error_count += 1

    def _start(self, spec: TransactionSpec | None) -> None:
        raise NotImplementedError

    def _keep(self, sid: str, els: list[str]) -> None:
        raise NotImplementedError

    def _report_garbled(self, index: int, position: int | None = None) -> None:
        raise NotImplementedError

    def _envelope(self, sid: str, els: list[str], text: str) -> None:
        if sid in ENVELOPE_IDS:
            getattr(self, "_on_" + sid.lower())(els)
            return
        if self.txn is not None:  # a set whose guide we do not support
            self.position += 1
            return
        self.report(
            "segment_outside",
            "2",
            f"Segment {sid[:10]} sits outside any transaction set (ST…SE).",
            kind=ErrorKind.STRUCTURE,
            st02=False,
        )

    # ------------------------------------------------------------------ ISA / IEA

    def _on_isa(self, els: list[str]) -> None:
        self._close_interchange()
        self.isa = els
        self.isa13 = els[13].strip() if len(els) > 13 else None
        self.isa_groups = 0
        if len(els) != 17:
            self.report(
                "isa_elements",
                None,
                f"The ISA segment has {len(els) - 1} elements; it must have 16.",
                value=None,
            )
        elif not (self.isa13 or "").isdigit():
            self.report(
                "isa_control",
                None,
                "ISA13, the interchange control number, must be 9 digits.",
                element=13,
                value=self.isa13,
            )

    def _on_iea(self, els: list[str]) -> None:
        self._close_group(eof=False)
        if self.isa is None:
            self.report("iea_unmatched", None, "IEA found without a matching ISA.")
            return
        count = els[1] if len(els) > 1 else ""
        if count != str(self.isa_groups) and count.lstrip("0") != str(self.isa_groups):
            self.report(
                "iea_count",
                None,
                f"IEA01 says {count or 'nothing'} functional groups, but the interchange "
                f"holds {self.isa_groups}.",
                element=1,
                value=count,
            )
        control = els[2].strip() if len(els) > 2 else ""
        if control != self.isa13:
            self.report(
                "iea_control",
                None,
                f"IEA02 ({control}) does not match ISA13 ({self.isa13}).",
                element=2,
                value=control,
            )
        self.isa = None

    def _close_interchange(self) -> None:
        self._close_group(eof=True)
        if self.isa is not None:
            self.report(
                "iea_missing",
                None,
                "The interchange has no IEA trailer: the file may be cut short.",
                at=(self.index, 0, "IEA", ""),
            )
            self.isa = None

    # ------------------------------------------------------------------ GS / GE

    def _on_gs(self, els: list[str]) -> None:
        self._close_group(eof=True)
        if self.isa is None and self.isa13 is not None:
            self.isa13 = None
        self.gs06 = els[6] if len(els) > 6 else None
        self.isa_groups += 1
        isa = self.isa or []

        def at(values: list[str], i: int) -> str:
            return values[i].strip() if len(values) > i else ""

        self.group = GroupInfo(
            self.isa13,
            self.gs06,
            at(els, 1),
            at(els, 2),
            at(els, 3),
            at(els, 8),
            at(isa, 5),
            at(isa, 6),
            at(isa, 7),
            at(isa, 8),
            at(isa, 15),
            first_segment=self.index,
            last_segment=self.index,
        )
        self.result.groups.append(self.group)

    def _on_ge(self, els: list[str]) -> None:
        self._close_transaction(missing_se=True)
        group = self.group
        if group is None:
            self.report("gs_missing", "3", "GE found without a matching GS.", st02=False)
            return
        group.last_segment = self.index
        count = els[1] if len(els) > 1 else ""
        if count.lstrip("0") != str(group.transaction_count).lstrip("0"):
            self.report(
                "ge_count",
                "5",
                f"GE01 says {count or 'nothing'} transaction sets, but the group holds "
                f"{group.transaction_count}.",
                element=1,
                value=count,
                st02=False,
            )
        control = els[2] if len(els) > 2 else ""
        if control != group.gs06:
            self.report(
                "ge_control",
                "4",
                f"GE02 ({control}) does not match GS06 ({group.gs06}).",
                element=2,
                value=control,
                st02=False,
            )
        self.group = None

    def _close_group(self, *, eof: bool) -> None:
        self._close_transaction(missing_se=True)
        if self.group is not None and eof:
            self.group.last_segment = self.index
            self.report(
                "ge_missing",
                "3",
                f"Functional group {self.group.gs06} has no GE trailer.",
                at=(self.index, 0, "GE", ""),
                st02=False,
            )
            self.group = None

    # ------------------------------------------------------------------ ST / SE

    def _on_st(self, els: list[str]) -> None:
        self._close_transaction(missing_se=True)
        st01 = els[1] if len(els) > 1 else ""
        st02 = els[2] if len(els) > 2 else ""
        st03 = els[3].strip() if len(els) > 3 else ""
        group = self.group
        if group is None:
            if self.isa is not None or self.isa13 is not None:
                self.report("gs_missing", "3", "ST found outside a functional group (GS).")
            self.gs06 = None
        else:
            group.transaction_count += 1
        gs08 = group.version if group is not None else ""
        self.position = 1
        self.loop_id = ""
        txn = TransactionInfo(self.isa13, self.gs06, st02, st01, st03 or gs08, "", self.index)
        txn.group = len(self.result.groups) - 1 if group is not None else None
        self.txn = txn
        self.result.transactions.append(txn)
        if not st02:
            self.report("st_control", "7", "ST02, the transaction set control number, is empty.")
        if st03 and gs08 and st03 != gs08:
            self.report(
                "guide_mismatch",
                None,
                f"GS08 ({gs08}) and ST03 ({st03}) name different guides; ST03 is used.",
                kind=ErrorKind.GUIDE,
                severity="warning",
            )
        spec = None
        for guide in (st03, gs08):
            found = spec_for_guide(guide, transaction_set=st01) if guide else None
            if found is not None and found.transaction_set == st01:
                spec = found
                break
        if spec is None:
            guide = st03 or gs08
            dated = guide.startswith("00") and len(guide) >= 6 and not guide.startswith("005010")
            if st01 in _CONTENT_KIND and not dated:
                spec = spec_for_kind(_CONTENT_KIND[st01])
            elif st01 == "837" and not dated:
                self.pending = []
                return
        self._start(spec)

    def _resolve_pending(self) -> None:
        pending = self.pending
        if pending is None:
            return
        self.pending = None
        kind = "837P"
        for _, els, _ in pending:
            if els[0] in _SERVICE_KIND:
                kind = _SERVICE_KIND[els[0]]
                break
        self._start(spec_for_kind(kind))
        builder, extractor = self.builder, self.extractor
        assert builder is not None and extractor is not None
        here, sid = self.index, self.sid
        for text, els, index in pending:
            self.index, self.sid, self.els = index, els[0], els
            self.position += 1
            self.loop_id = builder.feed(els[0], els, self.delims.component)
            handler = extractor.handlers.get(els[0])
            if handler is not None:
                handler(els, self.loop_id, index, text)
            if index in self.garbled:
                self._report_garbled(index)
            if self.keep_segments:
                self._keep(els[0], els)
        self.index, self.sid = here, sid

    def _on_se(self, els: list[str]) -> None:
        txn = self.txn
        if txn is None:
            self.report("st_missing", "2", "SE found without a matching ST.", st02=False)
            return
        self._resolve_pending()
        self.loop_id = ""
        self.position += 1
        count = els[1] if len(els) > 1 else ""
        if count.lstrip("0") != str(self.position):
            self.report(
                "se_count",
                "4",
                f"SE01 says {count or 'nothing'} segments, but the transaction set has "
                f"{self.position} (ST through SE).",
                element=1,
                value=count,
            )
        control = els[2] if len(els) > 2 else ""
        if control != txn.st02:
            self.report(
                "se_control",
                "3",
                f"SE02 ({control}) does not match ST02 ({txn.st02}).",
                element=2,
                value=control,
            )
        self._finish_transaction()

    def _close_transaction(self, *, missing_se: bool) -> None:
        if self.txn is None:
            return
        self._resolve_pending()
        if missing_se:
            self.report(
                "se_missing",
                "2",
                f"Transaction set {self.txn.st02} has no SE trailer.",
                at=(self.index, self.position, "SE", ""),
            )
        self._finish_transaction()

    def _finish_transaction(self) -> None:
        txn = self.txn
        assert txn is not None
        if self.builder is not None:
            self.sid = "SE"
            self.builder.finish()
        if self.extractor is not None:
            self.extractor.finish()
        txn.last_segment = self.index
        self.txn = None
        self.builder = None
        self.extractor = None
        self.handlers = {}
        self.loop_id = ""
