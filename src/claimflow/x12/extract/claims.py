"""837 (P/I/D) loops to claims_header, claims_line, diagnoses, procedures_icd and COB rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

from claimflow.x12.errors import ErrorKind
from claimflow.x12.extract.base import (
    Extractor,
    RowContext,
    adjustment_rows,
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
from claimflow.x12.rules import npi_is_valid, npi_problem

CLAIM_TYPE = {"837P": "professional", "837I": "institutional", "837D": "dental"}
DX_QUALIFIERS = frozenset(("ABK", "ABF", "ABJ", "APR", "ABN", "BK", "BF", "BJ", "PR", "BN"))
PRINCIPAL = frozenset(("ABK", "BK"))
PROCEDURE_QUALIFIERS = frozenset(("BBR", "BBQ", "BR", "BQ"))
_NPI_BY_ENTITY = {
    "82": "rendering_npi",
    "71": "attending_npi",
    "72": "operating_npi",
    "DN": "referring_npi",
    "77": "facility_npi",
}


def _pointers(ctx: RowContext, line: Row, pointers: list[str], pos: int) -> None:
    """Diagnosis pointers (SV107 / SV311): positions in the claim's HI codes, 1-based."""
    for i in range(1, 5):
        line[f"dx_pointer_{i}"] = integer(ctx, part(pointers, i), pos)


