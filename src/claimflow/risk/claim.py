"""The features of one claim that is not in the warehouse, from ``risk_history`` alone.

The claim is a mapping shaped like what an 837 carries::

    {"payer_id": "P03", "claim_type": "837P", "billing_npi": "1234567893",
     "rendering_npi": "...", "place_of_service": "11", "frequency_code": "1",
     "submission_date": "2025-03-02", "statement_from": "2025-02-27",
     "diagnoses": ["E119", "I10"], "prior_auth_number": "PA123",
     "member_id": "M123456",  # the subscriber (payer × member history)
     "patient_age": 67,  # or "patient_birth_date": "1958-04-01"
     "lines": [{"procedure_code": "99214", "modifiers": ["25"], "units": 1,
                "charge": "125.00", "service_from": "2025-02-27"}]}

This is the serving path (``POST /risk/predict``), so it runs no query per claim: the features
are computed in plain Python with the semantics of the one definition,
``claimflow.risk.features.FEATURES_SQL``, and from its tables (ICD-10-CM chapters, age bands,
the NPI check digit of ``claimflow.x12.rules``); the history is looked up in a
:class:`HistoryIndex`, an in-memory copy of ``risk_history`` read once per stored time (the
newest time at or before the claim's as-of time). A test on a generated world holds these
features equal to the batch features (computed by the SQL) of every claim it compares.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb

from claimflow.risk.features import AGE_BANDS, FEATURE_NAMES, FEATURE_SET_VERSION, ICD10_CHAPTERS
from claimflow.schema import HISTORY_KINDS
from claimflow.x12.rules import npi_is_valid

CENT = Decimal("0.01")
"""Charges are DECIMAL(18,2) in the warehouse: a charge is rounded to the cent (half away from
zero, as DuckDB casts)."""

Figures = tuple[int, float | None, float | None]
"""A history key's claims, denial rate and mean days to pay."""
HistoryKey = tuple[str, str, str, str, str]
"""key_kind, payer_id, billing_npi, procedure_code, member_id ('' where the column does not
apply)."""

_NO_HISTORY: Figures = (0, None, None)
_AGE_LOWS = [low for low, _ in AGE_BANDS]


@dataclass(frozen=True)
class History:
    """``risk_history`` at one stored time (``as_of`` None: none stored, every count 0)."""

    as_of: dt.datetime | None
    figures: Mapping[HistoryKey, Figures] = field(default_factory=dict)

    def get(
        self, kind: str, payer: str, npi: str = "", procedure: str = "", member: str = ""
    ) -> Figures:
        """The figures of one key; (0, None, None) when it has none."""
        return self.figures.get((kind, payer, npi, procedure, member), _NO_HISTORY)


def load_history(conn: duckdb.DuckDBPyConnection, as_of: dt.datetime | None) -> History:
    """Every row ``risk_history`` holds for this feature set at ``as_of`` (None: none)."""
    if as_of is None:
        return History(None)
    rows = conn.execute(
        "SELECT key_kind, coalesce(payer_id, ''), coalesce(billing_npi, ''),"
        " coalesce(procedure_code, ''), coalesce(member_id, ''), claims, denial_rate,"
        " avg_days_to_pay"
        " FROM risk_history WHERE as_of = ? AND feature_set_version = ?",
        [as_of, FEATURE_SET_VERSION],
    ).fetchall()
    return History(
        as_of,
        {
            (k, p, n, c, m): (int(claims or 0), rate, days)
            for k, p, n, c, m, claims, rate, days in rows
        },
    )


