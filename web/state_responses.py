"""The documented shape of ``GET /api/v1/{kind}/{id}`` (one schema per kind of
aggregate) and of ``GET /api/v1/{kind}/{id}/history`` (one schema per event type, its
``data`` read from the event's own fields)."""

from __future__ import annotations

import typing
from functools import cache
from typing import Any

from marshmallow import Schema, fields

from ledger.base import LedgerAggregate
from ledger.key_result import CLASSIFICATIONS, CONFIDENCES, KINDS
from ledger.kpi import DIRECTIONS
from ledger.objective import COMMITMENTS, OUTCOMES
from ledger.strategy import CHOICE_KINDS
from ledger.team import LEVELS
from projections.diff import AGGREGATES
from web.responses import KPI_HEALTH, AllocationSchema, PrioritySchema
from web.vocabulary import (
    UUID_PATTERN,
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


class ChoiceStateSchema(Response):
    id = Id()
    kind = Text(enum=CHOICE_KINDS)
    statement = Text()
    retired = Flag()


class StrategyStateSchema(Response):
    key = Text()
    name = Text()
    vision = Text()
    mission = Text()
    choices = Object("strategic choices by id", values=fields.Nested(ChoiceStateSchema))


class TeamStateSchema(Response):
    key = Text()
    name = Text()
    level = Text(enum=LEVELS)
    parent_id = Id(null=True)


class CycleStateSchema(Response):
    key = Text()
    name = Text()
    starts_on = Day()
    ends_on = Day()
    cadence_days = Count()
    status = Text()


class ReflectionSchema(Response):
    outcome = Text(enum=OUTCOMES)
    achieved = Text()
    why = Text()
    causes = Texts()
    carry_forward = Text()


class CarriedFromStateSchema(Response):
    id = Id("the original objective or key result")
    cycle_id = Id("the original's cycle")
    carry_forward = Text(
        "what the original objective's reflection said carries forward (empty for a key result)"
    )


class ObjectiveStateSchema(Response):
    team_id = Id()
    cycle_id = Id()
    statement = Text()
    description = Text()
    owner = Text()
    commitment = Text(enum=COMMITMENTS)
    status = Text()
    choice_links = Object("strategy id by strategic choice id", values=fields.String())
    parents = Object("parent kind (objective, key_result) by parent id", values=fields.String())
    reflection = One(ReflectionSchema, null=True)
    key_result_ids = Ids()
    carried_from = One(CarriedFromStateSchema, null=True)
    carried_to = Object("the objective carried to each later cycle, by cycle id", values=Id())


class AimStateSchema(Response):
    baseline = Decimal(null=True)
    target = Decimal(null=True)
    band_low = Decimal(null=True)
    band_high = Decimal(null=True)
    deadline = Day(null=True)


class CheckInStateSchema(Response):
    id = Id()
    value = Decimal()
    confidence = Text(enum=CONFIDENCES)
    note = Text()
    blockers = Texts()
    effective_at = Time()
    recorded_at = Time()
    actor = Text()
    supersedes = Id(null=True)
    superseded_by = Id(null=True)


class OverrideStateSchema(Response):
    score = Decimal()
    reason = Text()
    actor = Text()
    recorded_at = Time()


class KeyResultScoreStateSchema(Response):
    key_result_id = Id()
    computed = Decimal(null=True)
    override = Decimal(null=True)
    final = Decimal(null=True)
    weight = Decimal()


class KeyResultStateSchema(Response):
    objective_id = Id()
    team_id = Id()
    cycle_id = Id()
    statement = Text()
    kind = Text(enum=KINDS)
    aim = One(AimStateSchema)
    unit = Text()
    classification = Text(enum=CLASSIFICATIONS)
    weight = Decimal()
    owner = Text()
    status = Text()
    check_ins = Many(CheckInStateSchema, "every check-in, corrected ones included")
    override = One(OverrideStateSchema, null=True)
    score = One(KeyResultScoreStateSchema)
    carried_from = One(CarriedFromStateSchema, null=True)
    carried_to = Object("the key result carried to each later cycle, by cycle id", values=Id())


class InitiativeStateSchema(Response):
    team_id = Id()
    cycle_id = Id()
    title = Text()
    description = Text()
    owner = Text()
    status = Text()
    health = Text(null=True)
    key_result_ids = Ids()
    priority = One(PrioritySchema, null=True)
    allocation = One(AllocationSchema, null=True)


class DependencyStateSchema(Response):
    cycle_id = Id()
    from_team_id = Id()
    from_kind = Text()
    from_id = Id()
    on_team_id = Id()
    on_kind = Text(null=True)
    on_id = Id(null=True)
    description = Text()
    needed_by = Day(null=True)
    status = Text()


class BandsStateSchema(Response):
    direction = Text(enum=DIRECTIONS)
    healthy = Decimal()
    warning = Decimal()


class MeasurementStateSchema(Response):
    value = Decimal()
    effective_at = Time()
    recorded_at = Time()
    health = Text(enum=KPI_HEALTH)


class KpiStateSchema(Response):
    key = Text()
    team_id = Id()
    name = Text()
    unit = Text()
    bands = One(BandsStateSchema)
    measurements = Many(MeasurementStateSchema)


class DecisionStateSchema(Response):
    cycle_id = Id(null=True)
    forum = Text()
    decided_by = Texts()
    decision_type = Text()
    summary = Text()
    rationale = Text()
    affects = Ids()
    strategy_id = Id(null=True)
    choice_ids = Ids()


class PrioritiesStateSchema(Response):
    team_id = Id()
    cycle_id = Id()
    order = Ids("objective ids, first is rank 1")


STATES: dict[str, type[Schema]] = {
    "Strategy": StrategyStateSchema,
    "Team": TeamStateSchema,
    "Cycle": CycleStateSchema,
    "Objective": ObjectiveStateSchema,
    "KeyResult": KeyResultStateSchema,
    "Initiative": InitiativeStateSchema,
    "Dependency": DependencyStateSchema,
    "Kpi": KpiStateSchema,
    "Decision": DecisionStateSchema,
    "Priorities": PrioritiesStateSchema,
}


@cache
def aggregate_schema(cls: type[LedgerAggregate]) -> type[Schema]:
    """The response of ``GET`` one aggregate of type ``cls``."""
    name = cls.__name__
    return type(
        f"{name}AggregateSchema",
        (Response,),
        {
            "id": Id(),
            "type": Text(enum=(name,)),
            "version": Count(),
            "created_on": Time(),
            "modified_on": Time(),
            "state": One(STATES[name]),
        },
    )


# -- history: one schema per event type, from the event's own fields ----------------------

ENVELOPE = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}


