"""Arbitrary JSON thrown at every write route: only 2xx or 4xx come back, and a 4xx
leaves the log exactly as it was."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from marshmallow import fields as mfields
from marshmallow.validate import OneOf

from commands import messages as m
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from tests.conftest import FakeClock, build_org, grant_token
from web import create_app
from web.resources import RESOURCES
from web.writes import Route

TOKEN = "fuzz-admin-token"
ROUTES: list[tuple[str, Route]] = [
    (f"/api/v1/{segment}", route) for _, segment, _, _, routes in RESOURCES for route in routes
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


def schema_fields(route: Route) -> list[str]:
    return [f.data_key or name for name, f in route.schema().fields.items()]


def value_for(field: mfields.Field, ids: dict[str, str]) -> st.SearchStrategy[Any]:
    """Values a client might plausibly send for one schema field (often valid)."""
    choices = [v for v in getattr(field, "validators", []) if isinstance(v, OneOf)]
    if choices:
        return st.sampled_from(list(choices[0].choices))
    if isinstance(field, mfields.UUID):
        return st.sampled_from(list(ids.values())) | st.uuids().map(str)
    if isinstance(field, mfields.Decimal):
        return st.decimals(-1000, 1000, places=2, allow_nan=False).map(float) | st.integers(
            -5, 100
        )
    if isinstance(field, mfields.Integer):
        return st.integers(-2, 40)
    if isinstance(field, mfields.AwareDateTime):
        return st.datetimes(
            min_value=datetime(2026, 6, 1), max_value=datetime(2026, 8, 1), timezones=st.just(UTC)
        ).map(datetime.isoformat)
    if isinstance(field, mfields.Date):
        return st.dates(date(2026, 6, 1), date(2027, 1, 1)).map(date.isoformat)
    if isinstance(field, mfields.List):
        return st.lists(value_for(field.inner, ids), max_size=3)
    return st.text(min_size=1, max_size=20)


@st.composite
def typed_bodies(draw: st.DrawFn, route: Route, ids: dict[str, str]) -> dict[str, Any]:
    """Objects of the route's fields with values of the right type, most of the time."""
    body = {}
    for name, field in route.schema().fields.items():
        if field.required or draw(st.booleans()):
            body[field.data_key or name] = draw(value_for(field, ids))
    return body


@st.composite
def bodies(draw: st.DrawFn, route: Route, ids: dict[str, str]) -> Any:
    """Arbitrary JSON, an object of the route's own field names with arbitrary (and
    sometimes plausible) values, or one with values of the right types."""
    if draw(st.booleans()):
        return draw(typed_bodies(route, ids))
    names = schema_fields(route)
    plausible = st.sampled_from(
        [
            *ids.values(),
            "2026-07-15",
            "2026-08-01T10:00:00+00:00",
            "increase",
            "on_track",
            "committed",
            "objective",
            "key_result",
            "moscow",
            "rice",
            "must",
            "12.5",
            0,
            1,
            -1,
            "",
            "a reason",
        ]
    )
    shaped = st.dictionaries(
        st.sampled_from(names) if names else st.text(max_size=5),
        st.one_of(plausible, json_values, st.lists(plausible, max_size=3)),
        max_size=len(names) + 1,
    )
    return draw(st.one_of(json_values, shaped, shaped))


@pytest.fixture(scope="module")
def fuzz_world() -> Iterator[tuple[Flask, Services, dict[str, str]]]:
    services = bootstrap(Settings(database_url="memory://"), clock=FakeClock())
    grant_token(services.bus, TOKEN, "fuzzer")
    org = build_org(services.bus)
    objective = org.objective()
    kr = org.key_result(objective)
    check_in = org.do(m.CheckIn(key_result_id=kr, value=Decimal(41), confidence="on_track"))
    strategy = org.do(m.FormulateStrategy(key="s", name="S", vision="V", mission="M"))
    choice = org.do(
        m.AddStrategicChoice(
            strategy_id=strategy.created_id,  # type: ignore[arg-type]
            kind="how_to_win",
            statement="Win",
        )
    )
    initiative = org.do(
        m.ProposeInitiative(team_id=org.team, cycle_id=org.cycle, title="I", owner="o")
    )
    kpi = org.do(
        m.DefineKpi(
            key="k",
            team_id=org.team,
            name="K",
            direction="lower_is_better",
            healthy=Decimal(1),
            warning=Decimal(2),
        )
    )
    dependency = org.do(
        m.DeclareDependency(
            from_kind="objective", from_id=objective, on_team_id=org.other_team, description="d"
        )
    )
    org.do(
        m.OpenCycle(
            key="later", name="Later", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31)
        )
    )
    ids = {
        "strategy_id": strategy.created_id,
        "choice_id": choice.created_id,
        "team_id": org.team,
        "cycle_id": org.cycle,
        "objective_id": objective,
        "parent_id": objective,
        "key_result_id": kr,
        "check_in_id": check_in.created_id,
        "initiative_id": initiative.created_id,
        "kpi_id": kpi.created_id,
        "dependency_id": dependency.created_id,
    }
    app = create_app(services, {"TESTING": True})
    yield app, services, {k: str(v) for k, v in ids.items()}
    services.close()


def fill(rule: str, ids: dict[str, str], random_ids: bool) -> str:
    return re.sub(
        r"<\w+:(\w+)>",
        lambda match: str(uuid4()) if random_ids else ids[match.group(1)],
        rule,
    )


@settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_json_body_gets_a_2xx_or_a_4xx_and_a_4xx_writes_nothing(
    fuzz_world: tuple[Flask, Services, dict[str, str]], data: st.DataObject
) -> None:
    app, services, ids = fuzz_world
    prefix, route = data.draw(st.sampled_from(ROUTES), label="route")
    path = prefix + fill(route.rule, ids, data.draw(st.booleans(), label="random ids"))
    body = data.draw(bodies(route, ids), label="body")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for header in ("Idempotency-Key", "If-Match"):
        if data.draw(st.booleans(), label=f"send {header}"):
            headers[header] = data.draw(
                st.text(
                    alphabet=st.characters(codec="latin-1", exclude_categories=("Cc",)),
                    max_size=12,
                ),
                label=header,
            )
    before = services.ledger.head_position()

    response = app.test_client().open(path, method=route.method, json=body, headers=headers)

    event(f"status {response.status_code}")
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json
    if response.status_code >= 400:
        assert set(response.json["error"]) >= {"status", "code", "message"}
        assert services.ledger.head_position() == before, "a refused request wrote"
    assert services.ledger.verify().intact


def test_the_fuzzer_knows_an_id_for_every_path_parameter(
    fuzz_world: tuple[Flask, Services, dict[str, str]],
) -> None:
    _, _, ids = fuzz_world
    for _, route in ROUTES:
        for name in re.findall(r"<\w+:(\w+)>", route.rule):
            assert UUID(ids[name])
