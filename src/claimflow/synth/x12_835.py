"""835 remittances (005010X221A1): adjudication amounts, claim fragments, payment runs.

Each claim's 2100 loop is rendered as text when the claim is drawn and parked in the payment
run (payer, payment date) it belongs to; a run is written out as one file, one transaction set
per payee, once generation has moved past its date. Per-claim state is that text only.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from claimflow.synth.claims import Claim
from claimflow.synth.world import World
from claimflow.synth.x12_common import T, d8, envelope_close, envelope_open, money

Cas = tuple[str, str, int]  # group, reason, cents


class LineResult(NamedTuple):
    """How a payer priced one line."""

    paid: int
    allowed: int
    cas: list[Cas]
    rarc: str


def price(claim: Claim, rng: random.Random, fee_cut: int = 0) -> list[LineResult]:
    """Price every line: denial, or allowed = fee schedule, patient share, sequestration."""
    payer = claim.payer
    deductible = (20 + int(rng.random() * 131)) * 100 if rng.random() < 0.15 else 0
    copay_left = payer.copay
    out = []
    for i, ln in enumerate(claim.lines):
        charge = ln.charge
        if claim.carc and claim.denied_line in (-1, i):
            rarc = claim.rarc if claim.denied_line == i else ""
            out.append(LineResult(0, 0, [("CO", claim.carc, charge)], rarc))
            continue
        allowed = charge * (payer.fee_pct - fee_cut) // 100
        cas: list[Cas] = [("CO", "45", charge - allowed)] if charge > allowed else []
        left = allowed
        if deductible and left:
            amt = min(deductible, left)
            cas.append(("PR", "1", amt))
            deductible -= amt
            left -= amt
        if payer.coinsurance_pct and left:
            amt = left * payer.coinsurance_pct // 100
            if amt:
                cas.append(("PR", "2", amt))
                left -= amt
        if copay_left and left and ln.code.startswith("99"):
            amt = min(copay_left, left)
            cas.append(("PR", "3", amt))
            copay_left -= amt
            left -= amt
        if payer.sequestration and left:
            amt = left * 2 // 100
            if amt:
                cas.append(("CO", "253", amt))
                left -= amt
        out.append(LineResult(left, allowed, cas, ""))
    return out


def _cas_segments(cas: list[Cas], sign: int) -> str:
    if len(cas) == 1:
        group, reason, amt = cas[0]
        return f"CAS*{group}*{reason}*{money(sign * amt)}{T}"
    groups: dict[str, list[str]] = {}
    for group, reason, amt in cas:
        groups.setdefault(group, []).append(f"{reason}*{money(sign * amt)}")
    return "".join(f"CAS*{g}*{'**'.join(trips)}{T}" for g, trips in groups.items())


def render_claim(
    claim: Claim, w: World, lines: list[LineResult], clp02: str, icn: str, sign: int = 1
) -> tuple[str, int, int]:
    """The 2100 loop of one claim. Returns (text, paid cents, patient responsibility cents).

    ``sign`` = -1 renders a reversal (CLP02 = 22): every amount negated.
    """
    inst = claim.bp.institutional
    paid = sum(r.paid for r in lines)
    pr = sum(a for r in lines for g, _, a in r.cas if g == "PR")
    pats = w.patients
    p = claim.patient
    svc = d8(claim.service)
    out = [
        f"CLP*{claim.pcn}*{clp02}*{money(sign * claim.total)}*{money(sign * paid)}*"
        f"{money(sign * pr) if pr else ''}*{claim.payer.clp06}*{icn}*{'13' if inst else '11'}*1{T}"
        f"NM1*QC*1*{pats.last[p]}*{pats.first[p]}****MI*{pats.member_id[p]}{T}"
    ]
    if claim.carc and claim.denied_line == -1 and claim.rarc:
        out.append(f"MOA***{claim.rarc}{T}")
    if inst:
        out.append(f"DTM*232*{svc}{T}DTM*233*{svc}{T}")
    out.append(f"DTM*050*{d8(claim.submitted + dt.timedelta(days=1))}{T}")
    for i, (ln, r) in enumerate(zip(claim.lines, lines, strict=True), 1):
        proc = ln.proc
        rev = ln.revenue if inst else ""
        units = str(ln.units) if ln.units > 1 else ""
        out.append(
            f"SVC*{proc}*{money(sign * ln.charge)}*{money(sign * r.paid)}*{rev}*{units}".rstrip("*")
            + f"{T}DTM*472*{svc}{T}{_cas_segments(r.cas, sign)}REF*6R*{claim.pcn}L{i}{T}"
        )
        if r.allowed:
            out.append(f"AMT*B6*{money(sign * r.allowed)}{T}")
        if r.rarc:
            out.append(f"LQ*HE*{r.rarc}{T}")
    return "".join(out), sign * paid, sign * pr


class Fragment(NamedTuple):
    """The 2100 loops of one or more claims bound for the same payment run and payee."""

    text: str
    paid: int
    interest: int
    icn: str  # the best-paid claim among them (a recoupment can point at it later)
    icn_paid: int


@dataclass(slots=True)
class RemitBook:
    """Claim fragments parked by payment run until their date has passed."""

    runs: dict[tuple[dt.date, int], dict[int, list[Fragment]]] = field(default_factory=dict)
    last_paid: dict[tuple[int, int], tuple[str, int]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    plb: list[tuple[str, str, str, str, int]] = field(default_factory=list)

    def add(self, day: dt.date, payer: int, payee: int, frag: Fragment) -> None:
        self.runs.setdefault((day, payer), {}).setdefault(payee, []).append(frag)

    def due(self, before: dt.date | None) -> list[tuple[dt.date, int]]:
        """Runs dated on or before ``before`` (all when None), in date then payer order."""
        return sorted(k for k in self.runs if before is None or k[0] <= before)


def pay_date(claim: Claim, rng: random.Random) -> dt.date:
    """The payer's next payment run after its adjudication lag."""
    payer = claim.payer
    lag = max(3, payer.lag_days - payer.lag_spread + int(rng.random() * (2 * payer.lag_spread + 1)))
    day = claim.submitted + dt.timedelta(days=lag)
    return day + dt.timedelta(days=(payer.pay_weekday - day.weekday()) % 7)


