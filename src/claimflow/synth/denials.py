"""The generative denial model: independent causes, each with its own hazard.

A claim's risk factors switch causes on. Each active cause ``i`` fires independently with
probability ``p_i``; the claim is denied when at least one fires, so its true denial
probability is ``1 - prod(1 - p_i)``. The cause written to the remittance is the first one
that fired, in the order of :data:`CAUSES` (claim-level causes first). Every probability is
a constant below, so the truth can be recomputed and the best achievable AUC is known.

A :class:`PolicyChange` (``generate_world(drift=...)``) adds one more cause from a month on:
one payer starts requiring a prior authorization for codes it did not ask one for. It comes
last in the order (after the background denial) and draws from its own random stream, so
that every other claim, and every draw the batch makes, stays what it is without the drift.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import NamedTuple

from claimflow.synth import codes as C
from claimflow.synth.claims import Claim
from claimflow.synth.world import World


class Cause(NamedTuple):
    """One planted denial cause."""

    name: str
    p: float  # probability it fires when its risk factor is present
    carc: str
    rarc: str
    claim_level: bool


CAUSES: dict[str, Cause] = {
    c.name: c
    for c in (
        Cause("timely_filing", 0.95, "29", "", True),
        Cause("coverage_terminated", 0.92, "27", "N30", True),
        Cause("wrong_npi", 0.80, "16", "N290", True),
        Cause("no_prior_auth", 0.85, "197", "", False),
        Cause("mod25_missing", 0.70, "4", "N519", False),
        Cause("dx_not_supporting", 0.60, "50", "N115", False),
    )
}
POLICY_CHANGE = Cause("payer_policy_change", 0.60, "197", "", False)
"""The drift's cause: the payer now wants an authorization for the line's code, none was sent."""
POLICY_CANDIDATES = ("20610", "71046", "93000", "12002")
"""Codes a payer may start to want authorised: no payer does at first, and no visit template
bills them with a code some payer already wants authorised (so none of their claims carries
an authorization number: the new rule hits every such claim of the payer)."""
BACKGROUND_CARCS: tuple[tuple[str, str], ...] = (("96", "N130"), ("119", "N130"), ("11", "M51"))
"""Background denials (payer.base_denial): a random line, one of these (CARC, RARC)."""

SUPPORTING_DX = {
    "72148": frozenset(C.DX_BACK),
    "73721": frozenset(C.DX_KNEE),
}


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """From ``first_day`` on (submission date), payer ``payer`` wants ``codes`` authorised."""

    first_day: dt.date
    payer: int
    codes: frozenset[str]

    def line(self, claim: Claim) -> int:
        """The claim's first line the new rule denies, or -1 when it does not apply."""
        if claim.payer.index != self.payer or claim.submitted < self.first_day or claim.auth:
            return -1
        for i, ln in enumerate(claim.lines):
            if ln.code in self.codes:
                return i
        return -1


def choose_policy_change(seed: int, world: World, first_day: dt.date) -> PolicyChange:
    """The seed's policy change: one payer, three of :data:`POLICY_CANDIDATES` (never listed)."""
    rng = random.Random(f"{seed}-policy-change")
    payer = world.payers[rng.randrange(len(world.payers))]
    candidates = [c for c in POLICY_CANDIDATES if c not in payer.auth_codes]
    return PolicyChange(first_day, payer.index, frozenset(rng.sample(candidates, 3)))


def active_causes(claim: Claim, world: World) -> list[tuple[Cause, int]]:
    """The causes whose risk factor the claim has, each with its line (-1: claim level)."""
    out: list[tuple[Cause, int]] = []
    if (claim.submitted - claim.service).days > claim.payer.timely_days:
        out.append((CAUSES["timely_filing"], -1))
    end = world.patients.coverage_end[claim.patient]
    if end is not None and claim.service > end:
        out.append((CAUSES["coverage_terminated"], -1))
    if claim.npi_sent != claim.clin.npi:
        out.append((CAUSES["wrong_npi"], -1))
    lines = claim.lines
    if not claim.auth:
        for i, ln in enumerate(lines):
            if ln.code in claim.payer.auth_codes:
                out.append((CAUSES["no_prior_auth"], i))
                break
    if not claim.bp.institutional and any(C.PROCS[ln.code].kind == "proc" for ln in lines):
        for i, ln in enumerate(lines):
            if C.PROCS[ln.code].kind == "em" and "25" not in ln.mods:
                out.append((CAUSES["mod25_missing"], i))
                break
    for i, ln in enumerate(lines):
        supporting = SUPPORTING_DX.get(ln.code)
        if supporting is not None and claim.dx[0] not in supporting:
            out.append((CAUSES["dx_not_supporting"], i))
            break
    return out


def decide(
    claim: Claim,
    world: World,
    rng: random.Random,
    policy: PolicyChange | None = None,
    policy_rng: random.Random | None = None,
) -> None:
    """Set the claim's true denial probability, risk factors, and realised cause.

    With a ``policy`` that applies to the claim, its cause is one more independent hazard,
    drawn from ``policy_rng`` (never from ``rng``) and written only when no other cause fired.
    """
    active = active_causes(claim, world)
    base = claim.payer.base_denial
    keep = 1.0 - base
    for cause, _ in active:
        keep *= 1.0 - cause.p
    names = [c.name for c, _ in active]
    policy_line = -1 if policy is None else policy.line(claim)
    if policy_line >= 0:
        keep *= 1.0 - POLICY_CHANGE.p
        names.append(POLICY_CHANGE.name)
    claim.p_deny = round(1.0 - keep, 6)
    claim.factors = "|".join(names)
    _realise(claim, active, base, rng)
    if policy_line >= 0:
        if policy_rng is None:
            raise ValueError("a policy change needs its own random stream")
        if policy_rng.random() < POLICY_CHANGE.p and not claim.cause:
            claim.cause = POLICY_CHANGE.name
            claim.carc = POLICY_CHANGE.carc
            claim.rarc = POLICY_CHANGE.rarc
            claim.denied_line = policy_line


def _realise(
    claim: Claim, active: list[tuple[Cause, int]], base: float, rng: random.Random
) -> None:
    """Draw which planted cause fired first, if any, else the background denial."""
    for cause, line in active:
        if rng.random() < cause.p:
            claim.cause = cause.name
            claim.carc = cause.carc
            claim.rarc = cause.rarc
            claim.denied_line = line
            return
    if rng.random() < base:
        carc, rarc = BACKGROUND_CARCS[rng.randrange(len(BACKGROUND_CARCS))]
        claim.cause = "background"
        claim.carc = carc
        claim.rarc = rarc
        claim.denied_line = rng.randrange(len(claim.lines))


def auc(pairs: dict[float, list[int]]) -> float | None:
    """ROC AUC from ``{score: [negatives, positives]}`` (ties count one half)."""
    neg_total = sum(v[0] for v in pairs.values())
    pos_total = sum(v[1] for v in pairs.values())
    if neg_total == 0 or pos_total == 0:
        return None
    wins = 0.0
    neg_below = 0
    for score in sorted(pairs):
        neg, pos = pairs[score]
        wins += pos * (neg_below + 0.5 * neg)
        neg_below += neg
    return wins / (neg_total * pos_total)
