"""The API's resources: for each, its write routes (one per command) and its reads."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from commands import messages as m
from commands import schemas as s
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
        s.FormulateStrategySchema,
        creates=True,
        location="strategies",
    ),
    Route("PUT", "/<uuid:strategy_id>/vision", m.RestateVision, s.RestateVisionSchema),
    Route("PUT", "/<uuid:strategy_id>/mission", m.RestateMission, s.RestateMissionSchema),
    Route(
        "POST",
        "/<uuid:strategy_id>/choices",
        m.AddStrategicChoice,
        s.AddStrategicChoiceSchema,
        creates=True,
    ),
    Route(
        "PUT",
        "/<uuid:strategy_id>/choices/<uuid:choice_id>",
        m.ReviseStrategicChoice,
        s.ReviseStrategicChoiceSchema,
    ),
    Route(
        "POST",
        "/<uuid:strategy_id>/choices/<uuid:choice_id>/retire",
        m.RetireStrategicChoice,
        s.RetireStrategicChoiceSchema,
    ),
]
TEAMS = [
    Route("POST", "", m.FormTeam, s.FormTeamSchema, creates=True, location="teams"),
    Route("PUT", "/<uuid:team_id>/name", m.RenameTeam, s.RenameTeamSchema),
    Route("PUT", "/<uuid:team_id>/parent", m.MoveTeam, s.MoveTeamSchema),
    Route(
        "PUT",
        "/<uuid:team_id>/cycles/<uuid:cycle_id>/priorities",
        m.Reprioritise,
        s.ReprioritiseSchema,
    ),
]
CYCLES = [
    Route("POST", "", m.OpenCycle, s.OpenCycleSchema, creates=True, location="cycles"),
    Route("POST", "/<uuid:cycle_id>/start", m.StartCycle, s.CycleStepSchema),
    Route("POST", "/<uuid:cycle_id>/review", m.BeginCycleReview, s.CycleStepSchema),
    Route("POST", "/<uuid:cycle_id>/close", m.CloseCycle, s.CycleStepSchema),
    Route("POST", "/<uuid:cycle_id>/reopen", m.ReopenCycle, s.CycleStepSchema),
]
OBJECTIVES = [
    Route(
        "POST", "", m.DraftObjective, s.DraftObjectiveSchema, creates=True, location="objectives"
    ),
    Route("PUT", "/<uuid:objective_id>/statement", m.RewordObjective, s.RewordObjectiveSchema),
    Route("PUT", "/<uuid:objective_id>/owner", m.ChangeObjectiveOwner, s.ChangeOwnerSchema),
    Route(
        "POST",
        "/<uuid:objective_id>/choice-links",
        m.LinkObjectiveToChoice,
        s.LinkObjectiveToChoiceSchema,
    ),
    Route(
        "DELETE",
        "/<uuid:objective_id>/choice-links/<uuid:choice_id>",
        m.UnlinkObjectiveFromChoice,
        s.PlainActSchema,
    ),
    Route("POST", "/<uuid:objective_id>/alignments", m.AlignObjective, s.AlignObjectiveSchema),
    Route(
        "DELETE",
        "/<uuid:objective_id>/alignments/<uuid:parent_id>",
        m.UnalignObjective,
        s.PlainActSchema,
    ),
    Route("POST", "/<uuid:objective_id>/drop", m.DropObjective, s.PlainActSchema),
    Route(
        "POST", "/<uuid:objective_id>/reflection", m.ReflectOnObjective, s.ReflectOnObjectiveSchema
    ),
    Route(
        "POST",
        "/<uuid:objective_id>/key-results",
        m.DefineKeyResult,
        s.DefineKeyResultSchema,
        creates=True,
        location="key-results",
    ),
]
KEY_RESULTS = [
    Route("PUT", "/<uuid:key_result_id>/statement", m.RewordKeyResult, s.RewordKeyResultSchema),
    Route("PUT", "/<uuid:key_result_id>/owner", m.ChangeKeyResultOwner, s.ChangeOwnerSchema),
    Route("PUT", "/<uuid:key_result_id>/weight", m.ReweightKeyResult, s.ReweightKeyResultSchema),
    Route(
        "POST", "/<uuid:key_result_id>/retarget", m.RetargetKeyResult, s.RetargetKeyResultSchema
    ),
    Route("POST", "/<uuid:key_result_id>/check-ins", m.CheckIn, s.CheckInSchema, creates=True),
    Route(
        "POST",
        "/<uuid:key_result_id>/check-ins/<uuid:check_in_id>/corrections",
        m.CorrectCheckIn,
        s.CorrectCheckInSchema,
        creates=True,
        path_fields={"check_in_id": "supersedes"},
    ),
    Route("POST", "/<uuid:key_result_id>/score-override", m.OverrideScore, s.OverrideScoreSchema),
    Route("POST", "/<uuid:key_result_id>/drop", m.DropKeyResult, s.PlainActSchema),
]
INITIATIVES = [
    Route(
        "POST",
        "",
        m.ProposeInitiative,
        s.ProposeInitiativeSchema,
        creates=True,
        location="initiatives",
    ),
    Route("POST", "/<uuid:initiative_id>/links", m.LinkInitiative, s.LinkInitiativeSchema),
    Route(
        "DELETE",
        "/<uuid:initiative_id>/links/<uuid:key_result_id>",
        m.UnlinkInitiative,
        s.PlainActSchema,
    ),
    Route("POST", "/<uuid:initiative_id>/start", m.StartInitiative, s.PlainActSchema),
    Route(
        "PUT",
        "/<uuid:initiative_id>/status",
        m.ChangeInitiativeStatus,
        s.ChangeInitiativeStatusSchema,
    ),
    Route("POST", "/<uuid:initiative_id>/stop", m.StopInitiative, s.PlainActSchema),
    Route(
        "POST", "/<uuid:initiative_id>/complete", m.CompleteInitiative, s.CompleteInitiativeSchema
    ),
    Route(
        "PUT",
        "/<uuid:initiative_id>/priority",
        m.PrioritiseInitiative,
        s.PrioritiseInitiativeSchema,
    ),
    Route(
        "PUT", "/<uuid:initiative_id>/allocation", m.AllocateResources, s.AllocateResourcesSchema
    ),
]
DEPENDENCIES = [
    Route(
        "POST",
        "",
        m.DeclareDependency,
        s.DeclareDependencySchema,
        creates=True,
        location="dependencies",
    ),
    Route(
        "POST",
        "/<uuid:dependency_id>/acknowledge",
        m.AcknowledgeDependency,
        s.DependencyNoteSchema,
    ),
    Route("POST", "/<uuid:dependency_id>/escalate", m.EscalateDependency, s.PlainActSchema),
    Route("POST", "/<uuid:dependency_id>/resolve", m.ResolveDependency, s.DependencyNoteSchema),
]
KPIS = [
    Route("POST", "", m.DefineKpi, s.DefineKpiSchema, creates=True, location="kpis"),
    Route("POST", "/<uuid:kpi_id>/measurements", m.MeasureKpi, s.MeasureKpiSchema),
    Route("PUT", "/<uuid:kpi_id>/bands", m.ChangeKpiBands, s.ChangeKpiBandsSchema),
]
DECISIONS = [
    Route(
        "POST", "", m.RecordDecision, s.RecordDecisionSchema, creates=True, location="decisions"
    ),
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
        register_reads(blp, cls, f"/<uuid:{param}>", name.rstrip("s").replace("-", " "))
        made.append(blp)
    priorities = made[1]
    register_reads(
        priorities,
        Priorities,
        "/<uuid:team_id>/cycles/<uuid:cycle_id>/priorities",
        "team's priorities",
        ident_of=lambda path: Priorities.id_for(path["team_id"], path["cycle_id"]),
    )
    return made