def interest(claim: Claim, paid: int, day: dt.date) -> int:
    """Prompt-pay interest (cents) at 5% a year beyond 30 days from receipt."""
    late = (day - claim.submitted).days - 31
    return paid * late * 5 // 36500 if paid > 0 and late > 0 else 0


def render_run(
    book: RemitBook, key: tuple[dt.date, int], w: World, ctl: int, rng: random.Random
) -> str:
    """The 835 file of one payment run; removes the run from the book."""
    day, payer_idx = key
    payer = w.payers[payer_idx]
    by_payee = book.runs.pop(key)
    sets = []
    for n, (payee_idx, frags) in enumerate(sorted(by_payee.items()), 1):
        bp = w.billing[payee_idx]
        st02 = f"{n:04d}"
        paid = sum(f.paid for f in frags)
        plb: list[tuple[str, str, int]] = []
        owed = sum(f.interest for f in frags)
        if owed:
            plb.append(("L6", f"INT{d8(day)}", -owed))
        prior = book.last_paid.get((payer_idx, payee_idx))
        if prior and paid > 0 and rng.random() < 0.1:
            amt = min(prior[1] // 3, paid // 2)
            if amt > 0:
                plb.append(("WO", prior[0], amt))
        bpr02 = paid - sum(a for _, _, a in plb)
        if bpr02 < 0:
            # more taken back than paid: the debit is carried forward (forwarding balance)
            plb.append(("FB", f"FB{d8(day)}", bpr02))
            bpr02 = 0
        trace = f"{payer.payer_id}{d8(day)}{payee_idx:02d}"
        if bpr02 > 0:
            bpr = (
                f"BPR*C*{money(bpr02)}*C*ACH*CCP*01*071000013*DA*{payer_idx + 1}0457812"
                f"*1{payer.payer_id}0000**01*041000124*DA*{payee_idx + 1}9921045*{d8(day)}"
            )
        else:
            bpr = f"BPR*H*0*C*NON{'*' * 12}{d8(day)}"
        city, state, zipc = bp.address[1], bp.address[2], bp.address[3]
        out = [
            f"ST*835*{st02}{T}{bpr}{T}TRN*1*{trace}*1{payer.payer_id}0000{T}DTM*405*{d8(day)}{T}"
            f"N1*PR*{payer.name}{T}N3*PO BOX {1000 + payer_idx * 7}{T}N4*CHICAGO*IL*60601{T}"
            f"REF*2U*{payer.payer_id}{T}PER*BL*EDI SUPPORT*TE*80055501{payer_idx:02d}{T}"
            f"N1*PE*{bp.name}*XX*{bp.npi}{T}N3*{bp.address[0]}{T}N4*{city}*{state}*{zipc}{T}"
            f"REF*TJ*{bp.tin}{T}LX*1{T}"
        ]
        out.extend(f.text for f in frags)
        best = max(frags, key=lambda f: f.icn_paid)
        if best.icn_paid > 0:
            book.last_paid[(payer_idx, payee_idx)] = (best.icn, best.icn_paid)
        if plb:
            pairs = "*".join(f"{code}:{ref}*{money(a)}" for code, ref, a in plb)
            out.append(f"PLB*{bp.npi}*{day.year}1231*{pairs}{T}")
            for code, ref, a in plb:
                book.plb.append((d8(day), payer.payer_id, bp.npi, f"{code}:{ref}", a))
        body = "".join(out)
        sets.append(f"{body}SE*{body.count('~') + 1}*{st02}{T}")
    head = envelope_open(ctl, day, "HP", "005010X221A1", payer.payer_id, "CFSUBMIT01")
    return head + "".join(sets) + envelope_close(ctl, len(sets))
