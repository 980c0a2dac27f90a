"""Claims: what was done for whom, billed by whom, to which payer, and when."""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from dataclasses import dataclass

from claimflow.synth import codes as C
from claimflow.synth.world import BillingProvider, Payer, Rendering, World


@dataclass(slots=True)
class Line:
    """One service line (2400 LX)."""

    code: str
    mods: tuple[str, ...]
    units: int
    charge: int  # cents, for all units
    ptrs: str  # SV107 diagnosis pointers, e.g. "1:2"
    revenue: str  # 837I revenue code
    proc: str = ""  # SV101 / SV202 / SVC01 composite, e.g. "HC:99213:25"

    def __post_init__(self) -> None:
        self.proc = ":".join(("HC", self.code, *self.mods))


@dataclass(slots=True)
class Claim:
    """One claim and everything decided about its life cycle."""

    idx: int
    pcn: str
    bp: BillingProvider
    clin: Rendering
    npi_sent: str  # the rendering/attending NPI written on the claim
    patient: int
    payer: Payer
    service: dt.date
    submitted: dt.date
    lines: list[Line]
    dx: list[str]
    auth: str  # REF*G1 prior authorization number, "" when none
    total: int = 0
    # denial model (denials.py)
    p_deny: float = 0.0
    factors: str = ""
    cause: str = ""  # the planted cause that fired, "" when none
    carc: str = ""
    rarc: str = ""
    denied_line: int = -1  # -1: whole claim (when carc is set); else the 0-based line
    # acknowledgments (generate.py)
    st_rejected: bool = False
    ca_status: str = "accepted"  # accepted, rejected, missing
    ca_code: str = ""
    # remittance (x12_835.py)
    icn: str = ""
    paid: int = 0
    patient_resp: int = 0
    remit_date: dt.date | None = None
    remit_due: dt.date | None = None  # its 835's date when that falls after the world's end
    reversed_on: dt.date | None = None
    ca_date: str = ""  # ISO date of the 277CA that acknowledged it
    emr_status: str = ""  # its status in the EMR export (emr.py)

    @property
    def adjudicated(self) -> bool:
        """True when the claim reached the payer's adjudication and its 835 is in the world
        (an open-ended world ends before some 835s: :attr:`remit_due`)."""
        return not self.st_rejected and self.ca_status != "rejected" and self.remit_due is None


def chargemaster(world: World, seed: int) -> dict[tuple[int, str], int]:
    """Each billing provider's price (cents) for each code: 90-135% of the typical charge."""
    rng = random.Random(f"cdm-{seed}")
    return {
        (bp.index, p.code): p.charge * rng.randint(90, 135) // 100 // 100 * 100
        for bp in world.billing
        for p in C.PROCS.values()
    }


def _choice(rng: random.Random, items: tuple[str, ...]) -> str:
    return items[int(rng.random() * len(items))]


def _int(rng: random.Random, lo: int, hi: int) -> int:
    """Uniform integer in [lo, hi] (cheaper than ``randint``)."""
    return lo + int(rng.random() * (hi - lo + 1))


def _services(rng: random.Random, bp: BillingProvider) -> tuple[list[tuple[str, int]], str]:
    """(code, units) pairs and the family of diagnoses that supports them."""
    spec = bp.specialty
    r = rng.random()
    if spec == "family":
        em = _choice(rng, C.EM_OFFICE)
        if r < 0.12:
            return [(em, 1), ("90686", 1), ("G0008", 1)], "vax"
        if r < 0.30:
            proc = _choice(rng, ("11721", "17110", "20610"))
            return [(em, 1), (proc, 1)], "knee" if proc == "20610" else "skin"
        out = [(em, 1)]
        if rng.random() < 0.45:
            out += [("36415", 1), (_choice(rng, ("85025", "80053")), 1)]
        if rng.random() < 0.1:
            out.append(("93000", 1))
        return out, "general"
    if spec == "ortho":
        em = _choice(rng, C.EM_OFFICE)
        if r < 0.45:
            return [(em, 1), ("20610", 1), ("J3301", _int(rng, 1, 4))], "knee"
        if r < 0.7:
            return [(em, 1), ("73721", 1)], "knee"
        return [(em, 1)], _choice(rng, ("knee", "back"))
    if spec == "pt":
        out = [("97110", _int(rng, 1, 4)), ("97140", _int(rng, 1, 2))]
        if r < 0.4:
            out.append(("97530", _int(rng, 1, 3)))
        return out, _choice(rng, ("knee", "back"))
    if spec == "radiology":
        if r < 0.5:
            return [("72148", 1)], "back"
        if r < 0.8:
            return [("73721", 1)], "knee"
        return [("71046", 1)], "general"
    # hospital outpatient / emergency
    if r < 0.2:
        return [("72148", 1)], "back"
    out = [(_choice(rng, C.EM_ER), 1), ("36415", 1), ("85025", 1)]
    if rng.random() < 0.5:
        out.append(("71046", 1))
    if rng.random() < 0.3:
        out.append(("93000", 1))
    if rng.random() < 0.15:
        out.append(("12002", 1))
    return out, "er"


