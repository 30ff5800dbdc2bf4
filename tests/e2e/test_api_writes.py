"""Every write route of the API, end to end through the Flask test client.

A scenario per route gives the path and a valid body in the world of ``conftest.py``;
the tests run each route through success, authentication, permissions, validation,
the domain's rules, optimistic concurrency and idempotent retries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import pytest
from marshmallow import fields
from werkzeug.test import TestResponse

from tests.e2e.conftest import NAMES, TOKENS, World, error_of
from web.resources import API, RESOURCES
from web.writes import Route

ADMIN = "admin"
COMMON = ("reason", "decision_id", "effective_at")
REASON = {"reason": "agreed at the quarterly review"}
DROP = object()
"""In a change to a body: leave the field out."""

Build = Callable[[World], tuple[dict[str, UUID], dict[str, Any]]]


@dataclass(frozen=True)
class Scenario:
    """A route's path parameters and body in a state where the command succeeds."""

    build: Build
    writer: str = "editor"
    """who acts: an admin on admin-only routes, else an editor of the team"""
    outsider: str = "other_editor"
    """an editor who may not act (on team routes)"""
    target: Callable[[World], str] | None = None
    """where the If-Match target is read, when not the path's first id"""


def admin_only(build: Build) -> Scenario:
    return Scenario(build, writer=ADMIN, outsider="editor")


def s(ident: UUID) -> str:
    return str(ident)


