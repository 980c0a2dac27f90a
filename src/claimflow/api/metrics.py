"""``GET /metrics``: the API's Prometheus metrics, in the text exposition format.

One registry per app (never prometheus_client's global one), so that several apps in one
process (the tests) count apart. Labels are route templates (``/claims/{claim_id}``), methods,
statuses, risk bands, model versions and monitoring metric names: never a claim, patient or
procedure id, nor a raw path.

- ``claimflow_http_requests_total{route,method,status}``
- ``claimflow_http_request_duration_seconds{route}`` (histogram, 1 ms to 10 s)
- ``claimflow_risk_predictions_total{band}``
- ``claimflow_risk_champion_info{model_version}`` (1 for the champion the API serves)
- ``claimflow_risk_monitoring_value{metric,subject}``: the figures of the champion's latest run
  in ``risk_monitoring`` (PSI per feature and of the probability, AUC, ECE, Brier, ...)

The champion and the monitoring figures are read when scraped, from the snapshot the API serves
(:func:`claimflow.api.risk.risk_status`), kept per snapshot.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import duckdb
from fastapi import FastAPI
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Latency buckets, seconds: the 25 ms goal of ``POST /risk/predict`` falls on one."""
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods counted by name; any other is counted as ``other`` (a label's values stay few)."""
NO_ROUTE = "(no route)"

MONITORING_SQL = """
SELECT metric, coalesce(subject, ''), value FROM risk_monitoring
WHERE model_version = $version AND value IS NOT NULL
  AND run_id = (SELECT run_id FROM risk_monitoring WHERE model_version = $version
                ORDER BY computed_at DESC, run_id DESC LIMIT 1)
ORDER BY metric, subject
"""
"""The figures of a model's latest monitoring run."""


@dataclass(frozen=True)
class RiskStatus:
    """What ``/metrics`` says of the risk model: the champion served and its latest figures."""

    model_version: str | None = None
    monitoring: Sequence[tuple[str, str, float]] = field(default_factory=tuple)


def latest_monitoring(
    conn: duckdb.DuckDBPyConnection, model_version: str
) -> list[tuple[str, str, float]]:
    """(metric, subject, value) of ``model_version``'s latest run in ``risk_monitoring``;
    empty when it has none (or the warehouse has no such table yet)."""
    try:
        rows = conn.execute(MONITORING_SQL, {"version": model_version}).fetchall()
    except duckdb.CatalogException:
        return []
    return [(str(m), str(s), float(v)) for m, s, v in rows]


class _RiskCollector(Collector):
    def __init__(self, status: Callable[[], RiskStatus]) -> None:
        self._status = status

    def describe(self) -> Iterable[Metric]:
        return self._families(RiskStatus())

    def collect(self) -> Iterable[Metric]:
        return self._families(self._status())

    @staticmethod
    def _families(status: RiskStatus) -> list[Metric]:
        champion = GaugeMetricFamily(
            "claimflow_risk_champion_info",
            "The champion model the API serves (1); absent when there is none.",
            labels=["model_version"],
        )
        if status.model_version is not None:
            champion.add_metric([status.model_version], 1.0)
        monitoring = GaugeMetricFamily(
            "claimflow_risk_monitoring_value",
            "The champion's latest figures in risk_monitoring (psi per feature, auc, ece, ...).",
            labels=["metric", "subject"],
        )
        for metric, subject, value in status.monitoring:
            monitoring.add_metric([metric, subject], value)
        return [champion, monitoring]


class ApiMetrics:
    """The metrics of one app, in a registry of its own.

    Args:
        status: Called at each scrape: the champion served and its latest figures.
    """

    def __init__(self, status: Callable[[], RiskStatus]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "claimflow_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "claimflow_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "claimflow_risk_predictions",
            "Claims scored by POST /risk/predict and /risk/predict/batch, by risk band.",
            ["band"],
            registry=self.registry,
        )
        self.registry.register(_RiskCollector(status))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        method = method if method in METHODS else "other"
        self.requests.labels(route, method, str(status)).inc()
        self.duration.labels(route).observe(seconds)

    def predicted(self, bands: Iterable[str]) -> None:
        """Count scored claims by band."""
        for band in bands:
            self.predictions.labels(band).inc()

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (pure ASGI: no buffering).

    Outermost, so that it sees the status the inner layers answered (the access log turns an
    unexpected exception into a 500 first).
    """

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = str(getattr(scope.get("route"), "path", NO_ROUTE))
            self.metrics.observe(
                route, str(scope.get("method", "")), status, time.perf_counter() - started
            )


def install_metrics(app: FastAPI, status: Callable[[], RiskStatus]) -> ApiMetrics:
    """Count ``app``'s requests (outermost middleware) and serve ``GET /metrics``."""
    metrics = ApiMetrics(status)
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.get("/metrics", response_model=None, summary="Prometheus metrics (text format)")
    def prometheus() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    return metrics
