"""The 837 writer: canonical claims_header / claims_line / diagnoses rows to an 837P, 837I or 837D."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from claimflow.x12.errors import X12WriteError
from claimflow.x12.result import Row
from claimflow.x12.tokens import Delimiters
from claimflow.x12.writer import SegmentWriter, write_isa

_CLAIMS_PER_SUBSCRIBER = 100  # the guides allow 100 claims (2300) under one 2000B
_GUIDE = {
    "professional": "005010X222A1",
    "institutional": "005010X223A2",
    "dental": "005010X224A2",
}
_DENTAL_DIAGNOSES = 4  # the 837D carries at most four diagnosis codes (HI01-HI04)


def _key(row: Row, columns: Iterable[str]) -> tuple[object, ...]:
    return tuple(row.get(c) for c in columns)


_BILLING = ("billing_npi", "billing_tin", "billing_taxonomy")
_SUBSCRIBER = (
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
_CLAIM_REF = (
    ("G1", "prior_auth_number"),
    ("9F", "referral_number"),
    ("F8", "original_payer_claim_control_number"),
    ("D9", "clearinghouse_trace_number"),
    ("EA", "medical_record_number"),
)
_PROVIDERS = {
    "professional": (("DN", "referring_npi"), ("82", "rendering_npi"), ("77", "facility_npi")),
    "institutional": (
        ("71", "attending_npi"),
        ("72", "operating_npi"),
        ("82", "rendering_npi"),
        ("77", "facility_npi"),
        ("DN", "referring_npi"),
    ),
    # 837D: 2310A referring, 2310B rendering, 2310C service facility
    "dental": (("DN", "referring_npi"), ("82", "rendering_npi"), ("77", "facility_npi")),
}


def write_837(
    header_rows: Sequence[Row],
    line_rows: Sequence[Row],
    diagnosis_rows: Sequence[Row],
    *,
    claim_type: str = "professional",
    sender_id: str = "CLAIMFLOW",
    receiver_id: str = "RECEIVER",
    submitter_phone: str = "0000000000",
    control_number: int = 1,
    when: datetime.datetime | None = None,
    delimiters: Delimiters | None = None,
    procedure_rows: Sequence[Row] = (),
    tooth_rows: Sequence[Row] = (),
) -> bytes:
    """Write an 837P, 837I or 837D from canonical claim, line and diagnosis rows.

    Reading the output back gives the same canonical values (keys and lineage aside). Claims
    are grouped by billing provider (2000A) and subscriber (2000B, who is also the patient).
    Values the canonical tables do not hold are not written: names and addresses get
    placeholders, and an 837D carries no oral cavity (SV304) or prosthesis (SV305) information.

    Args:
        header_rows: ``claims_header`` rows to write.
        line_rows: Their ``claims_line`` rows (matched on ``claim_id``).
        diagnosis_rows: Their ``diagnoses`` rows (matched on ``claim_id``, ordered by sequence).
        claim_type: ``professional`` (005010X222A1), ``institutional`` (005010X223A2) or
            ``dental`` (005010X224A2).
        sender_id: ISA06/GS02 and the submitter id.
        receiver_id: ISA08/GS03 and the receiver id.
        submitter_phone: The submitter contact's telephone (1000A PER04, required by the guide).
        control_number: ISA13 and GS06.
        when: Date and time to stamp; defaults to now (UTC).
        delimiters: Delimiters to write with; defaults to ``* : ^ ~``.
        procedure_rows: ``procedures_icd`` rows (837I ICD procedure codes), if any.
        tooth_rows: ``claim_line_teeth`` rows (837D TOO, matched on ``claim_line_id``), if any.

    Returns:
        The 837 as bytes, one segment per line.

    Raises:
        X12WriteError: When ``claim_type`` is unknown, a claim lacks a required value, or a
            dental claim has more diagnoses than the 837D carries.
    """
    if claim_type not in _GUIDE:
        raise X12WriteError(
            f"Cannot write an 837 of claim type '{claim_type}'; expected one of "
            f"{', '.join(_GUIDE)}."
        )
    when = when or datetime.datetime.now(datetime.UTC)
    out = SegmentWriter(delimiters or Delimiters())
    write_isa(out, ("ZZ", sender_id), ("ZZ", receiver_id), control_number, when, "P")
    guide = _GUIDE[claim_type]
    out.add(
        "GS",
        "HC",
        sender_id,
        receiver_id,
        when.strftime("%Y%m%d"),
        when.strftime("%H%M"),
        control_number,
        "X",
        guide,
    )
    lines_by_claim: dict[object, list[Row]] = {}
    for line in line_rows:
        lines_by_claim.setdefault(line.get("claim_id"), []).append(line)
    dx_by_claim: dict[object, list[Row]] = {}
    for dx in diagnosis_rows:
        dx_by_claim.setdefault(dx.get("claim_id"), []).append(dx)
    for px in procedure_rows:
        dx_by_claim.setdefault(px.get("claim_id"), []).append(px)
    teeth: dict[object, list[Row]] = {}
    for tooth in tooth_rows:
        teeth.setdefault(tooth.get("claim_line_id"), []).append(tooth)
    batches: dict[tuple[object, ...], list[Row]] = {}
    for claim in header_rows:
        if not claim.get("patient_control_number") or claim.get("total_charge") is None:
            raise X12WriteError("Every claim needs a patient control number and a total charge.")
        batches.setdefault(_key(claim, ("batch_id", "submission_date")), []).append(claim)
    for number, ((batch_id, submitted), claims) in enumerate(batches.items(), 1):
        start = len(out.segments)
        st02 = f"{number:04d}"
        out.add("ST", "837", st02, guide)
        day = submitted if isinstance(submitted, datetime.date) else when.date()
        out.add("BHT", "0019", "00", batch_id or st02, day, when.strftime("%H%M"), "CH")
        out.add("NM1", "41", "2", "CLAIMFLOW", "", "", "", "", "46", sender_id)
        out.add("PER", "IC", "CLAIMFLOW", "TE", submitter_phone)
        out.add("NM1", "40", "2", "RECEIVER", "", "", "", "", "46", receiver_id)
        _hierarchy(out, claims, lines_by_claim, dx_by_claim, teeth, claim_type)
        out.add("SE", len(out.segments) - start + 1, st02)
    out.add("GE", len(batches), control_number)
    out.add("IEA", 1, f"{control_number:09d}")
    return out.text()


def _hierarchy(
    out: SegmentWriter,
    claims: list[Row],
    lines: dict[object, list[Row]],
    dxs: dict[object, list[Row]],
    teeth: dict[object, list[Row]],
    claim_type: str,
) -> None:
    by_billing: dict[tuple[object, ...], dict[tuple[object, ...], list[Row]]] = {}
    for claim in claims:
        subs = by_billing.setdefault(_key(claim, _BILLING), {})
        subs.setdefault(_key(claim, _SUBSCRIBER), []).append(claim)
    hl = 0
    for (npi, tin, taxonomy), subscribers in by_billing.items():
        hl += 1
        parent = hl
        out.add("HL", hl, "", "20", "1")
        if taxonomy:
            out.add("PRV", "BI", "PXC", taxonomy)
        out.add("NM1", "85", "2", "BILLING PROVIDER", "", "", "", "", "XX" if npi else "", npi)
        out.add("N3", "ADDRESS ON FILE")
        out.add("N4", "CITY", "ST", "000000000")  # 2010AA needs ZIP+4
        if tin:
            out.add("REF", "EI", tin)
        chunks = [
            (key, group[i : i + _CLAIMS_PER_SUBSCRIBER])
            for key, group in subscribers.items()
            for i in range(0, len(group), _CLAIMS_PER_SUBSCRIBER)
        ]
        for sub_key, sub_claims in chunks:
            hl += 1
            sub = dict(zip(_SUBSCRIBER, sub_key, strict=True))
            out.add("HL", hl, parent, "22", "0")
            out.add(
                "SBR",
                sub["payer_responsibility_seq"],
                sub["subscriber_relationship_code"],
                sub["group_number"],
                "",
                "",
                "",
                "",
                "",
                sub["claim_filing_indicator"],
            )
            member = sub["member_id"]
            out.add("NM1", "IL", "1", "SUBSCRIBER", "", "", "", "", "MI" if member else "", member)
            if sub["patient_dob"] is not None or sub["patient_gender"] is not None:
                out.add("DMG", "D8", sub["patient_dob"], sub["patient_gender"])
            payer = sub["payer_id"]
            out.add(
                "NM1",
                "PR",
                "2",
                sub["payer_name"] or "PAYER",
                "",
                "",
                "",
                "",
                "PI" if payer else "",
                payer,
            )
            for claim in sub_claims:
                _claim(
                    out,
                    claim,
                    lines.get(claim.get("claim_id"), []),
                    dxs.get(claim.get("claim_id"), []),
                    teeth,
                    claim_type,
                )


def _claim(
    out: SegmentWriter,
    claim: Row,
    lines: list[Row],
    dxs: list[Row],
    teeth: dict[object, list[Row]],
    claim_type: str,
) -> None:
    freq = claim.get("claim_frequency_code")
    bill = str(claim.get("bill_type_code") or "")
    if bill:
        # bill_type_code is CLM05-1 followed by the frequency (e.g. 13 + 1 = 131)
        facility = out.comp(bill[:2] if len(bill) >= 3 else bill, "A", freq)
    else:
        facility = out.comp(claim.get("place_of_service_code"), "B", freq)
    related = str(claim.get("related_causes") or "").split(":")
    out.add(
        "CLM",
        claim["patient_control_number"],
        claim["total_charge"],
        "",
        "",
        facility,
        "" if claim_type == "institutional" else "Y",  # CLM06 is not used on the 837I
        claim.get("assignment_code"),
        claim.get("benefits_assignment"),
        claim.get("release_of_info"),
        "",
        out.comp(*related),
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        claim.get("delay_reason_code"),
    )
    first, last = claim.get("statement_from"), claim.get("statement_to")
    if claim_type == "institutional" and first is not None:
        out.add("DTP", "434", "RD8", f"{out.clean(first)}-{out.clean(last or first)}")
    if claim_type == "dental" and first is not None and (first, last) != _line_span(lines):
        # 2300 DTP*472: the reader takes the claim's service dates from here when present,
        # else from its lines; write it only when the lines alone would not give them back
        _service_date(out, first, last)
    if claim.get("admission_date") is not None:
        out.add("DTP", "435", "D8", claim["admission_date"])
    if claim.get("discharge_hour") is not None:
        out.add("DTP", "096", "TM", claim["discharge_hour"])
    if claim_type == "institutional" and any(
        claim.get(c)
        for c in ("admission_type_code", "admission_source_code", "discharge_status_code")
    ):
        out.add(
            "CL1",
            claim.get("admission_type_code"),
            claim.get("admission_source_code"),
            claim.get("discharge_status_code"),
        )
    if claim.get("patient_paid_amount") is not None:
        out.add("AMT", "F5", claim["patient_paid_amount"])
    for qualifier, column in _CLAIM_REF:
        if claim.get(column):
            out.add("REF", qualifier, claim[column])
    procedures = [r for r in dxs if "procedure_date" in r]
    dxs = [r for r in dxs if "procedure_date" not in r]
    ordered = sorted(dxs, key=lambda r: int(str(r.get("sequence") or 0)))
    # 837P: one HI holds the principal and the others; 837I: one HI per kind of diagnosis
    # (principal, admitting, reason for visit, external cause, other), as the guide lays out
    groups: list[list[Row]] = [ordered]
    if claim_type == "dental" and len(ordered) > _DENTAL_DIAGNOSES:
        raise X12WriteError(
            f"Claim {claim['patient_control_number']} has {len(ordered)} diagnosis codes; an "
            f"837D carries at most {_DENTAL_DIAGNOSES}."
        )
    if claim_type == "institutional":
        kinds = list(dict.fromkeys(str(d.get("qualifier")) for d in ordered))
        groups = [[d for d in ordered if str(d.get("qualifier")) == k] for k in kinds]
    for group in groups:
        for i in range(0, len(group), 12):
            out.add(
                "HI",
                *[
                    out.comp(
                        d.get("qualifier"), d.get("code"), "", "", "", "", "", "",
                        d.get("poa_indicator"),
                    )
                    for d in group[i : i + 12]
                ],
            )  # fmt: skip
    procedures.sort(key=lambda r: int(str(r.get("sequence") or 0)))
    for i in range(0, len(procedures), 12):
        out.add(
            "HI",
            *[
                out.comp(
                    p.get("qualifier"),
                    p.get("code"),
                    "D8" if p.get("procedure_date") else "",
                    p.get("procedure_date"),
                )
                for p in procedures[i : i + 12]
            ],
        )
    if claim.get("drg_code"):
        out.add("HI", out.comp("DR", claim["drg_code"]))
    for entity, column in _PROVIDERS[claim_type]:
        if claim.get(column):
            out.add(
                "NM1",
                entity,
                "1" if entity != "77" else "2",
                "PROVIDER",
                "",
                "",
                "",
                "",
                "XX",
                claim[column],
            )
    for line in sorted(lines, key=lambda r: int(str(r.get("line_number") or 0))):
        _line(out, claim, line, teeth.get(line.get("claim_line_id"), []), claim_type)


def _line(out: SegmentWriter, claim: Row, line: Row, teeth: list[Row], claim_type: str) -> None:
    out.add("LX", line.get("line_number"))
    mods = [line.get(f"modifier_{i}") for i in range(1, 5)]
    proc = out.comp(line.get("procedure_qualifier"), line.get("procedure_code"), *mods)
    if claim_type == "institutional":
        out.add(
            "SV2",
            line.get("revenue_code"),
            proc,
            line.get("line_charge"),
            line.get("unit_basis"),
            line.get("units"),
            "",
            line.get("non_covered_charge"),
        )
    elif claim_type == "dental":
        pointers = out.comp(*[line.get(f"dx_pointer_{i}") for i in range(1, 5)])
        out.add(
            "SV3",
            proc,
            line.get("line_charge"),
            line.get("place_of_service_code"),
            "",  # SV304 oral cavity designation: not a canonical column
            "",  # SV305 prosthesis, crown or inlay code: not a canonical column
            line.get("units"),
            "",
            "",
            "",
            "",
            pointers,
        )
        for tooth in sorted(teeth, key=lambda r: int(str(r.get("sequence") or 0))):
            surfaces = str(tooth.get("surfaces") or "")
            out.add(
                "TOO", tooth.get("code_qualifier"), tooth.get("tooth_code"), out.comp(*surfaces)
            )
    else:
        pointers = out.comp(*[line.get(f"dx_pointer_{i}") for i in range(1, 5)])
        out.add(
            "SV1",
            proc,
            line.get("line_charge"),
            line.get("unit_basis"),
            line.get("units"),
            line.get("place_of_service_code"),
            "",
            pointers,
            "",
            line.get("emergency_indicator"),
        )
    first, last = line.get("service_from"), line.get("service_to")
    if first is not None:
        _service_date(out, first, last)
    if line.get("line_item_control_number"):
        out.add("REF", "6R", line["line_item_control_number"])
    if line.get("ndc_code"):
        out.add("LIN", "", "N4", line["ndc_code"])
        qty = line.get("drug_qty")
        if qty is not None:
            out.add(
                "CTP",
                "",
                "",
                "",
                qty if isinstance(qty, Decimal) else str(qty),
                out.comp(line.get("drug_unit")),
            )
    rendering = line.get("rendering_npi")
    if rendering and rendering != claim.get("rendering_npi"):
        out.add("NM1", "82", "1", "PROVIDER", "", "", "", "", "XX", rendering)


def _service_date(out: SegmentWriter, first: object, last: object) -> None:
    """DTP*472 as one date (D8) or a range (RD8)."""
    if last is None or last == first:
        out.add("DTP", "472", "D8", first)
    else:
        out.add("DTP", "472", "RD8", f"{out.clean(first)}-{out.clean(last)}")


def _line_span(lines: list[Row]) -> tuple[object, object]:
    """The claim service dates the reader derives from its lines: earliest from, latest to."""
    froms = [d for x in lines if isinstance(d := x.get("service_from"), datetime.date)]
    tos = [d for x in lines if isinstance(d := x.get("service_to"), datetime.date)]
    return (min(froms) if froms else None, max(tos) if tos else None)
