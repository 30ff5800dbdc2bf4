"""The API's resources: for each, its write routes (one per command) and its reads."""

from __future__ import annotations

import re
from typing import Any

from flask_smorest import Blueprint

from commands import messages as m
from ledger.application import KIND_NAMES
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
from web.read_views import RULES as READ_MODEL_RULES
from web.reads import register_reads
from web.writes import Route, register_writes

API = "/api/v1"

STRATEGY = [
    Route(
        "POST",
        "",
        m.FormulateStrategy,
        location="strategies",
    ),
    Route("PUT", "/<uuid:strategy_id>/vision", m.RestateVision),
    Route("PUT", "/<uuid:strategy_id>/mission", m.RestateMission),
    Route(
        "POST",
        "/<uuid:strategy_id>/choices",
        m.AddStrategicChoice,
    ),
    Route(
        "PUT",
        "/<uuid:strategy_id>/choices/<uuid:choice_id>",
        m.ReviseStrategicChoice,
    ),
    Route(
        "POST",
        "/<uuid:strategy_id>/choices/<uuid:choice_id>/retire",
        m.RetireStrategicChoice,
    ),
]
TEAMS = [
    Route("POST", "", m.FormTeam, location="teams"),
    Route("PUT", "/<team:team_id>/name", m.RenameTeam),
    Route("PUT", "/<team:team_id>/parent", m.MoveTeam),
    Route(
        "PUT",
        "/<team:team_id>/cycles/<cycle:cycle_id>/priorities",
        m.Reprioritise,
    ),
]
CYCLES = [
    Route("POST", "", m.OpenCycle, location="cycles"),
    Route("POST", "/<cycle:cycle_id>/start", m.StartCycle),
    Route("POST", "/<cycle:cycle_id>/review", m.BeginCycleReview),
    Route("POST", "/<cycle:cycle_id>/close", m.CloseCycle),
    Route("POST", "/<cycle:cycle_id>/reopen", m.ReopenCycle),
]
OBJECTIVES = [
    Route("POST", "", m.DraftObjective, location="objectives"),
    Route("PUT", "/<uuid:objective_id>/statement", m.RewordObjective),
    Route("PUT", "/<uuid:objective_id>/owner", m.ChangeObjectiveOwner),
    Route(
        "POST",
        "/<uuid:objective_id>/choice-links",
        m.LinkObjectiveToChoice,
    ),
    Route(
        "DELETE",
        "/<uuid:objective_id>/choice-links/<uuid:choice_id>",
        m.UnlinkObjectiveFromChoice,
    ),
    Route("POST", "/<uuid:objective_id>/alignments", m.AlignObjective),
    Route(
        "DELETE",
        "/<uuid:objective_id>/alignments/<uuid:parent_id>",
        m.UnalignObjective,
    ),
    Route("POST", "/<uuid:objective_id>/drop", m.DropObjective),
    Route("POST", "/<uuid:objective_id>/reflection", m.ReflectOnObjective),
    Route(
        "POST",
        "/<uuid:objective_id>/carry-forward",
        m.CarryObjectiveForward,
        location="objectives",
    ),
    Route(
        "POST",
        "/<uuid:objective_id>/key-results",
        m.DefineKeyResult,
        location="key-results",
    ),
]
KEY_RESULTS = [
    Route("PUT", "/<uuid:key_result_id>/statement", m.RewordKeyResult),
    Route("PUT", "/<uuid:key_result_id>/owner", m.ChangeKeyResultOwner),
    Route("PUT", "/<uuid:key_result_id>/weight", m.ReweightKeyResult),
    Route("POST", "/<uuid:key_result_id>/retarget", m.RetargetKeyResult),
    Route("POST", "/<uuid:key_result_id>/check-ins", m.CheckIn),
    Route(
        "POST",
        "/<uuid:key_result_id>/check-ins/<uuid:check_in_id>/corrections",
        m.CorrectCheckIn,
        path_fields={"check_in_id": "supersedes"},
    ),
    Route("POST", "/<uuid:key_result_id>/score-override", m.OverrideScore),
    Route("POST", "/<uuid:key_result_id>/drop", m.DropKeyResult),
    Route(
        "POST",
        "/<uuid:key_result_id>/carry-forward",
        m.CarryKeyResultForward,
        location="key-results",
    ),
]
INITIATIVES = [
    Route(
        "POST",
        "",
        m.ProposeInitiative,
        location="initiatives",
    ),
    Route("POST", "/<uuid:initiative_id>/links", m.LinkInitiative),
    Route(
        "DELETE",
        "/<uuid:initiative_id>/links/<uuid:key_result_id>",
        m.UnlinkInitiative,
    ),
    Route("POST", "/<uuid:initiative_id>/start", m.StartInitiative),
    Route(
        "PUT",
        "/<uuid:initiative_id>/status",
        m.ChangeInitiativeStatus,
    ),
    Route("POST", "/<uuid:initiative_id>/stop", m.StopInitiative),
    Route("POST", "/<uuid:initiative_id>/complete", m.CompleteInitiative),
    Route(
        "PUT",
        "/<uuid:initiative_id>/priority",
        m.PrioritiseInitiative,
    ),
    Route("PUT", "/<uuid:initiative_id>/allocation", m.AllocateResources),
]
DEPENDENCIES = [
    Route(
        "POST",
        "",
        m.DeclareDependency,
        location="dependencies",
    ),
    Route(
        "POST",
        "/<uuid:dependency_id>/acknowledge",
        m.AcknowledgeDependency,
    ),
    Route("POST", "/<uuid:dependency_id>/escalate", m.EscalateDependency),
    Route("POST", "/<uuid:dependency_id>/resolve", m.ResolveDependency),
]
KPIS = [
    Route("POST", "", m.DefineKpi, location="kpis"),
    Route("POST", "/<uuid:kpi_id>/measurements", m.MeasureKpi),
    Route("PUT", "/<uuid:kpi_id>/bands", m.ChangeKpiBands),
]
DECISIONS = [
    Route("POST", "", m.RecordDecision, location="decisions"),
]

