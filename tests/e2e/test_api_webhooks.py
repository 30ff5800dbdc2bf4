"""Webhook subscriptions and what is due, over HTTP: who may subscribe, the secret shown
once and kept out of every event, history and read model, private targets refused with
nothing written, and every answer as the document says."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.e2e.conftest import World, error_of
from tests.e2e.contract import violations

PUBLIC = "https://93.184.216.34/okr-hook"
"""a public address (an address literal needs no name lookup)"""
API = "/api/v1"


@pytest.fixture
def spec(world: World) -> dict[str, Any]:
    spec: dict[str, Any] = world.api.client.get("/openapi.json").get_json()
    return spec


def subscribe(world: World, who: str = "admin", **body: Any) -> Any:
    sent = {"url": PUBLIC, "kinds": ["decision_recorded", "target_eased"], **body}
    return world.api.as_(who, "POST", f"{API}/webhooks", sent)


def test_an_admin_subscribes_and_sees_the_secret_once(world: World, spec: dict) -> None:
    response = subscribe(world, preset="slack")
    assert response.status_code == 201, response.get_json()
    assert violations(spec, f"{API}/webhooks", response, method="post") == []
    made = response.get_json()
    assert made["secret"].startswith("whsec_")
    assert (made["preset"], made["status"], made["team_id"]) == ("slack", "active", None)
    assert response.headers["Location"] == f"{API}/webhooks/{made['id']}"

    listed = world.api.get(f"{API}/webhooks")
    assert violations(spec, f"{API}/webhooks", listed) == []
    assert [w["id"] for w in listed.get_json()["webhooks"]] == [made["id"]]
    one = world.api.get(f"{API}/webhooks/{made['id']}")
    assert violations(spec, f"{API}/webhooks/{made['id']}", one) == []
    assert one.get_json()["deliveries"] == {"pending": 0, "delivered": 0, "dead": 0, "dropped": 0}
    for shown in (listed, one):
        assert made["secret"] not in shown.get_data(as_text=True)


def test_the_secret_is_in_no_event_history_or_read_model(world: World, spec: dict) -> None:
    made = subscribe(world).get_json()
    secret = made["secret"]
    history = world.api.get(f"{API}/webhooks/{made['id']}")  # no history route of its own
    assert secret not in history.get_data(as_text=True)
    events = world.ledger.read(0, 100_000)
    assert all(secret not in repr(event) for _, event in events)
    models = world.services.read_models
    models.catch_up()
    rows = models.audit_rows({}, limit=None)
    assert rows
    assert all(secret not in repr(row) for row in rows)
    audit = world.api.get(f"{API}/audit?type=Subscription", "auditor")
    assert violations(spec, f"{API}/audit", audit) == []
    (subscribed,) = audit.get_json()["events"]
    assert subscribed["event_type"] == "Subscription.Subscribed"
    assert secret not in audit.get_data(as_text=True)


def test_an_editor_subscribes_for_their_team_only(world: World) -> None:
    team = str(world.team)
    ok = subscribe(world, "editor", team=team)
    assert ok.status_code == 201
    assert ok.get_json()["team_id"] == team
    error_of(subscribe(world, "editor", team=str(world.other_team)), 403, "forbidden")
    error_of(subscribe(world, "editor"), 403, "forbidden")
    error_of(subscribe(world, "viewer"), 403, "forbidden")
    assert [w["id"] for w in world.api.get(f"{API}/webhooks", "other_editor").get_json()[
        "webhooks"
    ]] == []  # fmt: skip
    error_of(world.api.get(f"{API}/webhooks", "viewer"), 403, "forbidden")
    error_of(world.api.get(f"{API}/webhooks/{ok.get_json()['id']}", "other_editor"), 403,
             "forbidden")  # fmt: skip


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/hook", "http://localhost/", "http://[::1]/", "http://10.0.0.5/"]
)
def test_a_private_target_is_refused_without_the_setting_and_nothing_is_written(
    world: World, url: str
) -> None:
    head = world.head()
    error_of(subscribe(world, url=url), 422, "private_target", "url")
    assert world.head() == head
    assert world.services.deliveries.subscription_ids() == []


def test_a_private_target_is_accepted_with_the_setting(world: World) -> None:
    services = world.services
    services.settings = replace(services.settings, webhook_allow_private=True)
    assert subscribe(world, url="http://127.0.0.1:9/hook").status_code == 201


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"url": "ftp://example.org/"}, "bad_url", "url"),
        ({"url": "https://u:p@93.184.216.34/"}, "bad_url", "url"),
        ({"url": "https://no-such-host.invalid/"}, "unresolvable_target", "url"),
        ({"kinds": []}, "validation_failed", "kinds"),
        ({"kinds": ["everything"]}, "validation_failed", "kinds"),
        ({"preset": "discord"}, "validation_failed", "preset"),
        ({"secret": "whsec_mine"}, "validation_failed", "secret"),
        ({"team": "no-such-team"}, "unknown_reference", "team"),
    ],
)
def test_bad_subscriptions_are_refused_by_field(
    world: World, body: dict, code: str, field: str
) -> None:
    head = world.head()
    response = subscribe(world, **body)
    error_of(response, response.status_code, code, field)
    assert 400 <= response.status_code < 500
    assert world.head() == head


def test_ending_a_subscription_is_an_event_and_cannot_happen_twice(world: World) -> None:
    made = subscribe(world).get_json()
    path = f"{API}/webhooks/{made['id']}"
    ended = world.api.as_("admin", "DELETE", path)
    assert ended.status_code == 200
    assert world.api.get(path).get_json()["status"] == "cancelled"
    error_of(world.api.as_("admin", "DELETE", path), 422, "invalid_transition")
    error_of(world.api.as_("admin", "POST", f"{path}/dead-letters/replay"), 422,
             "invalid_transition")  # fmt: skip
    error_of(world.api.get(f"{API}/webhooks/00000000-0000-0000-0000-000000000000"), 404,
             "not_found")  # fmt: skip


def test_what_is_due_answers_as_the_document_says(world: World, spec: dict) -> None:
    world.services.read_models.catch_up()
    for path in (
        f"{API}/cycles/2026-Q3/due",
        f"{API}/cycles/{world.cycle}/due?team=contact-centre",
    ):
        response = world.api.get(path)
        assert response.status_code == 200, response.get_json()
        assert violations(spec, path.partition("?")[0], response) == []
    error_of(world.api.get(f"{API}/cycles/no-such-cycle/due"), 404, "not_found")