class HistoryIndex:
    """The times ``risk_history`` holds for this feature set, and each time's figures, read on
    first use and kept (the newest :data:`KEEP` times).

    Args:
        conn: A connection to the warehouse or its snapshot; used (under this index's lock) to
            read a time's figures the first time a claim needs them, so it must stay open as
            long as the index is used, and no other thread may use it meanwhile.
    """

    KEEP = 4

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        rows = conn.execute(
            "SELECT DISTINCT as_of FROM risk_history WHERE feature_set_version = ?"
            " AND as_of IS NOT NULL ORDER BY as_of",
            [FEATURE_SET_VERSION],
        ).fetchall()
        self.times: list[dt.datetime] = [t for (t,) in rows if isinstance(t, dt.datetime)]
        self._loaded: dict[dt.datetime, History] = {}

    @property
    def newest(self) -> dt.datetime | None:
        """The newest stored time (None: ``risk_history`` is empty for this feature set)."""
        return self.times[-1] if self.times else None

    def at(self, when: dt.datetime) -> History:
        """The history as of the newest stored time at or before ``when``."""
        i = bisect.bisect_right(self.times, when)
        if i == 0:
            return History(None)
        time = self.times[i - 1]
        found = self._loaded.get(time)
        if found is not None:
            return found
        with self._lock:
            found = self._loaded.get(time)
            if found is None:
                found = load_history(self._conn, time)
                if len(self._loaded) >= self.KEEP:
                    del self._loaded[min(self._loaded)]
                self._loaded[time] = found
            return found

    def features(
        self, claim: Mapping[str, Any], *, as_of: dt.datetime | None = None
    ) -> dict[str, object]:
        """The features of ``claim`` (see :func:`features_of_claim`), history from this index."""
        as_of, submitted = _as_of(claim, as_of)
        return features_from_history(claim, self.at(as_of), as_of=as_of, submitted=submitted)


def features_of_claim(
    conn: duckdb.DuckDBPyConnection,
    claim: Mapping[str, Any],
    *,
    as_of: dt.datetime | None = None,
) -> dict[str, object]:
    """The features of one claim, as of ``as_of``, with history from ``risk_history``.

    Reads ``risk_history`` on every call; a server keeps a :class:`HistoryIndex` instead.

    Args:
        conn: A connection to the warehouse (or its published snapshot); only ``risk_history``
            is read.
        claim: The claim's fields (see the module docstring).
        as_of: The point in time; default the claim's ``submission_date`` at midnight, else now.
            A claim without a submission date is taken as submitted on the as-of day.

    Returns:
        Column → value, in the column order of ``risk_features`` (without ``built_at``).
    """
    return HistoryIndex(conn).features(claim, as_of=as_of)


def _as_of(claim: Mapping[str, Any], as_of: dt.datetime | None) -> tuple[dt.datetime, dt.date]:
    submitted = _date(claim.get("submission_date"))
    if as_of is None:
        as_of = (
            dt.datetime.combine(submitted, dt.time()) if submitted else dt.datetime.now()
        ).replace(microsecond=0)
    return as_of, submitted if submitted is not None else as_of.date()


def _date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def icd10_chapter(code: str) -> str | None:
    """The ICD-10-CM chapter of a code (``cf_icd10_chapter``): its first three characters,
    upper-cased, compared as text with each chapter's range; None outside every range."""
    category = code[:3].upper()
    for chapter, low, high in ICD10_CHAPTERS:
        if low <= category <= high:
            return chapter
    return None


def age_band(age: int | None) -> str | None:
    """The band of an age (``cf_age_band``); None for no age or a negative one."""
    if age is None or age < 0:
        return None
    return AGE_BANDS[bisect.bisect_right(_AGE_LOWS, age) - 1][1]


def complete_years(start: dt.date, end: dt.date) -> int:
    """DuckDB's ``date_sub('year', start, end)``: complete years from ``start`` to ``end``
    (negative when ``end`` is earlier; a day at the end of a shorter month completes a month
    begun on a later day, so 2000-02-29 → 2001-02-28 is one year)."""
    if start > end:
        return -complete_years(end, start)
    last = calendar.monthrange(end.year, end.month)[1]
    start_day = last if end.day == last and start.day > last else start.day
    months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start_day)
    return months // 12


@dataclass
class _Line:
    number: int
    procedure: str | None
    modifiers: list[str]
    units: float | None
    charge: Decimal | None
    service_from: dt.date | None
    place_of_service: str | None
    rendering_npi: str | None


def _line(number: int, line: Mapping[str, Any]) -> _Line:
    modifiers = [_text(m) for m in line.get("modifiers") or ()][:4]
    units = line.get("units")
    charge = line.get("charge")
    return _Line(
        number=int(line.get("line_number") or number),
        procedure=_text(line.get("procedure_code")),
        modifiers=[m for m in modifiers if m],
        units=None if units is None else float(units),
        charge=None
        if charge is None
        else Decimal(str(charge)).quantize(CENT, rounding=ROUND_HALF_UP),
        service_from=_date(line.get("service_from")),
        place_of_service=_text(line.get("place_of_service")),
        rendering_npi=_text(line.get("rendering_npi")),
    )


def _principal(lines: Sequence[_Line]) -> _Line | None:
    """The principal line: the largest charge (none last), then the first line number."""
    if not lines:
        return None
    return min(
        lines,
        key=lambda x: (x.charge is None, -(x.charge or 0), x.number),
    )


