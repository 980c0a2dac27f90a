"""The HTTP API (FastAPI): the warehouse, read-only, through the same functions as the CLI.

The server reads the snapshot the last run published (:mod:`claimflow.warehouse.serving`),
never the warehouse a run writes: one connection kept open, a cursor per request, and a new
snapshot opened (and its default KPIs computed) beside the requests when a run publishes one.
What a snapshot answers does not change, so the KPIs, the health counts and a report's rows
are kept per snapshot and filters (:mod:`claimflow.api.cache`): the next page of a report is a
slice of rows already computed. The requests answer from :mod:`claimflow.marts`, :mod:`claimflow.warehouse.lineage` and
:mod:`claimflow.denials`; the API holds no query of its own except the claim lifecycle
(:mod:`claimflow.api.lifecycle`). Patient identifiers are masked unless the server's role may
see them (:mod:`claimflow.phi`, the dashboard's rule). Errors are ``{"error": "..."}``.
The request log names the route template (``/claims/{claim_id}``), never the values in a path,
a query or a body.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from claimflow import __version__
from claimflow.api.appeals import install_appeals
from claimflow.api.cache import AnswerCache
from claimflow.api.lifecycle import claim_lifecycle
from claimflow.api.metrics import install_metrics
from claimflow.api.risk import install_risk
from claimflow.config import ResubmissionPolicy
from claimflow.denials.classifier import DenialClassifier, DenialInput
from claimflow.denials.model import classifier_with_model
from claimflow.errors import ClaimflowError, LineageNotFoundError, WarehouseError
from claimflow.marts import snapshot
from claimflow.marts.kpis import AR_BUCKETS, kpis_of, resolve_window
from claimflow.marts.reports import REPORTS, prepare, run_report
from claimflow.marts.sla import open_alerts
from claimflow.marts.worklist import count_open_worklist, open_worklist
from claimflow.phi import (
    DEFAULT_PHI_ROLES,
    DEFAULT_ROLE,
    PHI_ROLES_ENV,
    ROLE_ENV,
    mask_row,
    may_see_phi,
    parse_roles,
)
from claimflow.schema import (
    ACK_277CA,
    ACK_999,
    ADJUDICATION,
    ADJUSTMENTS,
    CLAIMS_HEADER,
    CLAIMS_LINE,
    PAYMENTS,
    REJECTION_LOG,
    RESUBMISSIONS,
    RUNS,
    SLA_ALERTS,
)
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE, migration_files
from claimflow.warehouse.lineage import find_lineage
from claimflow.warehouse.serving import Reader, Snapshot

log = logging.getLogger("claimflow.api")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
"""Pagination of the list endpoints: ``limit`` is 1..MAX_LIMIT (default DEFAULT_LIMIT)."""
MAX_OFFSET = 2**63 - 1
"""``offset`` is 0..MAX_OFFSET, the largest BIGINT: a larger one is a 422, not a failed query."""
MAX_TEXTS = 1000
"""At most this many texts in one ``POST /denials/classify``."""

MAIN_TABLES: tuple[str, ...] = tuple(
    t.name
    for t in (
        CLAIMS_HEADER, CLAIMS_LINE, ACK_999, ACK_277CA, PAYMENTS, ADJUDICATION, ADJUSTMENTS,
        RESUBMISSIONS, REJECTION_LOG, SLA_ALERTS, RUNS,
    )
)  # fmt: skip
"""The tables ``/health`` counts."""
WARM_KPIS = 3
"""A new snapshot computes, besides the default ``/kpi``, the last this many other ``/kpi``
answers asked for (of any window and filters) before it is served."""


@dataclass(frozen=True)
class ApiSettings:
    """What one API server serves, and to whom."""

    warehouse: Path = DEFAULT_WAREHOUSE
    role: str = DEFAULT_ROLE
    phi_roles: tuple[str, ...] = field(default_factory=lambda: parse_roles(DEFAULT_PHI_ROLES))
    threshold: float = field(default_factory=lambda: ResubmissionPolicy().confidence_threshold)
    """The classifier's confidence threshold (the run configuration's resubmission policy)."""

    @property
    def show_phi(self) -> bool:
        """Whether patient identifiers are shown unmasked."""
        return may_see_phi(self.role, self.phi_roles)


class ApiError(Exception):
    """An answer other than 200, with the message for ``{"error": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _finite(value: Any) -> Any:
    """NaN and infinities become null (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class JsonResponse(Response):
    """JSON as ``claimflow … --json`` prints it: decimals and dates as their text."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(_finite(content), default=str, ensure_ascii=False).encode("utf-8")


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status_code=status)


