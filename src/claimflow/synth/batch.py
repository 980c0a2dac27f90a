"""One submission batch, end to end: claims, 837, 999, 277CA, 835 fragments, EMR and truth rows.

A batch depends only on the world, the seed and its own number, so batches can run in any
process and the output is the same bytes whatever the number of workers.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from claimflow.synth.claims import Claim, make_claim
from claimflow.synth.codes import CA_REJECTIONS
from claimflow.synth.denials import POLICY_CHANGE, PolicyChange, decide
from claimflow.synth.emr import EmrChunk, render_rows
from claimflow.synth.truth import TruthChunk, truth_rows
from claimflow.synth.world import World
from claimflow.synth.x12_835 import Fragment, interest, pay_date, price, render_claim
from claimflow.synth.x12_837 import GUIDE_I, GUIDE_P, render_837
from claimflow.synth.x12_acks import SentSet, render_277ca, render_999
from claimflow.synth.x12_common import d8, envelope_close, envelope_open

CLAIMS_PER_ST = 500
ST_REJECT_RATE = 0.02
CA_MISSING_RATE = 0.01
CA_REJECT_RATE = 0.025
CA_LATE_RATE = 0.06
REVERSAL_RATE = 0.015


@dataclass(frozen=True, slots=True)
class Context:
    """What every batch needs: the world and the run's parameters."""

    out: Path
    seed: int
    claims: int
    start: dt.date
    days: int
    n_batches: int
    export: dt.date
    world: World
    chargemaster: dict[tuple[int, str], int]
    bp_cum: tuple[int, ...]
    last_day: dt.date | None = None
    """The world's last day (``open_end``): nothing dated later is written; None: no end."""
    policy: PolicyChange | None = None
    """The payer's policy change (``drift``), None: no drift."""


class Parked(NamedTuple):
    """2100 loops waiting for their payment run: (payment date, payer, payee) and the text."""

    day: dt.date
    payer: int
    payee: int
    fragment: Fragment


class BatchResult(NamedTuple):
    """What a batch hands back to the writer process (its X12 files are already written)."""

    day: dt.date
    files: dict[str, int]
    bytes: int
    parked: list[Parked]
    emr: EmrChunk
    truth: TruthChunk


