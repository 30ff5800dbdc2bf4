"""``GET /metrics``: the Prometheus text exposition format (prometheus-client).

Per request, by route and status: ``okr_ledger_http_requests_total`` and the latency
histogram ``okr_ledger_http_request_duration_seconds``. The route label is the route's
path as the OpenAPI document writes it (``/api/v1/key-results/{key_result_id}``), never
the raw path, and ``unmatched`` when no route matched; a method outside HTTP's usual
ones counts as ``other``: the labels stay few whatever clients send.

Read at each scrape from the store: ``okr_ledger_log_head_position``;
``okr_ledger_view_lag_events{view}`` (the log's head minus each read model's position);
``okr_ledger_publisher_lag_events{topic}`` once a Kafka publisher has recorded a
position; ``okr_ledger_checkpoint_age_seconds`` once a checkpoint exists.

Under gunicorn every worker process counts its own requests: with
``PROMETHEUS_MULTIPROC_DIR`` set (``okr-ledger serve`` does it) they write them to files
there, and whichever worker answers a scrape adds up every worker's. The scrape is open
unless ``OKR_LEDGER_METRICS_TOKEN`` is set; then it wants that bearer token.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_smorest import Blueprint
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from commands.errors import Unauthenticated
from web.errors import ApiErrorSchema

log = logging.getLogger(__name__)

blp = Blueprint("metrics", __name__, description="Operational metrics")
EXTENSION = "okr_ledger.metrics"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
EXPOSITION = "The Prometheus text exposition format (or OpenMetrics, if asked for)."
PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^:<>]+)>")
"""a URL rule's parameter (``<uuid:key_result_id>``), written as OpenAPI writes it"""
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""the methods a label names; any other a client sends is counted as ``other``"""


class RequestMetrics:
    """This app's request counters (one set per app, so tests do not share them)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "okr_ledger_http_requests",
            "HTTP requests answered, by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "okr_ledger_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route.",
            ["method", "route"],
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class StoreCollector(Collector):
    """Gauges read from the store at scrape time; none when it cannot be reached."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            yield from self._gauges()
        except Exception as error:  # a scrape must answer even when the store is away
            log.warning("metrics: the store could not be read: %s", error)

    def _gauges(self) -> Iterator[GaugeMetricFamily]:
        services = self.services
        head = services.ledger.head_position()
        gauges = [
            GaugeMetricFamily(
                "okr_ledger_log_head_position", "Position of the newest event in the log.", head
            )
        ]
        models = services.read_models
        views = GaugeMetricFamily(
            "okr_ledger_view_lag_events",
            "Events in the log that a read model has not applied yet.",
            labels=["view"],
        )
        for view in (models.audit, models.state):
            views.add_metric([view.name], head - models.store.position(view.tracking_name))
        gauges.append(views)
        topic = services.settings.kafka_topic
        published = models.store.tracking.max_tracking_id(f"publisher@{topic}")
        if published is not None:
            publisher = GaugeMetricFamily(
                "okr_ledger_publisher_lag_events",
                "Events in the log that the Kafka publisher has not recorded as sent.",
                labels=["topic"],
            )
            publisher.add_metric([topic], head - published)
            gauges.append(publisher)
        newest = services.newest_checkpoint()
        if newest is not None:
            age = GaugeMetricFamily(
                "okr_ledger_checkpoint_age_seconds",
                "Seconds since the newest signed checkpoint of the log was made.",
                max(0.0, time.time() - newest.timestamp()),
            )
            gauges.append(age)
        yield from gauges


def exposition_registry(app: Flask) -> CollectorRegistry:
    """Every worker's request counters (or this process's) and the store's gauges."""
    registry = CollectorRegistry()
    path = os.environ.get(MULTIPROCESS_DIR)
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        registry.register(_Forward(app.extensions[EXTENSION].registry))
    registry.register(StoreCollector(app.extensions["okr_ledger"]))
    return registry


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Any]:
        return self.registry.collect()


@blp.route("/metrics", methods=["GET"])
@blp.response(200, content_type="text/plain", description=EXPOSITION)
@blp.alt_response(401, schema=ApiErrorSchema)
@blp.doc(
    security=[],
    responses={
        "200": {
            "description": EXPOSITION,
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def metrics() -> Any:
    """Request counts and latencies, view and publisher lag, checkpoint age.

    Open to any scraper unless the server sets ``OKR_LEDGER_METRICS_TOKEN``; then send
    ``Authorization: Bearer <that token>``. The figures are counts and ages only.
    """
    token = current_app.extensions["okr_ledger"].settings.metrics_token
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        matches = hmac.compare_digest(sent.strip().encode(), token.encode())
        if scheme.lower() != "bearer" or not matches:
            raise Unauthenticated(
                "send Authorization: Bearer <metrics token>", field="Authorization"
            )
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(exposition_registry(current_app)), content_type=content_type)


def start_timer() -> None:
    g.started = time.perf_counter()


def record(response: Response) -> Response:
    started = g.get("started")
    if started is not None:
        rule = request.url_rule
        route = PARAMETER.sub(r"{\1}", rule.rule) if rule is not None else "unmatched"
        method = request.method if request.method in METHODS else "other"
        current_app.extensions[EXTENSION].observe(
            method, route, response.status_code, time.perf_counter() - started
        )
    return response


def register(app: Flask) -> None:
    app.extensions[EXTENSION] = RequestMetrics()
    app.before_request_funcs.setdefault(None, []).insert(0, start_timer)
    app.after_request(record)