_WHERE = {"query": "query parameter", "path": "path parameter", "body": "body field"}


def _describe(exc: RequestValidationError) -> str:
    """One line per problem, naming the parameter and what was expected (never the value)."""
    parts = []
    for item in exc.errors():
        loc = [str(p) for p in item.get("loc", ())]
        kind = _WHERE.get(loc[0], loc[0]) if loc else "request"
        name = ".".join(loc[1:])
        where = f"{kind} {name}" if name else ("body" if loc[:1] == ["body"] else kind)
        kind_code = str(item.get("type", ""))
        if kind_code.startswith("date"):
            message = "expected a date YYYY-MM-DD"
        elif kind_code == "json_invalid":
            where, message = "body", "not valid JSON"
        elif kind_code == "missing" and loc == ["body"]:
            message = "a JSON object is required"
        else:
            message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


class ErrorBody(BaseModel):
    """Every answer other than 200."""

    error: str = Field(description="What went wrong, in one sentence (never a patient's value).")


def _not_found(what: str) -> dict[int | str, dict[str, Any]]:
    return {404: {"model": ErrorBody, "description": what}}


Money = Annotated[
    str | None, Field(description='Dollars, a decimal string to the cent (`"1234.50"`).')
]
Rate = Annotated[float | None, Field(description="A share, 0 to 1.")]


class PopulationCount(BaseModel):
    """A count behind a KPI: what it counts and how many."""

    population: str = Field(description='What is counted, e.g. "claims initially denied".')
    count: int


class KpiWindow(BaseModel):
    from_: dt.date = Field(alias="from", description="First submission date.")
    to: dt.date = Field(description="Last submission date; the as-of date.")


class KpiBody(BaseModel):
    """``GET /kpi``: the KPIs of ``claimflow kpi --json`` (definitions: docs/kpis.md)."""

    claims_submitted: int
    total_billed: Money
    total_allowed: Money
    total_paid: Money
    rejection_rate_999: Rate
    rejection_rate_277ca: Rate
    first_pass_clean_claim_rate: Rate
    initial_denial_rate: Rate
    initial_denial_rate_dollars: Rate
    payer_lag_days_median: float | None
    payer_lag_days_p90: float | None
    net_collection_rate: Rate
    final_denial_write_off_amount: Money
    final_denial_write_off_rate: Rate
    days_in_ar: float | None = Field(description="As of `as_of`.")
    ar_total: Money = Field(description="Open balance as of `as_of`.")
    ar_aging: dict[str, Money] = Field(
        description="`ar_total` by days since submission: "
        + ", ".join(name for name, _, _ in AR_BUCKETS)
        + "."
    )
    auto_posting_rate: Rate
    resubmissions_sent: int
    resubmission_success_rate: Rate
    resubmission_recovered_amount: Money
    initial_denial_rate_hfma_3m: Rate
    initial_denial_rate_dollars_hfma_3m: Rate
    as_of: dt.date = Field(
        description="The day of the as-of figures (A/R, its aging, days in A/R): the window's"
        " end; by default the warehouse's latest submission or 835 payment date."
    )
    window: KpiWindow
    populations: dict[str, list[PopulationCount]] = Field(
        description="KPI → what it counts: a rate's numerator and denominator, the parts of a"
        " count."
    )
    not_computed: dict[str, str] = Field(description="Each null KPI → why it is null.")


