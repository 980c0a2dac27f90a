"""835 loops to payments, adjudication, adjudication_line, adjustments, remarks and PLB rows."""

from __future__ import annotations

from decimal import Decimal

from claimflow.x12.errors import ErrorKind
from claimflow.x12.extract.base import (
    Extractor,
    RowContext,
    adjustment_rows,
    composite,
    element,
    money,
    number,
    parse_date,
    part,
    surrogate_key,
)
from claimflow.x12.result import Row

_ZERO = Decimal(0)
_CLAIM_NM1 = {
    "QC": "patient_member_id",
    "IL": "insured_member_id",
    "74": "corrected_member_id",
    "82": "rendering_npi",
}
_CLAIM_DTM = {"232": "statement_from", "233": "statement_to", "050": "payer_received_date"}
_CLAIM_AMT = {"AU": "coverage_amount", "I": "interest_amount", "D8": "discount_amount"}
_CLAIM_REF = {"F8": "original_reference_number", "1L": "group_number", "EA": "mrn"}
_CLAIM_COLUMNS = (
    *_CLAIM_NM1.values(),
    "crossover_payer_name",
    *_CLAIM_DTM.values(),
    *_CLAIM_AMT.values(),
    *_CLAIM_REF.values(),
    "claim_id",
    "match_method",
    "match_score",
)
_LINE_COLUMNS = ("service_from", "service_to", "line_item_control_number", "allowed_amount")


def _last4(value: str | None) -> str | None:
    return value[-4:] if value else None


