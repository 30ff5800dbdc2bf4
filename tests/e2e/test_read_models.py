"""The read models over HTTP, on the demo quarter (Q3 2026 at Northbridge City Council):
cycles, the OKR tree (now and as of an instant), alignment, priority history, diffs,
retrospectives with re-scoring and charts, the KPI board and the audit trail.

One demo world is built for the module and never written to; the ledger itself
(replayed) is the oracle the answers are checked against. Tests that write get a
fresh world of their own.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from commands import messages as m
from commands.principals import Principal
from eventlog.vocabulary import decimal_text, micros
from ledger.cycle import Cycle
from ledger.decision import Decision
from ledger.key_result import KeyResult
from ledger.objective import Objective
from ledger.principal import token_hash
from ledger.replay import World as Replayed
from ledger.replay import replay
from ledger.scoring import ScoringPolicy, score_key_result, score_objective
from ledger.team import Team
from okr_ledger import demo
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from projections.diff import apply_diff
from projections.state import StateView
from tests.conftest import FakeClock
from tests.e2e.conftest import World, error_of
from web import create_app

API = "/api/v1"
CYCLE = f"{API}/cycles/{demo.CYCLE_KEY}"
CYCLE_ID = Cycle.id_for(demo.CYCLE_KEY)
REVIEW = {"from": "2026-08-10T00:00:00Z", "to": "2026-08-14T00:00:00Z"}
"""A window around the mid-cycle review of Wednesday 12 August."""
BEFORE_CORRECTION = "2026-08-01T00:00:00Z"
"""After the week-5 answer time was typed in hours (Friday 31 July), before its
correction (Monday 3 August)."""
CYCLE_OPENED = "2026-06-23T09:30:00Z"
TASK_SHAPED = (
    "Run 5 training sessions for advisers",
    "Publish new help center articles",
    "Launch the onboarding webinar",
)
WEBINAR = "Launch the onboarding webinar"
ARTICLES = "Publish new help center articles"
WEBSITE = "Launch a new website"
SELF_SERVICE = "Move simple transactions to self-service"
REPRIORITISED_BECAUSE = "Self-service first, as agreed at the quarterly performance review"
ANSWER_TIME = "Keep average time to answer between 2 and 5 minutes"
FULL_DETAIL = {"reason", "data", "correlation_id", "command_id"}

ROOT = Principal("root", "admin")
ROLES = {
    # role key: (name, role, team key the editor writes for)
    "admin": ("ann.admin", "admin", None),
    "auditor": ("aud.auditor", "auditor", None),
    "viewer": ("val.viewer", "viewer", None),
    "editor": ("eddie.editor", "editor", "digital-services"),
}
TOKENS = {role: f"demo-token-of-{role}" for role in ROLES}


@dataclass
class Demo:
    """The demo quarter behind an app, and the ledger replayed as the oracle."""

    services: Services
    client: FlaskClient
    ledger: Replayed = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = replay(self.services.ledger)

    def get(self, path: str, who: str | None = "admin", **params: Any) -> TestResponse:
        headers = {} if who is None else {"Authorization": f"Bearer {TOKENS[who]}"}
        response = self.client.get(path, query_string=params or None, headers=headers)
        response.get_data()  # read a streamed export before the next request starts
        return response

    def json(self, path: str, who: str = "admin", **params: Any) -> Any:
        response = self.get(path, who, **params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def head(self) -> int:
        return int(self.services.ledger.head_position())

    # -- the ledger's side ---------------------------------------------------------------

    def objectives(self) -> list[Objective]:
        return self.ledger.objectives(CYCLE_ID)

    def key_results(self) -> list[KeyResult]:
        return [kr for o in self.objectives() for kr in self.ledger.key_results(o.id)]

    def key_result(self, statement: str) -> KeyResult:
        return next(kr for kr in self.key_results() if kr.statement.startswith(statement))

    def objective(self, statement: str) -> Objective:
        return next(o for o in self.objectives() if o.statement.startswith(statement))

    def decision(self, decision_type: str) -> Decision:
        return next(d for d in self.ledger.all(Decision) if d.decision_type == decision_type)


@pytest.fixture(scope="module")
def quarter() -> Iterator[Demo]:
    services = bootstrap(Settings(database_url="memory://"))
    demo.load(services)
    for key, (name, role, team) in ROLES.items():
        add = m.AddPrincipal(
            name=name,
            role=role,
            team_ids=(Team.id_for(team),) if team else (),
            token_hash=token_hash(TOKENS[key]),
        )
        services.bus.handle(add, ROOT)
    services.read_models.catch_up()
    app = create_app(services, {"TESTING": True})
    yield Demo(services, app.test_client())
    services.close()


@pytest.fixture(scope="module")
def trail(quarter: Demo) -> list[dict[str, Any]]:
    """Every audit event, in full detail."""
    return walk_audit(quarter, "auditor", limit=1000)


def no_wait(services: Services) -> None:
    """Reads do not wait for a view to reach ``min_position``: they answer at once."""
    services.settings = replace(services.settings, view_wait_seconds=0.0)


# -- helpers -----------------------------------------------------------------------------


def objectives_of(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every objective node of an OKR tree (one may sit under several choices)."""
    return {o["id"]: o for choice in tree["choices"] for o in choice["objectives"]}


def key_results_of(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k["id"]: k for o in objectives_of(tree).values() for k in o["key_results"]}


def named(nodes: dict[str, dict[str, Any]], statement: str) -> dict[str, Any]:
    found = [n for n in nodes.values() if n["statement"].startswith(statement)]
    assert len(found) == 1, statement
    return found[0]


def rules(node: dict[str, Any]) -> set[str]:
    return {advice["rule"] for advice in node["advice"]}


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def as_text(value: Decimal | None) -> str | None:
    """A ledger decimal as the API writes it."""
    return decimal_text(value)


def score_of(kr: KeyResult, policy: ScoringPolicy | None = None) -> dict[str, str | None]:
    """What the ledger's own scoring says of a key result."""
    score = score_key_result(kr, policy or ScoringPolicy(), ends_on=demo.CYCLE_END)
    return {k: as_text(getattr(score, k)) for k in ("computed", "override", "final")}


def walk_audit(quarter: Demo, who: str, *, limit: int, **filters: Any) -> list[dict[str, Any]]:
    """Every page of the audit trail, following next_cursor."""
    events: list[dict[str, Any]] = []
    cursor = 0
    while True:
        page = quarter.json(f"{API}/audit", who, limit=limit, cursor=cursor, **filters)
        events += page["events"]
        if page["next_cursor"] is None:
            return events
        cursor = page["next_cursor"]


def csv_rows(response: TestResponse) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def jsonl_rows(response: TestResponse) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def without_initiative_order(tree: dict[str, Any]) -> dict[str, Any]:
    """The tree with each key result's initiatives sorted (their order is not promised)."""
    tree = copy.deepcopy(tree)
    for choice in tree["choices"]:
        for objective in choice["objectives"]:
            for key_result in objective["key_results"]:
                key_result["initiatives"].sort(key=lambda i: i["id"])
    return {k: v for k, v in tree.items() if k not in ("as_of", "time")}


