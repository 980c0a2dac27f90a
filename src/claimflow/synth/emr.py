"""EMR claim exports in three layouts, with the mess real exports have.

- ``alpha``: the comma CSV of examples/seed (``claim_id,patient_id,procedure_code,
  denial_reason,submitted_at,status``) plus payer, NPIs, charges and service date;
- ``beta``: the JSON array of the seed (``id, member, code, error_msg, date, status``) plus
  ``payer, npi, charge, expected, dos``;
- ``gamma``: a semicolon CSV with its own column names, ``dd.mm.yyyy`` and ``yyyymmdd`` dates
  and its own status words.

Mess, drawn per row: sentinel and blank member ids, mixed case and padded statuses,
several date formats, exact duplicate rows, and (CSV only) rows with a wrong number of
fields that a reader must reject. Every messy row is counted in :class:`EmrStats`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from claimflow.synth.claims import Claim
from claimflow.synth.codes import CARCS
from claimflow.synth.world import World

SENTINELS = ("", "N/A", "null", "NONE", "  ", "nan")
ALPHA_HEADER = (
    "claim_id,patient_id,procedure_code,denial_reason,submitted_at,status,"
    "payer_id,billing_npi,rendering_npi,total_charge,expected_payment,service_date,modifier\n"
)
GAMMA_HEADER = (
    "Encounter No;Member ID;HCPCS;Payer Code;Facility NPI;Attending NPI;Billed Amt;"
    "Exp Reimb;Svc Date;Submit Date;Claim State;Remark\n"
)
STATUS_WORDS = {
    "alpha": {
        "approved": ("approved", "Approved", "APPROVED", " approved ", "approve", "paid"),
        "denied": ("denied", "Denied", "DENIED ", "deny", " Denied"),
        "submitted": ("submitted", "Submitted", "SUBMITTED"),
        "pending": ("pending", "Pending", " PENDING"),
        "rejected": ("rejected", "Rejected"),
    },
    "gamma": {
        "approved": ("PAID", "Paid"),
        "denied": ("DENIED", "Denied"),
        "submitted": ("SENT", "Sent"),
        "pending": ("IN PROCESS", "In Process"),
        "rejected": ("REJECTED",),
    },
}
STATUS_WORDS["beta"] = STATUS_WORDS["alpha"]


@dataclass(slots=True)
class EmrStats:
    """What one export file holds."""

    path: str
    source: str
    rows: int = 0  # data rows written, duplicates and unreadable rows included
    claims: int = 0
    duplicates: int = 0
    unreadable: int = 0
    missing_member: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def emr_status(c: Claim, export: dt.date) -> tuple[str, str]:
    """(status word before mess, denial text) as the EMR shows the claim on ``export``."""
    if c.st_rejected:
        return "rejected", "Rejected by clearinghouse: claim filing indicator"
    if c.ca_status == "rejected":
        return "rejected", "Payer rejected: invalid information"
    if c.remit_date is None or c.remit_date > export:
        return ("pending" if c.ca_status == "accepted" else "submitted"), ""
    if c.carc:
        return "denied", CARCS[c.carc].text
    return "approved", ""


@lru_cache(maxsize=4096)
def _dates(day: dt.date, source: str) -> tuple[str, ...]:
    """The ways ``source`` writes ``day``, most common first (see _fmt_date)."""
    iso = day.isoformat()
    if source == "alpha":
        return (iso, f"{day.month:02d}/{day.day:02d}/{day.year}", iso.replace("-", " -", 1))
    if source == "beta":
        return (iso, f"{iso}T08:30:00Z")
    return (f"{day.day:02d}.{day.month:02d}.{day.year}", iso.replace("-", ""))


def _fmt_date(rng: random.Random, day: dt.date, source: str) -> str:
    forms = _dates(day, source)
    r = rng.random()
    if source == "alpha":
        return forms[0] if r < 0.7 else (forms[1] if r < 0.95 else forms[2])
    if source == "beta":
        return forms[0] if r < 0.8 else forms[1]
    return forms[0] if r < 0.75 else forms[1]


EmrChunk = dict[tuple[str, str], tuple[list[str], EmrStats]]
"""(source, month) → (rows in order, counts): what one batch adds to the exports."""


def render_rows(claims: list[Claim], rng: random.Random, export: dt.date, world: World) -> EmrChunk:
    """Each claim's export row(s), with the mess, grouped by source and submission month."""
    out: EmrChunk = {}
    for c in claims:
        source = c.bp.emr
        key = (source, f"{c.submitted.year}-{c.submitted.month:02d}")
        entry = out.get(key)
        if entry is None:
            entry = out[key] = ([], EmrStats("", source))
        rows, st = entry
        status, reason = emr_status(c, export)
        c.emr_status = status
        st.statuses[status] = st.statuses.get(status, 0) + 1
        words = STATUS_WORDS[source][status]
        word = words[int(rng.random() * len(words))]
        member = world.patients.member_id[c.patient]
        if rng.random() < 0.02:
            member = SENTINELS[int(rng.random() * len(SENTINELS))]
            st.missing_member += 1
        if not reason and rng.random() < 0.3:
            reason = ("null", "N/A", "none")[int(rng.random() * 3)]
        elif reason and rng.random() < 0.3:
            reason = (reason.lower(), reason.upper(), f" {reason} ")[int(rng.random() * 3)]
        row = _row(c, source, member, reason, word, rng)
        st.claims += 1
        rows.append(row)
        if rng.random() < 0.01:
            rows.append(row)
            st.duplicates += 1
        if source != "beta" and (st.claims == 17 or rng.random() < 0.003):
            # a row cut short by a broken export: too few fields
            rows.append(f"{c.pcn}X,{member}\n" if source == "alpha" else f"{c.pcn}X;{member}\n")
            st.unreadable += 1
        st.rows = len(rows)
    return out