class _Batch:
    def __init__(self, ctx: Context, b: int) -> None:
        self.ctx = ctx
        self.b = b
        self.day = ctx.start + dt.timedelta(days=b * ctx.days // ctx.n_batches)
        self.rng = random.Random(f"{ctx.seed}-batch-{b}")
        self.files: dict[str, int] = {}
        self.bytes = 0
        self.parcels: dict[tuple[dt.date, int, int], list[Any]] = {}
        self.sets = 0
        self.ctl = 100000 + b * 10

    def _write(self, kind: str, rel: str, text: str) -> None:
        data = text.encode("ascii")
        (self.ctx.out / rel).write_bytes(data)
        self.files[kind] = self.files.get(kind, 0) + 1
        self.bytes += len(data)

    def _next_ctl(self) -> int:
        self.ctl += 1
        return self.ctl

    def run(self) -> BatchResult:
        ctx, rng, b = self.ctx, self.rng, self.b
        lo, hi = b * ctx.claims // ctx.n_batches, (b + 1) * ctx.claims // ctx.n_batches
        world = ctx.world
        batch = [
            make_claim(rng, world, ctx.chargemaster, i, self.day, ctx.bp_cum) for i in range(lo, hi)
        ]
        policy = ctx.policy
        if policy is not None and self.day >= policy.first_day:
            policy_rng = random.Random(f"{ctx.seed}-policy-batch-{b}")
            for c in batch:
                decide(c, world, rng, policy, policy_rng)
        else:
            for c in batch:
                decide(c, world, rng)
        for inst in (False, True):
            group = sorted(
                (c for c in batch if c.bp.institutional == inst), key=lambda c: c.bp.index
            )
            if group:
                self._submit(group, inst)
        emr = render_rows(batch, rng, ctx.export, world)
        parked = [
            Parked(*key, Fragment("".join(texts), paid, owed, icn, icn_paid))
            for key, (texts, paid, owed, icn, icn_paid) in self.parcels.items()
        ]
        return BatchResult(
            self.day,
            self.files,
            self.bytes,
            parked,
            emr,
            truth_rows(batch, world.patients.member_id),
        )

    def _park(self, day: dt.date, c: Claim, text: str, paid: int, owed: int, icn: str) -> None:
        key = (day, c.payer.index, c.bp.index)
        parcel = self.parcels.get(key)
        if parcel is None:
            self.parcels[key] = [[text], paid, owed, icn, paid]
            return
        parcel[0].append(text)
        parcel[1] += paid
        parcel[2] += owed
        if paid > parcel[4]:
            parcel[3], parcel[4] = icn, paid

    def _submit(self, group: list[Claim], inst: bool) -> None:
        rng, b, day, world = self.rng, self.b, self.day, self.ctx.world
        kind = "837I" if inst else "837P"
        guide = GUIDE_I if inst else GUIDE_P
        ctl = self._next_ctl()
        sets: list[SentSet] = []
        texts = []
        for k in range(0, len(group), CLAIMS_PER_ST):
            chunk = group[k : k + CLAIMS_PER_ST]
            st02 = f"{len(sets) + 1:04d}"
            text, sbr = render_837(chunk, world, st02, day, f"{kind[-1]}{b:05d}{st02}")
            texts.append(text)
            self.sets += 1
            # the second set of the first batch is always rejected, so every world has one
            rejected = (b == 0 and self.sets == 2) or rng.random() < ST_REJECT_RATE
            sets.append(SentSet(st02, chunk, rejected, sbr))
            for c in chunk:
                c.st_rejected = rejected
        name = f"{kind.lower()}_{d8(day)}_{b:05d}"
        head = envelope_open(ctl, day, "HC", guide, "CFSUBMIT01", "CFCLEARHSE")
        body = head + "".join(texts) + envelope_close(ctl, len(texts))
        self._write(kind, f"x12/{kind.lower()}/{name}.x12", body)
        ack = render_999(self._next_ctl(), day, ctl, guide, sets)
        self._write("999", f"x12/999/{name}.999.x12", ack)
        accepted = [c for c in group if not c.st_rejected]
        for c in accepted:
            c.icn = f"{c.payer.index + 1}{c.idx:011d}"
            r = rng.random()
            if r < CA_MISSING_RATE:
                c.ca_status = "missing"
            elif r < CA_MISSING_RATE + CA_REJECT_RATE:
                c.ca_status = "rejected"
                code = CA_REJECTIONS[int(rng.random() * len(CA_REJECTIONS))]
                c.ca_code = ":".join(x for x in code if x)
                c.icn = ""
        late = rng.random() < CA_LATE_RATE
        ca_day = day + dt.timedelta(days=5 + int(rng.random() * 11) if late else 1)
        if self.ctx.last_day is not None and ca_day > self.ctx.last_day:
            ca_day = max(day, self.ctx.last_day)  # a world's last 277CAs come by its last day
        shown = [c for c in accepted if c.ca_status != "missing"]
        if shown:
            text = render_277ca(self._next_ctl(), ca_day, f"{kind[-1]}{b:05d}", accepted, world)
            self._write("277CA", f"x12/277ca/{name}.277.x12", text)
            for c in shown:
                c.ca_date = ca_day.isoformat()
        for c in accepted:
            if c.ca_status != "rejected":
                self._adjudicate(c)

    def _arrived(self, day: dt.date) -> bool:
        """Whether a file dated ``day`` is in the world (it ends on ``last_day``, if set)."""
        return self.ctx.last_day is None or day <= self.ctx.last_day

    def _adjudicate(self, c: Claim) -> None:
        # every draw is made whether or not the 835 falls in the world, so that an open-ended
        # world is the complete one without the files dated after its last day
        rng, world = self.rng, self.ctx.world
        day = pay_date(c, rng)
        before = rng.getstate() if c.cause == POLICY_CHANGE.name else None
        lines = price(c, rng)
        all_denied = all(r.paid == 0 and r.allowed == 0 for r in lines)
        text, paid, pr = render_claim(c, world, lines, "4" if all_denied else "1", c.icn)
        owed = interest(c, paid, day)
        remitted = self._arrived(day)
        if remitted:
            self._park(day, c, text, paid, owed, c.icn)
            c.remit_date, c.paid, c.patient_resp = day, paid, pr
        else:
            c.remit_due = day  # still to come: the claim is open when the world ends
        if before is not None:
            self._draws_without_the_policy(c, before)
        elif not c.carc and paid > 0 and rng.random() < REVERSAL_RATE:
            # the payer takes the claim back and pays a corrected amount in a later run
            later = day + dt.timedelta(days=7 * (2 + int(rng.random() * 4)))
            rev, rpaid, _ = render_claim(c, world, lines, "22", c.icn, sign=-1)
            fixed = price(c, rng, fee_cut=5)
            new_icn = f"{c.icn}R"
            text2, paid2, pr2 = render_claim(c, world, fixed, "1", new_icn)
            if remitted and self._arrived(later):
                self._park(later, c, rev, rpaid, 0, c.icn)
                self._park(later, c, text2, paid2, 0, new_icn)
                c.reversed_on, c.paid, c.patient_resp = later, paid2, pr2

    def _draws_without_the_policy(self, c: Claim, before: tuple[Any, ...]) -> None:
        """Make the reversal draws ``c`` makes when the policy change does not deny it.

        Nothing else fired for ``c`` (the policy's cause comes last), so without the drift it
        was paid in full; making the same draws keeps every later claim of the batch what it
        is without the drift.
        """
        shadow = random.Random(0)
        shadow.setstate(before)
        carc, c.carc = c.carc, ""
        try:
            paid = sum(r.paid for r in price(c, shadow))
            if paid > 0 and self.rng.random() < REVERSAL_RATE:
                self.rng.random()  # the reversal's date
                price(c, self.rng, fee_cut=5)
        finally:
            c.carc = carc


def run_batch(ctx: Context, b: int) -> BatchResult:
    """Generate batch ``b`` and write its 837, 999 and 277CA files."""
    return _Batch(ctx, b).run()
