"""The read routes end to end: each kind's state (current, at a version, as of an
instant) with its ETag, its audit history, and the routes open to anyone."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

import pytest

from eventlog.vocabulary import time_text
from ledger.base import LedgerAggregate
from ledger.cycle import Cycle
from ledger.decision import Decision
from ledger.dependency import Dependency
from ledger.initiative import Initiative
from ledger.key_result import KeyResult
from ledger.kpi import Kpi
from ledger.objective import Objective
from ledger.priorities import Priorities
from ledger.strategy import Strategy
from ledger.team import Team
from tests.conftest import FakeClock
from tests.e2e.conftest import NAMES, World, error_of
from web.resources import API, CONVERTER


@dataclass(frozen=True)
class Kind:
    """One kind of aggregate: its read route and the world's instance of it."""

    cls: type[LedgerAggregate]
    rule: str
    url: Callable[[World], str]
    ident: Callable[[World], UUID]

    def version(self, world: World) -> int:
        return int(world.ledger.get(self.cls, self.ident(world)).version)


def kind(cls: type[LedgerAggregate], segment: str, attr: str, param: str) -> Kind:
    return Kind(
        cls,
        f"{API}/{segment}/<{CONVERTER.get(param, 'uuid')}:{param}>",
        lambda w: f"{API}/{segment}/{getattr(w, attr)}",
        lambda w: getattr(w, attr),  # type: ignore[no-any-return]
    )


KINDS = {
    "strategy": kind(Strategy, "strategies", "strategy", "strategy_id"),
    "team": kind(Team, "teams", "team", "team_id"),
    "cycle": kind(Cycle, "cycles", "cycle", "cycle_id"),
    "objective": kind(Objective, "objectives", "objective", "objective_id"),
    "key result": kind(KeyResult, "key-results", "key_result", "key_result_id"),
    "initiative": kind(Initiative, "initiatives", "initiative", "initiative_id"),
    "dependency": kind(Dependency, "dependencies", "dependency", "dependency_id"),
    "KPI": kind(Kpi, "kpis", "kpi", "kpi_id"),
    "decision": kind(Decision, "decisions", "decision", "decision_id"),
    "priorities": Kind(
        Priorities,
        f"{API}/teams/<team:team_id>/cycles/<cycle:cycle_id>/priorities",
        lambda w: f"{API}/teams/{w.team}/cycles/{w.cycle}/priorities",
        lambda w: Priorities.id_for(w.team, w.cycle),
    ),
}
ALL = list(KINDS)


def query(url: str, **params: Any) -> str:
    return f"{url}?{urlencode(params)}"


def test_every_read_route_of_the_app_is_covered(app: Any) -> None:
    flask_app, _ = app
    reads = {
        rule.rule
        for rule in flask_app.url_map.iter_rules()
        if rule.rule.startswith(f"{API}/") and "GET" in rule.methods
    }
    states = {k.rule for k in KINDS.values()}
    read_models = {  # covered by test_read_models.py
        f"{API}/cycles",
        f"{API}/cycles/<cycle>/okrs",
        f"{API}/cycles/<cycle>/alignment",
        f"{API}/cycles/<cycle>/priorities/history",
        f"{API}/cycles/<cycle>/diff",
        f"{API}/cycles/<cycle>/retrospective",
        f"{API}/cycles/<cycle>/retrospective/key-results/<key_result>/chart.svg",
        f"{API}/kpis/health",
        f"{API}/audit",
        f"{API}/cycles/<cycle>/due",  # covered by test_api_webhooks.py and unit/test_due.py
    }
    log = {  # covered by test_log_routes.py
        f"{API}/log/checkpoint",
        f"{API}/log/key",
        f"{API}/log/proofs/inclusion",
        f"{API}/log/proofs/consistency",
        f"{API}/log/entries/<index>",
        f"{API}/log/receipts/<correlation_id>",
    }
    webhooks = {  # covered by test_api_webhooks.py
        f"{API}/webhooks",
        f"{API}/webhooks/<uuid:subscription_id>",
    }
    assert reads - read_models - log - webhooks == states | {f"{rule}/history" for rule in states}


# -- state ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_a_viewer_reads_the_state_with_its_version_as_etag(shared_world: World, name: str) -> None:
    kind = KINDS[name]
    response = shared_world.api.get(kind.url(shared_world), "viewer")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"id", "type", "version", "created_on", "modified_on", "state"}
    assert body["id"] == str(kind.ident(shared_world))
    assert body["type"] == kind.cls.__name__
    assert body["version"] == kind.version(shared_world)
    assert isinstance(body["state"], dict)
    assert body["state"]
    assert response.headers["ETag"] == f'"{body["version"]}"'


def test_a_key_result_reads_with_its_score(shared_world: World) -> None:
    state = shared_world.api.get(f"{API}/key-results/{shared_world.key_result}").get_json()
    assert state["state"]["score"]["final"] == "0.25"  # 45 on the way from 40 to 60
    assert [c["value"] for c in state["state"]["check_ins"]] == ["45"]