RESOURCES: list[tuple[str, str, type[Any], str, list[Route]]] = [
    # (blueprint name, url segment, aggregate class, path parameter, write routes)
    # (a team or a cycle is named in paths by id or key: see web.refs)
    ("strategies", "strategies", Strategy, "strategy_id", STRATEGY),
    ("teams", "teams", Team, "team_id", TEAMS),
    ("cycles", "cycles", Cycle, "cycle_id", CYCLES),
    ("objectives", "objectives", Objective, "objective_id", OBJECTIVES),
    ("key-results", "key-results", KeyResult, "key_result_id", KEY_RESULTS),
    ("initiatives", "initiatives", Initiative, "initiative_id", INITIATIVES),
    ("dependencies", "dependencies", Dependency, "dependency_id", DEPENDENCIES),
    ("kpis", "kpis", Kpi, "kpi_id", KPIS),
    ("decisions", "decisions", Decision, "decision_id", DECISIONS),
]


CONVERTER = {"team_id": "team", "cycle_id": "cycle"}
"""Path parameters taken by id or key; the others are UUIDs."""

CREATED = {m.AddStrategicChoice: "choice_id", m.CheckIn: "check_in_id"}
"""The path parameter naming what a creating command made, where it has no resource
of its own (the others: the resource's parameter)."""

ALIASES = {"cycle": "cycle_id", "key_result": "key_result_id"}
"""Read-model path parameters that name the same things as these."""


def operations() -> list[tuple[str, str]]:
    """(operationId, rule) of every operation under the API."""
    found = []
    for _, segment, cls, param, routes in RESOURCES:
        prefix = f"{API}/{segment}"
        found += [(r.command.__name__, prefix + r.rule) for r in routes]
        rule = f"{prefix}/<{CONVERTER.get(param, 'uuid')}:{param}>"
        found += [(f"get{cls.__name__}", rule), (f"get{cls.__name__}History", f"{rule}/history")]
    return found + [(name, API + rule) for name, rule in READ_MODEL_RULES]


def params(rule: str) -> list[str]:
    return [ALIASES.get(p, p) for p in re.findall(r"<(?:\w+:)?(\w+)>", rule)]


def links() -> dict[str, dict[str, Any]]:
    """OpenAPI links from each creating command's answer to the operations that take
    what it made (so that a client, or a fuzzer, can follow real ids)."""
    param_of = {segment: param for _, segment, _, param, _ in RESOURCES}
    made: dict[str, dict[str, Any]] = {}
    every = operations()
    for *_, routes in RESOURCES:
        for route in routes:
            created = CREATED.get(route.command) or (
                route.location and param_of.get(route.location)
            )
            if not route.creates or not created:
                continue
            given = params(route.rule)
            found = {}
            for operation, rule in every:
                wanted = params(rule)
                if created in wanted and set(wanted) <= {created, *given}:
                    raw = re.findall(r"<(?:\w+:)?(\w+)>", rule)
                    found[operation] = {
                        "operationId": operation,
                        "parameters": {
                            name: "$response.body#/id"
                            if ALIASES.get(name, name) == created
                            else f"$request.path.{ALIASES.get(name, name)}"
                            for name in raw
                        },
                    }
            made[route.command.__name__] = found
    return made


def blueprints() -> list[Blueprint]:
    made = []
    every_link = links()
    for name, segment, cls, param, routes in RESOURCES:
        blp = Blueprint(
            name,
            __name__,
            url_prefix=f"{API}/{segment}",
            description=(cls.__doc__ or name).split("\n")[0],
        )
        register_writes(blp, routes, every_link)
        converter = CONVERTER.get(param, "uuid")
        register_reads(blp, cls, f"/<{converter}:{param}>", KIND_NAMES[cls.__name__])
        made.append(blp)
        if cls is Team:
            teams = blp
    register_reads(
        teams,  # a team's priorities in a cycle live under /teams
        Priorities,
        "/<team:team_id>/cycles/<cycle:cycle_id>/priorities",
        "team's priorities",
        ident_of=lambda path: Priorities.id_for(path["team_id"], path["cycle_id"]),
    )
    return made
