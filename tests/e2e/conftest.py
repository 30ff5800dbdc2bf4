"""The HTTP API end to end: a Flask test client over services on the in-memory store,
principals of every role with their tokens, and a world holding one of everything the
write routes act on (with cycles in each state)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from commands import messages as m
from commands.principals import Principal
from ledger.principal import Principal as PrincipalRecord
from ledger.principal import token_hash
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from tests.conftest import FakeClock, Org, build_org
from web import create_app
from web.error_codes import CATALOGUE

ROOT = Principal("root", "admin")

PRINCIPALS: dict[str, tuple[str, str, str | None]] = {
    # role key: (name, role, team the editor writes for: an attribute of World)
    "admin": ("alex.admin", "admin", None),
    "editor": ("erin.editor", "editor", "team"),
    "other_editor": ("otto.editor", "editor", "other_team"),
    "function_editor": ("fay.editor", "editor", "function"),
    "far_editor": ("faraz.editor", "editor", "far_team"),
    "auditor": ("aude.auditor", "auditor", None),
    "viewer": ("vic.viewer", "viewer", None),
    "revoked": ("rex.revoked", "admin", None),
}
TOKENS = {key: f"token-of-{key}" for key in PRINCIPALS}
NAMES = {key: name for key, (name, _, _) in PRINCIPALS.items()}


class ServicesSwitch:
    """The services one app serves, switched to each world's own before its requests.

    Building the app costs a few hundred milliseconds (the OpenAPI document), so the
    suite builds it once, on this switch, while every test that writes gets fresh services.
    """

    def __init__(self) -> None:
        self.current: Services | None = None

    def __getattr__(self, name: str) -> Any:
        if self.current is None:
            raise AttributeError(name)
        return getattr(self.current, name)


@dataclass
class Api:
    """The test client, speaking JSON with a bearer token, to one world's services."""

    client: FlaskClient
    switch: ServicesSwitch
    services: Services

    def __call__(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        data: str | None = None,
        content_type: str = "application/json",
    ) -> TestResponse:
        self.switch.current = self.services
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if data is not None:
            return self.client.open(
                path, method=method, data=data, content_type=content_type, headers=sent
            )
        return self.client.open(path, method=method, json=json, headers=sent)

    def as_(self, who: str, method: str, path: str, json: Any = None, **kw: Any) -> TestResponse:
        """A request by one of the principals of ``PRINCIPALS`` (by role key)."""
        return self(method, path, json, token=TOKENS[who], **kw)

    def get(self, path: str, who: str = "admin", **kw: Any) -> TestResponse:
        return self.as_(who, "GET", path, **kw)