class ClaimExtractor(Extractor):
    """Builds claim, line and diagnosis rows from one 837 transaction set."""

    tables = ("claims_header", "claims_line", "diagnoses", "procedures_icd", "claim_line_teeth")

    def __init__(self, ctx: RowContext, out: dict[str, list[Row]], kind: str) -> None:
        super().__init__(ctx, out)
        self.kind = kind
        self.claim_type = CLAIM_TYPE[kind]
        self.bht: dict[str, object] = {}
        self.billing: dict[str, object] = {}
        self.subscriber: dict[str, object] = {}
        self.patient: dict[str, object] = {}
        self.claim: Row | None = None
        self.claim_at: tuple[int, int, str, str] = (0, 0, "", "")
        self.lines: list[Row] = []
        self.dx: list[Row] = []
        self.procedures: list[Row] = []
        self.teeth: list[Row] = []
        self.line: Row | None = None
        self.context: str | None = None
        self.handlers = {
            "BHT": self._bht,
            "HL": self._hl,
            "PRV": self._prv,
            "NM1": self._nm1,
            "REF": self._ref,
            "SBR": self._sbr,
            "DMG": self._dmg,
            "CLM": self._clm,
            "DTP": self._dtp,
            "CL1": self._cl1,
            "HI": self._hi,
            "AMT": self._amt,
            "LX": self._lx,
            "SV1": self._sv1,
            "SV2": self._sv2,
            "SV3": self._sv3,
            "TOO": self._too,
            "LIN": self._lin,
            "CTP": self._ctp,
            "CAS": self._cas,
        }

    # -------------------------------------------------------------- header, hierarchy

    def _bht(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        self.bht = {
            "batch_id": element(els, 3),
            "submission_date": parse_date(self.ctx, element(els, 4), 4),
        }

    def _hl(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        self._close_claim()
        self.context = None
        level = element(els, 3)
        if level == "20":
            self.billing = {}
            self.subscriber = {}
            self.patient = {}
        elif level == "22":
            self.subscriber = {}
            self.patient = {}
        elif level == "23":
            self.patient = {}

    def _prv(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if loop_id == "2000A":
            self.billing["billing_taxonomy"] = element(els, 3)

    def _nm1(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        entity = element(els, 1)
        ident = element(els, 9)
        if ident is not None and element(els, 8) == "XX" and not npi_is_valid(ident):
            # a warning, not an error: the set still loads, and the resubmission fix names it
            self.ctx.report(
                "npi_check_digit",
                None,
                npi_problem(ident) or "",
                kind=ErrorKind.ELEMENT,
                element=9,
                value=ident,
                severity="warning",
            )
        if loop_id == "2010AA":
            self.billing["billing_npi"] = ident
        elif loop_id == "2010BA":
            self.subscriber["member_id"] = ident
        elif loop_id == "2010BB":
            self.subscriber["payer_id"] = ident
            self.subscriber["payer_name"] = element(els, 3)
        elif loop_id.startswith("2310") and self.claim is not None and entity in _NPI_BY_ENTITY:
            self.claim[_NPI_BY_ENTITY[entity]] = ident
        elif loop_id.startswith("2420") and self.line is not None and entity == "82":
            self.line["rendering_npi"] = ident

    def _ref(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        qualifier, value = element(els, 1), element(els, 2)
        if loop_id == "2010AA" and qualifier == "EI":
            self.billing["billing_tin"] = value
        elif loop_id == "2300" and self.claim is not None:
            column = _CLAIM_REF.get(qualifier or "")
            if column:
                self.claim[column] = value
        elif loop_id == "2400" and self.line is not None and qualifier == "6R":
            self.line["line_item_control_number"] = value

    def _sbr(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if loop_id == "2000B":
            self.subscriber.update(
                payer_responsibility_seq=element(els, 1),
                subscriber_relationship_code=element(els, 2),
                group_number=element(els, 3),
                claim_filing_indicator=element(els, 9),
            )

    def _dmg(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        target = self.subscriber if loop_id == "2010BA" else self.patient
        if loop_id in ("2010BA", "2010CA"):
            target["patient_dob"] = parse_date(self.ctx, element(els, 2), 2)
            target["patient_gender"] = element(els, 3)

    # -------------------------------------------------------------- claim

    def _clm(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        self._close_claim()
        ctx = self.ctx
        facility = composite(els, 5, ctx.component)
        code, qualifier, frequency = part(facility, 1), part(facility, 2), part(facility, 3)
        pcn = element(els, 1)
        billing_npi = self.billing.get("billing_npi")
        # the file id keeps two submissions of the same claim (a re-sent batch) apart
        claim_id = surrogate_key(
            ctx.data_source, ctx.file_id, billing_npi, pcn, frequency, ctx.st02, index
        )
        related = composite(els, 11, ctx.component)
        claim: Row = {
            **_HEADER_DEFAULTS,
            "claim_id": claim_id,
            "patient_control_number": pcn,
            "claim_type": self.claim_type,
            "total_charge": money(ctx, els, 2),
            "place_of_service_code": code if qualifier == "B" else None,
            "bill_type_code": ((code or "") + (frequency or "")) or None
            if qualifier == "A"
            else None,
            "claim_frequency_code": frequency,
            "assignment_code": element(els, 7),
            "benefits_assignment": element(els, 8),
            "release_of_info": element(els, 9),
            "related_causes": ":".join(related) if related else None,
            "delay_reason_code": element(els, 20),
            "billing_npi": billing_npi,
            "billing_tin": self.billing.get("billing_tin"),
            "billing_taxonomy": self.billing.get("billing_taxonomy"),
        }
        for source in (self.subscriber, self.patient):
            for key in _PARTY_COLUMNS:
                if source.get(key) is not None:
                    claim[key] = source[key]
        claim["submission_date"] = self.bht.get("submission_date")
        claim["batch_id"] = self.bht.get("batch_id")
        claim.update(ctx.lineage(index, raw))
        self.claim = claim
        self.claim_at = ctx.at(index, "CLM", loop_id)
        self.context = pcn
        self.lines = []
        self.dx = []
        self.procedures = []
        self.teeth = []
        self.line = None

    def _dtp(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        qualifier, fmt, value = element(els, 1), element(els, 2), element(els, 3)
        if loop_id == "2400" and self.line is not None and qualifier == "472":
            self.line["service_from"], self.line["service_to"] = date_range(self.ctx, fmt, value, 3)
        elif loop_id == "2300" and self.claim is not None:
            if qualifier == "434" or (qualifier == "472" and self.kind != "837I"):
                first, last = date_range(self.ctx, fmt, value, 3)
                self.claim["statement_from"], self.claim["statement_to"] = first, last
            elif qualifier == "435":
                self.claim["admission_date"] = date_range(self.ctx, fmt, (value or "")[:8], 3)[0]
            elif qualifier == "096":
                self.claim["discharge_hour"] = value

    def _cl1(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if self.claim is not None:
            self.claim["admission_type_code"] = element(els, 1)
            self.claim["admission_source_code"] = element(els, 2)
            self.claim["discharge_status_code"] = element(els, 3)

    def _hi(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        claim = self.claim
        if claim is None or loop_id != "2300":
            return
        comp = self.ctx.component
        for pos in range(1, len(els)):
            parts = composite(els, pos, comp)
            qualifier, code = part(parts, 1), part(parts, 2)
            if qualifier == "DR":
                claim["drg_code"] = code
            elif qualifier in DX_QUALIFIERS and code:
                sequence = len(self.dx) + 1
                row: Row = {
                    "diagnosis_id": surrogate_key(claim["claim_id"], sequence),
                    "claim_id": claim["claim_id"],
                    "sequence": sequence,
                    "qualifier": qualifier,
                    "code": code.replace(".", ""),
                    "poa_indicator": part(parts, 9),
                    "is_principal": qualifier in PRINCIPAL,
                }
                row.update(self.ctx.lineage(index, raw, pos))
                self.dx.append(row)
            elif qualifier in PROCEDURE_QUALIFIERS and code:
                sequence = len(self.procedures) + 1
                when = part(parts, 4) if part(parts, 3) == "D8" else None
                row = {
                    "procedure_id": surrogate_key(claim["claim_id"], "px", sequence),
                    "claim_id": claim["claim_id"],
                    "sequence": sequence,
                    "qualifier": qualifier,
                    "code": code.replace(".", ""),
                    "procedure_date": parse_date(self.ctx, when, pos),
                    "is_principal": qualifier in ("BBR", "BR"),
                }
                row.update(self.ctx.lineage(index, raw, pos))
                self.procedures.append(row)

    def _amt(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if loop_id == "2300" and self.claim is not None and element(els, 1) == "F5":
            self.claim["patient_paid_amount"] = money(self.ctx, els, 2)

    # -------------------------------------------------------------- lines

    def _lx(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        claim = self.claim
        if claim is None:
            return
        number = element(els, 1)
        line: Row = {
            "claim_line_id": surrogate_key(claim["claim_id"], number),
            "claim_id": claim["claim_id"],
            "line_number": integer(self.ctx, number, 1),
            **_LINE_DEFAULTS,
        }
        line.update(self.ctx.lineage(index, raw))
        self.line = line
        self.lines.append(line)

    def _procedure(self, line: Row, parts: list[str]) -> None:
        line["procedure_qualifier"] = part(parts, 1)
        line["procedure_code"] = part(parts, 2)
        for i in range(1, 5):
            line[f"modifier_{i}"] = part(parts, i + 2)

    def _sv1(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        line = self.line
        if line is None:
            return
        comp = self.ctx.component
        self._procedure(line, composite(els, 1, comp))
        line["line_charge"] = money(self.ctx, els, 2)
        line["unit_basis"] = element(els, 3)
        line["units"] = number(self.ctx, els, 4)
        line["place_of_service_code"] = element(els, 5)
        _pointers(self.ctx, line, composite(els, 7, comp), 7)
        line["emergency_indicator"] = element(els, 9)

    def _sv2(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        line = self.line
        if line is None:
            return
        line["revenue_code"] = element(els, 1)
        self._procedure(line, composite(els, 2, self.ctx.component))
        line["line_charge"] = money(self.ctx, els, 3)
        line["unit_basis"] = element(els, 4)
        line["units"] = number(self.ctx, els, 5)
        line["non_covered_charge"] = money(self.ctx, els, 7)

    def _sv3(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        line = self.line
        if line is None:
            return
        self._procedure(line, composite(els, 1, self.ctx.component))
        line["line_charge"] = money(self.ctx, els, 2)
        line["place_of_service_code"] = element(els, 3)
        line["units"] = number(self.ctx, els, 6)
        _pointers(self.ctx, line, composite(els, 11, self.ctx.component), 11)

    def _too(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        line = self.line
        if line is None or loop_id != "2400":
            return
        sequence = 1 + sum(1 for t in self.teeth if t["claim_line_id"] == line["claim_line_id"])
        tooth: Row = {
            "tooth_id": surrogate_key(line["claim_line_id"], sequence),
            "claim_id": line["claim_id"],
            "claim_line_id": line["claim_line_id"],
            "sequence": sequence,
            "code_qualifier": element(els, 1),
            "tooth_code": element(els, 2),
            "surfaces": "".join(composite(els, 3, self.ctx.component)) or None,
        }
        tooth.update(self.ctx.lineage(index, raw))
        self.teeth.append(tooth)

    def _lin(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if self.line is not None and element(els, 2) == "N4":
            self.line["ndc_code"] = element(els, 3)

    def _ctp(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        if self.line is not None and loop_id == "2410":
            self.line["drug_qty"] = number(self.ctx, els, 4)
            self.line["drug_unit"] = part(composite(els, 5, self.ctx.component), 1)

    def _cas(self, els: list[str], loop_id: str, index: int, raw: str) -> None:
        """COB adjustments from prior payers: 2320 (claim) and 2430 (line) CAS."""
        claim = self.claim
        if claim is None or loop_id not in ("2320", "2430"):
            return
        line = self.line if loop_id == "2430" else None
        links: Row = {
            "adjudication_id": None,
            "adjudication_line_id": None,
            "claim_id": claim["claim_id"],
            "claim_line_id": line["claim_line_id"] if line is not None else None,
        }
        parent = links["claim_line_id"] or claim["claim_id"]
        level = "line" if line is not None else "claim"
        rows, _ = adjustment_rows(self.ctx, els, index, raw, parent, links, level, "837_cob")
        self.out["adjustments"].extend(rows)

    # -------------------------------------------------------------- closing

    def _close_claim(self) -> None:
        claim = self.claim
        if claim is None:
            return
        self.claim = None
        self.line = None
        lines = self.lines
        for line in lines:
            if line["place_of_service_code"] is None and self.kind == "837P":
                line["place_of_service_code"] = claim["place_of_service_code"]
            if line["rendering_npi"] is None:
                line["rendering_npi"] = claim["rendering_npi"]
        if self.kind != "837I" and claim["statement_from"] is None:
            froms = [
                x["service_from"] for x in lines if isinstance(x["service_from"], datetime.date)
            ]
            tos = [x["service_to"] for x in lines if isinstance(x["service_to"], datetime.date)]
            claim["statement_from"] = min(froms) if froms else None
            claim["statement_to"] = max(tos) if tos else None
        total = claim["total_charge"]
        charges = [x["line_charge"] for x in lines]
        if isinstance(total, Decimal) and all(isinstance(c, Decimal) for c in charges):
            line_sum = sum((c for c in charges if isinstance(c, Decimal)), Decimal(0))
            if line_sum != total:
                self.ctx.report(
                    "claim_charge_balance",
                    "I12",
                    f"Claim {claim['patient_control_number']}: total charge CLM02 {total} is "
                    f"not the sum of its line charges ({line_sum}).",
                    kind=ErrorKind.BALANCING,
                    element=2,
                    value=str(total),
                    at=self.claim_at,
                )
        self.out["claims_header"].append(claim)
        self.out["claims_line"].extend(lines)
        self.out["diagnoses"].extend(self.dx)
        self.out["procedures_icd"].extend(self.procedures)
        self.out["claim_line_teeth"].extend(self.teeth)

    def finish(self) -> None:
        self._close_claim()


_CLAIM_REF = {
    "G1": "prior_auth_number",
    "9F": "referral_number",
    "F8": "original_payer_claim_control_number",
    "D9": "clearinghouse_trace_number",
    "EA": "medical_record_number",
}
_PARTY_COLUMNS = (
    "payer_responsibility_seq",
    "subscriber_relationship_code",
    "group_number",
    "claim_filing_indicator",
    "member_id",
    "patient_dob",
    "patient_gender",
    "payer_id",
    "payer_name",
)
HEADER_COLUMNS: tuple[str, ...] = (
    "claim_id",
    "patient_control_number",
    "claim_type",
    "total_charge",
    "place_of_service_code",
    "bill_type_code",
    "claim_frequency_code",
    "assignment_code",
    "benefits_assignment",
    "release_of_info",
    "related_causes",
    "delay_reason_code",
    *_PARTY_COLUMNS,
    "person_id",
    "billing_npi",
    "billing_tin",
    "billing_taxonomy",
    *_NPI_BY_ENTITY.values(),
    "statement_from",
    "statement_to",
    "admission_date",
    "discharge_hour",
    "admission_type_code",
    "admission_source_code",
    "discharge_status_code",
    "drg_code",
    *_CLAIM_REF.values(),
    "patient_paid_amount",
    "submission_date",
    "batch_id",
)
_HEADER_DEFAULTS: dict[str, object] = {
    c: None for c in HEADER_COLUMNS if c not in ("claim_id", "patient_control_number")
}
LINE_COLUMNS: tuple[str, ...] = (
    "claim_line_id",
    "claim_id",
    "line_number",
    "line_item_control_number",
    "revenue_code",
    "procedure_qualifier",
    "procedure_code",
    "modifier_1",
    "modifier_2",
    "modifier_3",
    "modifier_4",
    "line_charge",
    "unit_basis",
    "units",
    "place_of_service_code",
    "dx_pointer_1",
    "dx_pointer_2",
    "dx_pointer_3",
    "dx_pointer_4",
    "non_covered_charge",
    "emergency_indicator",
    "service_from",
    "service_to",
    "ndc_code",
    "drug_qty",
    "drug_unit",
    "rendering_npi",
)
_LINE_DEFAULTS: dict[str, object] = {c: None for c in LINE_COLUMNS[3:]}