class RemittanceExtractor(Extractor):
    """Builds the remittance tables from one 835 transaction set."""

    tables = (
        "payments",
        "adjudication",
        "adjudication_line",
        "adjustments",
        "remarks",
        "provider_adjustments",
    )

    def __init__(self, ctx: RowContext, out: dict[str, list[Row]]) -> None:
        super().__init__(ctx, out)
        self.payment: Row | None = None
        self.payment_at: tuple[int, int, str, str] = (0, 0, "", "")
        self.payment_id = surrogate_key(ctx.file_id, ctx.isa13, ctx.gs06, ctx.st02)
        self.claim: Row | None = None
        self.claim_at: tuple[int, int, str, str] = (0, 0, "", "")
        self.claim_cas = _ZERO
        self.line: Row | None = None
        self.line_at: tuple[int, int, str, str] = (0, 0, "", "")
        self.line_cas = _ZERO
        self.paid_total = _ZERO
        self.plb_total = _ZERO
        self.context: str | None = None
        self.handlers = {
            "BPR": self._bpr,
            "TRN": self._trn,
            "DTM": self._dtm,
            "N1": self._n1,
            "REF": self._ref,
            "CLP": self._clp,
            "CAS": self._cas,
            "NM1": self._nm1,
            "MIA": self._mia,
            "MOA": self._moa,
            "AMT": self._amt,
            "SVC": self._svc,
            "LQ": self._lq,
            "PLB": self._plb,
        }

    def _where(self, sid: str, loop_id: str, index: int) -> tuple[int, int, str, str]:
        return self.ctx.at(index, sid, loop_id)

    # -------------------------------------------------------------- payment header

    def _bpr(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        ctx = self.ctx
        payment: Row = {
            "payment_id": self.payment_id,
            "transaction_handling_code": element(els, 1),
            "total_payment_amount": money(ctx, els, 2),
            "credit_debit_flag": element(els, 3),
            "payment_method_code": element(els, 4),
            "payment_format_code": element(els, 5),
            "sender_dfi_id": element(els, 7),
            "sender_account_last4": _last4(element(els, 9)),
            "payer_company_id": element(els, 10),
            "receiver_dfi_id": element(els, 13),
            "receiver_account_last4": _last4(element(els, 15)),
            "payment_date": parse_date(ctx, element(els, 16), 16),
            "trace_type_code": None,
            "trace_number": None,
            "trace_originator_id": None,
            "trace_originator_supplemental": None,
            "production_date": None,
            "payer_name": None,
            "payer_id": None,
            "payee_name": None,
            "payee_id_qualifier": None,
            "payee_id": None,
            "payee_tin": None,
        }
        payment.update(ctx.lineage(index, raw))
        self.payment = payment
        self.payment_at = self._where("BPR", loop_id, index)

    def _trn(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if self.payment is not None and loop_id == "":
            self.payment["trace_type_code"] = element(els, 1)
            self.payment["trace_number"] = element(els, 2)
            self.payment["trace_originator_id"] = element(els, 3)
            self.payment["trace_originator_supplemental"] = element(els, 4)

    def _dtm(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        qualifier = element(els, 1)
        day = parse_date(self.ctx, element(els, 2), 2)
        if loop_id == "2110" and self.line is not None:
            if qualifier == "472":
                self.line["service_from"] = self.line["service_to"] = day
            elif qualifier == "150":
                self.line["service_from"] = day
            elif qualifier == "151":
                self.line["service_to"] = day
        elif loop_id == "2100" and self.claim is not None:
            column = _CLAIM_DTM.get(qualifier or "")
            if column:
                self.claim[column] = day
        elif loop_id == "" and self.payment is not None and qualifier == "405":
            self.payment["production_date"] = day

    def _n1(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        payment = self.payment
        if payment is None:
            return
        if loop_id == "1000A":
            payment["payer_name"] = element(els, 2)
            if payment["payer_id"] is None:
                payment["payer_id"] = element(els, 4)
        elif loop_id == "1000B":
            payment["payee_name"] = element(els, 2)
            payment["payee_id_qualifier"] = element(els, 3)
            payment["payee_id"] = element(els, 4)

    def _ref(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        qualifier, value = element(els, 1), element(els, 2)
        if loop_id == "2110" and self.line is not None and qualifier == "6R":
            self.line["line_item_control_number"] = value
        elif loop_id == "2100" and self.claim is not None:
            column = _CLAIM_REF.get(qualifier or "")
            if column:
                self.claim[column] = value
        elif self.payment is not None:
            if loop_id == "1000A" and qualifier == "2U":
                self.payment["payer_id"] = value
            elif loop_id == "1000B" and qualifier == "TJ":
                self.payment["payee_tin"] = value

    # -------------------------------------------------------------- claims

    def _clp(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        self._close_claim()
        ctx = self.ctx
        status = element(els, 2)
        frequency = element(els, 9)
        claim: Row = {
            "adjudication_id": surrogate_key(self.payment_id, index),
            "payment_id": self.payment_id,
            "patient_control_number": element(els, 1),
            "claim_status_code": status,
            "total_charge": money(ctx, els, 3),
            "paid_amount": money(ctx, els, 4),
            "patient_responsibility": money(ctx, els, 5),
            "claim_filing_indicator": element(els, 6),
            "payer_claim_control_number": element(els, 7),
            "facility_type_code": element(els, 8),
            "claim_frequency_code": frequency,
            "drg_code": element(els, 11),
            "drg_weight": number(ctx, els, 12),
            "discharge_fraction": number(ctx, els, 13),
            "record_type": "reversal"
            if status == "22"
            else ("correction" if frequency == "7" else "original"),
            "is_denied": status == "4",
        }
        for column in _CLAIM_COLUMNS:
            claim[column] = None
        claim.update(ctx.lineage(index, raw))
        self.claim = claim
        self.claim_at = self._where("CLP", loop_id, index)
        self.claim_cas = _ZERO
        self.context = claim["patient_control_number"]  # type: ignore[assignment]
        paid = claim["paid_amount"]
        if isinstance(paid, Decimal):
            self.paid_total += paid

    def _nm1(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if self.claim is None or loop_id != "2100":
            return
        entity = element(els, 1)
        if entity == "TT":
            self.claim["crossover_payer_name"] = element(els, 3)
        elif entity in _CLAIM_NM1:
            self.claim[_CLAIM_NM1[entity]] = element(els, 9)

    def _amt(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        qualifier = element(els, 1)
        if loop_id == "2110" and self.line is not None and qualifier == "B6":
            self.line["allowed_amount"] = money(self.ctx, els, 2)
        elif loop_id == "2100" and self.claim is not None and qualifier in _CLAIM_AMT:
            self.claim[_CLAIM_AMT[qualifier]] = money(self.ctx, els, 2)

    def _cas(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        claim = self.claim
        if claim is None:
            return
        line = self.line if loop_id == "2110" else None
        links: Row = {
            "adjudication_id": claim["adjudication_id"],
            "adjudication_line_id": line["adjudication_line_id"] if line else None,
            "claim_id": None,
            "claim_line_id": None,
        }
        parent = line["adjudication_line_id"] if line is not None else claim["adjudication_id"]
        level = "line" if line is not None else "claim"
        rows, total = adjustment_rows(self.ctx, els, index, raw, parent, links, level, "835")
        self.out["adjustments"].extend(rows)
        self.claim_cas += total
        if line is not None:
            self.line_cas += total

    def _remark(self, index: int, raw: str, source: str, code: str | None, seq: int) -> None:
        claim = self.claim
        if claim is None or not code:
            return
        level = "line" if source == "LQ" else "claim"
        line = self.line if level == "line" else None
        row: Row = {
            "remark_id": surrogate_key(claim["adjudication_id"], index, seq),
            "adjudication_id": claim["adjudication_id"],
            "adjudication_line_id": line["adjudication_line_id"] if line else None,
            "level": level,
            "remark_code": code,
            "source_segment": source,
        }
        row.update(self.ctx.lineage(index, raw, seq))
        self.out["remarks"].append(row)

    def _mia(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        for pos in (5, 20, 21, 22, 23):
            self._remark(index, raw, "MIA", element(els, pos), pos)

    def _moa(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        for pos in (3, 4, 5, 6, 7):
            self._remark(index, raw, "MOA", element(els, pos), pos)

    def _lq(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if loop_id == "2110" and element(els, 1) == "HE":
            self._remark(index, raw, "LQ", element(els, 2), 2)

    # -------------------------------------------------------------- service lines

    def _svc(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        self._close_line()
        claim = self.claim
        if claim is None:
            return
        ctx = self.ctx
        proc = composite(els, 1, ctx.component)
        original = composite(els, 6, ctx.component)
        line: Row = {
            "adjudication_line_id": surrogate_key(claim["adjudication_id"], index),
            "adjudication_id": claim["adjudication_id"],
            "procedure_qualifier": part(proc, 1),
            "procedure_code": part(proc, 2),
            "modifier_1": part(proc, 3),
            "modifier_2": part(proc, 4),
            "modifier_3": part(proc, 5),
            "modifier_4": part(proc, 6),
            "line_charge": money(ctx, els, 2),
            "line_paid": money(ctx, els, 3),
            "revenue_code": element(els, 4),
            "units_paid": number(ctx, els, 5),
            "original_procedure_qualifier": part(original, 1),
            "original_procedure_code": part(original, 2),
            "original_modifier_1": part(original, 3),
            "original_units": number(ctx, els, 7),
            "claim_line_id": None,
            "match_method": None,
        }
        for column in _LINE_COLUMNS:
            line[column] = None
        line.update(ctx.lineage(index, raw))
        self.line = line
        self.line_at = self._where("SVC", loop_id, index)
        self.line_cas = _ZERO

    def _close_line(self) -> None:
        line = self.line
        if line is None:
            return
        self.line = None
        self.out["adjudication_line"].append(line)
        charge, paid = line["line_charge"], line["line_paid"]
        if (
            isinstance(charge, Decimal)
            and isinstance(paid, Decimal)
            and charge - paid != self.line_cas
        ):
            self.ctx.report(
                "line_balance",
                "I12",
                f"Service line {line['procedure_code']}: charge {charge} minus paid {paid} "
                f"is {charge - paid}, but its adjustments add up to {self.line_cas}.",
                kind=ErrorKind.BALANCING,
                element=3,
                value=str(paid),
                at=self.line_at,
            )

    def _close_claim(self) -> None:
        self._close_line()
        claim = self.claim
        if claim is None:
            return
        self.claim = None
        self.out["adjudication"].append(claim)
        charge, paid = claim["total_charge"], claim["paid_amount"]
        if (
            isinstance(charge, Decimal)
            and isinstance(paid, Decimal)
            and charge - paid != self.claim_cas
        ):
            self.ctx.report(
                "claim_balance",
                "I12",
                f"Claim {claim['patient_control_number']}: charge {charge} minus paid "
                f"{paid} is {charge - paid}, but claim and line adjustments add up to "
                f"{self.claim_cas}.",
                kind=ErrorKind.BALANCING,
                element=4,
                value=str(paid),
                at=self.claim_at,
            )

    # -------------------------------------------------------------- provider adjustments

    def _plb(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        self._close_claim()
        self.context = None
        ctx = self.ctx
        provider = element(els, 1)
        period = parse_date(ctx, element(els, 2), 2)
        for pair in range(1, 7):
            pos = 3 + (pair - 1) * 2
            ident = composite(els, pos, ctx.component)
            amount = money(ctx, els, pos + 1)
            if not ident and amount is None:
                continue
            row: Row = {
                "provider_adjustment_id": surrogate_key(self.payment_id, index, pair),
                "payment_id": self.payment_id,
                "provider_identifier": provider,
                "fiscal_period_date": period,
                "pair_index": pair,
                "reason_code": part(ident, 1),
                "reference_id": part(ident, 2),
                "amount": amount,
            }
            row.update(ctx.lineage(index, raw, pair))
            self.out["provider_adjustments"].append(row)
            if amount is not None:
                self.plb_total += amount

    def finish(self) -> None:
        self._close_claim()
        self.context = None
        payment = self.payment
        if payment is None:
            return
        self.out["payments"].append(payment)
        total = payment["total_payment_amount"]
        expected = self.paid_total - self.plb_total
        if isinstance(total, Decimal) and total != expected:
            self.ctx.report(
                "payment_balance",
                "I12",
                f"Total payment BPR02 {total} is not the claim payments ({self.paid_total}) "
                f"minus provider adjustments ({self.plb_total}) = {expected}.",
                kind=ErrorKind.BALANCING,
                element=2,
                value=str(total),
                at=self.payment_at,
            )