def error_of(
    response: TestResponse, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    """The error of a response in the API's one error shape, checked."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert list(body) == ["error"], body
    error: dict[str, Any] = body["error"]
    assert error["status"] == status
    assert error["code"] == code, error
    assert CATALOGUE[code].status == status, "the catalogue gives this code another status"
    assert isinstance(error["message"], str)
    assert error["message"]
    if field is not None:
        assert field in error.get("fields", {}), error
    return error


@dataclass
class World:
    """Everything the route scenarios act on, and the app that serves it."""

    services: Services
    api: Api
    built_at: datetime
    """the (fake) time every event of the world was recorded at"""
    org: Org
    far_function: UUID
    far_team: UUID
    strategy: UUID
    choice: UUID
    """linked to ``objective``"""
    spare_choice: UUID
    """not linked to anything"""
    parent_objective: UUID
    """the function's objective; ``objective`` is aligned under it"""
    objective: UUID
    objective2: UUID
    other_objective: UUID
    key_result: UUID
    """of ``objective``: increase 40 → 60, one check-in; ``initiative`` links to it"""
    key_result2: UUID
    check_in: UUID
    initiative: UUID
    """proposed, linked to ``key_result``"""
    active_initiative: UUID
    dependency: UUID
    """from ``objective`` (team) on ``other_team``, declared"""
    kpi: UUID
    decision: UUID
    planning_cycle: UUID
    review_cycle: UUID
    review_objective: UUID
    review_key_result: UUID
    carried_objective: UUID
    """the other team's objective of the review cycle, carried forward into the planning
    cycle with its key result"""
    closed_cycle: UUID

    @property
    def ledger(self) -> Any:
        return self.services.ledger

    @property
    def team(self) -> UUID:
        return self.org.team

    @property
    def other_team(self) -> UUID:
        return self.org.other_team

    @property
    def function(self) -> UUID:
        return self.org.function

    @property
    def cycle(self) -> UUID:
        """the active cycle"""
        return self.org.cycle

    def head(self) -> int:
        return int(self.services.ledger.head_position())


def _created(outcome: Any) -> UUID:
    assert outcome.created_id is not None
    return outcome.created_id  # type: ignore[no-any-return]


def _cycle(org: Org, key: str, steps: tuple[type[m.Command], ...]) -> UUID:
    month = {"2026-Q1": 1, "2026-Q2": 4, "2026-Q4": 10}[key]
    cycle = _created(
        org.do(
            m.OpenCycle(
                key=key,
                name=key,
                starts_on=date(2026, month, 1),
                ends_on=date(2026, month + 2, 28),
            )
        )
    )
    for step in steps:
        org.do(step(cycle_id=cycle, reason="the board said so"))  # type: ignore[call-arg]
    return cycle


def build_world(services: Services, api: Api) -> World:
    bus = services.bus
    built_at = bus.clock()
    org = build_org(bus)
    do = org.do
    far_function = _created(
        do(m.FormTeam(key="finance", name="Finance", level="function", parent_id=org.company))
    )
    far_team = _created(
        do(m.FormTeam(key="payroll", name="Payroll", level="team", parent_id=far_function))
    )
    teams = {
        "team": org.team,
        "other_team": org.other_team,
        "function": org.function,
        "far_team": far_team,
    }
    for key, (name, role, team) in PRINCIPALS.items():
        do(
            m.AddPrincipal(
                name=name,
                role=role,
                team_ids=(teams[team],) if team else (),
                token_hash=token_hash(TOKENS[key]),
            ),
            ROOT,
        )
    do(m.RevokePrincipal(principal_id=PrincipalRecord.id_for(NAMES["revoked"])), ROOT)

    strategy = _created(
        do(
            m.FormulateStrategy(
                key="city-2030", name="City 2030", vision="A city that works", mission="Serve"
            )
        )
    )
    choice = _created(
        do(m.AddStrategicChoice(strategy_id=strategy, kind="how_to_win", statement="Digital"))
    )
    spare_choice = _created(
        do(m.AddStrategicChoice(strategy_id=strategy, kind="where_to_play", statement="Homes"))
    )

    parent_objective = org.objective("Residents trust the council", team=org.function)
    objective = org.objective()
    objective2 = org.objective("Answer every call within a minute")
    other_objective = org.objective("Fix repairs first time", team=org.other_team)
    do(m.LinkObjectiveToChoice(objective_id=objective, strategy_id=strategy, choice_id=choice))
    do(
        m.AlignObjective(
            objective_id=objective, parent_kind="objective", parent_id=parent_objective
        )
    )
    key_result = org.key_result(objective)
    key_result2 = org.key_result(
        objective,
        "Cut waits from 5 to 1 minute",
        kind="decrease",
        baseline=Decimal(5),
        target=Decimal(1),
    )
    check_in = _created(
        do(m.CheckIn(key_result_id=key_result, value=Decimal(45), confidence="on_track"))
    )

    initiative = _created(
        do(
            m.ProposeInitiative(
                team_id=org.team,
                cycle_id=org.cycle,
                title="Self-service renewals",
                owner="ivy.owner",
                key_result_ids=(key_result,),
            )
        )
    )
    active_initiative = _created(
        do(
            m.ProposeInitiative(
                team_id=org.team, cycle_id=org.cycle, title="Call-back", owner="ivy.owner"
            )
        )
    )
    do(m.StartInitiative(initiative_id=active_initiative))
    dependency = _created(
        do(
            m.DeclareDependency(
                from_kind="objective",
                from_id=objective,
                on_team_id=org.other_team,
                description="Repairs must share their booking calendar",
            )
        )
    )
    kpi = _created(
        do(
            m.DefineKpi(
                key="satisfaction",
                team_id=org.team,
                name="Resident satisfaction",
                direction="higher_is_better",
                healthy=Decimal(90),
                warning=Decimal(80),
                unit="%",
            )
        )
    )
    decision = _created(
        do(
            m.RecordDecision(
                forum="Quarterly review",
                decided_by=("Mayor",),
                decision_type="other",
                summary="Focus on renewals",
                rationale="They drive the most calls",
                cycle_id=org.cycle,
                affects=(objective,),
            )
        )
    )

    planning_cycle = _cycle(org, "2026-Q4", ())
    review_cycle = _cycle(org, "2026-Q2", (m.StartCycle,))
    review_objective = _created(
        do(
            m.DraftObjective(
                team_id=org.team, cycle_id=review_cycle, statement="Go paperless", owner="olu"
            )
        )
    )
    review_key_result = org.key_result(review_objective)
    unfinished = _created(
        do(
            m.DraftObjective(
                team_id=org.other_team,
                cycle_id=review_cycle,
                statement="Book repairs online",
                owner="ria",
            )
        )
    )
    org.key_result(unfinished, "Lift online bookings from 40 to 60")
    do(m.BeginCycleReview(cycle_id=review_cycle))
    carried_objective = _created(
        do(m.CarryObjectiveForward(objective_id=unfinished, cycle_id=planning_cycle))
    )
    closed_cycle = _cycle(org, "2026-Q1", (m.StartCycle, m.BeginCycleReview, m.CloseCycle))

    return World(
        services=services,
        api=api,
        built_at=built_at,
        org=org,
        far_function=far_function,
        far_team=far_team,
        strategy=strategy,
        choice=choice,
        spare_choice=spare_choice,
        parent_objective=parent_objective,
        objective=objective,
        objective2=objective2,
        other_objective=other_objective,
        key_result=key_result,
        key_result2=key_result2,
        check_in=check_in,
        initiative=initiative,
        active_initiative=active_initiative,
        dependency=dependency,
        kpi=kpi,
        decision=decision,
        planning_cycle=planning_cycle,
        review_cycle=review_cycle,
        review_objective=review_objective,
        review_key_result=review_key_result,
        carried_objective=carried_objective,
        closed_cycle=closed_cycle,
    )


@pytest.fixture(scope="session")
def app() -> tuple[Flask, ServicesSwitch]:
    switch = ServicesSwitch()
    return create_app(switch, {"TESTING": True}), switch


def _world(services: Services, app: tuple[Flask, ServicesSwitch]) -> World:
    flask_app, switch = app
    return build_world(services, Api(flask_app.test_client(), switch, services))


@pytest.fixture
def world(services: Services, app: tuple[Flask, ServicesSwitch]) -> World:
    """A fresh world, for tests that write."""
    return _world(services, app)


@pytest.fixture(scope="module")
def shared_world(app: tuple[Flask, ServicesSwitch]) -> Iterator[World]:
    """One world per module, for tests that must write nothing (they check the log)."""
    services = bootstrap(Settings(database_url="memory://"), clock=FakeClock())
    yield _world(services, app)
    services.close()
