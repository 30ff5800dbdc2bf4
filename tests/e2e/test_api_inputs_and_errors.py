"""The API as a contract: unknown routes and methods, inputs no store can hold, integers
beyond any store, teams and cycles named by key, If-Match only where it applies, and a
document that states the limits the API enforces and links what creating routes make."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from commands.schemas import MAX_INTEGER
from ledger.cycle import Cycle
from ledger.priorities import Priorities
from ledger.team import Team
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from tests.conftest import build_org, grant_token
from tests.e2e.conftest import TOKENS, ServicesSwitch, World, error_of
from web.resources import API

TEAMS = f"{API}/teams"


@pytest.fixture(scope="module")
def spec(app: tuple[Flask, ServicesSwitch]) -> dict[str, Any]:
    document: dict[str, Any] = app[0].test_client().get("/openapi.json").get_json()
    return document


# -- routes and methods ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nothing-here", f"{API}/nothing-here", f"{TEAMS}/a/b/c/d"])
def test_an_unknown_route_answers_404_not_found_in_the_one_error_shape(
    shared_world: World, path: str
) -> None:
    response = shared_world.api.get(path)

    error_of(response, 404, "not_found")


def test_a_route_asked_with_another_method_answers_405_naming_the_allowed_ones(
    shared_world: World,
) -> None:
    response = shared_world.api.as_("admin", "DELETE", f"{API}/cycles")

    error_of(response, 405, "method_not_allowed")
    assert set(re.split(r",\s*", response.headers["Allow"])) >= {"GET", "POST"}


# -- inputs no store can hold ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("key", "ops\x00", "NUL"),
        ("name", "Ops \ud800", "surrogate"),
    ],
)
def test_text_no_store_can_hold_is_refused_naming_the_field(
    shared_world: World, field: str, value: str, problem: str
) -> None:
    body = {"key": "ops", "name": "Ops", "level": "team", "parent_id": str(shared_world.function)}
    body[field] = value
    before = shared_world.head()

    response = shared_world.api.as_("admin", "POST", TEAMS, body)

    error = error_of(response, 422, "validation_failed", field)
    assert problem in error["fields"][field][0]
    assert shared_world.head() == before


def test_text_no_store_can_hold_is_refused_in_a_query(shared_world: World) -> None:
    response = shared_world.api.get(f"{API}/audit?actor=amira%00")

    error_of(response, 422, "validation_failed", "actor")


def test_json_nested_deeper_than_a_parser_follows_is_malformed(shared_world: World) -> None:
    before = shared_world.head()
    response = shared_world.api(
        "POST", TEAMS, token=TOKENS["admin"], data="[" * 100_000 + "]" * 100_000
    )

    error_of(response, 400, "malformed_json")
    assert shared_world.head() == before


def test_a_body_beyond_a_mebibyte_answers_413_payload_too_large(shared_world: World) -> None:
    body = {"key": "ops", "name": "x" * (1024 * 1024), "level": "company"}
    response = shared_world.api.as_("admin", "POST", TEAMS, body)

    error_of(response, 413, "payload_too_large")


# -- integers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, Any]]:
    """The app on an SQLite file, whose integers stop at 2^63 - 1."""
    path: Path = tmp_path_factory.mktemp("integers") / "ledger.sqlite"
    services = bootstrap(Settings(database_url=f"sqlite:///{path}"))
    grant_token(services.bus, "integers", "ivan")
    org = build_org(services.bus)
    from web import create_app

    yield create_app(services, {"TESTING": True}).test_client(), org
    services.close()


@pytest.mark.parametrize("value", [2**53, 2**63, 2**64, 10**30])
@pytest.mark.parametrize(
    "path",
    [
        f"{API}/audit?cursor={{}}",
        f"{API}/cycles?min_position={{}}",
        f"{TEAMS}/{{team}}?version={{}}",
    ],
)
def test_an_integer_beyond_the_safe_range_is_refused_not_a_server_error(
    sqlite_client: tuple[FlaskClient, Any], path: str, value: int
) -> None:
    client, org = sqlite_client
    url = path.replace("{team}", str(org.team)).format(value)

    response = client.get(url, headers={"Authorization": "Bearer integers"})

    assert response.status_code == 422, response.get_json()
    name = re.search(r"\?(\w+)=", url)[1]  # type: ignore[index]
    assert response.get_json()["error"]["fields"][name]


def test_the_largest_safe_integer_is_taken(sqlite_client: tuple[FlaskClient, Any]) -> None:
    client, _ = sqlite_client
    response = client.get(
        f"{API}/audit?cursor={MAX_INTEGER}", headers={"Authorization": "Bearer integers"}
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["events"] == []


def inputs(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema a client fills in: parameters and request bodies, with where."""

    def walk(where: str, node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                yield from walk(f"{where}>{name}", spec["components"]["schemas"][name])
                return
            yield where, node
            for key, value in node.items():
                yield from walk(f"{where}/{key}", value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(f"{where}/{i}", value)

    for path, item in spec["paths"].items():
        for parameter in item.get("parameters", []):
            yield from walk(f"{path} {parameter['name']}", parameter["schema"])
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                yield from walk(f"{method} {path} {parameter['name']}", parameter["schema"])
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk(f"{method} {path} body", content["schema"])


def test_every_integer_a_client_sends_is_bounded_in_the_document(spec: dict[str, Any]) -> None:
    unbounded = [
        where
        for where, node in inputs(spec)
        if node.get("type") == "integer" and not node.get("maximum", 2**63) <= MAX_INTEGER
    ]

    assert unbounded == []


def test_every_number_a_client_sends_has_its_limits_in_the_document(
    spec: dict[str, Any],
) -> None:
    numbers = [(w, n) for w, n in inputs(spec) if n.get("type") == "number"]
    assert numbers
    for where, node in numbers:
        assert node["minimum"] >= -(10**15), where
        assert node["maximum"] <= 10**15, where
        assert "ten decimal places" in node["description"], where


def test_the_document_says_weights_are_positive_and_scores_lie_in_zero_to_one(
    spec: dict[str, Any],
) -> None:
    schemas = spec["components"]["schemas"]
    weight = schemas["DefineKeyResult"]["properties"]["weight"]
    assert (weight["minimum"], weight["exclusiveMinimum"]) == (0, True)
    score = schemas["OverrideScore"]["properties"]["score"]
    assert (score["minimum"], score["maximum"]) == (0, 1)


# -- teams and cycles by key ---------------------------------------------------------------


def test_a_team_and_a_cycle_are_read_by_key_as_by_id(shared_world: World) -> None:
    for path, ident in [
        (f"{TEAMS}/contact", Team.id_for("contact")),
        (f"{API}/cycles/2026-Q3", Cycle.id_for("2026-Q3")),
    ]:
        by_key = shared_world.api.get(path)
        by_id = shared_world.api.get(path.rsplit("/", 1)[0] + f"/{ident}")

        assert by_key.status_code == 200, by_key.get_json()
        assert by_key.get_json() == by_id.get_json()


def test_a_key_that_names_nothing_answers_404(shared_world: World) -> None:
    error_of(shared_world.api.get(f"{API}/cycles/2031-Q9"), 404, "not_found")


def test_priorities_are_set_and_read_with_the_team_and_cycle_by_key(world: World) -> None:
    path = f"{TEAMS}/contact/cycles/2026-Q3/priorities"
    order = [str(world.objective2), str(world.objective)]

    written = world.api.as_("editor", "PUT", path, {"order": order, "reason": "calls first"})

    assert written.status_code == 200, written.get_json()
    read = world.api.get(path)
    assert read.get_json()["id"] == str(Priorities.id_for(world.team, world.cycle))
    assert read.get_json()["state"]["order"] == order


def test_the_document_says_team_and_cycle_parameters_take_a_key(spec: dict[str, Any]) -> None:
    parameter = next(
        p for p in spec["paths"][f"{API}/cycles/{{cycle_id}}"]["parameters"] if p["in"] == "path"
    )
    assert parameter["schema"]["type"] == "string"
    assert "key" in parameter["schema"]["description"]


# -- If-Match ------------------------------------------------------------------------------


def test_a_creating_route_refuses_an_if_match_with_a_version(shared_world: World) -> None:
    body = {"key": "ops", "name": "Ops", "level": "team", "parent_id": str(shared_world.function)}
    before = shared_world.head()

    response = shared_world.api.as_("admin", "POST", TEAMS, body, headers={"If-Match": '"3"'})

    error_of(response, 400, "if_match_not_applicable", "If-Match")
    assert shared_world.head() == before


def test_a_creating_route_takes_if_match_star(world: World) -> None:
    body = {"key": "ops", "name": "Ops", "level": "team", "parent_id": str(world.function)}

    response = world.api.as_("admin", "POST", TEAMS, body, headers={"If-Match": "*"})

    assert response.status_code == 201, response.get_json()


# -- links -----------------------------------------------------------------------------------


def operation_ids(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Each operation's path parameters, by operationId."""
    return {
        operation["operationId"]: re.findall(r"{(\w+)}", path)
        for path, item in spec["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def links_of(spec: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    return spec["paths"][path][method]["responses"]["201"]["links"]  # type: ignore[no-any-return]


def test_creating_routes_link_what_they_made_to_the_operations_that_take_it(
    spec: dict[str, Any],
) -> None:
    objective = links_of(spec, f"{API}/objectives")
    assert objective["DefineKeyResult"]["parameters"] == {"objective_id": "$response.body#/id"}
    key_result = links_of(spec, f"{API}/objectives/{{objective_id}}/key-results")
    assert key_result["CheckIn"]["parameters"] == {"key_result_id": "$response.body#/id"}
    check_in = links_of(spec, f"{API}/key-results/{{key_result_id}}/check-ins")
    assert check_in["CorrectCheckIn"]["parameters"] == {
        "key_result_id": "$request.path.key_result_id",
        "check_in_id": "$response.body#/id",
    }
    cycle = links_of(spec, f"{API}/cycles")
    assert cycle["getCycleOkrs"]["parameters"] == {"cycle": "$response.body#/id"}


def test_every_link_names_an_operation_and_fills_all_its_path_parameters(
    spec: dict[str, Any],
) -> None:
    params = operation_ids(spec)
    links = [
        link
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) > 50
    for link in links:
        assert sorted(link["parameters"]) == sorted(params[link["operationId"]]), link


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize(
    "path", [f"{API}/cycles/2026-Q3/okrs?as_of={{}}", f"{API}/audit?from={{}}"]
)
def test_a_time_with_a_zone_that_leaves_the_calendar_in_utc_is_refused(
    shared_world: World, path: str, instant: str
) -> None:
    response = shared_world.api.get(path.format(instant.replace("+", "%2B")))

    error = error_of(response, 422, "validation_failed")
    assert "9999" in next(iter(error["fields"].values()))[0]


def test_an_effective_time_that_leaves_the_calendar_in_utc_is_refused(
    shared_world: World,
) -> None:
    before = shared_world.head()
    body = {"value": 41, "confidence": "on_track", "effective_at": "0001-01-01T00:00:00+14:00"}
    path = f"{API}/key-results/{shared_world.key_result}/check-ins"

    response = shared_world.api.as_("admin", "POST", path, body)

    error_of(response, 422, "validation_failed", "effective_at")
    assert shared_world.head() == before
