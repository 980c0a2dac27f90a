"""``generate_world``: stream a whole revenue cycle into an inbox folder."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

from claimflow.synth.batch import BatchResult, Context, run_batch
from claimflow.synth.claims import chargemaster
from claimflow.synth.config import CONFIG_HEADER, write_config
from claimflow.synth.denials import CAUSES, POLICY_CHANGE, PolicyChange, auc, choose_policy_change
from claimflow.synth.emr import EmrFiles
from claimflow.synth.truth import TruthWriter, merge_scores
from claimflow.synth.world import BILLING_SHARES, build_world
from claimflow.synth.x12_835 import RemitBook, render_run
from claimflow.synth.x12_common import d8

CLAIMS_PER_BATCH = 5000


@dataclass(slots=True)
class WorldSummary:
    """What :func:`generate_world` wrote.

    Attributes:
        out_dir: The inbox folder.
        config: Its ``claimflow.yaml``.
        claims: Claims generated.
        files: Files written by kind (``emr_alpha``, ``837P``, ``999``, ``835``, ...).
        bytes_written: Total size of the files.
        invalid_files: Files broken on purpose (relative paths; see truth/invalid_files.csv).
        truth: The summary also written to truth/summary.json.
    """

    out_dir: Path
    config: Path
    claims: int
    files: dict[str, int] = field(default_factory=dict)
    bytes_written: int = 0
    invalid_files: list[str] = field(default_factory=list)
    truth: dict[str, Any] = field(default_factory=dict)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months (the day clamped to 28 so it always exists)."""
    m = day.month - 1 + months
    return dt.date(day.year + m // 12, m % 12 + 1, min(day.day, 28))


def parse_month(value: str | dt.date) -> dt.date:
    """The first day of a ``YYYY-MM`` month (a date: the first day of its month).

    Raises:
        ValueError: ``value`` is not ``YYYY-MM``.
    """
    if isinstance(value, dt.date):
        return value.replace(day=1)
    year, sep, month = value.partition("-")
    if not (sep and len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()):
        raise ValueError(f"not a YYYY-MM month: {value!r}")
    return dt.date(int(year), int(month), 1)


_CTX: list[Context] = []
"""The batch context of a worker process (set once by the pool initializer)."""


def _init_worker(ctx: Context) -> None:
    _CTX[:] = [ctx]


def _work(b: int) -> BatchResult:
    return run_batch(_CTX[0], b)


def _clear(out: Path) -> None:
    """Remove what an earlier run wrote into ``out``; refuse to mix with anything else."""
    config = out / "claimflow.yaml"
    ours = config.is_file() and config.read_text(encoding="utf-8").startswith(CONFIG_HEADER)
    for sub in ("emr", "x12", "truth"):
        folder = out / sub
        if folder.exists() and any(folder.iterdir()):
            if not ours:
                raise FileExistsError(f"{folder} is not empty and was not written by synth")
            shutil.rmtree(folder)


class _Gen:
    def __init__(
        self,
        out: Path,
        claims: int,
        seed: int,
        start: dt.date,
        months: int,
        workers: int,
        open_end: bool = False,
        drift: dt.date | None = None,
    ) -> None:
        self.out = out
        self.n = claims
        self.seed = seed
        self.start = start
        self.end = add_months(start, months)
        self.workers = workers
        export = self.end - dt.timedelta(days=1)
        world = build_world(seed, max(40, claims // 4), start, self.end)
        days = (self.end - start).days
        self.policy: PolicyChange | None = None
        if drift is not None:
            if not start < drift < self.end:
                last = self.end - dt.timedelta(days=1)
                raise ValueError(
                    f"the drift month {drift:%Y-%m} must start inside the window, after its "
                    f"first day: {start:%Y-%m-%d} to {last:%Y-%m-%d}"
                )
            self.policy = choose_policy_change(seed, world, drift)
        self.scores_before: dict[float, list[int]] = {}
        self.scores_after: dict[float, list[int]] = {}
        n_batches = min(claims, max(-(-claims // CLAIMS_PER_BATCH), -(-days // 7)))
        self.ctx = Context(
            out,
            seed,
            claims,
            start,
            days,
            n_batches,
            export,
            world,
            chargemaster(world, seed),
            tuple(accumulate(BILLING_SHARES)),
            export if open_end else None,
            self.policy,
        )
        self.open_end = open_end
        self.world = world
        self.export = export
        self.ctl = 900000
        self.rng = random.Random(f"{seed}-payment-runs")
        self.book = RemitBook()
        self.files: dict[str, int] = {}
        self.bytes = 0
        self.summary = WorldSummary(out, out / "claimflow.yaml", claims)
        _clear(out)
        for sub in ("emr", "x12/837p", "x12/837i", "x12/999", "x12/277ca", "x12/835", "truth"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        self.emr = EmrFiles(out / "emr")
        self.truth = TruthWriter(out / "truth")

    def _write(self, kind: str, rel: str, text: str) -> Path:
        path = self.out / rel
        data = text.encode("ascii")
        path.write_bytes(data)
        self.files[kind] = self.files.get(kind, 0) + 1
        self.bytes += len(data)
        return path

    def _next_ctl(self) -> int:
        self.ctl += 1
        return self.ctl

    def _results(self) -> Iterator[BatchResult]:
        batches = range(self.ctx.n_batches)
        if self.workers <= 1 or self.ctx.n_batches < 4:
            for b in batches:
                yield run_batch(self.ctx, b)
            return
        # an executor, not a Pool: a worker that dies makes it raise (BrokenProcessPool) where
        # a Pool waits forever on the queue lock the dead worker held
        with ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_init_worker,
            initargs=(self.ctx,),
        ) as pool:
            yield from pool.map(_work, batches)

    def run(self) -> WorldSummary:
        for res in self._results():
            for kind, n in res.files.items():
                self.files[kind] = self.files.get(kind, 0) + n
            self.bytes += res.bytes
            for p in res.parked:
                self.book.add(p.day, p.payer, p.payee, p.fragment)
            self.emr.append(res.emr)
            self.truth.append(res.truth)
            if self.policy is not None:
                after = res.day >= self.policy.first_day  # a batch's claims share its day
                merge_scores(self.scores_after if after else self.scores_before, res.truth.scores)
            self._flush(res.day)
        self._flush(None)
        return self._finish()

    def _flush(self, upto: dt.date | None) -> None:
        for key in self.book.due(upto):
            day, payer = key
            pid = self.world.payers[payer].payer_id
            text = render_run(self.book, key, self.world, self._next_ctl(), self.rng)
            self._write("835", f"x12/835/era_{pid}_{d8(day)}.835.x12", text)

    def _finish(self) -> WorldSummary:
        emr_stats = self.emr.close()
        for s in emr_stats:
            self.files[f"emr_{s.source}"] = self.files.get(f"emr_{s.source}", 0) + 1
            self.bytes += (self.out / s.path).stat().st_size
        invalid = self._break_some_files()
        config = write_config(self.out)
        params = {
            "claims": self.n,
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "emr_export_date": self.export.isoformat(),
            "open_end": self.open_end,
            "denial_model": {name: {"p": c.p, "carc": c.carc, "rarc": c.rarc} for name, c in CAUSES.items()},
            "payers": {p.payer_id: {"name": p.name, "lag_days": p.lag_days, "timely_days": p.timely_days,
                                    "base_denial": p.base_denial, "auth_codes": sorted(p.auth_codes)}
                       for p in self.world.payers},
            "files": dict(sorted(self.files.items())),
        }  # fmt: skip
        if self.policy is not None:
            params["drift"] = self._drift()
        truth = self.truth.close(
            invalid=invalid, emr_stats=emr_stats, plb=self.book.plb, summary=params
        )
        out = self.summary
        out.config, out.files, out.truth = config, dict(sorted(self.files.items())), truth
        out.bytes_written = self.bytes
        out.invalid_files = [p for p, _, _ in invalid]
        return out

    def _drift(self) -> dict[str, Any]:
        """The policy change as truth/summary.json records it."""
        policy = self.policy
        assert policy is not None
        payer = self.world.payers[policy.payer]
        before, after = auc(self.scores_before), auc(self.scores_after)
        return {
            "month": f"{policy.first_day:%Y-%m}",
            "from": policy.first_day.isoformat(),
            "payer_id": payer.payer_id,
            "payer_name": payer.name,
            "policy": "prior authorization required for the codes (submitted from the month on)",
            "codes": sorted(policy.codes),
            "cause": POLICY_CHANGE.name,
            "p": POLICY_CHANGE.p,
            "carc": POLICY_CHANGE.carc,
            "rarc": POLICY_CHANGE.rarc,
            "effect": "denial_probability = 1 - (1 - p_without) * (1 - p)",
            "claims": self.truth.counts.get(POLICY_CHANGE.name, 0),
            "best_achievable_auc_before": None if before is None else round(before, 6),
            "best_achievable_auc_after": None if after is None else round(after, 6),
        }

    def _break_some_files(self) -> list[tuple[str, str, str]]:
        """Copies of a real 837P and 999, broken on purpose, beside the good ones."""
        out: list[tuple[str, str, str]] = []
        first_837 = min((self.out / "x12/837p").glob("*.x12"), default=None)
        if first_837 is not None:
            data = first_837.read_bytes()
            cut = data[: data.rfind(b"~", 0, len(data) * 3 // 5) + 2]
            rel = f"x12/837p/{first_837.stem}_resend_cut.x12"
            (self.out / rel).write_bytes(cut)
            out.append(
                (
                    rel,
                    "truncated",
                    f"cut-off copy of {first_837.name}: no SE, GE or IEA; its claims repeat that file's",
                )
            )
        first_999 = min((self.out / "x12/999").glob("*.x12"), default=None)
        if first_999 is not None:
            text = first_999.read_text(encoding="ascii")
            i = text.index("\nSE*") + 1
            j = text.index("*", i + 3)
            bad = text[: i + 3] + str(int(text[i + 3 : j]) + 3) + text[j:]
            rel = f"x12/999/{first_999.name.split('.')[0]}_badcount.999.x12"
            (self.out / rel).write_bytes(bad.encode("ascii"))
            out.append((rel, "se_count", f"copy of {first_999.name} whose SE01 is 3 too high"))
        return out


def generate_world(
    out_dir: Path,
    *,
    claims: int,
    seed: int,
    start: dt.date,
    months: int,
    workers: int | None = None,
    open_end: bool = False,
    drift: str | dt.date | None = None,
) -> WorldSummary:
    """Write a consistent synthetic revenue cycle into ``out_dir``.

    Args:
        out_dir: The inbox folder (created). What an earlier run wrote there is replaced.
        claims: How many claims to generate (≥ 1).
        seed: Same seed, same bytes.
        start: First submission date.
        months: Length of the submission window.
        workers: Processes generating batches (default: the CPUs available, at most 4).
            The bytes written do not depend on it.
        open_end: End the world on its last submission day, as data pulled that day would:
            the 835s (and reversals) dated later are not written, their claims stay open
            (``truth/claims.csv`` ``remit_due``: when their 835 would come), a late 277CA
            comes on the last day. Otherwise every claim's files are written, however late.
        drift: A month (``YYYY-MM``, or a date: its month) inside the window, after its
            first: from that month on (submission date), one payer chosen from the seed wants
            a prior authorization for three more codes, and its claims of those codes without
            one get the cause ``payer_policy_change`` (truth/summary.json ``drift``). None:
            no drift, the same bytes as before the option existed.

    Returns:
        What was written.

    Raises:
        ValueError: ``claims`` or ``months`` is below 1, or ``drift`` is not a month inside
            the window after its first.
        FileExistsError: ``out_dir`` holds emr/, x12/ or truth/ files not written by synth.
    """
    if claims < 1 or months < 1:
        raise ValueError("claims and months must be at least 1")
    if workers is None:
        workers = min(4, len(os.sched_getaffinity(0)))
    first_day = None if drift is None else parse_month(drift)
    return _Gen(Path(out_dir), claims, seed, start, months, workers, open_end, first_day).run()