class ClassifyRequest(BaseModel):
    """Denial texts and/or codes to classify; codes given apply to every text."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="One denial reason text.")
    texts: list[str] | None = Field(
        None, max_length=MAX_TEXTS, description=f"Several texts (at most {MAX_TEXTS})."
    )
    carc: str | None = Field(None, description="CARC (CAS02), e.g. 197.")
    group: str | None = Field(None, description="CAS01 group code: CO, PR, OA, PI.")
    rarc: list[str] = Field(default_factory=list, description='RARC(s), e.g. ["N54"].')
    status: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9]*(:[A-Za-z0-9]*){0,2}$",
        description="277CA STC01 as category:code:entity, e.g. A7:562:85.",
    )

    @model_validator(mode="after")
    def _something_to_classify(self) -> ClassifyRequest:
        if self.text is not None and self.texts is not None:
            raise ValueError("give `text` or `texts`, not both")
        if self.text is None and not self.texts and self.carc is None and self.status is None:
            raise ValueError("give `text`, `texts`, `carc` or `status`")
        return self

    def inputs(self) -> list[DenialInput]:
        parts = [*(self.status or "").split(":"), "", "", ""]
        base = DenialInput(
            group_code=self.group,
            carc=self.carc,
            rarcs=tuple(self.rarc),
            status_category=parts[0] or None,
            status_code=parts[1] or None,
            entity_code=parts[2] or None,
        )
        texts: list[str | None] = [self.text] if self.texts is None else list(self.texts)
        return [dataclasses.replace(base, text=t) for t in texts]


class _LazyClassifier:
    """The full classifier (rules + model), built on first use and shared by all requests."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()
        self._classifier: DenialClassifier | None = None

    def get(self) -> DenialClassifier:
        with self._lock:
            if self._classifier is None:
                self._classifier = classifier_with_model(self.threshold)
            return self._classifier


def _settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def _snapshot(request: Request) -> Iterator[Snapshot]:
    """What the request reads: the published snapshot (or, before a run has published one, the
    warehouse itself, read-only, opened for this request)."""
    reader: Reader = request.app.state.reader
    snap = reader.snapshot()
    try:
        yield snap
    finally:
        if snap.version is None:
            snap.conn.close()


Snap = Annotated[Snapshot, Depends(_snapshot)]


def _connect(snap: Snap) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection of the request's own to what it reads."""
    if snap.version is None:
        yield snap.conn
        return
    conn = snap.cursor()
    try:
        yield conn
    finally:
        conn.close()


def _kept(
    request: Request,
    snap: Snapshot,
    key: tuple[Any, ...],
    compute: Callable[[duckdb.DuckDBPyConnection], Any],
) -> Any:
    """``compute(conn)``, kept per snapshot and ``key`` (not kept when reading the warehouse);
    a cursor is taken only when it is computed."""
    if snap.version is None:
        return compute(snap.conn)

    def computed() -> Any:
        conn = snap.cursor()
        try:
            return compute(conn)
        finally:
            conn.close()

    answers: AnswerCache = request.app.state.answers
    return answers.get((snap.version, *key), computed)


def _health_body(conn: duckdb.DuckDBPyConnection, snap: Snapshot) -> dict[str, Any]:
    """What ``/health`` says of the snapshot: its run, the schema version, the row counts."""
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    counts = {}
    for name in MAIN_TABLES:
        found = conn.execute(f"SELECT count(*) FROM {name}").fetchone()
        counts[name] = int(found[0]) if found else 0
    published = None
    if snap.version is not None:
        published = {
            "run_id": snap.run_id,
            "published_at": dt.datetime.fromtimestamp(snap.published_at_ns / 1e9, dt.UTC)
            .replace(tzinfo=None)
            .isoformat(timespec="seconds"),
        }
    return {
        "schema_version": row[0] if row else None,
        "schema_expected": max(v for v, _, _ in migration_files()),
        "tables": counts,
        "snapshot": published,
    }


def _kpi_key(first: dt.date, last: dt.date, filters: dict[str, str | None]) -> tuple[Any, ...]:
    return ("kpi", first, last, filters["payer"], filters["provider"], filters["source"])