@pytest.mark.parametrize("name", ALL)
def test_if_none_match_with_the_current_etag_gets_304(shared_world: World, name: str) -> None:
    url = KINDS[name].url(shared_world)
    etag = shared_world.api.get(url).headers["ETag"]

    response = shared_world.api.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == etag


def test_if_none_match_with_an_old_etag_gets_the_state(shared_world: World) -> None:
    response = shared_world.api.get(
        f"{API}/objectives/{shared_world.objective}", headers={"If-None-Match": '"1"'}
    )
    assert response.status_code == 200
    assert response.get_json()["version"] > 1


@pytest.mark.parametrize("form", ["W/{etag}", '"0", {etag}', "*"])
def test_if_none_match_in_its_other_forms_gets_304(shared_world: World, form: str) -> None:
    url = f"{API}/objectives/{shared_world.objective}"
    etag = shared_world.api.get(url).headers["ETag"]
    response = shared_world.api.get(url, headers={"If-None-Match": form.format(etag=etag)})
    assert response.status_code == 304


@pytest.mark.parametrize("name", ALL)
def test_a_version_query_gives_that_version(shared_world: World, name: str) -> None:
    kind = KINDS[name]
    url = kind.url(shared_world)
    current = kind.version(shared_world)

    for version in {1, current}:
        response = shared_world.api.get(query(url, version=version))
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["version"] == version
        assert response.headers["ETag"] == f'"{version}"'

    error_of(shared_world.api.get(query(url, version=current + 1)), 404, "not_found")
    error_of(shared_world.api.get(query(url, version=0)), 422, "validation_failed", "version")
    error_of(shared_world.api.get(query(url, version="two")), 422, "validation_failed")


def test_an_earlier_version_shows_the_earlier_state(world: World) -> None:
    url = f"{API}/objectives/{world.objective}"
    before = world.api.get(url).get_json()
    reworded = world.api.as_("editor", "PUT", f"{url}/statement", {"statement": "New words"})
    assert reworded.status_code == 200

    old = world.api.get(query(url, version=before["version"])).get_json()
    new = world.api.get(url).get_json()
    assert old["state"]["statement"] == before["state"]["statement"] != "New words"
    assert new["state"]["statement"] == "New words"
    assert new["version"] == before["version"] + 1


@pytest.mark.parametrize("name", ALL)
def test_as_of_gives_the_state_recorded_by_then_and_404_before_creation(
    shared_world: World, name: str
) -> None:
    kind = KINDS[name]
    url = kind.url(shared_world)
    built_at = shared_world.built_at

    response = shared_world.api.get(query(url, as_of=built_at.isoformat()))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == kind.version(shared_world)

    earlier = (built_at - timedelta(seconds=1)).isoformat()
    error_of(shared_world.api.get(query(url, as_of=earlier)), 404, "not_found")