SCENARIOS: dict[str, Scenario] = {
    # -- strategy, teams and cycles: admins only ---------------------------------------
    "FormulateStrategy": admin_only(
        lambda w: (
            {},
            {"key": "city-2040", "name": "City 2040", "vision": "Thrive", "mission": "Serve"},
        )
    ),
    "RestateVision": admin_only(
        lambda w: ({"strategy_id": w.strategy}, {"vision": "A city for all", **REASON})
    ),
    "RestateMission": admin_only(
        lambda w: ({"strategy_id": w.strategy}, {"mission": "Serve every resident", **REASON})
    ),
    "AddStrategicChoice": admin_only(
        lambda w: (
            {"strategy_id": w.strategy},
            {"kind": "will_not_do", "statement": "No new print leaflets", "key": "no-print"},
        )
    ),
    "ReviseStrategicChoice": admin_only(
        lambda w: (
            {"strategy_id": w.strategy, "choice_id": w.choice},
            {"statement": "Digital by default", **REASON},
        )
    ),
    "RetireStrategicChoice": admin_only(
        lambda w: ({"strategy_id": w.strategy, "choice_id": w.spare_choice}, dict(REASON))
    ),
    "FormTeam": admin_only(
        lambda w: (
            {},
            {"key": "parks", "name": "Parks", "level": "team", "parent_id": s(w.function)},
        )
    ),
    "RenameTeam": admin_only(lambda w: ({"team_id": w.team}, {"name": "Contact Hub"})),
    "MoveTeam": admin_only(lambda w: ({"team_id": w.team}, {"parent_id": s(w.far_function)})),
    "OpenCycle": admin_only(
        lambda w: (
            {},
            {"key": "2027-Q1", "name": "Q1", "starts_on": "2027-01-01", "ends_on": "2027-03-31"},
        )
    ),
    "StartCycle": admin_only(lambda w: ({"cycle_id": w.planning_cycle}, {})),
    "BeginCycleReview": admin_only(lambda w: ({"cycle_id": w.cycle}, {})),
    "CloseCycle": admin_only(lambda w: ({"cycle_id": w.review_cycle}, {})),
    "ReopenCycle": admin_only(lambda w: ({"cycle_id": w.closed_cycle}, dict(REASON))),
    # -- team routes: admins, and editors of the team or a unit above it ----------------
    "Reprioritise": Scenario(
        lambda w: (
            {"team_id": w.team, "cycle_id": w.cycle},
            {"order": [s(w.objective2), s(w.objective)], **REASON},
        ),
        target=lambda w: f"{API}/teams/{w.team}/cycles/{w.cycle}/priorities",
    ),
    "DraftObjective": Scenario(
        lambda w: (
            {},
            {
                "team_id": s(w.team),
                "cycle_id": s(w.cycle),
                "statement": "Every resident can renew online",
                "owner": "olu.owner",
                "commitment": "aspirational",
            },
        )
    ),
    "RewordObjective": Scenario(
        lambda w: ({"objective_id": w.objective}, {"statement": "Renewals take one minute"})
    ),
    "ChangeObjectiveOwner": Scenario(
        lambda w: ({"objective_id": w.objective}, {"owner": "nia.owner"})
    ),
    "LinkObjectiveToChoice": Scenario(
        lambda w: (
            {"objective_id": w.objective},
            {"strategy_id": s(w.strategy), "choice_id": s(w.spare_choice)},
        )
    ),
    "UnlinkObjectiveFromChoice": Scenario(
        lambda w: ({"objective_id": w.objective, "choice_id": w.choice}, {})
    ),
    "AlignObjective": Scenario(
        lambda w: (
            {"objective_id": w.objective},
            {"parent_kind": "objective", "parent_id": s(w.other_objective)},
        )
    ),
    "UnalignObjective": Scenario(
        lambda w: ({"objective_id": w.objective, "parent_id": w.parent_objective}, {})
    ),
    "DropObjective": Scenario(lambda w: ({"objective_id": w.objective2}, dict(REASON))),
    "ReflectOnObjective": Scenario(
        lambda w: (
            {"objective_id": w.review_objective},
            {"outcome": "hit", "achieved": "All forms online", "why": "Clear ownership"},
        )
    ),
    "CarryObjectiveForward": Scenario(
        lambda w: ({"objective_id": w.review_objective}, {"cycle_id": s(w.planning_cycle)})
    ),
    "CarryKeyResultForward": Scenario(
        lambda w: (
            {"key_result_id": w.review_key_result},
            {"cycle_id": s(w.cycle), "objective_id": s(w.objective)},
        )
    ),
    "DefineKeyResult": Scenario(
        lambda w: (
            {"objective_id": w.objective},
            {
                "statement": "Launch online renewals",
                "kind": "milestone",
                "owner": "kim.owner",
                "deadline": "2026-09-01",
            },
        )
    ),
    "RewordKeyResult": Scenario(
        lambda w: ({"key_result_id": w.key_result}, {"statement": "Lift renewals to 60%"})
    ),
    "ChangeKeyResultOwner": Scenario(
        lambda w: ({"key_result_id": w.key_result}, {"owner": "lee.owner"})
    ),
    "ReweightKeyResult": Scenario(
        lambda w: ({"key_result_id": w.key_result}, {"weight": 2, **REASON})
    ),
    "RetargetKeyResult": Scenario(
        lambda w: (
            {"key_result_id": w.key_result},
            {"target": 70, "decision_id": s(w.decision), **REASON},
        )
    ),
    "CheckIn": Scenario(
        lambda w: (
            {"key_result_id": w.key_result},
            {"value": 50.5, "confidence": "at_risk", "note": "slow", "blockers": ["IT"]},
        )
    ),
    "CorrectCheckIn": Scenario(
        lambda w: (
            {"key_result_id": w.key_result, "check_in_id": w.check_in},
            {"value": 44, "confidence": "on_track", **REASON},
        )
    ),
    "OverrideScore": Scenario(
        lambda w: ({"key_result_id": w.review_key_result}, {"score": 0.7, **REASON})
    ),
    "DropKeyResult": Scenario(lambda w: ({"key_result_id": w.key_result2}, dict(REASON))),
    "ProposeInitiative": Scenario(
        lambda w: (
            {},
            {
                "team_id": s(w.team),
                "cycle_id": s(w.cycle),
                "title": "Renewal reminders by text",
                "owner": "ivy.owner",
                "key_result_ids": [s(w.key_result2)],
            },
        )
    ),
    "LinkInitiative": Scenario(
        lambda w: ({"initiative_id": w.initiative}, {"key_result_id": s(w.key_result2)})
    ),
    "UnlinkInitiative": Scenario(
        lambda w: ({"initiative_id": w.initiative, "key_result_id": w.key_result}, {})
    ),
    "StartInitiative": Scenario(lambda w: ({"initiative_id": w.initiative}, {})),
    "ChangeInitiativeStatus": Scenario(
        lambda w: ({"initiative_id": w.active_initiative}, {"health": "at_risk", "note": "x"})
    ),
    "StopInitiative": Scenario(lambda w: ({"initiative_id": w.initiative}, dict(REASON))),
    "CompleteInitiative": Scenario(
        lambda w: ({"initiative_id": w.active_initiative}, {"note": "shipped"})
    ),
    "PrioritiseInitiative": Scenario(
        lambda w: (
            {"initiative_id": w.initiative},
            {"method": "rice", "reach": 1000, "impact": 2, "confidence": 0.8, "effort": 3},
        )
    ),
    "AllocateResources": Scenario(
        lambda w: (
            {"initiative_id": w.initiative},
            {"people": 2.5, "money": 40000, "currency": "GBP"},
        )
    ),
    "DeclareDependency": Scenario(
        lambda w: (
            {},
            {
                "from_kind": "key_result",
                "from_id": s(w.key_result),
                "on_team_id": s(w.other_team),
                "description": "Repairs must publish their slots",
                "on_kind": "objective",
                "on_id": s(w.other_objective),
                "needed_by": "2026-08-01",
            },
        )
    ),
    "AcknowledgeDependency": Scenario(
        lambda w: ({"dependency_id": w.dependency}, {"note": "on it"}),
        writer="other_editor",
        outsider="editor",
    ),
    "EscalateDependency": Scenario(
        lambda w: ({"dependency_id": w.dependency}, dict(REASON)), outsider="far_editor"
    ),
    "ResolveDependency": Scenario(
        lambda w: ({"dependency_id": w.dependency}, {"note": "calendar shared"}),
        outsider="far_editor",
    ),
    "DefineKpi": Scenario(
        lambda w: (
            {},
            {
                "key": "wait",
                "team_id": s(w.team),
                "name": "Call wait",
                "direction": "lower_is_better",
                "healthy": 2,
                "warning": 5,
                "unit": "min",
            },
        )
    ),
    "MeasureKpi": Scenario(lambda w: ({"kpi_id": w.kpi}, {"value": 85})),
    "ChangeKpiBands": Scenario(
        lambda w: ({"kpi_id": w.kpi}, {"healthy": 95, "warning": 85, **REASON})
    ),
    "RecordDecision": Scenario(
        lambda w: (
            {},
            {
                "forum": "Monthly review",
                "decided_by": ["Chief Executive", "Head of Customer"],
                "decision_type": "retarget",
                "summary": "Raise the renewal target",
                "rationale": "Ahead of plan",
                "cycle_id": s(w.cycle),
                "affects": [s(w.key_result)],
                "strategy_id": s(w.strategy),
                "choice_ids": [s(w.choice)],
            },
        )
    ),
}