# -- every route -------------------------------------------------------------------------

ROUTES = {
    "cycles": f"{API}/cycles",
    "okrs": f"{CYCLE}/okrs",
    "alignment": f"{CYCLE}/alignment",
    "priority history": f"{CYCLE}/priorities/history",
    "diff": f"{CYCLE}/diff?from={REVIEW['from']}&to={REVIEW['to']}",
    "retrospective": f"{CYCLE}/retrospective",
    "retrospective csv": f"{CYCLE}/retrospective?format=csv",
    "kpi board": f"{API}/kpis/health",
    "audit": f"{API}/audit",
    "audit csv": f"{API}/audit?format=csv",
    "audit jsonl": f"{API}/audit?format=jsonl",
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_read_model_route_needs_a_valid_token(quarter: Demo, route: str) -> None:
    response = quarter.get(ROUTES[route], who=None)
    error_of(response, 401, "unauthenticated", "Authorization")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    unknown = quarter.client.get(ROUTES[route], headers={"Authorization": "Bearer nobody"})
    error_of(unknown, 401, "unauthenticated")


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_read_model_route_answers_a_viewer_as_of_the_log_head(
    quarter: Demo, route: str
) -> None:
    response = quarter.get(ROUTES[route], "viewer")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["X-View-Position"] == str(quarter.head())


@pytest.mark.parametrize(
    "route", ["okrs", "alignment", "priorities/history", "retrospective", "diff"]
)
def test_an_unknown_cycle_gets_404_in_the_error_shape(quarter: Demo, route: str) -> None:
    for cycle in ("2027-Q1", str(uuid4())):
        response = quarter.get(f"{API}/cycles/{cycle}/{route}", **REVIEW)
        error_of(response, 404, "not_found")


# -- cycles ------------------------------------------------------------------------------


def test_the_cycle_list_shows_the_demo_quarter_closed_and_the_next_one_active(
    quarter: Demo,
) -> None:
    response = quarter.get(f"{API}/cycles")

    assert response.status_code == 200
    assert response.headers["X-View-Position"] == str(quarter.head())
    assert response.get_json()["cycles"] == [
        {
            "id": str(CYCLE_ID),
            "key": "2026-Q3",
            "name": "Q3 2026",
            "starts_on": "2026-07-01",
            "ends_on": "2026-09-30",
            "cadence_days": 7,
            "status": "closed",
        },
        {
            "id": str(Cycle.id_for("2026-Q4")),
            "key": "2026-Q4",
            "name": "Q4 2026",
            "starts_on": "2026-10-01",
            "ends_on": "2026-12-31",
            "cadence_days": 7,
            "status": "active",
        },
    ]


# -- the OKR tree ------------------------------------------------------------------------


def test_the_okr_tree_is_the_same_by_cycle_key_and_by_cycle_id(quarter: Demo) -> None:
    by_key = quarter.json(f"{CYCLE}/okrs")
    by_id = quarter.json(f"{API}/cycles/{CYCLE_ID}/okrs")

    assert without_initiative_order(by_key) == without_initiative_order(by_id)
    assert by_key["cycle"]["id"] == str(CYCLE_ID)
    assert (by_key["as_of"], by_key["time"]) == (None, "recorded")


def test_the_okr_tree_has_a_node_per_strategic_choice_and_one_for_the_unlinked(
    quarter: Demo,
) -> None:
    tree = quarter.json(f"{CYCLE}/okrs")
    (strategy,) = quarter.ledger.strategies()

    linked = [c for c in tree["choices"] if c["kind"] != "unlinked"]
    assert {c["id"] for c in linked} == {str(choice) for choice in strategy.choices}
    assert len(linked) == len(demo.CHOICES)
    assert [c["kind"] for c in tree["choices"]].count("unlinked") == 1
    assert tree["choices"][-1]["kind"] == "unlinked"
    for choice in linked:
        for objective in choice["objectives"]:
            assert choice["id"] in objective["choices"]


def test_every_objective_of_the_cycle_appears_in_the_tree(quarter: Demo) -> None:
    tree = quarter.json(f"{CYCLE}/okrs")

    objectives = objectives_of(tree)
    assert set(objectives) == {str(o.id) for o in quarter.objectives()}
    assert len(objectives) == len(demo.OBJECTIVES)
    assert set(key_results_of(tree)) == {str(kr.id) for kr in quarter.key_results()}


def test_objectives_show_rank_owner_score_and_outcome_as_the_ledger_has_them(
    quarter: Demo,
) -> None:
    nodes = objectives_of(quarter.json(f"{CYCLE}/okrs"))

    for objective in quarter.objectives():
        node = nodes[str(objective.id)]
        priorities = quarter.ledger.priorities(objective.team_id, CYCLE_ID)
        assert priorities is not None
        assert node["rank"] == priorities.order.index(objective.id) + 1
        assert node["team"]["id"] == str(objective.team_id)
        assert node["owner"] == objective.owner
        assert node["commitment"] == objective.commitment
        assert node["status"] == "closed"
        assert node["outcome"] == objective.reflection.outcome
        key_results = quarter.ledger.key_results(objective.id)
        assert node["score"] == as_text(score_objective(key_results, ends_on=demo.CYCLE_END))


def test_the_reprioritised_team_ranks_self_service_above_the_website(quarter: Demo) -> None:
    nodes = objectives_of(quarter.json(f"{CYCLE}/okrs"))
    assert named(nodes, SELF_SERVICE)["rank"] == 1
    assert named(nodes, WEBSITE)["rank"] == 2


def test_key_results_show_latest_value_confidence_score_and_staleness(quarter: Demo) -> None:
    nodes = key_results_of(quarter.json(f"{CYCLE}/okrs"))

    for kr in quarter.key_results():
        node = nodes[str(kr.id)]
        latest = kr.latest_check_in()
        assert latest is not None
        assert node["latest"]["value"] == decimal_text(latest.value)
        assert node["latest"]["confidence"] == latest.confidence
        assert instant(node["latest"]["effective_at"]) == latest.effective_at
        assert node["score"] == score_of(kr)
        assert node["status"] == kr.status
        assert node["stale"] is False  # checked in every week until the cycle ended


def test_the_overridden_webinar_shows_its_computed_and_its_override_score(quarter: Demo) -> None:
    webinar = named(key_results_of(quarter.json(f"{CYCLE}/okrs")), WEBINAR)
    _, override, _ = demo.OVERRIDE

    assert webinar["score"]["override"] == decimal_text(override)
    assert webinar["score"]["final"] == decimal_text(override)
    assert webinar["score"]["computed"] == "0"  # reached a week after its deadline


def test_quality_advice_flags_the_task_shaped_key_results(quarter: Demo) -> None:
    nodes = key_results_of(quarter.json(f"{CYCLE}/okrs"))

    for statement in TASK_SHAPED:
        assert "task_shaped" in rules(named(nodes, statement)), statement
    flagged = {n["statement"] for n in nodes.values() if "task_shaped" in rules(n)}
    assert flagged >= set(TASK_SHAPED)
    assert "Raise first-contact resolution from 62% to 75%" not in flagged


def test_quality_advice_flags_the_key_result_without_unit_or_deadline(quarter: Demo) -> None:
    nodes = key_results_of(quarter.json(f"{CYCLE}/okrs"))

    articles = named(nodes, ARTICLES)
    assert {"missing_unit", "missing_deadline"} <= rules(articles)
    assert (articles["unit"], articles["deadline"]) == (None, None)
    others = [n for n in nodes.values() if n is not articles]
    assert not any({"missing_unit", "missing_deadline"} & rules(n) for n in others)


def test_quality_advice_flags_the_unlinked_objective(quarter: Demo) -> None:
    tree = quarter.json(f"{CYCLE}/okrs")

    website = named(objectives_of(tree), WEBSITE)
    assert "unlinked" in rules(website)
    assert (website["choices"], website["parents"]) == ([], [])
    unlinked = next(c for c in tree["choices"] if c["kind"] == "unlinked")
    assert [o["statement"] for o in unlinked["objectives"]] == [WEBSITE]
    others = [o for o in objectives_of(tree).values() if o is not website]
    assert not any("unlinked" in rules(o) for o in others)


@pytest.mark.parametrize("by", ["key", "id"])
def test_a_team_filter_keeps_only_that_teams_objectives(quarter: Demo, by: str) -> None:
    team_id = Team.id_for("digital-services")
    team = "digital-services" if by == "key" else str(team_id)

    tree = quarter.json(f"{CYCLE}/okrs", team=team)

    objectives = objectives_of(tree)
    mine = {str(o.id) for o in quarter.ledger.objectives(CYCLE_ID, team_id)}
    assert set(objectives) == mine
    assert len(mine) == 2
    assert [t["key"] for t in tree["teams"]] == ["digital-services"]


# -- time travel -------------------------------------------------------------------------


def test_as_of_shows_the_cycle_as_the_ledger_had_recorded_it_then(quarter: Demo) -> None:
    then = quarter.json(f"{CYCLE}/okrs", as_of=BEFORE_CORRECTION)
    now = key_results_of(quarter.json(f"{CYCLE}/okrs"))

    assert then["cycle"]["status"] == "active"
    assert (instant(then["as_of"]), then["time"]) == (instant(BEFORE_CORRECTION), "recorded")
    for ident, node in key_results_of(then).items():
        recorded = instant(node["latest"]["recorded_at"])
        assert recorded <= instant(BEFORE_CORRECTION)
        assert recorded < instant(now[ident]["latest"]["recorded_at"])
    assert all(o["outcome"] is None for o in objectives_of(then).values())
    assert named(key_results_of(then), WEBINAR)["score"]["override"] is None
    assert named(key_results_of(then), ANSWER_TIME)["latest"]["value"] == "0.08"


def test_as_of_gives_the_scores_of_the_ledger_replayed_to_that_instant(quarter: Demo) -> None:
    for moment in ("2026-07-20T00:00:00Z", BEFORE_CORRECTION, "2026-08-13T00:00:00Z"):
        nodes = key_results_of(quarter.json(f"{CYCLE}/okrs", as_of=moment))
        replayed = replay(quarter.services.ledger, until=instant(moment))
        for objective in replayed.objectives(CYCLE_ID):
            for kr in replayed.key_results(objective.id):
                assert nodes[str(kr.id)]["score"] == score_of(kr), (moment, kr.statement)


def test_effective_time_shows_the_corrected_value_at_the_same_instant(quarter: Demo) -> None:
    tree = quarter.json(f"{CYCLE}/okrs", as_of=BEFORE_CORRECTION, time="effective")

    assert tree["time"] == "effective"
    answer_time = named(key_results_of(tree), ANSWER_TIME)
    corrected = quarter.key_result(ANSWER_TIME).latest_check_in(as_of=instant(BEFORE_CORRECTION))
    assert corrected is not None
    assert corrected.supersedes is not None
    assert answer_time["latest"]["value"] == decimal_text(corrected.value) != "0.08"
    assert instant(answer_time["latest"]["effective_at"]) < instant(BEFORE_CORRECTION)
    assert instant(answer_time["latest"]["recorded_at"]) > instant(BEFORE_CORRECTION)


def test_effective_time_shows_a_late_check_in_on_the_friday_it_was_for(quarter: Demo) -> None:
    saturday = "2026-07-25T00:00:00Z"  # housing repairs recorded week 4 on Monday
    repairs = "housing-repairs"
    recorded = quarter.json(f"{CYCLE}/okrs", as_of=saturday, team=repairs)
    effective = quarter.json(f"{CYCLE}/okrs", as_of=saturday, team=repairs, time="effective")

    for node in key_results_of(recorded).values():
        assert node["latest"]["effective_at"].startswith("2026-07-17")
    for node in key_results_of(effective).values():
        assert node["latest"]["effective_at"].startswith("2026-07-24")
        assert node["latest"]["recorded_at"].startswith("2026-07-27")


@pytest.mark.parametrize("time", ["recorded", "effective"])
def test_as_of_before_the_cycle_was_opened_gets_404(quarter: Demo, time: str) -> None:
    opened = quarter.json(f"{CYCLE}/okrs", as_of=CYCLE_OPENED, time=time)
    assert opened["cycle"]["status"] == "planning"

    earlier = quarter.get(f"{CYCLE}/okrs", as_of="2026-06-23T09:29:59Z", time=time)
    error_of(earlier, 404, "not_found")


def test_an_as_of_after_the_last_event_shows_the_tree_of_now(quarter: Demo) -> None:
    now = quarter.json(f"{CYCLE}/okrs")
    later = quarter.json(f"{CYCLE}/okrs", as_of="2030-01-01T00:00:00Z")
    assert without_initiative_order(later) == without_initiative_order(now)


@pytest.mark.parametrize(
    ("params", "field_name"),
    [
        ({"as_of": "2026-08-01T00:00:00"}, "as_of"),
        ({"as_of": "the first of August"}, "as_of"),
        ({"as_of": BEFORE_CORRECTION, "time": "transaction"}, "time"),
    ],
    ids=["naive datetime", "not a datetime", "unknown time mode"],
)
def test_a_bad_instant_or_time_mode_gets_422_naming_the_field(
    quarter: Demo, params: dict[str, str], field_name: str
) -> None:
    error_of(quarter.get(f"{CYCLE}/okrs", **params), 422, "validation_failed", field_name)


# -- alignment ---------------------------------------------------------------------------


def test_the_alignment_graph_has_every_objective_key_result_and_choice(quarter: Demo) -> None:
    graph = quarter.json(f"{CYCLE}/alignment")

    kinds = Counter(node["type"] for node in graph["nodes"])
    assert kinds == {
        "objective": len(demo.OBJECTIVES),
        "key_result": len(demo.KEY_RESULTS),
        "strategic_choice": len(demo.CHOICES),
    }
    ids = {node["id"] for node in graph["nodes"] if node["type"] != "strategic_choice"}
    assert ids == {str(o.id) for o in quarter.objectives()} | {
        str(kr.id) for kr in quarter.key_results()
    }


def test_alignment_edges_join_nodes_of_the_graph(quarter: Demo) -> None:
    graph = quarter.json(f"{CYCLE}/alignment")
    nodes = {node["id"] for node in graph["nodes"]}

    assert all({edge["from"], edge["to"]} <= nodes for edge in graph["edges"])
    kinds = Counter(edge["kind"] for edge in graph["edges"])
    assert kinds["measures"] == len(demo.KEY_RESULTS)
    assert kinds["serves_choice"] == sum(len(o.choices) for o in demo.OBJECTIVES)
    coaching = quarter.objective("Make every team leader a confident coach")
    first_contact = quarter.key_result("Raise first-contact resolution")
    aligned = {"from": str(coaching.id), "to": str(first_contact.id)}
    assert {**aligned, "kind": "aligned_to_key_result"} in graph["edges"]


def test_the_unlinked_objective_is_the_only_orphan(quarter: Demo) -> None:
    graph = quarter.json(f"{CYCLE}/alignment")
    assert graph["orphans"] == [str(quarter.objective(WEBSITE).id)]


# -- priority history --------------------------------------------------------------------


def test_priority_history_lists_each_teams_rankings_back_to_back(quarter: Demo) -> None:
    history = quarter.json(f"{CYCLE}/priorities/history")

    assert [t["team"] for t in history["teams"]] == [
        "Contact Centre",
        "Digital Services",
        "Housing Repairs",
    ]
    for team in history["teams"]:
        rankings = team["rankings"]
        for earlier, later in itertools.pairwise(rankings):
            assert earlier["until"] == later["from"]
            assert instant(earlier["from"]) <= instant(later["from"])
        assert rankings[-1]["until"] is None
        for ranking in rankings:
            assert ranking["who"]
            assert ranking["change"] in {
                "established",
                "objective_entered",
                "objective_left",
                "reprioritised",
            }
        in_force = quarter.ledger.priorities(UUID(team["team_id"]), CYCLE_ID)
        assert in_force is not None
        assert [o["objective_id"] for o in rankings[-1]["order"]] == [
            str(o) for o in in_force.order
        ]


def test_the_digital_services_reprioritisation_names_its_decision_and_reason(
    quarter: Demo,
) -> None:
    history = quarter.json(f"{CYCLE}/priorities/history")
    digital = next(t for t in history["teams"] if t["team"] == "Digital Services")
    decision = quarter.decision("reprioritise")

    (reprioritised,) = [r for r in digital["rankings"] if r["change"] == "reprioritised"]
    assert reprioritised["from"] == "2026-08-12T14:00:00.000000Z"
    assert reprioritised["who"] == demo.TEAMS["digital-services"].editor
    assert reprioritised["why"] == REPRIORITISED_BECAUSE
    assert reprioritised["decision"]["id"] == str(decision.id)
    assert reprioritised["decision"]["summary"] == decision.summary
    assert reprioritised["order"][1]["statement"] == WEBSITE
    assert reprioritised["order"][0]["statement"].startswith(SELF_SERVICE)
    before = digital["rankings"][digital["rankings"].index(reprioritised) - 1]
    assert before["until"] == reprioritised["from"]
    assert before["order"][0]["statement"] == WEBSITE


# -- diff --------------------------------------------------------------------------------


def review_changes(quarter: Demo) -> list[dict[str, Any]]:
    body = quarter.json(f"{CYCLE}/diff", **REVIEW)
    assert (instant(body["from"]), instant(body["to"])) == (
        instant(REVIEW["from"]),
        instant(REVIEW["to"]),
    )
    changes: list[dict[str, Any]] = body["changes"]
    return changes


def test_the_diff_over_the_review_names_every_act_of_the_review(quarter: Demo) -> None:
    changes = review_changes(quarter)

    names = Counter(c["change"] for c in changes)
    assert names["decision_recorded"] == len(demo.DECISIONS)
    for name in (
        "priorities_reprioritised",
        "key_result_target_eased",
        "key_result_retargeted",
        "key_result_dropped",
        "initiative_stopped",
    ):
        assert names[name] == 1, name
    for change in changes:
        assert instant(REVIEW["from"]) < instant(change["when"]) <= instant(REVIEW["to"])
        assert change["who"]
    assert [c["position"] for c in changes] == sorted(c["position"] for c in changes)


@pytest.mark.parametrize(
    ("name", "statement", "decision_type"),
    [
        (
            "key_result_target_eased",
            "Reduce average days to complete a routine repair",
            "retarget",
        ),
        ("key_result_retargeted", "Increase repairs booked online", "retarget"),
        ("key_result_dropped", "Increase online bulky-waste bookings", "drop"),
        ("initiative_stopped", "Bespoke repairs tracking app", "reprioritise"),
        ("priorities_reprioritised", None, "reprioritise"),
    ],
)
def test_each_change_of_the_review_says_who_when_why_and_under_which_decision(
    quarter: Demo, name: str, statement: str | None, decision_type: str
) -> None:
    (change,) = [c for c in review_changes(quarter) if c["change"] == name]
    decision = quarter.decision(decision_type)

    assert change["who"] in {unit.editor for unit in demo.TEAMS.values()}
    assert change["when"].startswith("2026-08-12T14:")
    assert change["why"]
    assert change["decision"] == {
        "id": str(decision.id),
        "summary": decision.summary,
        "forum": demo.FORUM,
    }
    if statement is not None:
        assert change["label"].startswith(statement)


def test_the_retargets_in_the_diff_carry_their_new_targets(quarter: Demo) -> None:
    changes = {c["change"]: c for c in review_changes(quarter)}
    assert changes["key_result_target_eased"]["set"]["target"] == "18"
    assert changes["key_result_retargeted"]["set"]["target"] == "35"


def test_the_reprioritisation_in_the_diff_lists_its_rank_moves(quarter: Demo) -> None:
    (change,) = [c for c in review_changes(quarter) if c["change"] == "priorities_reprioritised"]
    self_service = quarter.objective(SELF_SERVICE).id
    website = quarter.objective(WEBSITE).id

    assert sorted(change["moves"], key=lambda move: move["to"]) == [
        {"objective_id": str(self_service), "from": 2, "to": 1},
        {"objective_id": str(website), "from": 1, "to": 2},
    ]


@pytest.mark.parametrize(
    "window",
    [
        REVIEW,
        {"from": "2026-07-30T00:00:00Z", "to": "2026-08-04T00:00:00Z"},
        {"from": "2026-06-01T00:00:00Z", "to": "2026-10-15T00:00:00Z"},
    ],
    ids=["the review", "a correction", "before the cycle to after its close"],
)
def test_applying_the_diff_to_the_okr_set_at_from_gives_the_set_at_to(
    quarter: Demo, window: dict[str, str]
) -> None:
    changes = quarter.json(f"{CYCLE}/diff", **window)["changes"]
    models = quarter.services.read_models
    with models.reading() as cursor:
        start = models.snapshot(
            cursor, demo.CYCLE_KEY, as_of=micros(window["from"]), full_history=True
        )
        end = models.snapshot(
            cursor, demo.CYCLE_KEY, as_of=micros(window["to"]), full_history=True
        )
    assert end is not None

    docs = copy.deepcopy(start.docs) if start else {}
    check_ins = copy.deepcopy(start.check_ins) if start else {}
    apply_diff(docs, check_ins, changes)

    assert docs == end.docs
    assert current_values(check_ins) == current_values(end.check_ins)


@pytest.mark.parametrize(
    "window",
    [
        {"from": "2026-07-30T00:00:00Z", "to": "2026-08-04T00:00:00Z"},
        {"from": "2026-06-01T00:00:00Z", "to": "2026-10-15T00:00:00Z"},
    ],
    ids=["a week of check-ins and a correction", "before the cycle to after its close"],
)
def test_a_diff_reads_the_earlier_documents_only_of_what_its_window_changes(
    quarter: Demo, window: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    models = quarter.services.read_models
    asked: set[str] = set()
    read = StateView.docs_at

    def recording(view: StateView, cursor: Any, cycle_id: str, idents: Any, as_of: int) -> Any:
        if as_of == micros(window["from"]):
            asked.update(idents)
        return read(view, cursor, cycle_id, idents, as_of)

    monkeypatch.setattr(StateView, "docs_at", recording)
    models.answers.clear()
    changes = quarter.json(f"{CYCLE}/diff", **window)["changes"]

    created = {c["id"] for c in changes if "id" in c.get("set", {})}  # from no document
    changed = {c["id"] for c in changes if "check_in" not in c}
    assert asked == changed - created
    assert any("check_in" in c for c in changes), "the window holds check-ins"


def current_values(check_ins: dict[str, list[dict[str, Any]]]) -> dict[str, set[Any]]:
    return {
        kr_id: {(row["check_in_id"], Decimal(str(row["value"]))) for row in rows}
        for kr_id, rows in check_ins.items()
        if rows
    }


def test_a_diff_whose_to_is_before_its_from_gets_422(quarter: Demo) -> None:
    response = quarter.get(f"{CYCLE}/diff", **{"from": REVIEW["to"], "to": REVIEW["from"]})
    error_of(response, 422, "validation_failed", "to")


@pytest.mark.parametrize("missing", ["from", "to"])
def test_a_diff_without_both_instants_gets_422(quarter: Demo, missing: str) -> None:
    params = {k: v for k, v in REVIEW.items() if k != missing}
    error_of(quarter.get(f"{CYCLE}/diff", **params), 422, "validation_failed", missing)


# -- retrospective -----------------------------------------------------------------------


def retrospective(quarter: Demo, **params: str) -> dict[str, Any]:
    report: dict[str, Any] = quarter.json(f"{CYCLE}/retrospective", **params)
    return report


def scores_by_statement(report: dict[str, Any]) -> dict[str, dict[str, Decimal | None]]:
    """Each key result's scores, read as decimals to compare them."""
    return {
        kr["statement"]: {k: None if v is None else Decimal(v) for k, v in kr["score"].items()}
        for kr in report["key_results"]
    }


def test_the_retrospective_has_every_section(quarter: Demo) -> None:
    report = retrospective(quarter)

    assert set(report) >= {
        "cycle",
        "policy",
        "key_results",
        "objectives",
        "commitments",
        "target_changes",
        "drops",
        "reprioritisations",
        "decisions",
        "miss_causes",
    }
    assert report["cycle"]["status"] == "closed"
    assert {kr["id"] for kr in report["key_results"]} == {
        str(kr.id) for kr in quarter.key_results()
    }
    assert {d["id"] for d in report["decisions"]} == {
        str(quarter.decision(plan.decision_type).id) for plan in demo.DECISIONS
    }


def test_the_retrospective_of_one_team_covers_its_key_results_and_the_cycles_decisions(
    quarter: Demo,
) -> None:
    whole = retrospective(quarter)
    team = retrospective(quarter, team="housing-repairs")
    repairs = str(Team.id_for("housing-repairs"))

    ours = {kr["id"] for kr in whole["key_results"] if kr["team"]["id"] == repairs}
    assert ours
    assert {kr["id"] for kr in team["key_results"]} == ours
    assert {o["id"] for o in team["objectives"]} == {
        o["id"] for o in whole["objectives"] if o["team"]["id"] == repairs
    }
    assert {d["id"] for d in team["decisions"]} <= {d["id"] for d in whole["decisions"]}
    mine = [kr for kr in whole["key_results"] if kr["id"] in ours]
    assert sorted(mine, key=lambda kr: kr["id"]) == sorted(
        team["key_results"], key=lambda kr: kr["id"]
    )


def test_the_retrospective_counts_commitments_as_they_landed(quarter: Demo) -> None:
    commitments = retrospective(quarter)["commitments"]

    for commitment, bar in (("committed", Decimal(1)), ("aspirational", Decimal("0.7"))):
        scores = [
            score_objective(quarter.ledger.key_results(o.id), ends_on=demo.CYCLE_END) or Decimal(0)
            for o in quarter.objectives()
            if o.commitment == commitment
        ]
        summary = commitments[commitment]
        assert summary["scored"] == len(scores)
        assert summary["bar"] == decimal_text(bar)
        assert summary["landed"] == sum(1 for s in scores if s >= bar)
        assert summary["mean"] == decimal_text(round(sum(scores) / len(scores), 3))


def test_the_retrospective_counts_the_causes_named_for_misses(quarter: Demo) -> None:
    causes = Counter(
        cause
        for o in quarter.objectives()
        if o.reflection.outcome != "hit"
        for cause in o.reflection.causes
    )

    miss_causes = retrospective(quarter)["miss_causes"]

    assert {k: v for k, v in miss_causes.items() if v} == dict(causes)
    assert miss_causes["external_change"] == 2


def test_the_retrospective_lists_target_changes_with_the_eased_one(quarter: Demo) -> None:
    changes = {c["statement"]: c for c in retrospective(quarter)["target_changes"]}
    decision = str(quarter.decision("retarget").id)

    eased = changes["Reduce average days to complete a routine repair from 24 to 15"]
    raised = changes["Increase repairs booked online from 12% to 30%"]
    assert len(changes) == 2
    assert (eased["eased"], eased["from"]["target"], eased["to"]["target"]) == (True, "15", "18")
    assert (raised["eased"], raised["from"]["target"], raised["to"]["target"]) == (
        False,
        "30",
        "35",
    )
    for change in (eased, raised):
        assert change["decision_id"] == decision
        assert change["who"] == demo.TEAMS["housing-repairs"].editor
        assert change["why"]


def test_the_retrospective_lists_drops_with_their_reasons(quarter: Demo) -> None:
    drops = {d["statement"]: d for d in retrospective(quarter)["drops"]}

    assert set(drops) == {
        "Bespoke repairs tracking app",
        "Increase online bulky-waste bookings from 35% to 60%",
    }
    app = drops["Bespoke repairs tracking app"]
    bulky_waste = drops["Increase online bulky-waste bookings from 35% to 60%"]
    assert (app["type"], bulky_waste["type"]) == ("initiative", "key_result")
    assert app["decision_id"] == str(quarter.decision("reprioritise").id)
    assert bulky_waste["decision_id"] == str(quarter.decision("drop").id)
    assert "waste contractor" in bulky_waste["why"]
    assert "web form" in app["why"]


def test_the_retrospective_lists_the_reprioritisation_with_its_decision(quarter: Demo) -> None:
    (change,) = retrospective(quarter)["reprioritisations"]

    assert change["team"]["name"] == "Digital Services"
    assert change["decision_id"] == str(quarter.decision("reprioritise").id)
    assert change["previous_order"][0]["statement"] == WEBSITE
    assert change["order"][1]["statement"] == WEBSITE


def test_every_key_result_has_a_rhythm_share_and_a_chart_url(quarter: Demo) -> None:
    for kr in retrospective(quarter)["key_results"]:
        assert 0 < Decimal(kr["rhythm"]["share"]) <= 1, kr["statement"]
        assert kr["rhythm"]["periods_with_check_in"] <= kr["rhythm"]["periods"]
        assert kr["chart"] == f"{CYCLE}/retrospective/key-results/{kr['id']}/chart.svg"


def test_the_retrospective_as_csv_has_a_header_and_a_row_per_key_result(quarter: Demo) -> None:
    response = quarter.get(f"{CYCLE}/retrospective", format="csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert len(rows) == len(demo.KEY_RESULTS)
    assert {row["key_result_id"] for row in rows} == {str(kr.id) for kr in quarter.key_results()}
    webinar = next(row for row in rows if row["statement"] == WEBINAR)
    assert (webinar["computed"], webinar["override"]) == ("0", "0.5")
    assert {row["cycle"] for row in rows} == {"2026-Q3"}


def test_a_lower_stretch_par_raises_a_stretch_result_and_lowers_none(quarter: Demo) -> None:
    default = retrospective(quarter)
    rescored = retrospective(quarter, par_stretch="0.7")

    before, after = scores_by_statement(default), scores_by_statement(rescored)
    stretch = [
        kr["statement"] for kr in default["key_results"] if kr["classification"] == "stretch"
    ]
    assert any(after[s]["final"] > before[s]["final"] for s in stretch)
    assert all(after[s]["final"] >= before[s]["final"] for s in stretch)
    others = set(before) - set(stretch)
    assert all(after[s] == before[s] for s in others)
    assert rescored["policy"]["par"] == {"stretch": "0.7"}


def test_without_overrides_the_webinar_scores_what_was_computed(quarter: Demo) -> None:
    default = scores_by_statement(retrospective(quarter))[WEBINAR]
    rescored = scores_by_statement(retrospective(quarter, use_overrides="false"))[WEBINAR]

    assert default["final"] == Decimal("0.5")
    assert rescored["final"] == rescored["computed"] == default["computed"]


@pytest.mark.parametrize(
    ("params", "policy"),
    [
        ({"par_stretch": "0.7"}, ScoringPolicy(par={"stretch": Decimal("0.7")})),
        ({"use_overrides": "false"}, ScoringPolicy(use_overrides=False)),
        ({"band_mode": "last_value"}, ScoringPolicy(band_mode="last_value")),
        ({"milestone_grace_days": "7"}, ScoringPolicy(milestone_grace_days=7)),
        (
            {"par_committed": "0.9", "par_experimental": "0.5"},
            ScoringPolicy(par={"committed": Decimal("0.9"), "experimental": Decimal("0.5")}),
        ),
    ],
    ids=["par_stretch", "use_overrides", "band_mode", "milestone_grace_days", "two pars"],
)
def test_rescoring_agrees_with_the_ledgers_scoring_under_the_same_policy(
    quarter: Demo, params: dict[str, str], policy: ScoringPolicy
) -> None:
    report = retrospective(quarter, **params)

    scores = {kr["id"]: kr["score"] for kr in report["key_results"]}
    for kr in quarter.key_results():
        assert scores[str(kr.id)] == score_of(kr, policy), kr.statement
    objectives = {o["id"]: o["score"] for o in report["objectives"]}
    for objective in quarter.objectives():
        key_results = quarter.ledger.key_results(objective.id)
        expected = score_objective(key_results, policy, ends_on=demo.CYCLE_END)
        assert objectives[str(objective.id)] == as_text(expected)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("par_stretch", "7"),
        ("par_stretch", "0"),
        ("par_committed", "lots"),
        ("band_mode", "nope"),
        ("use_overrides", "maybe"),
        ("milestone_grace_days", "61"),
        ("format", "xml"),
    ],
)
def test_a_bad_retrospective_parameter_gets_422_naming_it(
    quarter: Demo, name: str, value: str
) -> None:
    response = quarter.get(f"{CYCLE}/retrospective", **{name: value})
    error_of(response, 422, "validation_failed", name)


# -- charts ------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def test_every_key_results_chart_is_svg_with_a_point_per_check_in(quarter: Demo) -> None:
    for kr in retrospective(quarter)["key_results"]:
        response = quarter.get(kr["chart"], "viewer")

        assert response.status_code == 200, kr["statement"]
        assert response.mimetype == "image/svg+xml"
        svg = ElementTree.fromstring(response.get_data())
        assert svg.tag == f"{SVG}svg"
        points = [c for c in svg.iter(f"{SVG}circle") if c.get("class") == "point"]
        assert len(points) == len(kr["series"]) > 0, kr["statement"]
        assert svg.findtext(f"{SVG}title") == kr["statement"]


@pytest.mark.parametrize("which", ["an unknown id", "not an id", "an objective's id"])
def test_the_chart_of_an_unknown_key_result_gets_404(quarter: Demo, which: str) -> None:
    ident = {
        "an unknown id": str(uuid4()),
        "not an id": "nope",
        "an objective's id": str(quarter.objective(WEBSITE).id),
    }[which]
    response = quarter.get(f"{CYCLE}/retrospective/key-results/{ident}/chart.svg")
    error_of(response, 404, "not_found")


# -- the KPI board -----------------------------------------------------------------------


def test_the_kpi_board_shows_complaint_response_time_turned_unhealthy(quarter: Demo) -> None:
    board = quarter.json(f"{API}/kpis/health", "viewer")["kpis"]
    (kpi,) = quarter.ledger.kpis()
    measured = sorted(kpi.measurements, key=lambda row: row.effective_at)

    (entry,) = [k for k in board if k["key"] == "complaint-response-time"]
    assert entry["health"] == "unhealthy"
    assert entry["latest"] == decimal_text(measured[-1].value)
    assert entry["first"] == decimal_text(measured[0].value)
    assert entry["measurements"] == len(measured) == demo.WEEKS
    assert entry["first"] <= entry["healthy"] < entry["warning"] < entry["latest"]
    assert instant(entry["measured_at"]) == measured[-1].effective_at
    assert entry["team"] == "Contact Centre"


# -- the audit trail ---------------------------------------------------------------------


def test_audit_pages_of_50_walk_every_event_exactly_once_in_log_order(
    quarter: Demo, trail: list[dict[str, Any]]
) -> None:
    pages = []
    cursor = 0
    while True:
        page = quarter.json(f"{API}/audit", "auditor", limit=50, cursor=cursor)
        pages.append(page["events"])
        if page["next_cursor"] is None:
            break
        assert page["next_cursor"] == page["events"][-1]["position"]
        cursor = page["next_cursor"]

    positions = [event["position"] for page in pages for event in page]
    assert positions == list(range(1, quarter.head() + 1))
    assert all(len(page) == 50 for page in pages[:-1])
    assert [e["position"] for e in trail] == positions


AuditFilter = Callable[[Demo, list[dict[str, Any]]], tuple[dict[str, str], Callable[..., bool]]]


def by_correlation(quarter: Demo, trail: list[dict[str, Any]]) -> tuple[dict[str, str], Any]:
    """The correlation id shared by the most events (one command, several events)."""
    correlation, count = Counter(e["correlation_id"] for e in trail).most_common(1)[0]
    assert count > 1
    return {"correlation": correlation}, lambda e: e["correlation_id"] == correlation


def in_window(column: str, start: str, end: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: instant(start) <= instant(e[column]) <= instant(end)


FRIDAY_31_JULY = ("2026-07-31T00:00:00Z", "2026-07-31T23:59:59Z")
AUDIT_FILTERS: dict[str, AuditFilter] = {
    "cycle by key": lambda q, t: (
        {"cycle": "2026-Q3"},
        lambda e: e["cycle_id"] == str(CYCLE_ID),
    ),
    "cycle by id": lambda q, t: (
        {"cycle": str(CYCLE_ID)},
        lambda e: e["cycle_id"] == str(CYCLE_ID),
    ),
    "team": lambda q, t: (
        {"team": "digital-services"},
        lambda e: e["team_id"] == str(Team.id_for("digital-services")),
    ),
    "aggregate": lambda q, t: (
        {"aggregate": str(q.key_result(ANSWER_TIME).id)},
        lambda e: e["aggregate_id"] == str(q.key_result(ANSWER_TIME).id),
    ),
    "actor": lambda q, t: ({"actor": "tom.reid"}, lambda e: e["actor"] == "tom.reid"),
    "aggregate type": lambda q, t: (
        {"type": "KeyResult"},
        lambda e: e["aggregate_type"] == "KeyResult",
    ),
    "event type": lambda q, t: (
        {"type": "KeyResult.CheckInCorrected"},
        lambda e: e["event_type"] == "KeyResult.CheckInCorrected",
    ),
    "decision": lambda q, t: (
        {"decision": str(q.decision("reprioritise").id)},
        lambda e: e["decision_id"] == str(q.decision("reprioritise").id),
    ),
    "correlation": by_correlation,
    "recorded window": lambda q, t: (
        dict(REVIEW),
        in_window("recorded_at", REVIEW["from"], REVIEW["to"]),
    ),
    "effective window": lambda q, t: (
        {"from": FRIDAY_31_JULY[0], "to": FRIDAY_31_JULY[1], "time": "effective"},
        in_window("effective_at", *FRIDAY_31_JULY),
    ),
    "all at once": lambda q, t: (
        {"cycle": "2026-Q3", "team": "contact-centre", "type": "KeyResult.CheckedIn"}
        | {"from": FRIDAY_31_JULY[0], "to": FRIDAY_31_JULY[1], "time": "effective"},
        lambda e: (
            e["team_id"] == str(Team.id_for("contact-centre"))
            and e["event_type"] == "KeyResult.CheckedIn"
            and in_window("effective_at", *FRIDAY_31_JULY)(e)
        ),
    ),
}


@pytest.mark.parametrize("name", list(AUDIT_FILTERS))
def test_each_audit_filter_keeps_exactly_the_matching_events(
    quarter: Demo, trail: list[dict[str, Any]], name: str
) -> None:
    params, matches = AUDIT_FILTERS[name](quarter, trail)

    found = walk_audit(quarter, "auditor", limit=50, **params)

    expected = [e["position"] for e in trail if matches(e)]
    assert [e["position"] for e in found] == expected
    assert 0 < len(expected) < len(trail)


def test_effective_time_finds_the_correction_recorded_days_later(quarter: Demo) -> None:
    window = {"from": FRIDAY_31_JULY[0], "to": FRIDAY_31_JULY[1]}
    correction = {"type": "KeyResult.CheckInCorrected"}

    recorded = walk_audit(quarter, "auditor", limit=50, **window, **correction)
    effective = walk_audit(quarter, "auditor", limit=50, **window, **correction, time="effective")

    assert recorded == []
    (event,) = effective
    assert event["reason"] == "value was typed in hours, not minutes"
    assert event["recorded_at"].startswith("2026-08-03")


def test_audit_instants_with_an_offset_mean_the_same_moment(quarter: Demo) -> None:
    utc = walk_audit(quarter, "auditor", limit=100, **REVIEW)
    paris = walk_audit(
        quarter,
        "auditor",
        limit=100,
        **{"from": "2026-08-10T02:00:00+02:00", "to": "2026-08-14T02:00:00+02:00"},
    )
    assert paris == utc


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_auditors_and_admins_see_reasons_payloads_and_ids(quarter: Demo, who: str) -> None:
    page = quarter.json(f"{API}/audit", who, type="Priorities.Reprioritised")

    assert page["full_detail"] is True
    (event,) = page["events"]
    assert set(event) >= FULL_DETAIL
    assert event["reason"] == REPRIORITISED_BECAUSE
    order = [quarter.objective(SELF_SERVICE).id, quarter.objective(WEBSITE).id]
    assert event["data"]["order"] == [str(ident) for ident in order]
    assert UUID(event["correlation_id"])


@pytest.mark.parametrize("who", ["viewer", "editor"])
def test_viewers_and_editors_see_no_reasons_payloads_or_ids(quarter: Demo, who: str) -> None:
    page = quarter.json(f"{API}/audit", who, limit=1000)

    assert page["full_detail"] is False
    assert page["events"]
    for event in page["events"]:
        assert not FULL_DETAIL & set(event), event
        assert {"position", "event_type", "actor", "recorded_at"} <= set(event)


EXPORT_FILTERS = {
    "everything": {},
    "a team": {"team": "housing-repairs"},
    "an event type": {"type": "KeyResult.CheckedIn"},
}


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
@pytest.mark.parametrize("name", list(EXPORT_FILTERS))
def test_audit_exports_hold_every_match(
    quarter: Demo, trail: list[dict[str, Any]], kind: str, name: str
) -> None:
    params = EXPORT_FILTERS[name]
    matches = [e["position"] for e in walk_audit(quarter, "auditor", limit=1000, **params)]

    response = quarter.get(f"{API}/audit", "auditor", format=kind, **params)

    assert response.status_code == 200
    assert response.mimetype == {"csv": "text/csv", "jsonl": "application/x-ndjson"}[kind]
    assert response.headers["Content-Disposition"] == f"attachment; filename=audit.{kind}"
    rows = csv_rows(response) if kind == "csv" else jsonl_rows(response)
    assert [int(row["position"]) for row in rows] == matches
    assert all(set(row) >= FULL_DETAIL for row in rows)
    if name == "everything":
        assert len(rows) == len(trail)


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_audit_exports_leave_the_detail_out_for_viewers(quarter: Demo, kind: str) -> None:
    response = quarter.get(f"{API}/audit", "viewer", format=kind)

    rows = csv_rows(response) if kind == "csv" else jsonl_rows(response)
    assert len(rows) == quarter.head()
    assert not any(FULL_DETAIL & set(row) for row in rows)


@pytest.mark.parametrize("limit", [0, 1001])
def test_an_audit_limit_out_of_range_gets_422(quarter: Demo, limit: int) -> None:
    response = quarter.get(f"{API}/audit", limit=limit)
    error_of(response, 422, "validation_failed", "limit")


def test_an_unknown_audit_format_gets_422(quarter: Demo) -> None:
    error_of(quarter.get(f"{API}/audit", format="xlsx"), 422, "validation_failed", "format")


# -- freshness and read-your-writes --------------------------------------------------------


def test_a_read_asking_for_a_position_beyond_the_log_gets_422_at_once(
    quarter: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = quarter.head()
    waits: list[float] = []
    monkeypatch.setattr(quarter.services.read_models, "sleep", waits.append)

    beyond = quarter.get(f"{CYCLE}/okrs", min_position=head + 1)

    error_of(beyond, 422, "position_beyond_log", "min_position")
    assert waits == [], "it waited for a position no command has reached"
    reached = quarter.get(f"{CYCLE}/okrs", min_position=head)
    assert reached.status_code == 200
    assert reached.headers["X-View-Position"] == str(head)


def test_a_read_waits_for_a_view_behind_the_log_until_it_catches_up(world: World) -> None:
    models = world.services.read_models
    models.catch_up()
    position = check_in(world, 52, "at_risk").get_json()["position"]
    waits: list[float] = []

    def the_view_catches_up_while_the_read_waits(seconds: float) -> None:
        waits.append(seconds)
        models.catch_up()

    models.sleep = the_view_catches_up_while_the_read_waits
    fresh = world.api.get(f"{API}/cycles/2026-Q3/okrs?min_position={position}", "viewer")

    assert fresh.status_code == 200, fresh.get_json()
    assert len(waits) == 1
    assert int(fresh.headers["X-View-Position"]) >= position


def test_a_view_that_stays_behind_gets_503_view_behind_once_the_wait_is_over(
    world: World,
) -> None:
    world.services.read_models.catch_up()
    position = check_in(world, 52, "at_risk").get_json()["position"]
    no_wait(world.services)

    behind = world.api.get(f"{API}/cycles/2026-Q3/okrs?min_position={position}", "viewer")

    error = error_of(behind, 503, "view_behind", "min_position")
    assert behind.headers["Retry-After"] == "1"
    assert int(behind.headers["X-View-Position"]) == error["position"] < position


def check_in(world: World, value: int, confidence: str, **extra: str) -> TestResponse:
    body = {"value": value, "confidence": confidence, **extra}
    path = f"{API}/key-results/{world.key_result}/check-ins"
    return world.api.as_("editor", "POST", path, body)


def test_a_read_after_a_write_is_behind_until_the_follower_catches_up(
    world: World, clock: FakeClock
) -> None:
    no_wait(world.services)
    models = world.services.read_models
    models.catch_up()
    clock.advance(days=1)
    okrs = f"{API}/cycles/2026-Q3/okrs"
    written = check_in(world, 52, "at_risk", note="Renewals page relaunched")
    assert written.status_code == 201, written.get_json()
    position = written.get_json()["position"]
    assert position == world.head()

    behind = world.api.get(f"{okrs}?min_position={position}", "viewer")
    error_of(behind, 503, "view_behind", "min_position")
    assert behind.headers["Retry-After"]
    assert int(behind.headers["X-View-Position"]) < position

    models.catch_up()
    fresh = world.api.get(f"{okrs}?min_position={position}", "viewer")

    assert fresh.status_code == 200, fresh.get_json()
    assert int(fresh.headers["X-View-Position"]) >= position
    latest = key_results_of(fresh.get_json())[str(world.key_result)]["latest"]
    assert (latest["value"], latest["confidence"]) == ("52", "at_risk")


def test_a_key_result_goes_stale_two_cadence_periods_after_its_last_check_in(
    shared_world: World,
) -> None:
    shared_world.services.read_models.catch_up()
    url = f"{API}/cycles/2026-Q3/okrs"

    def stale(as_of: str) -> dict[str, bool]:
        tree = shared_world.api.get(f"{url}?as_of={as_of}").get_json()
        nodes = key_results_of(tree)
        checked_in, never = shared_world.key_result, shared_world.key_result2
        return {"checked in": nodes[str(checked_in)]["stale"], "never": nodes[str(never)]["stale"]}

    # checked in on Monday 6 July; the cycle started on 1 July; the cadence is weekly
    assert stale("2026-07-10T00:00:00Z") == {"checked in": False, "never": False}
    assert stale("2026-07-16T00:00:00Z") == {"checked in": False, "never": True}
    assert stale("2026-07-21T00:00:00Z") == {"checked in": True, "never": True}


def test_of_two_check_ins_at_the_same_instant_the_later_one_in_the_log_is_the_latest(
    world: World,
) -> None:
    assert check_in(world, 52, "at_risk").status_code == 201  # the clock has not moved
    world.services.read_models.catch_up()

    state = world.api.get(f"{API}/key-results/{world.key_result}").get_json()["state"]
    tree = world.api.get(f"{API}/cycles/2026-Q3/okrs").get_json()

    node = key_results_of(tree)[str(world.key_result)]
    assert state["score"]["final"] == "0.6"  # 52 on the way from 40 to 60
    assert node["latest"]["value"] == "52"
    assert node["score"]["final"] == state["score"]["final"]


def test_the_audit_csv_export_does_not_hand_a_spreadsheet_a_formula(world: World) -> None:
    formula = '=HYPERLINK("https://example.invalid","open")'
    assert check_in(world, 48, "on_track", reason=formula).status_code == 201
    world.services.read_models.catch_up()

    response = world.api.get(
        f"{API}/audit?format=csv&type=KeyResult.CheckedIn&aggregate={world.key_result}",
        "auditor",
    )

    reasons = [row["reason"] for row in csv_rows(response)]
    assert any(formula in reason for reason in reasons)
    assert not any(reason.startswith("=") for reason in reasons)
