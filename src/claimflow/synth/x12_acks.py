"""999 implementation acknowledgments and 277CA claim acknowledgments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from claimflow.synth.claims import Claim
from claimflow.synth.world import World
from claimflow.synth.x12_common import (
    CLEARINGHOUSE_ID,
    SUBMITTER_ID,
    T,
    d8,
    envelope_close,
    envelope_open,
    money,
)


@dataclass(slots=True)
class SentSet:
    """What a 999 needs to know about one submitted 837 transaction set."""

    st02: str
    claims: list[Claim]
    rejected: bool
    sbr_position: int


def render_999(
    ctl: int, day: dt.date, gs06: int, guide: str, sets: list[SentSet], ack_st02: str = "0001"
) -> str:
    """A whole 999 file acknowledging one 837 functional group.

    A rejected set carries one IK3/IK4 pair: the receiver's companion guide refuses the
    claim filing indicator (SBR09, element 1032, IK403 = 7 invalid code value) for the
    payer of the set's first claim, with a CTX naming that claim's CLM01.
    """
    out = [f"ST*999*{ack_st02}*005010X231A1{T}", f"AK1*HC*{gs06}*{guide}{T}"]
    accepted = 0
    for s in sets:
        out.append(f"AK2*837*{s.st02}*{guide}{T}")
        if s.rejected:
            c = s.claims[0]
            out.append(
                f"IK3*SBR*{s.sbr_position}**8{T}CTX*CLM01:{c.pcn}{T}"
                f"IK4*9*1032*7*{c.payer.sbr09}{T}IK5*R*5{T}"
            )
        else:
            accepted += 1
            out.append(f"IK5*A{T}")
    n = len(sets)
    ak901 = "A" if accepted == n else ("R" if accepted == 0 else "P")
    out.append(f"AK9*{ak901}*{n}*{n}*{accepted}{T}")
    body = "".join(out)
    se = f"SE*{body.count('~') + 1}*{ack_st02}{T}"
    head = envelope_open(ctl, day, "FA", "005010X231A1", CLEARINGHOUSE_ID, SUBMITTER_ID)
    return head + body + se + envelope_close(ctl, 1)


def _st_277(
    st02: str, day: dt.date, batch_id: str, claims: list[Claim], w: World, inst: bool
) -> str:
    payer = claims[0].payer
    date = d8(day)
    received = d8(claims[0].submitted)
    acc = [c for c in claims if c.ca_status == "accepted"]
    rej = [c for c in claims if c.ca_status == "rejected"]
    out = [
        f"ST*277*{st02}*005010X214{T}",
        f"BHT*0085*08*{batch_id}{st02}*{date}*1200*TH{T}",
        f"HL*1**20*1{T}NM1*PR*2*{payer.name}*****PI*{payer.payer_id}{T}",
        f"TRN*1*{batch_id}{T}DTP*050*D8*{received}{T}DTP*009*D8*{date}{T}",
        f"HL*2*1*21*1{T}NM1*41*2*CLAIMFLOW BILLING SERVICE*****46*{SUBMITTER_ID}{T}",
        f"TRN*2*{batch_id}{T}STC*A1:19*{date}*WQ*{money(sum(c.total for c in claims))}{T}",
    ]
    if acc:
        out.append(f"QTY*90*{len(acc)}{T}")
    if rej:
        out.append(f"QTY*AA*{len(rej)}{T}")
    if acc:
        out.append(f"AMT*YU*{money(sum(c.total for c in acc))}{T}")
    if rej:
        out.append(f"AMT*YY*{money(sum(c.total for c in rej))}{T}")
    hl = 2
    current = -1
    parent = 0
    pats = w.patients
    for c in claims:
        if c.bp.index != current:
            current = c.bp.index
            hl += 1
            parent = hl
            billed = money(sum(x.total for x in claims if x.bp.index == current))
            out.append(
                f"HL*{hl}*2*19*1{T}NM1*85*2*{c.bp.name}*****XX*{c.bp.npi}{T}TRN*1*{c.bp.tin}{T}"
                f"STC*A1:19**WQ*{billed}{T}"
            )
        hl += 1
        p = c.patient
        svc = d8(c.service)
        if c.ca_status == "accepted":
            stc = f"STC*A2:20*{date}*WQ*{money(c.total)}{T}REF*1K*{c.icn}{T}"
        else:
            stc = f"STC*{c.ca_code}*{date}*U*{money(c.total)}{T}"
        out.append(
            f"HL*{hl}*{parent}*PT{T}"
            f"NM1*QC*1*{pats.last[p]}*{pats.first[p]}****MI*{pats.member_id[p]}{T}"
            f"TRN*2*{c.pcn}{T}{stc}"
            + (f"REF*BLT*131{T}" if inst else "")
            + f"DTP*472*RD8*{svc}-{svc}{T}"
        )
    body = "".join(out)
    return f"{body}SE*{body.count('~') + 1}*{st02}{T}"


def render_277ca(ctl: int, day: dt.date, batch_id: str, claims: list[Claim], w: World) -> str:
    """A whole 277CA file: one transaction set per payer, for claims that are not missing."""
    by_payer: dict[int, list[Claim]] = {}
    for c in claims:
        if c.ca_status != "missing":
            by_payer.setdefault(c.payer.index, []).append(c)
    inst = bool(claims) and claims[0].bp.institutional
    sets = [
        _st_277(f"{n:04d}", day, batch_id, group, w, inst)
        for n, (_, group) in enumerate(sorted(by_payer.items()), 1)
    ]
    head = envelope_open(ctl, day, "HN", "005010X214", CLEARINGHOUSE_ID, SUBMITTER_ID)
    return head + "".join(sets) + envelope_close(ctl, len(sets))