ROUTES: dict[str, tuple[str, Route]] = {
    route.command.__name__: (f"{API}/{segment}{route.rule}", route)
    for _, segment, _, _, routes in RESOURCES
    for route in routes
}
PARAM = re.compile(r"<\w+:(\w+)>")


def path_params(name: str) -> list[str]:
    return PARAM.findall(ROUTES[name][0])


ALL = sorted(SCENARIOS)
ADMIN_ONLY = [n for n in ALL if SCENARIOS[n].writer == ADMIN]
TEAM_ROUTES = [n for n in ALL if SCENARIOS[n].writer != ADMIN]
TARGETED = [n for n in ALL if path_params(n)]
"""routes whose path names the thing acted on"""


@dataclass
class Call:
    """One route, ready to send in a world."""

    world: World
    name: str
    path: dict[str, UUID]
    body: dict[str, Any]
    scenario: Scenario = field(repr=False)

    @property
    def route(self) -> Route:
        return ROUTES[self.name][1]

    @property
    def method(self) -> str:
        return self.route.method

    @property
    def status(self) -> int:
        return 201 if self.route.creates else 200

    @property
    def writer(self) -> str:
        return self.scenario.writer

    def url(self, **path: UUID) -> str:
        values = {**self.path, **path}
        return PARAM.sub(lambda m: str(values[m[1]]), ROUTES[self.name][0])

    @property
    def target_url(self) -> str:
        """The read route of the thing the command acts on (its If-Match target)."""
        if self.scenario.target:
            return self.scenario.target(self.world)
        first = path_params(self.name)[0]
        prefix = ROUTES[self.name][0].split("/<")[0]
        return f"{prefix}/{self.path[first]}"

    def send(
        self,
        who: str | None = None,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        **path: UUID,
    ) -> TestResponse:
        return self.world.api.as_(
            who or self.writer,
            self.method,
            self.url(**path),
            self.body if body is None else body,
            headers=headers,
        )

    def anonymous(self, headers: dict[str, str]) -> TestResponse:
        return self.world.api(self.method, self.url(), self.body, headers=headers)

    def changed(self, changes: dict[str, Any]) -> dict[str, Any]:
        body = {**self.body, **changes}
        return {k: v for k, v in body.items() if v is not DROP}


def prepare(world: World, name: str) -> Call:
    scenario = SCENARIOS[name]
    path, body = scenario.build(world)
    assert set(path) == set(path_params(name)), f"{name}: path parameters"
    return Call(world, name, path, body, scenario)


def unchanged(world: World, before: int) -> None:
    assert world.head() == before, "nothing may be written"


# -- the guard -----------------------------------------------------------------------


