"""The documented shape of every read-model response (the routes of web/readmodels.py).

The projections render these documents in the API's vocabulary; the schemas here are
what /openapi.json says of them, and the tests validate real responses against it.
"""

from __future__ import annotations

from typing import Any

from ledger.cycle import STATUSES as CYCLE_STATUSES
from ledger.initiative import HEALTH, MOSCOW
from ledger.key_result import CLASSIFICATIONS, CONFIDENCES, KINDS
from ledger.kpi import DIRECTIONS
from ledger.objective import COMMITMENTS, OUTCOMES, PARENT_KINDS
from ledger.strategy import CHOICE_KINDS
from projections.diff import change_kinds
from projections.history import CHANGES as RANKING_CHANGES
from projections.reducers import KINDS as DOC_TYPES
from projections.state import EFFECTIVE, RECORDED
from web.vocabulary import (
    Count,
    Day,
    Decimal,
    Flag,
    Id,
    Ids,
    Many,
    Object,
    One,
    Response,
    Text,
    Texts,
    Time,
)

OBJECTIVE_STATUSES = ("live", "dropped", "closed")
KEY_RESULT_STATUSES = ("live", "dropped")
INITIATIVE_STATUSES = ("proposed", "active", "stopped", "completed")
KPI_HEALTH = ("healthy", "warning", "unhealthy")
ADVICE_RULES = (
    "task_shaped", "missing_baseline", "missing_target", "missing_unit", "missing_deadline",
    "too_few_key_results", "too_many_key_results", "unlinked", "numbers_in_objective",
    "no_owner", "too_many_objectives", "sandbagging",
)  # fmt: skip

# -- cycles -----------------------------------------------------------------------------


class CycleSchema(Response):
    id = Id()
    key = Text("the natural key, e.g. 2026-Q3")
    name = Text()
    starts_on = Day()
    ends_on = Day()
    cadence_days = Count("days between expected check-ins")
    status = Text(enum=CYCLE_STATUSES)


class CycleListSchema(Response):
    cycles = Many(CycleSchema)


# -- the OKR tree -----------------------------------------------------------------------


class AdviceSchema(Response):
    rule = Text("the quality rule, e.g. task_shaped", enum=ADVICE_RULES)
    message = Text()


class CarriedFromSchema(Response):
    id = Id("the objective or key result this one carries forward")
    cycle_id = Id()
    cycle_key = Text(null=True)
    carry_forward = Text(
        "what the original objective's reflection said carries forward (null for a key result)",
        null=True,
    )


class CarriedToSchema(Response):
    id = Id("the objective or key result it was carried to")
    cycle_id = Id()
    cycle_key = Text(null=True)


def CarriedFrom() -> Any:
    return One(CarriedFromSchema, "the original, when this one was carried forward", null=True)


def CarriedTo() -> Any:
    return Many(CarriedToSchema, "where it was carried forward, one per later cycle")


class ScoreSchema(Response):
    computed = Decimal("the score the rules give, 0 to 1", null=True)
    override = Decimal("a score set at close, with a reason", null=True)
    final = Decimal("the override if any, else the computed score", null=True)


class LatestCheckInSchema(Response):
    value = Decimal()
    confidence = Text(enum=CONFIDENCES)
    effective_at = Time()
    recorded_at = Time()


class PrioritySchema(Response):
    method = Text(enum=("moscow", "rice"))
    moscow = Text(null=True, enum=MOSCOW)
    reach = Decimal(null=True)
    impact = Decimal(null=True)
    confidence = Decimal(null=True)
    effort = Decimal(null=True)
    rice_score = Decimal("reach * impact * confidence / effort", null=True)


class AllocationSchema(Response):
    people = Decimal("full-time equivalents")
    money = Decimal()
    currency = Text()


class InitiativeNodeSchema(Response):
    id = Id()
    title = Text()
    owner = Text()
    status = Text(enum=INITIATIVE_STATUSES)
    health = Text(null=True, enum=HEALTH)
    priority = One(PrioritySchema, null=True)
    allocation = One(AllocationSchema, null=True)
    key_result_ids = Ids()


class KeyResultNodeSchema(Response):
    id = Id()
    statement = Text()
    kind = Text(enum=KINDS)
    baseline = Decimal(null=True)
    target = Decimal(null=True)
    band = Many(
        Decimal(null=True), "[low, high] of a band key result; null for other kinds", null=True
    )
    unit = Text(null=True)
    deadline = Day(null=True)
    owner = Text()
    classification = Text(enum=CLASSIFICATIONS)
    weight = Decimal()
    status = Text(enum=KEY_RESULT_STATUSES)
    latest = One(LatestCheckInSchema, "the current check-in in force", null=True)
    score = One(ScoreSchema)
    stale = Flag("no check-in for two cadence periods")
    advice = Many(AdviceSchema)
    initiatives = Many(InitiativeNodeSchema)
    carried_from = CarriedFrom()
    carried_to = CarriedTo()


class TeamRefSchema(Response):
    id = Id()
    key = Text(null=True)
    name = Text(null=True)


class ParentSchema(Response):
    id = Id()
    kind = Text(enum=PARENT_KINDS)


class ObjectiveNodeSchema(Response):
    id = Id()
    statement = Text()
    team = One(TeamRefSchema)
    owner = Text()
    commitment = Text(enum=COMMITMENTS)
    status = Text(enum=OBJECTIVE_STATUSES)
    rank = Count("its place in the team's priorities", null=True)
    score = Decimal("weighted mean of its live key results' final scores", null=True)
    choices = Ids("the strategic choices it serves")
    parents = Many(ParentSchema)
    outcome = Text(null=True, enum=OUTCOMES)
    advice = Many(AdviceSchema)
    key_results = Many(KeyResultNodeSchema)
    carried_from = CarriedFrom()
    carried_to = CarriedTo()


