"""Operability: a request id on every response, error body and log line; ``/metrics``
in the Prometheus text format, by route rule and status, with the store's lags."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from ledger.cycle import CLOSED_CYCLE_RULE
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from tests.conftest import build_org, grant_token
from web import create_app
from web.request_id import RequestIdFilter

TOKEN = "ops-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def services() -> Iterator[Services]:
    made = bootstrap(Settings(database_url="memory://"))
    grant_token(made.bus, TOKEN)
    yield made
    made.close()


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app(services, {"TESTING": True})


def scrape(app: Flask, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``, by (name, sorted labels)."""
    response = app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


# -- request ids -------------------------------------------------------------------------


def test_every_response_carries_a_request_id_and_a_fresh_one_each_time(app: Flask) -> None:
    client = app.test_client()
    ids = [client.get("/healthz").headers["X-Request-Id"] for _ in range(3)]
    ids.append(client.get("/api/v1/cycles", headers=AUTH).headers["X-Request-Id"])

    assert all(ids)
    assert len(set(ids)) == 4


def test_a_well_formed_request_id_sent_by_the_client_comes_back(app: Flask) -> None:
    sent = "lb-7f3a:9e2b/4c=="

    response = app.test_client().get("/healthz", headers={"X-Request-Id": sent})

    assert response.headers["X-Request-Id"] == sent


@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, "<script>", "semi;colon"])
def test_a_malformed_request_id_is_replaced_by_a_fresh_one(app: Flask, sent: str) -> None:
    response = app.test_client().get("/healthz", headers={"X-Request-Id": sent})

    assert response.headers["X-Request-Id"] not in ("", sent)


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/v1/cycles", {}, 401),
        (f"/api/v1/key-results/{uuid4()}", AUTH, 404),
        ("/no/such/route", {}, 404),
    ],
)
def test_an_error_body_names_the_request_id_of_its_response(
    app: Flask, path: str, headers: dict[str, str], status: int
) -> None:
    response = app.test_client().get(path, headers={**headers, "X-Request-Id": "trace-1"})

    assert response.status_code == status
    assert response.get_json()["error"]["request_id"] == "trace-1"
    assert response.headers["X-Request-Id"] == "trace-1"


def test_log_lines_written_during_a_request_carry_its_id(services: Services) -> None:
    app = create_app(services)

    @app.route("/boom")
    def boom() -> str:
        logging.getLogger("okr_ledger.test").warning("about to fail")
        raise RuntimeError("a bug")

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        response = app.test_client().get("/boom", headers={"X-Request-Id": "req-42"})
        logging.getLogger("okr_ledger.test").warning("after the request")
    finally:
        root.removeHandler(handler)

    assert response.status_code == 500
    assert response.get_json()["error"]["request_id"] == "req-42"
    lines = {r.getMessage(): r.request_id for r in records}  # type: ignore[attr-defined]
    assert lines == {
        "about to fail": "req-42",
        "unhandled error": "req-42",
        "after the request": "-",
    }


# -- metrics -------------------------------------------------------------------------------


def test_requests_are_counted_by_route_rule_and_status_never_by_raw_path(app: Flask) -> None:
    client = app.test_client()
    for _ in range(3):
        client.get(f"/api/v1/key-results/{uuid4()}", headers=AUTH)
    client.get("/api/v1/cycles", headers=AUTH)
    client.get("/api/v1/cycles")
    client.get(f"/random/{uuid4()}")
    client.open(f"/random/{uuid4()}", method="BREW")

    samples = scrape(app)

    requests = {
        labels: value
        for (name, labels), value in samples.items()
        if name == "okr_ledger_http_requests_total"
    }
    rule = "/api/v1/key-results/{key_result_id}"
    assert requests == {
        (("method", "GET"), ("route", rule), ("status", "404")): 3,
        (("method", "GET"), ("route", "/api/v1/cycles"), ("status", "200")): 1,
        (("method", "GET"), ("route", "/api/v1/cycles"), ("status", "401")): 1,
        (("method", "GET"), ("route", "unmatched"), ("status", "404")): 1,
        (("method", "other"), ("route", "unmatched"), ("status", "404")): 1,
    }
    latency = (
        "okr_ledger_http_request_duration_seconds_count",
        (("method", "GET"), ("route", rule)),
    )
    assert samples[latency] == 3
    histograms = {
        dict(labels)["route"]
        for name, labels in samples
        if name == "okr_ledger_http_request_duration_seconds_bucket"
    }
    assert histograms == {rule, "/api/v1/cycles", "unmatched"}