def test_every_write_route_of_the_app_has_a_scenario(app: Any) -> None:
    flask_app, _ = app
    writes = {
        rule.endpoint.split(".")[-1]
        for rule in flask_app.url_map.iter_rules()
        if rule.rule.startswith(f"{API}/")
        and rule.methods & {"POST", "PUT", "DELETE", "PATCH"}
        and not rule.endpoint.startswith("imports.")  # spreadsheet bodies: test_api_imports
    }
    writes -= {"Subscribe", "Unsubscribe", "replayDeadLetters"}  # test_api_webhooks.py
    assert writes == set(ROUTES)
    assert sorted(writes - set(SCENARIOS)) == [], "write routes without a scenario"
    assert sorted(set(SCENARIOS) - writes) == [], "scenarios without a route"


# -- success -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_a_valid_command_succeeds_and_reports_its_outcome(world: World, name: str) -> None:
    call = prepare(world, name)
    before = world.head()

    response = call.send()

    assert response.status_code == call.status, response.get_json()
    outcome = response.get_json()
    assert outcome["command"] == name
    assert outcome["replayed"] is False
    assert outcome["command_id"] is None
    assert UUID(outcome["correlation_id"])
    assert outcome["position"] == world.head() > before
    written = world.ledger.read(after=before)
    assert [position for position, _ in written] == list(range(before + 1, world.head() + 1))
    assert outcome["leaf_indexes"] == list(range(before, world.head()))  # gap-free here
    touched: dict[str, int] = {}
    for _, event in written:
        touched[str(event.originator_id)] = event.originator_version
        assert event.meta.actor == NAMES[call.writer]
        assert str(event.meta.correlation_id) == outcome["correlation_id"]
    assert outcome["versions"] == touched
    if call.route.creates:
        assert outcome["id"] is not None
    if call.route.location:
        location = f"{API}/{call.route.location}/{outcome['id']}"
        assert response.headers["Location"] == location
        assert world.api.get(location).status_code == 200
    else:
        assert "Location" not in response.headers


@pytest.mark.parametrize("name", TEAM_ROUTES)
def test_an_editor_of_the_parent_function_may_act_for_its_teams(world: World, name: str) -> None:
    call = prepare(world, name)
    response = call.send("function_editor")
    assert response.status_code == call.status, response.get_json()


# -- who may write -------------------------------------------------------------------

UNAUTHENTICATED = {
    "no token": {},
    "a malformed header": {"Authorization": "Token abc"},
    "a bearer without a token": {"Authorization": "Bearer "},
    "an unknown token": {"Authorization": "Bearer not-a-known-token"},
    "a revoked principal's token": {"Authorization": f"Bearer {TOKENS['revoked']}"},
}


@pytest.mark.parametrize("case", UNAUTHENTICATED)
@pytest.mark.parametrize("name", ALL)
def test_a_request_without_a_valid_token_gets_401(
    shared_world: World, name: str, case: str
) -> None:
    call = prepare(shared_world, name)
    before = shared_world.head()
    response = call.anonymous(UNAUTHENTICATED[case])
    error_of(response, 401, "unauthenticated", "Authorization")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    unchanged(shared_world, before)


@pytest.mark.parametrize("who", ["viewer", "auditor"])
@pytest.mark.parametrize("name", ALL)
def test_viewers_and_auditors_may_not_write(shared_world: World, name: str, who: str) -> None:
    call = prepare(shared_world, name)
    before = shared_world.head()
    error_of(call.send(who), 403, "forbidden")
    unchanged(shared_world, before)


@pytest.mark.parametrize("name", TEAM_ROUTES)
def test_an_editor_of_another_team_is_forbidden(shared_world: World, name: str) -> None:
    call = prepare(shared_world, name)
    before = shared_world.head()
    error_of(call.send(SCENARIOS[name].outsider), 403, "forbidden")
    unchanged(shared_world, before)


@pytest.mark.parametrize("who", ["editor", "function_editor"])
@pytest.mark.parametrize("name", ADMIN_ONLY)
def test_editors_may_not_use_the_admin_only_routes(
    shared_world: World, name: str, who: str
) -> None:
    call = prepare(shared_world, name)
    before = shared_world.head()
    error_of(call.send(who), 403, "forbidden")
    unchanged(shared_world, before)


def test_a_request_without_a_token_gets_401_even_with_an_invalid_body(
    shared_world: World,
) -> None:
    call = prepare(shared_world, "MeasureKpi")
    response = shared_world.api(call.method, call.url(), {"value": "lots"})
    error_of(response, 401, "unauthenticated")


# -- the body ------------------------------------------------------------------------


def required_fields() -> list[tuple[str, str]]:
    return [
        (name, f.data_key or key)
        for name in ALL
        for key, f in ROUTES[name][1].schema().fields.items()
        if f.required
    ]


