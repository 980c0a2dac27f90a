"""``POST /risk/predict`` and ``POST /risk/predict/batch``: the denial risk of claims before
they are sent, scored by the champion model (issue 19; docs/api.md, "Risk API").

A request carries what an 837 carries (:class:`RiskClaim`). It is checked field by field
(pydantic, then the dates against each other): a problem is a 422 ``{"error": ...}`` naming the
field's path and what was expected, never the value. A body over :data:`MAX_BODY` bytes is
refused with a 413 before it is read (a ``Content-Length`` over it) or as soon as the bytes
received pass it (a chunked body): it is never held whole in memory.

The champion (``claimflow.risk.registry.load_champion``) and an in-memory index of
``risk_history`` (:class:`claimflow.risk.claim.HistoryIndex`) are loaded once per published
snapshot, not per request; the claim's features are computed in plain Python (no query), so a
request costs the model's prediction and its explanation. No champion: 503, saying how to make
one. The handlers are ``def``: FastAPI runs them in its thread pool, off the event loop.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Message

from claimflow.api.metrics import ApiMetrics, RiskStatus, latest_monitoring
from claimflow.errors import ClaimflowError
from claimflow.risk.claim import HistoryIndex
from claimflow.risk.features import FEATURE_SET_VERSION
from claimflow.warehouse.serving import Reader, Snapshot

if TYPE_CHECKING:
    from claimflow.risk.model import RiskModel

MAX_BODY = 5 * 1024 * 1024
"""Largest request body, bytes (5 MiB: a batch of 1,000 ordinary claims is about 0.6 MiB)."""
MAX_LINES = 999
"""Service lines per claim: the 837I's limit (the 837P's is 50)."""
MAX_DIAGNOSES = 99
MAX_BATCH = 1000
"""Claims per ``POST /risk/predict/batch``."""
EARLIEST = dt.date(1900, 1, 1)
FUTURE_DAYS = 366
"""A submission date at most this many days after today."""

NO_CHAMPION = (
    "no champion model to score with: train one with `claimflow risk train` and make it the"
    " champion with `claimflow risk promote` (which publishes it to this server)"
)


def _checked(pattern: str, expected: str, *, upper: bool = True) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        value = value.strip().upper() if upper else value.strip()
        if not compiled.fullmatch(value):
            raise ValueError(f"expected {expected}")
        return value

    return AfterValidator(check)


def _icd10(value: str) -> str:
    code = value.strip().upper()
    if len(code) > 4 and code[3] == ".":
        code = code[:3] + code[4:]
    if not re.fullmatch(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}", code):
        raise ValueError(
            "expected an ICD-10-CM code: a letter, a digit, a digit or letter, then up to four"
            " letters or digits (E119 or E11.9)"
        )
    return code


def _printable(value: str) -> str:
    value = value.strip()
    if not value.isprintable():
        raise ValueError("expected printable text")
    return value


def _payer(value: str) -> str:
    if not value:
        raise ValueError("expected a payer id (2010BB NM109)")
    return value


Npi = Annotated[str, _checked(r"[0-9]{10}", "an NPI: 10 digits")]
PlaceOfService = Annotated[str, _checked(r"[0-9]{2}", "a place-of-service code: 2 digits")]
Procedure = Annotated[
    str,
    _checked(
        r"[0-9]{4}[0-9FTU]|[A-Z][0-9]{4}",
        "a CPT code (5 digits; 4 digits and F, T or U for categories II, III and PLA) or a"
        " HCPCS Level II code (a letter and 4 digits)",
    ),
]
Modifier = Annotated[str, _checked(r"[0-9A-Z]{2}", "a modifier: 2 letters or digits")]
Diagnosis = Annotated[str, AfterValidator(_icd10)]
Day = Annotated[dt.date, Field(ge=EARLIEST)]
Text = Annotated[str, Field(max_length=80), AfterValidator(_printable)]


class RiskLine(BaseModel):
    """One service line (2400 loop)."""

    model_config = ConfigDict(extra="forbid")

    procedure_code: Procedure = Field(description="CPT or HCPCS (SV101-2), e.g. 99214.")
    modifiers: list[Modifier] = Field(
        default_factory=list, max_length=4, description="Up to 4 modifiers (SV101-3..6)."
    )
    units: float = Field(1.0, gt=0, le=99999, description="Units of service (SV104).")
    charge: Decimal = Field(
        ge=0,
        le=Decimal("9999999999.99"),
        decimal_places=2,
        description='Line charge, dollars: a decimal string to the cent ("125.00").',
    )
    service_from: Day | None = Field(None, description="Date of service (DTP*472), first day.")
    service_to: Day | None = Field(None, description="Last day of service, if a range.")
    place_of_service: PlaceOfService | None = Field(None, description="SV105, if the line's own.")
    rendering_npi: Npi | None = Field(None, description="The line's rendering provider, if any.")


class RiskClaim(BaseModel):
    """One claim as an 837 carries it, before it is sent."""

    model_config = ConfigDict(extra="forbid")

    payer_id: Annotated[Text, AfterValidator(_payer)] = Field(
        description="The payer (2010BB NM109), e.g. P03."
    )
    claim_type: Literal["837P", "837I", "837D"] = Field("837P", description="The transaction.")
    billing_npi: Npi = Field(description="The billing provider's NPI (2010AA NM109).")
    rendering_npi: Npi | None = Field(None, description="The rendering provider's NPI (2310B).")
    place_of_service: PlaceOfService | None = Field(None, description="CLM05-1, e.g. 11.")
    frequency_code: Annotated[str, _checked(r"[0-9]", "a claim frequency code: 1 digit")] = Field(
        "1", description="CLM05-3: 1 original, 7 replacement, 8 void."
    )
    submission_date: Day = Field(
        default_factory=dt.date.today, description="When it is (to be) sent; default today."
    )
    statement_from: Day | None = Field(None, description="Statement period start (DTP*434).")
    statement_to: Day | None = Field(None, description="Statement period end.")
    diagnoses: list[Diagnosis] = Field(
        default_factory=list,
        max_length=MAX_DIAGNOSES,
        description="ICD-10-CM codes (HI), the principal first.",
    )
    lines: list[RiskLine] = Field(
        min_length=1, max_length=MAX_LINES, description=f"1 to {MAX_LINES} service lines."
    )
    prior_auth_number: Annotated[str, Field(max_length=50), AfterValidator(_printable)] | None = (
        Field(None, description="REF*G1, if any.")
    )
    member_id: Text | None = Field(
        None,
        description="The subscriber's member id (2010BA NM109): the payer's earlier outcomes for"
        " this member are a feature. A patient identifier: never logged, stored or answered.",
    )
    patient_age: int | None = Field(
        None, ge=0, le=130, description="Age in years at the first date of service."
    )
    patient_birth_date: Day | None = Field(
        None, description="Instead of patient_age (only the age band is used, never stored)."
    )

    def problems(self, where: str = "") -> list[str]:
        """What the field checks cannot see: dates against each other, in the 422's words."""
        out: list[str] = []

        def say(name: str, message: str) -> None:
            out.append(f"body field {where}{name}: {message}")

        submitted = self.submission_date
        if submitted > dt.date.today() + dt.timedelta(days=FUTURE_DAYS):
            say("submission_date", f"expected a date at most {FUTURE_DAYS} days from today")
        spans = [("statement_from", self.statement_from, "statement_to", self.statement_to)]
        spans += [
            (f"lines.{i}.service_from", x.service_from, f"lines.{i}.service_to", x.service_to)
            for i, x in enumerate(self.lines)
        ]
        for first_name, first, last_name, last in spans:
            if first is not None and last is not None and last < first:
                say(last_name, f"expected a date on or after {first_name}")
            for name, day in ((first_name, first), (last_name, last)):
                if day is not None and day > submitted:
                    say(name, "expected a date of service on or before submission_date")
        if self.patient_age is not None and self.patient_birth_date is not None:
            say("patient_birth_date", "give patient_age or patient_birth_date, not both")
        elif self.patient_birth_date is not None:
            services = [x.service_from for x in self.lines if x.service_from is not None]
            first_service = min(services, default=self.statement_from or submitted)
            if self.patient_birth_date > first_service:
                say("patient_birth_date", "expected a date on or before the first date of service")
        return out

    def fields(self) -> dict[str, Any]:
        """The claim as :mod:`claimflow.risk.claim` reads it (the fields as they are: a
        shallow copy costs a fourth of ``model_dump``)."""
        return {**self.__dict__, "lines": [line.__dict__ for line in self.lines]}