def test_view_lag_is_the_log_head_minus_each_read_model_position(
    app: Flask, services: Services
) -> None:
    build_org(services.bus)
    head = services.ledger.head_position()

    behind = scrape(app)
    services.read_models.catch_up()
    caught_up = scrape(app)

    assert behind[("okr_ledger_log_head_position", ())] == head
    for view in ("audit", "state"):
        assert behind[("okr_ledger_view_lag_events", (("view", view),))] == head
        assert caught_up[("okr_ledger_view_lag_events", (("view", view),))] == 0


def test_publisher_lag_appears_once_a_publisher_has_recorded_a_position(
    app: Flask, services: Services
) -> None:
    build_org(services.bus)
    head = services.ledger.head_position()
    lag = ("okr_ledger_publisher_lag_events", (("topic", "okr-ledger.events"),))

    before = scrape(app)
    store = services.read_models.store
    with store.transaction() as cursor:
        store.advance(cursor, "publisher@okr-ledger.events", head - 2)

    assert lag not in before
    assert scrape(app)[lag] == 2


def test_checkpoint_age_appears_once_a_checkpoint_exists(app: Flask, services: Services) -> None:
    age = ("okr_ledger_checkpoint_age_seconds", ())

    without = scrape(app)
    services.newest_checkpoint = lambda: datetime.now(UTC) - timedelta(hours=1)
    with_one = scrape(app)

    assert age not in without
    assert 3600 <= with_one[age] < 3600 + 600


def test_a_metrics_token_when_set_is_required(services: Services) -> None:
    services.settings = Settings(database_url="memory://", metrics_token="scrape-me")
    app = create_app(services, {"TESTING": True})
    client = app.test_client()

    refused = [
        client.get("/metrics"),
        client.get("/metrics", headers={"Authorization": "Bearer wrong"}),
        client.get("/metrics", headers={"Authorization": "Bearer sçrape"}),
        client.get("/metrics", headers=AUTH),
    ]

    assert [r.status_code for r in refused] == [401] * 4
    assert refused[0].get_json()["error"]["code"] == "unauthenticated"
    assert scrape(app, Authorization="Bearer scrape-me")


def test_metrics_need_no_token_by_default_and_answer_openmetrics_when_asked(app: Flask) -> None:
    response = app.test_client().get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )

    assert response.status_code == 200
    assert response.content_type.startswith("application/openmetrics-text")
    assert response.get_data(as_text=True).endswith("# EOF\n")


# -- the OpenAPI document ----------------------------------------------------------------


@pytest.fixture
def spec(app: Flask) -> dict[str, Any]:
    document: dict[str, Any] = app.test_client().get("/openapi.json").get_json()
    return document


def test_the_document_describes_metrics_and_the_request_id_in_error_bodies(
    spec: dict[str, Any],
) -> None:
    metrics = spec["paths"]["/metrics"]["get"]
    detail = spec["components"]["schemas"]["ApiErrorDetail"]

    assert metrics["security"] == []
    assert "text/plain" in metrics["responses"]["200"]["content"]
    assert "401" in metrics["responses"]
    assert detail["properties"]["request_id"]["type"] == "string"
    assert "request_id" not in detail.get("required", [])


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/cycles/{cycle_id}/close", "post"),
        ("/api/v1/cycles/{cycle_id}/reopen", "post"),
        ("/api/v1/key-results/{key_result_id}/check-ins", "post"),
        ("/api/v1/key-results/{key_result_id}/check-ins/{check_in_id}/corrections", "post"),
        ("/api/v1/key-results/{key_result_id}/score-override", "post"),
        ("/api/v1/objectives/{objective_id}/reflection", "post"),
        ("/api/v1/objectives/{objective_id}/carry-forward", "post"),
        ("/api/v1/key-results/{key_result_id}/carry-forward", "post"),
    ],
)
def test_the_acts_a_closed_cycle_concerns_state_its_rule(
    spec: dict[str, Any], path: str, method: str
) -> None:
    assert CLOSED_CYCLE_RULE in spec["paths"][path][method]["description"]
    assert CLOSED_CYCLE_RULE in spec["info"]["description"]


def test_the_idempotency_key_is_documented_as_per_principal(spec: dict[str, Any]) -> None:
    check_in = spec["paths"]["/api/v1/key-results/{key_result_id}/check-ins"]["post"]
    header = next(p for p in check_in["parameters"] if p["name"] == "Idempotency-Key")

    assert "per principal" in header["description"]


def test_the_retrospective_points_to_the_scoring_rules(spec: dict[str, Any]) -> None:
    retrospective = spec["paths"]["/api/v1/cycles/{cycle}/retrospective"]["get"]

    assert "docs/scoring.md" in retrospective["description"]
