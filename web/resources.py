"""The API's resources: for each, its write routes (one per command) and its reads."""

from __future__ import annotations

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
    Route("PUT", "/<uuid:team_id>/name", m.RenameTeam),
    Route("PUT", "/<uuid:team_id>/parent", m.MoveTeam),
    Route(
        "PUT",
        "/<uuid:team_id>/cycles/<uuid:cycle_id>/priorities",
        m.Reprioritise,
    ),
]
CYCLES = [
    Route("POST", "", m.OpenCycle, location="cycles"),
    Route("POST", "/<uuid:cycle_id>/start", m.StartCycle),
    Route("POST", "/<uuid:cycle_id>/review", m.BeginCycleReview),
    Route("POST", "/<uuid:cycle_id>/close", m.CloseCycle),
    Route("POST", "/<uuid:cycle_id>/reopen", m.ReopenCycle),
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


def blueprints() -> list[Blueprint]:
    made = []
    for name, segment, cls, param, routes in RESOURCES:
        blp = Blueprint(
            name,
            __name__,
            url_prefix=f"{API}/{segment}",
            description=(cls.__doc__ or name).split("\n")[0],
        )
        register_writes(blp, routes)
        register_reads(blp, cls, f"/<uuid:{param}>", KIND_NAMES[cls.__name__])
        made.append(blp)
        if cls is Team:
            teams = blp
    register_reads(
        teams,  # a team's priorities in a cycle live under /teams
        Priorities,
        "/<uuid:team_id>/cycles/<uuid:cycle_id>/priorities",
        "team's priorities",
        ident_of=lambda path: Priorities.id_for(path["team_id"], path["cycle_id"]),
    )
    return made