class RiskBatch(BaseModel):
    """Up to :data:`MAX_BATCH` claims, scored together."""

    model_config = ConfigDict(extra="forbid")

    claims: list[RiskClaim] = Field(
        min_length=1, max_length=MAX_BATCH, description=f"1 to {MAX_BATCH} claims."
    )


class _LimitedBody(APIRoute):
    """A route whose body is refused past :data:`MAX_BODY` bytes, before it is read whole."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        too_large = HTTPException(
            413,
            f"body: larger than {MAX_BODY // (1024 * 1024)} MiB ({MAX_BODY} bytes); send at most"
            f" {MAX_BATCH} claims of at most {MAX_LINES} lines in one request",
        )

        async def limited(request: Request) -> Response:
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
                raise too_large
            receive = request.receive
            seen = 0

            async def counted() -> Message:
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > MAX_BODY:
                        raise too_large
                return message

            return await handler(Request(request.scope, counted))

        return limited


@dataclass(eq=False)
class _Served:
    """What one snapshot serves: its champion (or why none) and its history index."""

    snap: Snapshot
    model: RiskModel | None
    problem: str | None
    index: HistoryIndex | None
    conn: duckdb.DuckDBPyConnection | None
    monitoring: list[tuple[str, str, float]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class RiskServing:
    """The champion and the history of the snapshot served, loaded once per snapshot."""

    def __init__(self, warehouse: Path, reader: Reader) -> None:
        self.warehouse = warehouse
        self.reader = reader
        self._lock = threading.Lock()
        self._served: _Served | None = None

    def _load(self, snap: Snapshot) -> _Served:
        from claimflow.risk.registry import ModelFileError, NoChampionError, load_champion

        conn = snap.cursor()
        try:
            model = load_champion(conn, self.warehouse)
        except NoChampionError as exc:
            return _Served(snap, None, str(exc), None, conn)  # it says what to run
        except ModelFileError as exc:
            return _Served(snap, None, f"the champion model cannot be used: {exc}", None, conn)
        except duckdb.CatalogException:
            return _Served(
                snap,
                None,
                "the warehouse has no model registry (risk_models): `claimflow run` migrates"
                f" it; then {NO_CHAMPION.removeprefix('no champion model to score with: ')}",
                None,
                conn,
            )
        if model.feature_set_version != FEATURE_SET_VERSION:
            return _Served(
                snap,
                None,
                f"the champion {model.version} was trained on feature set"
                f" {model.feature_set_version}; this claimflow builds {FEATURE_SET_VERSION}:"
                " train and promote a model on it (`claimflow risk retrain`)",
                None,
                conn,
            )
        return _Served(snap, model, None, HistoryIndex(conn), conn)

    @contextlib.contextmanager
    def served(self) -> Iterator[_Served]:
        """What the snapshot served now serves (loaded on its first use)."""
        snap = self.reader.snapshot()
        if snap.version is None:  # the warehouse itself, for this request only
            try:
                yield self._load(snap)
            finally:
                snap.conn.close()
            return
        current = self._served
        if current is None or current.snap is not snap:
            with self._lock:
                current = self._served
                if current is None or current.snap is not snap:
                    current = self._load(snap)
                    self._served = current
        yield current

    def status(self) -> RiskStatus:
        """The champion served and its latest monitoring figures (for ``/metrics``); none when
        the warehouse cannot be read (the HTTP metrics are still served)."""
        try:
            return self._status()
        except (ClaimflowError, duckdb.Error):
            return RiskStatus()

    def _status(self) -> RiskStatus:
        with self.served() as served:
            if served.model is None or served.conn is None:
                return RiskStatus()
            version = served.model.version
            if served.monitoring is None:
                with served.lock:
                    if served.monitoring is None:
                        conn = served.snap.cursor()  # the index's connection is its own
                        try:
                            served.monitoring = latest_monitoring(conn, version)
                        finally:
                            if served.snap.version is not None:
                                conn.close()
            return RiskStatus(version, tuple(served.monitoring))


def _json(body: dict[str, Any]) -> Response:
    return Response(
        json.dumps(body, default=str, ensure_ascii=False), media_type="application/json"
    )


def _check(claims: Sequence[tuple[str, RiskClaim]]) -> None:
    problems = [p for where, claim in claims for p in claim.problems(where)]
    if problems:
        raise HTTPException(422, "; ".join(problems))


def _score(request: Request, claims: Sequence[RiskClaim]) -> tuple[RiskModel, list[Any]]:
    """The champion and each claim's answer (its prediction, and the history time it used)."""
    serving: RiskServing = request.app.state.risk
    with serving.served() as served:
        if served.model is None or served.index is None:
            raise HTTPException(503, served.problem or NO_CHAMPION)
        model, index = served.model, served.index
        rows = [index.features(claim.fields()) for claim in claims]
        predictions = model.predict(rows)
        histories = [index.at(row["as_of"]).as_of for row in rows]  # type: ignore[arg-type]
    metrics: ApiMetrics = request.app.state.metrics
    metrics.predicted(p.band for p in predictions)
    answers = []
    for prediction, history in zip(predictions, histories, strict=True):
        body: dict[str, Any] = prediction.as_json()
        body["model_version"] = model.version
        body["feature_set_version"] = model.feature_set_version
        body["history_as_of"] = history
        answers.append(body)
    return model, answers


