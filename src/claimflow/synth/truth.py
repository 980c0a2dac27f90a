"""The ``truth/`` folder: what really happened to every claim, and which files are broken."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from claimflow.synth.claims import Claim
from claimflow.synth.codes import CARCS
from claimflow.synth.denials import POLICY_CHANGE, auc
from claimflow.synth.emr import EmrStats

CLAIM_COLUMNS = (
    "patient_control_number",
    "claim_type",
    "emr_source",
    "payer_id",
    "billing_npi",
    "rendering_npi",
    "rendering_npi_sent",
    "member_id",
    "service_date",
    "submission_date",
    "total_charge",
    "n_lines",
    "denial_probability",
    "risk_factors",
    "adjudicated",
    "denied",
    "denial_cause",
    "carc",
    "rarc",
    "denial_category",
    "denied_line",
    "ack_999",
    "ack_277ca",
    "ack_277ca_status",
    "ack_277ca_date",
    "payer_claim_control_number",
    "paid",
    "patient_responsibility",
    "remit_date",
    "reversed_on",
    "emr_status",
    "remit_due",
)


@lru_cache(maxsize=1 << 16)
def _cents(v: int) -> str:
    return f"{v / 100:.2f}"


@lru_cache(maxsize=4096)
def _iso(day: dt.date) -> str:
    return day.isoformat()


class TruthChunk(NamedTuple):
    """What one batch adds to ``truth/``: CSV text and counters."""

    text: str
    scores: dict[float, list[int]]
    counts: dict[str, int]


def truth_rows(claims: list[Claim], member_ids: tuple[str, ...]) -> TruthChunk:
    """One ``claims.csv`` row per claim, and the counters the summary needs."""
    scores: dict[float, list[int]] = {}
    counts: dict[str, int] = {}

    def count(key: str) -> None:
        counts[key] = counts.get(key, 0) + 1

    buf = io.StringIO()
    rows = []
    for c in claims:
        denied = bool(c.carc) and c.adjudicated
        if c.adjudicated:
            scores.setdefault(c.p_deny, [0, 0])[1 if denied else 0] += 1
            count("denied" if denied else "not_denied")
            if denied:
                count(f"cause:{c.cause}")
        count("ack_999:" + ("rejected" if c.st_rejected else "accepted"))
        if not c.st_rejected:
            count(f"ack_277ca:{c.ca_status}")
        if c.remit_due is not None:
            count("awaiting_835")
        if c.factors.endswith(POLICY_CHANGE.name):
            count(POLICY_CHANGE.name)  # the claims the drift's policy change applies to
        rows.append(
            (
                c.pcn,
                "institutional" if c.bp.institutional else "professional",
                c.bp.emr,
                c.payer.payer_id,
                c.bp.npi,
                c.clin.npi,
                c.npi_sent,
                member_ids[c.patient],
                _iso(c.service),
                _iso(c.submitted),
                _cents(c.total),
                len(c.lines),
                f"{c.p_deny:.6f}",
                c.factors,
                int(c.adjudicated),
                int(denied) if c.adjudicated else "",
                c.cause if denied else "",
                c.carc if denied else "",
                c.rarc if denied else "",
                CARCS[c.carc].category if denied else "",
                (c.denied_line + 1 if c.denied_line >= 0 else "claim") if denied else "",
                "rejected" if c.st_rejected else "accepted",
                "" if c.st_rejected else c.ca_status,
                c.ca_code if c.ca_status == "rejected" else "",
                c.ca_date,
                c.icn,
                _cents(c.paid) if c.adjudicated else "",
                _cents(c.patient_resp) if c.adjudicated else "",
                _iso(c.remit_date) if c.remit_date else "",
                _iso(c.reversed_on) if c.reversed_on else "",
                c.emr_status,
                _iso(c.remit_due) if c.remit_due else "",
            )
        )
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return TruthChunk(buf.getvalue(), scores, counts)


def merge_scores(into: dict[float, list[int]], scores: dict[float, list[int]]) -> None:
    """Add ``{score: [negatives, positives]}`` counts to ``into``."""
    for score, (neg, pos) in scores.items():
        have = into.setdefault(score, [0, 0])
        have[0] += neg
        have[1] += pos


class TruthWriter:
    """Streams ``truth/claims.csv`` and accumulates what the summary needs."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self._fh = (root / "claims.csv").open("w", encoding="utf-8", newline="")
        self._fh.write(",".join(CLAIM_COLUMNS) + "\n")
        self.scores: dict[float, list[int]] = {}
        self.counts: dict[str, int] = {}

    def append(self, chunk: TruthChunk) -> None:
        """Add one batch."""
        self._fh.write(chunk.text)
        merge_scores(self.scores, chunk.scores)
        for key, n in chunk.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n

    def close(
        self,
        *,
        invalid: list[tuple[str, str, str]],
        emr_stats: list[EmrStats],
        plb: list[tuple[str, str, str, str, int]],
        summary: dict[str, Any],
    ) -> dict[str, Any]:
        """Write the other truth files and return the summary (also in summary.json)."""
        self._fh.close()
        with (self.root / "invalid_files.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(("path", "defect", "note"))
            w.writerows(invalid)
        with (self.root / "emr_files.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(
                ("path", "source", "rows", "claims", "duplicates", "unreadable", "missing_member")
            )
            for s in sorted(emr_stats, key=lambda s: s.path):
                w.writerow(
                    (s.path, s.source, s.rows, s.claims, s.duplicates, s.unreadable,
                     s.missing_member)
                )  # fmt: skip
        with (self.root / "plb.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(("payment_date", "payer_id", "payee_npi", "adjustment", "amount"))
            w.writerows((day, payer, npi, code, _cents(a)) for day, payer, npi, code, a in plb)
        best = auc(self.scores)
        summary = {
            **summary,
            "counts": dict(sorted(self.counts.items())),
            "best_achievable_auc": None if best is None else round(best, 6),
        }
        (self.root / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True))
        return summary