class ChoiceNodeSchema(Response):
    id = Id("null for the node of objectives linked to no choice", null=True)
    strategy_id = Id(absent=True)
    kind = Text(enum=(*CHOICE_KINDS, "unlinked"))
    statement = Text()
    retired = Flag(absent=True)
    objectives = Many(ObjectiveNodeSchema)


class TeamSummarySchema(Response):
    id = Id()
    key = Text(null=True)
    name = Text(null=True)
    objectives = Count("objectives not dropped")
    advice = Many(AdviceSchema)
    initiatives_without_key_results = Ids()


class OkrTreeSchema(Response):
    cycle = One(CycleSchema)
    as_of = Time(null=True)
    time = Text(enum=(RECORDED, EFFECTIVE))
    team = Id(null=True)
    choices = Many(ChoiceNodeSchema)
    teams = Many(TeamSummarySchema)


# -- alignment --------------------------------------------------------------------------


class AlignmentNodeSchema(Response):
    id = Id()
    type = Text(enum=("objective", "key_result", "strategic_choice"))
    label = Text()
    team_id = Id("absent for strategic choices", absent=True)
    status = Text()


class AlignmentEdgeSchema(Response):
    from_ = Id(data_key="from")
    to = Id()
    kind = Text(enum=(*(f"aligned_to_{k}" for k in PARENT_KINDS), "serves_choice", "measures"))


class AlignmentSchema(Response):
    cycle = One(CycleSchema)
    nodes = Many(AlignmentNodeSchema)
    edges = Many(AlignmentEdgeSchema)
    orphans = Ids("objectives aligned to nothing and linked to no choice")


# -- priority history and diffs -----------------------------------------------------------


class DecisionRefSchema(Response):
    id = Id()
    summary = Text(null=True)
    forum = Text(null=True)


class RankedSchema(Response):
    rank = Count()
    objective_id = Id()
    statement = Text(null=True)


class RankingSchema(Response):
    from_ = Time("recorded when it came into force", data_key="from")
    effective_from = Time()
    until = Time("when the next ranking replaced it", null=True)
    change = Text(enum=(*RANKING_CHANGES.values(), "changed"))
    order = Many(RankedSchema)
    who = Text(null=True)
    why = Text(null=True)
    decision = One(DecisionRefSchema, null=True)
    position = Count()


class TeamRankingsSchema(Response):
    team_id = Id()
    team = Text(null=True)
    rankings = Many(RankingSchema)


class PriorityHistorySchema(Response):
    cycle = Text("the cycle as named in the path")
    teams = Many(TeamRankingsSchema)


class RankMoveSchema(Response):
    objective_id = Id()
    from_ = Count(data_key="from", null=True)
    to = Count()


class CheckInEntrySchema(Response):
    check_in_id = Id()
    supersedes = Id(null=True, absent=True)
    value = Decimal()
    confidence = Text(enum=CONFIDENCES)
    note = Text()
    blockers = Texts()
    effective_at = Time()
    recorded_at = Time()


class ChangeSchema(Response):
    change = Text("what happened (docs/read-models.md)", enum=change_kinds())
    type = Text(enum=DOC_TYPES.values())
    id = Id("the aggregate changed")
    position = Count()
    who = Text()
    when = Time("recorded")
    effective = Time()
    why = Text(null=True)
    decision = One(DecisionRefSchema, null=True)
    set = Object("document fields set, with their new values (not for check-ins)", absent=True)
    removed = Texts("document fields removed (not for check-ins)", absent=True)
    label = Text("the statement, title or name (not for check-ins)", null=True, absent=True)
    moves = Many(RankMoveSchema, "rank moves (priorities only)", absent=True)
    check_in = One(
        CheckInEntrySchema, "the check-in (check-ins and corrections only)", absent=True
    )


class DiffSchema(Response):
    cycle = Text("the cycle as named in the path")
    from_ = Time(data_key="from")
    to = Time()
    changes = Many(ChangeSchema)


# -- KPIs and the audit trail ---------------------------------------------------------------


class KpiSchema(Response):
    id = Id()
    key = Text()
    name = Text()
    unit = Text(null=True)
    team = Text(null=True)
    direction = Text(enum=DIRECTIONS)
    healthy = Decimal("the healthy bound")
    warning = Decimal("the warning bound")
    latest = Decimal(null=True)
    measured_at = Time(null=True)
    health = Text(null=True, enum=KPI_HEALTH)
    first = Decimal("the first value measured", null=True)
    measurements = Count()


class KpiBoardSchema(Response):
    kpis = Many(KpiSchema)


class AuditEventSchema(Response):
    position = Count()
    leaf_index = Count(
        "the event's leaf in the transparency log (GET /api/v1/log/proofs/inclusion proves it)",
        null=True,
    )
    event_type = Text("e.g. KeyResult.CheckedIn")
    aggregate_type = Text()
    aggregate_id = Id()
    version = Count()
    recorded_at = Time()
    effective_at = Time()
    actor = Text()
    cycle_id = Id(null=True)
    team_id = Id(null=True)
    decision_id = Id(null=True)
    reason = Text("auditors and admins only", null=True, absent=True)
    correlation_id = Id("auditors and admins only", absent=True)
    command_id = Text("auditors and admins only", null=True, absent=True)
    data = Object(
        "the event's own fields, in the vocabulary (auditors and admins only)", absent=True
    )


class AuditPageSchema(Response):
    events = Many(AuditEventSchema)
    next_cursor = Count("pass as cursor for the next page; null on the last", null=True)
    full_detail = Flag("whether reasons, payloads and ids are shown")