router = APIRouter(route_class=_LimitedBody, tags=["risk"])


@router.post("/risk/predict", response_model=None, summary="Denial risk of one claim")
def predict(body: RiskClaim, request: Request) -> Response:
    """The champion's calibrated probability that the payer denies this claim, its band, the
    most likely denial category, the top factors (worded, with the values behind them) and the
    actions a biller can take before sending."""
    _check([("", body)])
    _, (answer,) = _score(request, [body])
    return _json(answer)


@router.post("/risk/predict/batch", response_model=None, summary="Denial risk of many claims")
def predict_batch(body: RiskBatch, request: Request) -> Response:
    """As ``/risk/predict``, for 1 to 1,000 claims; the results in the order of the claims."""
    _check([(f"claims.{i}.", claim) for i, claim in enumerate(body.claims)])
    model, answers = _score(request, body.claims)
    return _json(
        {
            "model_version": model.version,
            "feature_set_version": model.feature_set_version,
            "results": answers,
        }
    )


def install_risk(app: FastAPI, warehouse: Path) -> RiskServing:
    """Add the risk routes to ``app`` (its ``state.reader`` and ``state.metrics`` set).

    Also asks OpenMP (LightGBM's threads, loaded with the first champion) to sleep rather than
    spin between predictions, unless the environment says otherwise: spinning threads take the
    CPU the requests need (on this 2-core machine, server CPU per request 5.5 -> 4.7 ms idle;
    with OMP_WAIT_POLICY=ACTIVE and the machine loaded, p50 at 50 requests/s 1.3 s, not 16 ms).
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    app.state.risk = RiskServing(warehouse, app.state.reader)
    app.include_router(router)
    return app.state.risk  # type: ignore[no-any-return]
