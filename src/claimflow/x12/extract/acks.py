"""999 and 277CA loops to ack_999, ack_999_errors, ack_277ca and ack_277ca_summary rows."""

from __future__ import annotations

from claimflow.x12.extract.base import (
    Extractor,
    RowContext,
    composite,
    date_range,
    element,
    integer,
    money,
    number,
    parse_date,
    part,
    surrogate_key,
)
from claimflow.x12.result import Row


def _codes(els: list[str], first: int, last: int) -> str | None:
    values = [v for v in els[first : last + 1] if v]
    return ",".join(values) if values else None


class Ack999Extractor(Extractor):
    """Builds one ``ack_999`` row per AK2 and one ``ack_999_errors`` row per IK3/IK4."""

    tables = ("ack_999", "ack_999_errors")
    streaming_safe = False

    def __init__(self, ctx: RowContext, out: dict[str, list[Row]]) -> None:
        super().__init__(ctx, out)
        self.group: dict[str, object] = {}
        self.rows: list[Row] = []
        self.ack: Row | None = None
        self.error: Row | None = None
        self.handlers = {
            "AK1": self._ak1,
            "AK2": self._ak2,
            "IK3": self._ik3,
            "CTX": self._ctx,
            "IK4": self._ik4,
            "IK5": self._ik5,
            "AK9": self._ak9,
        }

    def _ak1(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        self.group = {
            "functional_id_code": element(els, 1),
            "ack_group_control_number": element(els, 2),
            "version": element(els, 3),
        }

    def _ak2(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        ack: Row = {
            "ack_id": surrogate_key(self.ctx.file_id, self.ctx.st02, index),
            "functional_id_code": None,
            "ack_group_control_number": None,
            "version": None,
            **self.group,
            "ack_transaction_set_id": element(els, 1),
            "ack_st_control_number": element(els, 2),
            "implementation_ref": element(els, 3),
            "transaction_ack_code": None,
            "transaction_error_codes": None,
            "group_ack_code": None,
            "ts_included": None,
            "ts_received": None,
            "ts_accepted": None,
            "group_error_codes": None,
        }
        ack.update(self.ctx.lineage(index, raw))
        self.ack = ack
        self.error = None
        self.rows.append(ack)
        self.out["ack_999"].append(ack)

    def _ik3(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        ack = self.ack
        if ack is None:
            return
        row: Row = {
            "ack_error_id": surrogate_key(ack["ack_id"], index, 0),
            "ack_id": ack["ack_id"],
            "segment_id": element(els, 1),
            "segment_position": integer(self.ctx, element(els, 2), 2),
            "loop_id": element(els, 3),
            "segment_error_code": element(els, 4),
            "element_position": None,
            "component_position": None,
            "repeat_position": None,
            "element_ref": None,
            "element_error_code": None,
            "bad_value": None,
            "context": None,
        }
        row.update(self.ctx.lineage(index, raw))
        self.error = row
        self.out["ack_999_errors"].append(row)

    def _ik4(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        error = self.error
        if error is None:
            return
        if error["element_error_code"] is not None:
            error = dict(error)
            error["ack_error_id"] = surrogate_key(error["ack_id"], index, 1)
            error.update(self.ctx.lineage(index, raw))
            self.error = error
            self.out["ack_999_errors"].append(error)
        position = composite(els, 1, self.ctx.component)

        def number(i: int) -> int | None:
            return integer(self.ctx, part(position, i), 1)

        error["element_position"] = number(1)
        error["component_position"] = number(2)
        error["repeat_position"] = number(3)
        error["element_ref"] = element(els, 2)
        error["element_error_code"] = element(els, 3)
        error["bad_value"] = element(els, 4)

    def _ctx(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if self.error is not None:
            name = composite(els, 1, self.ctx.component)
            value = ":".join(name) if name else None
            # several CTX may follow one IK3; the business-unit one (CLM01) names the claim
            if self.error["context"] is None or (value or "").startswith("CLM01"):
                self.error["context"] = value

    def _ik5(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if self.ack is not None:
            self.ack["transaction_ack_code"] = element(els, 1)
            self.ack["transaction_error_codes"] = _codes(els, 2, 6)

    def _ak9(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        def count(pos: int) -> int | None:
            return integer(self.ctx, element(els, pos), pos)

        for row in self.rows:
            row["group_ack_code"] = element(els, 1)
            row["ts_included"] = count(2)
            row["ts_received"] = count(3)
            row["ts_accepted"] = count(4)
            row["group_error_codes"] = _codes(els, 5, 9)


_LEVEL = {"2200B": "receiver", "2200C": "provider", "2200D": "claim", "2220D": "line"}


class Ack277CAExtractor(Extractor):
    """Builds one ``ack_277ca`` row per STC at receiver, provider, claim or line level."""

    tables = ("ack_277ca", "ack_277ca_summary")
    streaming_safe = False

    def __init__(self, ctx: RowContext, out: dict[str, list[Row]]) -> None:
        super().__init__(ctx, out)
        self.common: dict[str, object] = {}
        self.status: dict[str, object] = {}
        self.current: list[Row] = []
        self.summary: Row | None = None
        self.context: str | None = None
        self.handlers = {
            "QTY": self._qty,
            "AMT": self._amt,
            "BHT": self._bht,
            "HL": self._hl,
            "NM1": self._nm1,
            "TRN": self._trn,
            "STC": self._stc,
            "REF": self._ref,
            "DTP": self._dtp,
            "SVC": self._svc,
        }

    def _bht(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        self.common["bht_reference"] = element(els, 3)
        self.common["bht_date"] = parse_date(self.ctx, element(els, 4), 4)

    def _hl(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        self.current = []
        self.summary = None
        level = element(els, 3)
        if level in ("20", "21"):
            self.common["billing_npi"] = None
        if level in ("20", "21", "19"):
            self.common["patient_member_id"] = None
        self.status = {}
        self.context = None

    def _nm1(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        column = {"2100A": "payer_id", "2100C": "billing_npi", "2100D": "patient_member_id"}
        if loop_id in column:
            self.common[column[loop_id]] = element(els, 9)

    def _trn(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        self.current = []
        self.summary = None
        if loop_id in ("2200B", "2200C"):
            summary: Row = {
                "summary_id": surrogate_key(self.ctx.file_id, self.ctx.st02, index),
                "bht_reference": self.common.get("bht_reference"),
                "level": _LEVEL[loop_id],
                "payer_id": self.common.get("payer_id"),
                "billing_npi": self.common.get("billing_npi") if loop_id == "2200C" else None,
                "trace_number": element(els, 2),
                "accepted_quantity": None,
                "rejected_quantity": None,
                "accepted_amount": None,
                "rejected_amount": None,
            }
            summary.update(self.ctx.lineage(index, raw))
            self.summary = summary
            self.out["ack_277ca_summary"].append(summary)
        self.status = {"patient_control_number": element(els, 2) if loop_id == "2200D" else None}
        if loop_id == "2200D":
            self.context = element(els, 2)

    def _svc(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        self.current = []
        proc = composite(els, 1, self.ctx.component)
        self.status = dict(self.status)
        self.status["procedure_code"] = part(proc, 2)
        self.status["line_charge"] = money(self.ctx, els, 2)

    def _qty(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        column = {"90": "accepted_quantity", "AA": "rejected_quantity"}.get(element(els, 1) or "")
        if self.summary is not None and column:
            self.summary[column] = number(self.ctx, els, 2)

    def _amt(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        column = {"YU": "accepted_amount", "YY": "rejected_amount"}.get(element(els, 1) or "")
        if self.summary is not None and column:
            self.summary[column] = money(self.ctx, els, 2)

    def _stc(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if loop_id not in _LEVEL:
            return
        comp = self.ctx.component
        status = composite(els, 1, comp)
        row: Row = {
            "ack_id": surrogate_key(self.ctx.file_id, self.ctx.st02, index),
            "bht_reference": None,
            "bht_date": None,
            "level": _LEVEL[loop_id],
            "payer_id": None,
            "billing_npi": None,
            "patient_member_id": None,
            "patient_control_number": None,
            "payer_claim_control_number": None,
            "clearinghouse_trace": None,
            "bill_type": None,
            "procedure_code": None,
            "line_charge": None,
            "line_item_control_number": None,
            "service_from": None,
            "service_to": None,
            **self.common,
            **self.status,
            "status_category_code": part(status, 1),
            "status_code": part(status, 2),
            "entity_code": part(status, 3),
            "status_date": parse_date(self.ctx, element(els, 2), 2),
            "action_code": element(els, 3),
            "total_charge": money(self.ctx, els, 4),
            "extra_status_1": element(els, 10),
            "extra_status_2": element(els, 11),
            "message": element(els, 12),
        }
        row.update(self.ctx.lineage(index, raw))
        self.current.append(row)
        self.out["ack_277ca"].append(row)

    def _ref(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        column = {"1K": "payer_claim_control_number", "D9": "clearinghouse_trace"}
        column |= {"BLT": "bill_type", "FJ": "line_item_control_number"}
        name = column.get(element(els, 1) or "")
        if name:
            self.status[name] = element(els, 2)
            for row in self.current:
                row[name] = element(els, 2)

    def _dtp(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if element(els, 1) == "472":
            first, last = date_range(self.ctx, element(els, 2), element(els, 3), 3)
            self.status["service_from"], self.status["service_to"] = first, last
            for row in self.current:
                row["service_from"], row["service_to"] = first, last