class EmrFiles:
    """One open export file per source; a new file each month of submission."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.handles: dict[str, tuple[str, TextIO, EmrStats]] = {}
        self.done: list[EmrStats] = []

    def _open(self, source: str, month: str) -> tuple[TextIO, EmrStats]:
        cur = self.handles.get(source)
        if cur is not None and cur[0] == month:
            return cur[1], cur[2]
        if cur is not None:
            self._close(source)
        ext = "json" if source == "beta" else "csv"
        path = self.root / f"{source}_{month}.{ext}"
        fh = path.open("w", encoding="utf-8", newline="")
        fh.write({"alpha": ALPHA_HEADER, "gamma": GAMMA_HEADER, "beta": "["}[source])
        stats = EmrStats(str(path.relative_to(self.root.parent)), source)
        self.handles[source] = (month, fh, stats)
        return fh, stats

    def _close(self, source: str) -> None:
        _, fh, stats = self.handles.pop(source)
        if source == "beta":
            fh.write("\n]\n")
        fh.close()
        self.done.append(stats)

    def close(self) -> list[EmrStats]:
        """Close every file; return the counts of all files written."""
        for source in sorted(self.handles):
            self._close(source)
        return self.done

    def append(self, chunk: EmrChunk) -> None:
        """Append one batch's rows (sources in name order, months in date order)."""
        for (source, month), (rows, add) in sorted(chunk.items()):
            fh, st = self._open(source, month)
            if source == "beta":
                fh.write(("\n" if st.rows == 0 else ",\n") + ",\n".join(rows))
            else:
                fh.write("".join(rows))
            st.rows += add.rows
            st.claims += add.claims
            st.duplicates += add.duplicates
            st.unreadable += add.unreadable
            st.missing_member += add.missing_member
            for k, v in add.statuses.items():
                st.statuses[k] = st.statuses.get(k, 0) + v


def _row(c: Claim, source: str, member: str, reason: str, word: str, rng: random.Random) -> str:
    first = c.lines[0]
    charge = f"{c.total / 100:.2f}"
    expected = f"{c.total * c.payer.fee_pct // 100 / 100:.2f}"
    sub = _fmt_date(rng, c.submitted, source)
    svc = _fmt_date(rng, c.service, source)
    if source == "alpha":
        mod = first.mods[0] if first.mods else ""
        reason = f'"{reason}"' if "," in reason else reason
        return (
            f"{c.pcn},{member},{first.code},{reason},{sub},{word},{c.payer.payer_id},"
            f"{c.bp.npi},{c.npi_sent},{charge},{expected},{svc},{mod}\n"
        )
    if source == "gamma":
        return (
            f"{c.pcn};{member};{first.code};{c.payer.payer_id};{c.bp.npi};{c.npi_sent};"
            f"{charge};{expected};{svc};{sub};{word};{reason}\n"
        )
    rec: dict[str, object] = {
        "id": c.pcn,
        "member": member or None,
        "code": int(first.code) if first.code.isdigit() else first.code,
        "error_msg": reason or None,
        "date": sub,
        "status": word,
        "payer": c.payer.payer_id,
        "npi": c.bp.npi,
        "charge": c.total / 100,
        "expected": c.total * c.payer.fee_pct // 100 / 100,
        "dos": svc,
    }
    return json.dumps(rec)