def _kpis(
    conn: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date, filters: dict[str, str | None]
) -> dict[str, object]:
    """The KPIs, as every surface has them (:func:`claimflow.marts.kpis.kpis_of`: the run's
    stored ones for its default view, else computed)."""
    started = time.perf_counter()
    kpis = kpis_of(
        conn,
        start=first,
        end=last,
        payer=filters["payer"],
        provider=filters["provider"],
        source=filters["source"],
    )
    log.info("kpi: answered in %.1f ms", (time.perf_counter() - started) * 1000)
    return kpis


def _report_rows(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    first: dt.date,
    last: dt.date,
    filters: dict[str, str | None],
) -> list[dict[str, Any]]:
    """Report ``name``'s rows: stored by the run when they are of its default view, else run."""
    started = time.perf_counter()
    if name in snapshot.STORED and snapshot.usable(conn, start=first, end=last, **filters):
        rows = snapshot.report(conn, name)
        how = "read from the run's snapshot"
    else:
        prepare(
            conn,
            start=first,
            end=last,
            payer=filters["payer"],
            provider=filters["provider"],
            source=filters["source"],
        )
        rows = run_report(conn, name)
        how = "computed"
    elapsed = (time.perf_counter() - started) * 1000
    log.info("report %s: %d rows %s in %.1f ms", name, len(rows), how, elapsed)
    return rows


def _warm(answers: AnswerCache) -> Callable[[Snapshot], None]:
    """What a new snapshot computes before it is served: the health answer, the default
    ``/kpi`` (the default window, no filter) and the :data:`WARM_KPIS` other ``/kpi`` answers
    asked for last, so that no request waits for them."""

    def warm(snap: Snapshot) -> None:
        assert snap.version is not None
        version = snap.version
        conn = snap.cursor()
        try:
            first, last = answers.get(
                (version, "window", None, None), lambda: resolve_window(conn, None, None)
            )
            default = _kpi_key(first, last, dict.fromkeys(("payer", "provider", "source")))
            recent = answers.recent("kpi", WARM_KPIS + 1)
            wanted = [default, *(k for k in recent if k != default)]
            answers.get((version, "health"), lambda: _health_body(conn, snap))
            for _, first, last, payer, provider, source in wanted[: WARM_KPIS + 1]:
                filters = {"payer": payer, "provider": provider, "source": source}
                answers.get(
                    (version, *_kpi_key(first, last, filters)),
                    lambda: _kpis(conn, first, last, filters),  # noqa: B023 (called at once)
                )
        finally:
            conn.close()

    return warm


Conn = Annotated[duckdb.DuckDBPyConnection, Depends(_connect)]
Served = Annotated[ApiSettings, Depends(_settings)]
Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page (at most {MAX_LIMIT}).")
]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")]
From = Annotated[
    dt.date | None,
    Query(alias="from", description="First submission date (default: the first)."),
]
To = Annotated[
    dt.date | None,
    Query(
        alias="to",
        description="Last submission date; A/R as of it (default: the warehouse's latest"
        " submission or 835 payment date, as `claimflow kpi` and the dashboard).",
    ),
]
Payer = Annotated[str | None, Query(description="One payer id.")]
Provider = Annotated[str | None, Query(description="One billing provider NPI.")]
Source = Annotated[str | None, Query(description="One source system.")]