def test_as_of_picks_the_version_recorded_by_that_instant(world: World, clock: FakeClock) -> None:
    url = f"{API}/objectives/{world.objective}"
    drafted = world.api.get(url).get_json()
    clock.advance(hours=1)
    world.api.as_("editor", "PUT", f"{url}/owner", {"owner": "first.owner"})
    clock.advance(hours=1)
    world.api.as_("editor", "PUT", f"{url}/owner", {"owner": "second.owner"})
    start: datetime = datetime.fromisoformat(drafted["modified_on"])

    def owner_as_of(instant: datetime) -> tuple[int, str]:
        body = world.api.get(query(url, as_of=instant.isoformat())).get_json()
        return body["version"], body["state"]["owner"]

    v = drafted["version"]
    assert owner_as_of(start + timedelta(minutes=30)) == (v, "olu.owner")
    assert owner_as_of(start + timedelta(hours=1)) == (v + 1, "first.owner")
    assert owner_as_of(start + timedelta(minutes=90)) == (v + 1, "first.owner")
    assert owner_as_of(start + timedelta(days=1)) == (v + 2, "second.owner")
    zulu = query(url, as_of=(start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert world.api.get(zulu).get_json()["version"] == v


def test_a_naive_as_of_gets_422_and_version_with_as_of_gets_400(shared_world: World) -> None:
    url = f"{API}/objectives/{shared_world.objective}"
    naive = query(url, as_of="2026-07-06T12:00:00")
    error_of(shared_world.api.get(naive), 422, "validation_failed", "as_of")
    both = query(url, version=1, as_of="2026-07-06T12:00:00+00:00")
    error_of(shared_world.api.get(both), 400, "conflicting_query")


@pytest.mark.parametrize("name", ALL)
def test_an_unknown_id_gets_404(shared_world: World, name: str) -> None:
    url = re.sub(r"<\w+:\w+>", lambda _: str(uuid4()), KINDS[name].rule)
    error_of(shared_world.api.get(url), 404, "not_found")
    error_of(shared_world.api.get(f"{url}/history", "auditor"), 404, "not_found")


def test_the_priorities_of_a_cycle_without_objectives_get_404(shared_world: World) -> None:
    w = shared_world
    url = f"{API}/teams/{w.team}/cycles/{w.planning_cycle}/priorities"
    error_of(w.api.get(url), 404, "not_found")


def test_the_id_of_another_kind_gets_404(shared_world: World) -> None:
    response = shared_world.api.get(f"{API}/teams/{shared_world.objective}")
    error_of(response, 404, "not_found")


@pytest.mark.parametrize("name", ALL)
def test_reading_without_a_token_gets_401(shared_world: World, name: str) -> None:
    url = KINDS[name].url(shared_world)
    for path in (url, f"{url}/history"):
        response = shared_world.api("GET", path)
        error_of(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    unknown = shared_world.api("GET", url, token="nobody")
    error_of(unknown, 401, "unauthenticated")


# -- history -------------------------------------------------------------------------

EVENT_FIELDS = {
    "position",
    "type",
    "aggregate_id",
    "version",
    "recorded_at",
    "effective_at",
    "actor",
    "reason",
    "decision_id",
    "correlation_id",
    "command_id",
    "data",
}


@pytest.mark.parametrize("who", ["auditor", "admin"])
@pytest.mark.parametrize("name", ALL)
def test_the_history_lists_every_event_with_its_metadata(
    shared_world: World, name: str, who: str
) -> None:
    kind = KINDS[name]
    ident = kind.ident(shared_world)

    response = shared_world.api.get(f"{kind.url(shared_world)}/history", who)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["aggregate_id"] == str(ident)
    events = body["events"]
    assert [e["version"] for e in events] == list(range(1, kind.version(shared_world) + 1))
    positions = shared_world.ledger.positions_of(ident)
    assert [e["position"] for e in events] == [positions[e["version"]] for e in events]
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)
    for event in events:
        assert set(event) == EVENT_FIELDS
        assert event["aggregate_id"] == str(ident)
        assert event["type"].startswith(f"{kind.cls.__name__}.")
        assert event["actor"] == "ada.admin"  # the org's builder, through the bus
        assert UUID(event["correlation_id"])
        assert time_text(event["recorded_at"]) == event["recorded_at"]  # canonical UTC
        assert time_text(event["effective_at"]) == event["effective_at"]


@pytest.mark.parametrize("who", ["viewer", "editor"])
@pytest.mark.parametrize("name", ALL)
def test_the_history_is_for_auditors_and_admins_only(
    shared_world: World, name: str, who: str
) -> None:
    response = shared_world.api.get(f"{KINDS[name].url(shared_world)}/history", who)
    error_of(response, 403, "forbidden")


def test_the_history_shows_who_why_when_and_under_which_decision(
    world: World, clock: FakeClock
) -> None:
    clock.advance(days=2)
    back_dated = (clock.now - timedelta(days=1)).isoformat()
    written = world.api.as_(
        "editor",
        "POST",
        f"{API}/key-results/{world.key_result}/check-ins",
        {
            "value": 48,
            "confidence": "on_track",
            "effective_at": back_dated,
            "reason": "late entry",
            "decision_id": str(world.decision),
        },
        headers={"Idempotency-Key": "check-in-7"},
    ).get_json()

    history = world.api.get(f"{API}/key-results/{world.key_result}/history", "auditor")
    last = history.get_json()["events"][-1]

    assert last["type"] == "KeyResult.CheckedIn"
    assert last["actor"] == NAMES["editor"]
    assert last["reason"] == "late entry"
    assert last["decision_id"] == str(world.decision)
    assert last["command_id"] == "check-in-7"
    assert last["correlation_id"] == written["correlation_id"]
    assert datetime.fromisoformat(last["effective_at"]) == datetime.fromisoformat(back_dated)
    assert last["recorded_at"] == time_text(clock.now)
    assert last["data"]["value"] == "48"


# -- routes open to anyone, and routes that do not exist --------------------------------


def test_health_and_readiness_need_no_token(shared_world: World) -> None:
    health = shared_world.api("GET", "/healthz")
    assert (health.status_code, health.get_json()) == (200, {"status": "ok"})
    ready = shared_world.api("GET", "/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "position": shared_world.head()}


def test_an_unknown_path_gets_404_in_the_error_shape(shared_world: World) -> None:
    error_of(shared_world.api.get(f"{API}/nothing-here"), 404, "not_found")
    error_of(shared_world.api.get(f"{API}/objectives/not-a-uuid"), 404, "not_found")


def test_a_wrong_method_gets_405_in_the_error_shape(shared_world: World) -> None:
    url = f"{API}/objectives/{shared_world.objective}"
    response = shared_world.api.as_("admin", "PATCH", url, {})
    error_of(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    error_of(shared_world.api.as_("admin", "DELETE", f"{API}/kpis"), 405, "method_not_allowed")