def _data_field(annotation: Any) -> Any:
    """The response field of an event field of this type."""
    args = typing.get_args(annotation)
    null = type(None) in args
    if null:
        (annotation,) = [a for a in args if a is not type(None)]
    name = getattr(annotation, "__name__", str(annotation))
    if typing.get_origin(annotation) in (list, tuple):
        (item,) = typing.get_args(annotation)[:1]
        inner = fields.String(
            metadata={"format": "uuid", "pattern": UUID_PATTERN}
            if getattr(item, "__name__", "") == "UUID"
            else {}
        )
        return Many(inner, null=null)
    makers = {"UUID": Id, "Decimal": Decimal, "date": Day, "datetime": Time, "int": Count}
    if name in makers:
        return makers[name](null=null)
    if name == "bool":
        return Flag(null=null)
    return Text(null=null)


def event_schemas(cls: type[LedgerAggregate]) -> list[type[Schema]]:
    """One schema per event type of ``cls``, each naming its type and its data."""
    made = []
    for name, event in vars(cls).items():
        if not (isinstance(event, type) and issubclass(event, LedgerAggregate.Event)):
            continue
        if name in ("Event", "Created"):
            continue
        hints = typing.get_type_hints(event)
        data = type(
            f"{cls.__name__}{name}DataSchema",
            (Response,),
            {
                k: _data_field(v)
                for k, v in hints.items()
                if k not in ENVELOPE and typing.get_origin(v) is not typing.ClassVar
            },
        )
        made.append(
            type(
                f"{cls.__name__}{name}EventSchema",
                (EventSchema,),
                {"type": Text(enum=(f"{cls.__name__}.{name}",)), "data": One(data)},
            )
        )
    return made


class EventSchema(Response):
    position = Count("its place in the log", null=True)
    type = Text()
    aggregate_id = Id()
    version = Count()
    recorded_at = Time()
    effective_at = Time()
    actor = Text()
    reason = Text(null=True)
    decision_id = Id(null=True)
    correlation_id = Id()
    command_id = Text(null=True)
    data = Object("the event's own fields")


def component(schema: type[Schema]) -> str:
    """The name apispec gives a schema class's component."""
    return schema.__name__.removesuffix("Schema")


EVENTS: dict[str, list[type[Schema]]] = {cls.__name__: event_schemas(cls) for cls in AGGREGATES}


def register_event_schemas(spec: Any) -> None:
    """Put every event type's schema in the document (history responses refer to them)."""
    for schemas in EVENTS.values():
        for schema in schemas:
            spec.components.schema(component(schema), schema=schema)


@cache
def history_schema(cls: type[LedgerAggregate]) -> type[Schema]:
    """The response of ``GET`` one aggregate's history: each event matches the schema
    of its type."""
    refs = [{"$ref": f"#/components/schemas/{component(s)}"} for s in EVENTS[cls.__name__]]
    return type(
        f"{cls.__name__}HistorySchema",
        (Response,),
        {
            "aggregate_id": Id(),
            "events": fields.List(fields.Dict(metadata={"anyOf": refs}), required=True),
        },
    )