def features_from_history(
    claim: Mapping[str, Any],
    history: History,
    *,
    as_of: dt.datetime,
    submitted: dt.date,
) -> dict[str, object]:
    """The features of one claim from its fields and a history (FEATURES_SQL's semantics).

    Args:
        claim: The claim's fields (see the module docstring).
        history: ``risk_history`` at the newest stored time at or before ``as_of``.
        as_of: The point in time the features describe.
        submitted: The submission date (the as-of day when the claim has none).
    """
    lines = [_line(n, line) for n, line in enumerate(claim.get("lines") or (), start=1)]
    principal = _principal(lines)
    dx = [code for code in (_text(c) for c in claim.get("diagnoses") or ()) if code]
    chapters = [icd10_chapter(code) for code in dx]
    known_chapters = sorted({c for c in chapters if c is not None})

    payer = _text(claim.get("payer_id"))
    billing = _text(claim.get("billing_npi"))
    rendering = _text(claim.get("rendering_npi"))
    place = _text(claim.get("place_of_service"))
    if principal is not None:
        rendering = rendering or principal.rendering_npi
        place = place or principal.place_of_service
    services = [x.service_from for x in lines if x.service_from is not None]
    first_service = min(services) if services else _date(claim.get("statement_from"))
    units = [x.units for x in lines if x.units is not None]
    charges = [x.charge for x in lines if x.charge is not None]

    age_given = claim.get("patient_age")
    if age_given is not None:
        age: int | None = int(age_given)
    else:
        born = _date(claim.get("patient_birth_date"))
        age = None if born is None else complete_years(born, first_service or submitted)

    payer_key = payer or ""
    member = _text(claim.get("member_id")) or ""
    procedures = {x.procedure for x in lines if x.procedure is not None}
    by_procedure = {p: history.get("payer_procedure", payer_key, procedure=p) for p in procedures}
    principal_procedure = principal.procedure if principal else None
    figures: dict[str, Figures] = {
        "payer": history.get("payer", payer_key),
        "payer_provider": history.get("payer_provider", payer_key, npi=billing or ""),
        "payer_procedure": by_procedure[principal_procedure]
        if principal_procedure is not None
        else _NO_HISTORY,
        "payer_member": history.get("payer_member", payer_key, member=member)
        if member
        else _NO_HISTORY,
    }
    rates = [rate for _, rate, _ in by_procedure.values() if rate is not None]

    features: dict[str, object] = {
        "claim_id": _text(claim.get("claim_id")) or "claim",
        "as_of": as_of,
        "feature_set_version": FEATURE_SET_VERSION,
        "payer_id": payer,
        "claim_type": _text(claim.get("claim_type")),
        "billing_npi": billing,
        "rendering_npi": rendering,
        "place_of_service": place,
        "frequency_code": _text(claim.get("frequency_code")) or "1",
        "line_count": len(lines),
        "distinct_procedures": len(procedures),
        "principal_procedure": principal_procedure,
        "principal_modifiers": "+".join(sorted(principal.modifiers)) if principal else "",
        "modifier_count": sum(len(x.modifiers) for x in lines),
        "total_units": sum(units) if units else None,
        "max_line_units": max(units) if units else None,
        "total_charge": sum(charges, Decimal(0)) if charges else None,
        "max_line_charge": max(charges) if charges else None,
        "diagnosis_count": len(dx),
        "principal_dx_chapter": next((c for c in chapters if c is not None), None),
        "dx_chapter_count": len(known_chapters),
        "dx_chapters": ",".join(known_chapters),
        "age_band": age_band(age),
        "has_prior_auth": _text(claim.get("prior_auth_number")) is not None,
        "days_to_submission": None if first_service is None else (submitted - first_service).days,
        "billing_npi_valid": billing is not None and npi_is_valid(billing),
        "rendering_npi_valid": None if rendering is None else npi_is_valid(rendering),
    }
    for kind, _ in HISTORY_KINDS:
        claims, rate, days = figures[kind]
        features[f"hist_{kind}_claims"] = claims
        features[f"hist_{kind}_denial_rate"] = rate
        features[f"hist_{kind}_days_to_pay"] = days
    features["hist_payer_procedure_max_denial_rate"] = max(rates) if rates else None
    assert tuple(features)[3:] == FEATURE_NAMES  # one catalogue: a new feature is computed here
    return features