def _window(
    request: Request, snap: Snapshot, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The window asked for, its open ends the default of every surface
    (:func:`claimflow.marts.kpis.resolve_window`), kept per snapshot."""
    if start is not None and end is not None and start > end:
        raise ApiError(422, f"query parameter from: {start} is after to ({end})")
    try:
        window: tuple[dt.date, dt.date] = _kept(
            request, snap, ("window", start, end), lambda c: resolve_window(c, start, end)
        )
    except ValueError as exc:
        raise ApiError(422, f"query parameter {exc}") from None
    return window


def _page(
    items: list[dict[str, Any]], total: int, limit: int, offset: int, settings: ApiSettings
) -> JsonResponse:
    return JsonResponse(
        {
            "total": total,
            "limit": limit,
            "offset": offset,
            "items": [mask_row(r, show_phi=settings.show_phi) for r in items],
        }
    )


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The API over ``settings.warehouse`` (defaults: the default warehouse, role analyst)."""
    settings = settings or ApiSettings()
    app = FastAPI(
        title="claimflow",
        version=__version__,
        description=(
            "The claimflow warehouse, read-only: KPIs, named reports, SLA alerts, the worklist,"
            " claim lifecycles, lineage, and the denial classifier. Patient identifiers are"
            " masked (`•••`) unless the server's role may see them. Errors are"
            ' `{"error": "..."}`. Money and dates are given as text, as `--json` prints them.'
        ),
        default_response_class=JsonResponse,
    )
    app.state.settings = settings
    app.state.answers = AnswerCache()
    app.state.reader = Reader(settings.warehouse, prepare=_warm(app.state.answers), background=True)
    app.state.classifier = _LazyClassifier(settings.threshold)
    _install_handlers(app)
    _install_routes(app)
    risk = install_risk(app, settings.warehouse)
    install_appeals(app)
    # outermost: counts what the access log answered, by route template (GET /metrics)
    app.state.metrics = install_metrics(app, risk.status)
    return app


def create_app_from_env() -> FastAPI:
    """For ``uvicorn --factory claimflow.api.app:create_app_from_env``: the settings come from
    ``CLAIMFLOW_WAREHOUSE``, ``CLAIMFLOW_ROLE`` and ``CLAIMFLOW_PHI_ROLES``."""
    return create_app(
        ApiSettings(
            warehouse=Path(os.environ.get("CLAIMFLOW_WAREHOUSE", str(DEFAULT_WAREHOUSE))),
            role=os.environ.get(ROLE_ENV, DEFAULT_ROLE),
            phi_roles=parse_roles(os.environ.get(PHI_ROLES_ENV, DEFAULT_PHI_ROLES)),
        )
    )


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", "(no route)"))


def _install_handlers(app: FastAPI) -> None:
    @app.middleware("http")
    async def access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception as exc:
            # the type only: a message or a traceback may quote a value read from the warehouse
            log.error("%s %s failed: %s", request.method, _route(request), type(exc).__name__)
            response = _error(500, f"internal error ({type(exc).__name__})")
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.1f ms", request.method, _route(request), response.status_code, elapsed)
        return response

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> Response:
        return _error(exc.status, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        message = "no such endpoint (see /docs)" if exc.status_code == 404 else str(exc.detail)
        return _error(exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> Response:
        return _error(422, _describe(exc))

    @app.exception_handler(ClaimflowError)
    async def claimflow_error(_request: Request, exc: ClaimflowError) -> Response:
        if isinstance(exc, LineageNotFoundError):
            return _error(404, str(exc))
        if isinstance(exc, WarehouseError):
            return _error(503, str(exc))
        return _error(400, str(exc))

    async def not_a_warehouse(request: Request, exc: Exception) -> Response:
        # a catalog or binder error names a table or a column, never a value
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        log.warning("%s %s: %s", request.method, _route(request), first)
        return _error(
            503,
            f"the warehouse lacks what claimflow expects ({first}): not a claimflow warehouse,"
            " or one of an older schema (`claimflow run` migrates it)",
        )

    app.add_exception_handler(duckdb.CatalogException, not_a_warehouse)
    app.add_exception_handler(duckdb.BinderException, not_a_warehouse)


def _install_routes(app: FastAPI) -> None:
    @app.get("/health", response_model=None, summary="Warehouse, schema version, row counts")
    def health(snap: Snap, settings: Served, request: Request) -> JsonResponse:
        body = _kept(request, snap, ("health",), lambda conn: _health_body(conn, snap))
        return JsonResponse(
            {
                "status": "ok",
                "version": __version__,
                "warehouse": str(settings.warehouse),
                **body,
                "role": settings.role,
                "phi_visible": settings.show_phi,
                "classifier_threshold": settings.threshold,
            }
        )

    @app.get(
        "/kpi",
        response_model=None,
        summary="Revenue-cycle KPIs (as `claimflow kpi`)",
        responses={200: {"model": KpiBody, "description": "The KPIs of the window"}},
    )
    def kpi(
        snap: Snap,
        request: Request,
        start: From = None,
        end: To = None,
        payer: Payer = None,
        provider: Provider = None,
        source: Source = None,
    ) -> JsonResponse:
        first, last = _window(request, snap, start, end)
        filters = {"payer": payer, "provider": provider, "source": source}
        key = _kpi_key(first, last, filters)
        return JsonResponse(
            _kept(request, snap, key, lambda conn: _kpis(conn, first, last, filters))
        )

    @app.get("/reports", response_model=None, summary="The names of the reports")
    def reports() -> JsonResponse:
        return JsonResponse({"reports": list(REPORTS)})

    @app.get(
        "/reports/{name}",
        response_model=None,
        summary="One named report's rows",
        responses=_not_found("No report has this name (the error lists the names)."),
    )
    def report(
        name: str,
        snap: Snap,
        settings: Served,
        request: Request,
        start: From = None,
        end: To = None,
        payer: Payer = None,
        provider: Provider = None,
        source: Source = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> JsonResponse:
        if name not in REPORTS:
            raise ApiError(404, f"unknown report {name!r}; one of: {', '.join(REPORTS)}")
        first, last = _window(request, snap, start, end)
        filters = {"payer": payer, "provider": provider, "source": source}
        rows: list[dict[str, Any]] = _kept(
            request,
            snap,
            ("report", name, first, last, payer, provider, source),
            lambda conn: _report_rows(conn, name, first, last, filters),
        )
        return _page(rows[offset : offset + limit], len(rows), limit, offset, settings)

    @app.get("/alerts", response_model=None, summary="Open acknowledgment SLA alerts")
    def alerts(
        conn: Conn, settings: Served, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
    ) -> JsonResponse:
        # the order of `claimflow alerts`, ties broken so that pages are stable
        rows = sorted(
            open_alerts(conn),
            key=lambda r: [
                (r[k] is None, r[k])
                for k in ("due_at", "patient_control_number", "kind", "claim_id")
            ],
        )
        return _page(rows[offset : offset + limit], len(rows), limit, offset, settings)

    @app.get("/worklist", response_model=None, summary="Open exceptions, largest first")
    def worklist(
        snap: Snap,
        request: Request,
        settings: Served,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> JsonResponse:
        # a page of a snapshot's worklist does not change: kept like a report's rows
        total, rows = _kept(
            request,
            snap,
            ("worklist", limit, offset),
            lambda conn: (
                count_open_worklist(conn),
                open_worklist(conn, limit=limit, offset=offset),
            ),
        )
        return _page(rows, total, limit, offset, settings)

    @app.get(
        "/claims/{claim_id}",
        response_model=None,
        summary="A claim's lifecycle",
        responses=_not_found("No claim has this claim_id or claim number (PCN)."),
    )
    def claim(
        conn: Conn,
        settings: Served,
        claim_id: Annotated[
            str, PathParam(description="claims_header.claim_id or a patient control number.")
        ],
    ) -> JsonResponse:
        found = claim_lifecycle(conn, claim_id)
        if found is None:
            raise ApiError(404, "no claim has this claim_id or patient control number")
        return JsonResponse(
            {
                section: [mask_row(r, show_phi=settings.show_phi) for r in rows]
                for section, rows in found.items()
            }
        )

    @app.get(
        "/lineage/{lineage_hash}",
        response_model=None,
        summary="Where a row came from",
        responses=_not_found("No row has this lineage hash, or the prefix is not unique."),
    )
    def lineage(
        conn: Conn,
        settings: Served,
        lineage_hash: Annotated[
            str, PathParam(min_length=8, description="A lineage hash or a unique prefix (≥ 8).")
        ],
    ) -> JsonResponse:
        record = find_lineage(conn, lineage_hash)
        return JsonResponse(mask_row(dataclasses.asdict(record), show_phi=settings.show_phi))

    @app.post("/denials/classify", response_model=None, summary="Classify denial texts/codes")
    def classify(body: ClassifyRequest, request: Request) -> JsonResponse:
        classifier: DenialClassifier = request.app.state.classifier.get()
        results = [
            {"text": item.text, **dataclasses.asdict(classifier.classify(item))}
            for item in body.inputs()
        ]
        return JsonResponse({"results": results})