@pytest.mark.parametrize("name", ALL)
def test_an_actor_in_the_body_is_refused_as_an_unknown_field(
    shared_world: World, name: str
) -> None:
    call = prepare(shared_world, name)
    before = shared_world.head()
    response = call.send(body=call.changed({"actor": "mallory", "colour": "red"}))
    error = error_of(response, 422, "validation_failed", "actor")
    assert "colour" in error["fields"]
    unchanged(shared_world, before)


@pytest.mark.parametrize(("name", "missing"), required_fields())
def test_each_missing_required_field_is_named(
    shared_world: World, name: str, missing: str
) -> None:
    call = prepare(shared_world, name)
    before = shared_world.head()
    error_of(call.send(body=call.changed({missing: DROP})), 422, "validation_failed", missing)
    unchanged(shared_world, before)


def wrong_type(schema_field: fields.Field) -> Any:
    if isinstance(schema_field, fields.List):
        return "not a list"
    if isinstance(schema_field, fields.Number):
        return "lots"
    return 12345


@pytest.mark.parametrize("name", ALL)
def test_a_field_of_the_wrong_type_is_named(shared_world: World, name: str) -> None:
    call = prepare(shared_world, name)
    before = shared_world.head()
    own = [k for k in call.body if k not in COMMON]
    blamed = own[0] if own else "reason"
    schema_field = ROUTES[name][1].schema().fields[blamed]
    response = call.send(body=call.changed({blamed: wrong_type(schema_field)}))
    error_of(response, 422, "validation_failed", blamed)
    unchanged(shared_world, before)


@pytest.mark.parametrize("name", ALL)
def test_malformed_json_gets_400(shared_world: World, name: str) -> None:
    call = prepare(shared_world, name)
    before = shared_world.head()
    response = shared_world.api(
        call.method, call.url(), token=TOKENS[call.writer], data='{"reason": '
    )
    error_of(response, 400, "malformed_json")
    unchanged(shared_world, before)


def test_a_body_that_is_not_declared_as_json_is_refused(world: World) -> None:
    call = prepare(world, "CompleteInitiative")
    before = world.head()
    response = world.api(
        call.method,
        call.url(),
        token=TOKENS[call.writer],
        data='{"note": "shipped on time"}',
        content_type="text/plain",
    )
    assert 400 <= response.status_code < 500, response.get_json()
    unchanged(world, before)


@dataclass(frozen=True)
class Case:
    """A change to a scenario's body (or path) that breaks one rule."""

    name: str
    body: Callable[[World], dict[str, Any]] | dict[str, Any] = field(default_factory=dict)
    path: Callable[[World], dict[str, UUID]] | None = None

    def send(self, world: World) -> TestResponse:
        call = prepare(world, self.name)
        changes = self.body(world) if callable(self.body) else self.body
        path = self.path(world) if self.path else {}
        return call.send(body=call.changed(changes), **path)


def case(name: str, blamed: str, body: Any = None, *, path: Any = None, id: str) -> Any:
    return pytest.param(Case(name, body or {}, path), blamed, id=id)


RICE = {"reach": DROP, "impact": DROP, "confidence": DROP, "effort": DROP}