_LAGS = (1, 1, 2, 2, 3, 4, 5, 7, 9, 14)
_DX = {
    "general": C.DX_GENERAL,
    "back": C.DX_BACK,
    "knee": C.DX_KNEE,
    "skin": C.DX_SKIN,
    "er": C.DX_ER,
    "vax": C.DX_VAX,
}


def make_claim(
    rng: random.Random,
    world: World,
    cdm: dict[tuple[int, str], int],
    idx: int,
    submitted: dt.date,
    bp_cum: tuple[int, ...],
) -> Claim:
    """Draw claim ``idx`` submitted on ``submitted``."""
    bp = world.billing[bisect(bp_cum, rng.random() * bp_cum[-1])]
    clin = bp.clinicians[int(rng.random() * len(bp.clinicians))]
    patient = int(rng.random() * len(world.patients))
    payer = world.payers[world.patients.payer[patient]]
    services, family = _services(rng, bp)
    dx_pool = _DX[family]
    dx = [_choice(rng, dx_pool) for _ in range(_int(rng, 1, 3))]
    # Planted: 12% of imaging claims carry a diagnosis that does not support the study.
    if family in ("back", "knee") and rng.random() < 0.12:
        dx[0] = _choice(rng, C.DX_GENERAL)
    if rng.random() < 0.25:
        dx.append(_choice(rng, C.DX_GENERAL))
    dx = list(dict.fromkeys(dx))
    has_proc = any(C.PROCS[c].kind == "proc" for c, _ in services)
    lines = []
    for code, units in services:
        p = C.PROCS[code]
        mods: tuple[str, ...] = ()
        if p.kind == "em" and has_proc and not bp.institutional:
            mods = () if rng.random() < clin.mod25_miss_rate else ("25",)
        elif code in ("20610", "73721"):
            mods = ("RT",) if rng.random() < 0.5 else ("LT",)
        elif code == "97140":
            mods = ("59", "GP")
        elif p.kind == "ther":
            mods = ("GP",)
        ptrs = "1:2" if len(dx) > 1 and rng.random() < 0.5 else "1"
        lines.append(Line(code, mods, units, cdm[(bp.index, code)] * units, ptrs, p.revenue))
    needs_auth = any(ln.code in payer.auth_codes for ln in lines)
    auth = ""
    if needs_auth and rng.random() < 0.78:
        auth = f"AUTH{_int(rng, 10**7, 10**8 - 1)}"
    npi_sent = clin.wrong_npi if rng.random() < clin.wrong_npi_rate else clin.npi
    # Planted: 2.5% of claims are filed late, past the payer's timely-filing limit.
    if rng.random() < 0.025:
        lag = payer.timely_days + _int(rng, 5, 60)
    else:
        lag = _LAGS[int(rng.random() * len(_LAGS))]
    service = submitted - dt.timedelta(days=lag)
    prefix = {"alpha": "A", "beta": "B", "gamma": "G"}[bp.emr]
    claim = Claim(
        idx,
        f"{prefix}{idx:09d}",
        bp,
        clin,
        npi_sent,
        patient,
        payer,
        service,
        submitted,
        lines,
        dx,
        auth,
    )
    claim.total = sum(ln.charge for ln in lines)
    return claim
