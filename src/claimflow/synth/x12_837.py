"""837P (005010X222A1) and 837I (005010X223A2) transaction sets from string templates."""

from __future__ import annotations

import datetime as dt

from claimflow.synth.claims import Claim
from claimflow.synth.codes import CITIES, POS_OFFICE
from claimflow.synth.world import World
from claimflow.synth.x12_common import CLEARINGHOUSE_ID, CLEARINGHOUSE_NAME, SUBMITTER_ID, T
from claimflow.synth.x12_common import d8 as _d8
from claimflow.synth.x12_common import money as _m

GUIDE_P = "005010X222A1"
GUIDE_I = "005010X223A2"


def _claim_p(c: Claim, w: World, out: list[str]) -> None:
    svc = _d8(c.service)
    out.append(f"CLM*{c.pcn}*{_m(c.total)}***{POS_OFFICE}:B:1*Y*A*Y*Y{T}")
    if c.auth:
        out.append(f"REF*G1*{c.auth}{T}")
    out.append("HI*" + "*".join(("ABK:" if i == 0 else "ABF:") + d for i, d in enumerate(c.dx)) + T)
    k = c.clin
    out.append(f"NM1*82*1*{k.last}*{k.first}****XX*{c.npi_sent}{T}PRV*PE*PXC*{k.taxonomy}{T}")
    for i, ln in enumerate(c.lines, 1):
        proc = ln.proc
        out.append(
            f"LX*{i}{T}SV1*{proc}*{_m(ln.charge)}*UN*{ln.units}***{ln.ptrs}{T}"
            f"DTP*472*D8*{svc}{T}REF*6R*{c.pcn}L{i}{T}"
        )


def _claim_i(c: Claim, w: World, out: list[str]) -> None:
    svc = _d8(c.service)
    er = c.lines[0].revenue == "0450"
    out.append(f"CLM*{c.pcn}*{_m(c.total)}***13:A:1**A*Y*Y{T}DTP*434*RD8*{svc}-{svc}{T}")
    out.append(f"CL1*{'1*7' if er else '3*1'}*01{T}")
    if c.auth:
        out.append(f"REF*G1*{c.auth}{T}")
    out.append(f"HI*ABK:{c.dx[0]}{T}")
    if er:
        out.append(f"HI*APR:{c.dx[0]}{T}")
    if len(c.dx) > 1:
        out.append("HI*" + "*".join("ABF:" + d for d in c.dx[1:]) + T)
    k = c.clin
    out.append(f"NM1*71*1*{k.last}*{k.first}****XX*{c.npi_sent}{T}PRV*AT*PXC*{k.taxonomy}{T}")
    for i, ln in enumerate(c.lines, 1):
        proc = ln.proc
        out.append(
            f"LX*{i}{T}SV2*{ln.revenue}*{proc}*{_m(ln.charge)}*UN*{ln.units}{T}"
            f"DTP*472*D8*{svc}{T}REF*6R*{c.pcn}L{i}{T}"
        )


def render_837(
    claims: list[Claim], w: World, st02: str, day: dt.date, batch_id: str
) -> tuple[str, int]:
    """One ST…SE holding ``claims`` (all of one type, sorted by billing provider).

    Returns:
        The text and the position (1-based, counted from ST) of the first claim's SBR,
        which a 999 IK3 points at.
    """
    inst = claims[0].bp.institutional
    out = [
        f"ST*837*{st02}*{GUIDE_I if inst else GUIDE_P}{T}",
        f"BHT*0019*00*{batch_id}*{_d8(day)}*1200*CH{T}",
        f"NM1*41*2*CLAIMFLOW BILLING SERVICE*****46*{SUBMITTER_ID}{T}",
        f"PER*IC*EDI DESK*TE*8005550100{T}",
        f"NM1*40*2*{CLEARINGHOUSE_NAME}*****46*{CLEARINGHOUSE_ID}{T}",
    ]
    pats = w.patients
    hl = 0
    parent = 0
    current = -1
    first_sbr = 0
    write_claim = _claim_i if inst else _claim_p
    for c in claims:
        bp = c.bp
        if bp.index != current:
            current = bp.index
            hl += 1
            parent = hl
            street, city, state, zip9 = bp.address
            out.append(
                f"HL*{hl}**20*1{T}PRV*BI*PXC*{bp.taxonomy}{T}NM1*85*2*{bp.name}*****XX*{bp.npi}{T}"
                f"N3*{street}{T}N4*{city}*{state}*{zip9}{T}REF*EI*{bp.tin}{T}"
            )
        hl += 1
        p = c.patient
        out.append(f"HL*{hl}*{parent}*22*0{T}")
        if not first_sbr:
            first_sbr = sum(s.count("~") for s in out) + 1
        city, state, zipc = CITIES[pats.city[p]]
        out.append(
            f"SBR*P*18*G{c.payer.index}{c.bp.index:02d}00******{c.payer.sbr09}{T}"
            f"NM1*IL*1*{pats.last[p]}*{pats.first[p]}****MI*{pats.member_id[p]}{T}"
            f"N3*{pats.street[p]}{T}N4*{city}*{state}*{zipc}{T}"
            f"DMG*D8*{pats.dob[p]}*{pats.gender[p]}{T}"
            f"NM1*PR*2*{c.payer.name}*****PI*{c.payer.payer_id}{T}"
        )
        write_claim(c, w, out)
    text = "".join(out)
    n = text.count("~") + 1
    return f"{text}SE*{n}*{st02}{T}", first_sbr