CROSS_FIELD = [
    case(
        "DefineKeyResult",
        "target",
        {"kind": "increase", "baseline": 40, "target": 40, "deadline": DROP},
        id="target equals baseline",
    ),
    case(
        "DefineKeyResult",
        "target",
        {"kind": "increase", "baseline": 40, "target": 30},
        id="an increase targets below its baseline",
    ),
    case(
        "DefineKeyResult",
        "target",
        {"kind": "decrease", "baseline": 40, "target": 50},
        id="a decrease targets above its baseline",
    ),
    case(
        "DefineKeyResult",
        "band_low",
        {"kind": "band", "band_low": 5, "band_high": 5},
        id="band low not below band high",
    ),
    case(
        "DefineKeyResult",
        "band_low",
        {"kind": "increase", "band_low": 1},
        id="an increase with a band",
    ),
    case("DefineKeyResult", "weight", {"weight": -1}, id="a negative weight"),
    case(
        "OpenCycle",
        "ends_on",
        {"starts_on": "2027-03-31", "ends_on": "2027-01-01"},
        id="a cycle ends before it starts",
    ),
    case(
        "OpenCycle",
        "ends_on",
        {"starts_on": "2027-03-31", "ends_on": "2027-03-31"},
        id="a cycle ends the day it starts",
    ),
    case(
        "ReflectOnObjective",
        "causes",
        {"outcome": "missed", "causes": []},
        id="a miss without a cause",
    ),
    case(
        "ReflectOnObjective",
        "causes",
        {"outcome": "partially_hit"},
        id="a partial hit without a cause",
    ),
    case(
        "PrioritiseInitiative",
        "moscow",
        {"method": "moscow", **RICE},
        id="moscow without its priority",
    ),
    case(
        "PrioritiseInitiative",
        "reach",
        {"method": "moscow", "moscow": "must"},
        id="moscow with rice fields",
    ),
    case("PrioritiseInitiative", "effort", {"effort": DROP}, id="rice without its effort"),
    case("PrioritiseInitiative", "moscow", {"moscow": "must"}, id="rice with a moscow priority"),
    case("DeclareDependency", "on_id", {"on_id": DROP}, id="on_kind without on_id"),
    case("DeclareDependency", "on_id", {"on_kind": DROP}, id="on_id without on_kind"),
    case("RecordDecision", "strategy_id", {"strategy_id": DROP}, id="choice_ids without strategy"),
    case(
        "DefineKpi",
        "healthy",
        {"direction": "higher_is_better", "healthy": 80, "warning": 90},
        id="higher-is-better bands in the wrong order",
    ),
    case(
        "DefineKpi",
        "healthy",
        {"direction": "lower_is_better", "healthy": 5, "warning": 2},
        id="lower-is-better bands in the wrong order",
    ),
    case(
        "RetargetKeyResult",
        "target",
        {"target": DROP, "decision_id": DROP},
        id="a retarget with nothing to change",
    ),
    case("ReweightKeyResult", "weight", {"weight": 0}, id="a zero weight"),
    case("OverrideScore", "score", {"score": 1.5}, id="a score above one"),
    case("OpenCycle", "cadence_days", {"cadence_days": 0}, id="a zero cadence"),
    case("AllocateResources", "currency", {"currency": "POUNDS"}, id="a long currency"),
]


@pytest.mark.parametrize(("broken", "blamed"), CROSS_FIELD)
def test_a_cross_field_rule_gets_422_naming_the_field(
    shared_world: World, broken: Case, blamed: str
) -> None:
    before = shared_world.head()
    error_of(broken.send(shared_world), 422, "validation_failed", blamed)
    unchanged(shared_world, before)


DOMAIN_RULES = [
    case("DropObjective", "reason_required", {"reason": DROP}, id="a drop without reason"),
    case("ReopenCycle", "reason_required", {"reason": DROP}, id="a reopening without reason"),
    case(
        "DraftObjective",
        "cycle_closed",
        lambda w: {"cycle_id": str(w.closed_cycle)},
        id="drafting in a closed cycle",
    ),
    case(
        "Reprioritise",
        "not_a_permutation",
        lambda w: {"order": [str(w.objective)]},
        id="an order missing an objective",
    ),
    case(
        "Reprioritise",
        "not_a_permutation",
        lambda w: {"order": [str(w.objective), str(w.objective2), str(w.objective)]},
        id="an order naming one objective twice",
    ),
    case(
        "StartCycle",
        "invalid_transition",
        path=lambda w: {"cycle_id": w.cycle},
        id="starting an active cycle",
    ),
    case(
        "OverrideScore",
        "invalid_transition",
        path=lambda w: {"key_result_id": w.key_result},
        id="overriding a score in an active cycle",
    ),
    case("RenameTeam", "no_change", {"name": "Contact Centre"}, id="renaming to the same name"),
    case(
        "LinkObjectiveToChoice",
        "already_linked",
        lambda w: {"choice_id": str(w.choice)},
        id="linking a linked choice",
    ),
    case(
        "DeclareDependency",
        "same_team",
        lambda w: {"on_team_id": str(w.team), "on_kind": DROP, "on_id": DROP},
        id="a dependency on one's own team",
    ),
    case("PrioritiseInitiative", "rice_impact", {"impact": 7}, id="an unknown rice impact"),
    case(
        "CheckIn",
        "effective_time_before_cycle",
        {"effective_at": "2026-06-01T00:00:00+00:00"},
        id="a check-in back-dated before the cycle",
    ),
    case(
        "MeasureKpi",
        "effective_time_in_future",
        {"effective_at": "2030-01-01T00:00:00+00:00"},
        id="a measurement effective in the future",
    ),
    case(
        "UnlinkObjectiveFromChoice",
        "not_linked",
        path=lambda w: {"choice_id": w.spare_choice},
        id="unlinking a choice not linked",
    ),
]


@pytest.mark.parametrize(("broken", "code"), DOMAIN_RULES)
def test_a_domain_rule_violation_gets_422_with_the_rule_as_code(
    shared_world: World, broken: Case, code: str
) -> None:
    before = shared_world.head()
    error_of(broken.send(shared_world), 422, code)
    unchanged(shared_world, before)


def test_a_natural_key_taken_gets_409(shared_world: World) -> None:
    before = shared_world.head()
    response = Case("FormTeam", {"key": "contact"}).send(shared_world)
    error_of(response, 409, "already_exists")
    unchanged(shared_world, before)


def missing() -> str:
    return str(uuid4())


UNKNOWN_REFERENCES = [
    case("DraftObjective", "team_id", lambda w: {"team_id": missing()}, id="a team"),
    case("DraftObjective", "cycle_id", lambda w: {"cycle_id": missing()}, id="a cycle"),
    case(
        "DraftObjective",
        "team_id",
        lambda w: {"team_id": str(w.cycle)},
        id="a team that is a cycle",
    ),
    case(
        "ProposeInitiative",
        "key_result_ids",
        lambda w: {"key_result_ids": [missing()]},
        id="a key result to link",
    ),
    case("LinkInitiative", "key_result_id", lambda w: {"key_result_id": missing()}, id="a link"),
    case("AlignObjective", "parent_id", lambda w: {"parent_id": missing()}, id="a parent"),
    case("MoveTeam", "parent_id", lambda w: {"parent_id": missing()}, id="a new parent"),
    case("DefineKpi", "team_id", lambda w: {"team_id": missing()}, id="a KPI's team"),
    case("RecordDecision", "affects", lambda w: {"affects": [missing()]}, id="an affected"),
    case(
        "LinkObjectiveToChoice",
        "strategy_id",
        lambda w: {"strategy_id": missing()},
        id="a strategy",
    ),
    case(
        "LinkObjectiveToChoice",
        "choice_id",
        lambda w: {"choice_id": missing()},
        id="a strategic choice",
    ),
    case("DeclareDependency", "from_id", lambda w: {"from_id": missing()}, id="a source"),
    case(
        "RetargetKeyResult",
        "decision_id",
        lambda w: {"decision_id": missing()},
        id="the decision behind an act",
    ),
]


@pytest.mark.parametrize(("broken", "blamed"), UNKNOWN_REFERENCES)
def test_a_body_naming_something_missing_gets_422_unknown_reference(
    shared_world: World, broken: Case, blamed: str
) -> None:
    before = shared_world.head()
    error_of(broken.send(shared_world), 422, "unknown_reference", blamed)
    unchanged(shared_world, before)


@pytest.mark.parametrize("name", TARGETED)
def test_a_missing_path_target_gets_404(shared_world: World, name: str) -> None:
    call = prepare(shared_world, name)
    before = shared_world.head()
    first = path_params(name)[0]
    error_of(call.send(**{first: uuid4()}), 404, "not_found")
    unchanged(shared_world, before)


@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("ReviseStrategicChoice", "choice_id"),
        ("RetireStrategicChoice", "choice_id"),
        ("CorrectCheckIn", "check_in_id"),
        ("Reprioritise", "cycle_id"),
    ],
)
def test_a_missing_thing_named_later_in_the_path_gets_404(
    shared_world: World, name: str, param: str
) -> None:
    call = prepare(shared_world, name)
    error_of(call.send(**{param: uuid4()}), 404, "not_found")


def test_a_path_target_of_another_kind_gets_404(shared_world: World) -> None:
    call = prepare(shared_world, "RenameTeam")
    error_of(call.send(team_id=shared_world.objective), 404, "not_found")


# -- If-Match ------------------------------------------------------------------------


def current_etag(call: Call) -> str:
    response = call.world.api.get(call.target_url)
    assert response.status_code == 200, response.get_json()
    etag: str = response.headers["ETag"]
    assert etag == f'"{response.get_json()["version"]}"'
    return etag


STALE = TARGETED


@pytest.mark.parametrize("name", STALE)
def test_a_stale_if_match_gets_409_with_the_current_version(world: World, name: str) -> None:
    call = prepare(world, name)
    before = world.head()
    etag = current_etag(call)
    version = int(etag.strip('"'))

    response = call.send(headers={"If-Match": f'"{version - 1}"'})

    error = error_of(response, 409, "version_conflict")
    assert error["current_version"] == version
    assert response.headers["ETag"] == etag
    unchanged(world, before)


@pytest.mark.parametrize("name", TARGETED)
def test_an_if_match_equal_to_the_current_etag_succeeds(world: World, name: str) -> None:
    call = prepare(world, name)
    response = call.send(headers={"If-Match": current_etag(call)})
    assert response.status_code == call.status, response.get_json()


@pytest.mark.parametrize("name", ALL)
def test_an_if_match_that_is_no_etag_gets_400(shared_world: World, name: str) -> None:
    call = prepare(shared_world, name)
    before = shared_world.head()
    response = call.send(headers={"If-Match": '"garbage"'})
    targetless = not path_params(name)
    error_of(
        response, 400, "if_match_not_applicable" if targetless else "bad_if_match", "If-Match"
    )
    unchanged(shared_world, before)


@pytest.mark.parametrize("tag", ['W/"1"', "1", '"1", "2"', '"' + "9" * 30 + '"'])
def test_if_match_takes_one_strong_etag(shared_world: World, tag: str) -> None:
    call = prepare(shared_world, "CheckIn")
    before = shared_world.head()
    response = call.send(headers={"If-Match": tag})
    error_of(response, 400, "bad_if_match", "If-Match")
    unchanged(shared_world, before)


# -- Idempotency-Key -----------------------------------------------------------------

REPLAYED = ("command", "id", "versions", "position", "correlation_id", "command_id")


@pytest.mark.parametrize("name", ALL)
def test_a_retry_with_the_same_idempotency_key_replays_the_outcome(
    world: World, name: str
) -> None:
    call = prepare(world, name)
    key = {"Idempotency-Key": f"retry-{name}"}
    first = call.send(headers=key)
    assert first.status_code == call.status, first.get_json()
    assert first.get_json()["command_id"] == f"retry-{name}"
    head = world.head()

    again = call.send(headers=key)

    assert again.status_code == call.status, again.get_json()
    assert again.get_json()["replayed"] is True
    assert {k: again.get_json()[k] for k in REPLAYED} == {k: first.get_json()[k] for k in REPLAYED}
    assert again.headers.get("Location") == first.headers.get("Location")
    unchanged(world, head)

    reused = call.send(body={**call.body, "reason": "another reason"}, headers=key)
    error_of(reused, 422, "idempotency_key_reused", "Idempotency-Key")
    unchanged(world, head)


def test_the_same_idempotency_key_from_another_principal_is_another_command(
    world: World,
) -> None:
    call = prepare(world, "MeasureKpi")
    key = {"Idempotency-Key": "measure-1"}
    by_admin = call.send("admin", headers=key).get_json()
    by_editor = call.send("editor", headers=key).get_json()

    assert by_admin["replayed"] is by_editor["replayed"] is False
    assert by_editor["position"] > by_admin["position"]
    assert by_editor["correlation_id"] != by_admin["correlation_id"]
    assert call.send("admin", headers=key).get_json()["position"] == by_admin["position"]
    assert call.send("editor", headers=key).get_json()["position"] == by_editor["position"]
    kpi = world.api.get(f"{API}/kpis/{world.kpi}").get_json()
    assert len(kpi["state"]["measurements"]) == 2


def test_the_same_idempotency_key_on_another_route_is_refused(world: World) -> None:
    key = {"Idempotency-Key": "one-key"}
    assert prepare(world, "MeasureKpi").send(headers=key).status_code == 200
    head = world.head()
    reused = prepare(world, "ChangeKpiBands").send(headers=key)
    error_of(reused, 422, "idempotency_key_reused", "Idempotency-Key")
    unchanged(world, head)


def test_a_key_whose_command_was_refused_may_be_used_again(world: World) -> None:
    call = prepare(world, "DropObjective")
    key = {"Idempotency-Key": "drop-1"}
    refused = call.send(body={}, headers=key)
    error_of(refused, 422, "reason_required", "reason")

    dropped = call.send(headers=key)
    assert dropped.status_code == 200
    assert dropped.get_json()["replayed"] is False
    assert call.send(headers=key).get_json()["replayed"] is True


# -- the actor -----------------------------------------------------------------------


def test_the_actor_recorded_is_the_principal_not_the_body(world: World) -> None:
    call = prepare(world, "RetargetKeyResult")
    spoofed = call.send("editor", body={**call.body, "actor": "mallory"})
    error_of(spoofed, 422, "validation_failed", "actor")

    outcome = call.send("editor", headers={"Idempotency-Key": "retarget-1"}).get_json()

    history = world.api.get(f"{API}/key-results/{world.key_result}/history", "auditor")
    last = history.get_json()["events"][-1]
    assert last["type"] == "KeyResult.Retargeted"
    assert last["actor"] == NAMES["editor"] != "mallory"
    assert last["position"] == outcome["position"] - 1  # the receipt follows the event
    assert last["correlation_id"] == outcome["correlation_id"]
    assert last["command_id"] == "retarget-1"
    assert last["reason"] == REASON["reason"]
    assert last["decision_id"] == str(world.decision)
