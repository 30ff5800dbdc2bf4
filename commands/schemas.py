"""One marshmallow schema per command: the body a client sends for it.

Unknown fields are refused; types, enums, lengths and dates are checked here, and the
cross-field rules call the same functions the aggregates use, so a rule is written once.
Fields a route takes from its path (the id of the thing acted on) are not in the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from decimal import Decimal
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validates_schema,
)
from marshmallow.validate import Length, OneOf, Range, Regexp

from commands import messages as m
from ledger.base import require_finite
from ledger.decision import DECISION_TYPES
from ledger.dependency import REF_KINDS
from ledger.exceptions import RuleViolation
from ledger.initiative import HEALTH, MOSCOW
from ledger.key_result import CLASSIFICATIONS, CONFIDENCES, KINDS, Target, check_target
from ledger.kpi import DIRECTIONS, Bands, check_bands
from ledger.objective import COMMITMENTS, MISS_CAUSES, OUTCOMES, PARENT_KINDS
from ledger.strategy import CHOICE_KINDS
from ledger.team import LEVELS


def _bounded(value: Decimal) -> None:
    try:
        require_finite(value, "value")
    except RuleViolation as violation:
        raise ValidationError(violation.message.replace("value ", "", 1)) from None


DECIMAL_INPUT = 'a JSON number or a decimal string ("47.50"); answers write it as text'
LIMITS = "below 10^15 in size, with at most ten decimal places"

NUMBER_LIMITS = {
    "minimum": -(10**15),
    "maximum": 10**15,
    "exclusiveMinimum": True,
    "exclusiveMaximum": True,
}
"""The document's words for what ``require_finite`` enforces (the ten places are in the
description: ``multipleOf: 1e-10`` would refuse 0.3 in binary floating point)."""


def Number(*, metadata: dict[str, Any] | None = None, **kwargs: Any) -> fields.Decimal:
    meta = {**NUMBER_LIMITS, **(metadata or {})}
    what = f"{meta['description']}: " if "description" in meta else ""
    meta["description"] = f"{what}{DECIMAL_INPUT}; {LIMITS}"
    return fields.Decimal(allow_nan=False, validate=_bounded, metadata=meta, **kwargs)


POSITIVE = {"minimum": 0, "exclusiveMinimum": True}


def Text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=Length(min=1, max=max_length), **kwargs)


def OptionalText(max_length: int = 4000, **kwargs: Any) -> fields.String:
    return fields.String(validate=Length(max=max_length), load_default="", **kwargs)


def Choice(values: tuple[str, ...], **kwargs: Any) -> fields.String:
    return fields.String(validate=OneOf(values), **kwargs)


MAX_INTEGER = 2**53 - 1
"""The largest integer the API takes anywhere (versions, positions, cursors): I-JSON's
(RFC 7493) safe integers, which every client and every store holds exactly."""


def unstorable(value: Any) -> str | None:
    """Why a JSON value cannot be stored as text, or None: NUL characters (PostgreSQL
    text and jsonb refuse them) and lone surrogates (not UTF-8 at all)."""
    if isinstance(value, str):
        if "\x00" in value:
            return "must not contain NUL characters"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "must be valid Unicode text (no lone surrogates)"
        return None
    if isinstance(value, list):
        return next(filter(None, map(unstorable, value)), None)
    if isinstance(value, Mapping):
        return next(filter(None, map(unstorable, [*value.keys(), *value.values()])), None)
    return None


class StorableTextSchema(Schema):
    """Refuses, field by field, text that no store can hold, before anything else."""

    @pre_load
    def storable_text(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):
            problems = {
                str(key) if not unstorable(key) else "_schema": [why]
                for key in data
                if (why := unstorable(key) or unstorable(data[key]))
            }
            if problems:
                raise ValidationError(problems)
        return data


class Instant(fields.AwareDateTime):
    """An ISO 8601 time with a zone that is also a time in UTC (``9999-12-31T23:00-05:00``
    is not: it lies beyond year 9999 there)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        instant = super()._deserialize(value, attr, data, **kwargs)
        try:
            instant.astimezone(UTC)
        except OverflowError:
            raise ValidationError("must lie between the years 1 and 9999 in UTC") from None
        return instant


def rule_to_error(violation: RuleViolation) -> ValidationError:
    return ValidationError(violation.message, field_name=violation.field or "_schema")


class CommandSchema(StorableTextSchema):
    """Fields every command may carry."""

    class Meta:
        unknown = RAISE

    reason = fields.String(
        allow_none=True,
        validate=Length(min=1, max=2000),
        metadata={"description": "Why; required by retargets, drops, corrections, ..."},
    )
    decision_id = fields.UUID(
        allow_none=True, metadata={"description": "The recorded decision behind the act"}
    )
    effective_at = Instant(
        allow_none=True,
        metadata={"description": "When the act is true in the world (default: now)"},
    )

    @post_load
    def tuples(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


# -- strategy ------------------------------------------------------------------------


class FormulateStrategySchema(CommandSchema):
    key = Text(80, required=True)
    name = Text(200, required=True)
    vision = Text(2000, required=True)
    mission = Text(2000, required=True)


class RestateVisionSchema(CommandSchema):
    vision = Text(2000, required=True)


class RestateMissionSchema(CommandSchema):
    mission = Text(2000, required=True)


class AddStrategicChoiceSchema(CommandSchema):
    kind = Choice(CHOICE_KINDS, required=True)
    statement = Text(2000, required=True)
    key = fields.String(validate=Length(min=1, max=80), allow_none=True)


class ReviseStrategicChoiceSchema(CommandSchema):
    statement = Text(2000, required=True)


class RetireStrategicChoiceSchema(CommandSchema):
    pass


# -- teams and cycles ----------------------------------------------------------------


class FormTeamSchema(CommandSchema):
    key = Text(80, required=True)
    name = Text(200, required=True)
    level = Choice(LEVELS, required=True)
    parent_id = fields.UUID(allow_none=True)


class RenameTeamSchema(CommandSchema):
    name = Text(200, required=True)


class MoveTeamSchema(CommandSchema):
    parent_id = fields.UUID(required=True)


class OpenCycleSchema(CommandSchema):
    key = Text(80, required=True)
    name = Text(200, required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    cadence_days = fields.Integer(strict=True, validate=Range(1, 31), load_default=7)

    @validates_schema
    def ends_after_it_starts(self, data: dict[str, Any], **_: Any) -> None:
        if {"starts_on", "ends_on"} <= data.keys() and data["ends_on"] <= data["starts_on"]:
            raise ValidationError("a cycle must end after it starts", field_name="ends_on")


class CycleStepSchema(CommandSchema):
    """Start, begin the review, close or reopen (reopening needs a reason)."""


# -- objectives ----------------------------------------------------------------------


class DraftObjectiveSchema(CommandSchema):
    team_id = fields.UUID(required=True)
    cycle_id = fields.UUID(required=True)
    statement = Text(500, required=True)
    owner = Text(200, required=True)
    commitment = Choice(COMMITMENTS, load_default="committed")
    description = OptionalText()
    key = fields.String(
        validate=Length(min=1, max=80),
        allow_none=True,
        metadata={
            "description": "a natural key, unique in the team's cycle: the id derives from it"
        },
    )


class RewordObjectiveSchema(CommandSchema):
    statement = Text(500, required=True)
    description = fields.String(validate=Length(max=4000), allow_none=True)


class ChangeOwnerSchema(CommandSchema):
    owner = Text(200, required=True)


class LinkObjectiveToChoiceSchema(CommandSchema):
    strategy_id = fields.UUID(required=True)
    choice_id = fields.UUID(required=True)


class AlignObjectiveSchema(CommandSchema):
    parent_kind = Choice(PARENT_KINDS, required=True)
    parent_id = fields.UUID(required=True)


class PlainActSchema(CommandSchema):
    """An act with nothing but the common fields (drops, unlinks, starts...)."""


class ReflectOnObjectiveSchema(CommandSchema):
    outcome = Choice(OUTCOMES, required=True)
    achieved = Text(4000, required=True)
    why = Text(4000, required=True)
    causes = fields.List(
        Choice(MISS_CAUSES), validate=Length(max=len(MISS_CAUSES)), load_default=list
    )
    carry_forward = OptionalText()

    @validates_schema
    def a_miss_names_its_cause(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("outcome") not in (None, "hit") and not data.get("causes"):
            raise ValidationError(
                "a missed or partly hit objective names at least one cause",
                field_name="causes",
            )


class CarryObjectiveForwardSchema(CommandSchema):
    cycle_id = fields.UUID(required=True, metadata={"description": "the later cycle"})
    key_result_ids = fields.List(
        fields.UUID(),
        validate=Length(max=50),
        allow_none=True,
        metadata={
            "description": "the key results that go with it (default: every live one that "
            "has not met its aim and was not carried there already; [] for none)"
        },
    )

    @validates_schema
    def each_key_result_once(self, data: dict[str, Any], **_: Any) -> None:
        ids = data.get("key_result_ids") or []
        if len(set(ids)) != len(ids):
            raise ValidationError("names a key result twice", field_name="key_result_ids")


class CarryKeyResultForwardSchema(CommandSchema):
    cycle_id = fields.UUID(required=True, metadata={"description": "the later cycle"})
    objective_id = fields.UUID(
        allow_none=True,
        metadata={
            "description": "the objective of that cycle it goes under (default: the one "
            "its own objective was carried to there)"
        },
    )


# -- key results ---------------------------------------------------------------------


class DefineKeyResultSchema(CommandSchema):
    statement = Text(500, required=True)
    kind = Choice(KINDS, required=True)
    owner = Text(200, required=True)
    baseline = Number(allow_none=True)
    target = Number(allow_none=True)
    band_low = Number(allow_none=True)
    band_high = Number(allow_none=True)
    unit = OptionalText(40)
    deadline = fields.Date(allow_none=True)
    classification = Choice(CLASSIFICATIONS, load_default="committed")
    weight = Number(load_default=Decimal(1), metadata={**POSITIVE, "default": 1})
    key = fields.String(
        validate=Length(min=1, max=80),
        allow_none=True,
        metadata={
            "description": "a natural key, unique in the team's cycle: the id derives from it"
        },
    )

    @validates_schema
    def targets_fit_the_kind(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("kind") not in KINDS:
            return
        target = Target(
            *(data.get(f) for f in ("baseline", "target", "band_low", "band_high", "deadline"))
        )
        try:
            check_target(data["kind"], target)
        except RuleViolation as violation:
            raise rule_to_error(violation) from None
        if "weight" in data and data["weight"] <= 0:
            raise ValidationError("weight must be above zero", field_name="weight")


class RewordKeyResultSchema(CommandSchema):
    statement = Text(500, required=True)


class ReweightKeyResultSchema(CommandSchema):
    weight = Number(required=True, metadata=POSITIVE)

    @validates_schema
    def positive(self, data: dict[str, Any], **_: Any) -> None:
        if "weight" in data and data["weight"] <= 0:
            raise ValidationError("weight must be above zero", field_name="weight")


class RetargetKeyResultSchema(CommandSchema):
    target = Number(allow_none=True)
    band_low = Number(allow_none=True)
    band_high = Number(allow_none=True)
    deadline = fields.Date(allow_none=True)

    @validates_schema
    def changes_something(self, data: dict[str, Any], **_: Any) -> None:
        if all(data.get(f) is None for f in ("target", "band_low", "band_high", "deadline")):
            raise ValidationError(
                "give a new target, band_low, band_high or deadline", field_name="target"
            )


class CheckInSchema(CommandSchema):
    value = Number(required=True)
    confidence = Choice(CONFIDENCES, required=True)
    note = OptionalText()
    blockers = fields.List(Text(500), validate=Length(max=20), load_default=list)


class CorrectCheckInSchema(CheckInSchema):
    pass


def _zero_to_one(value: Decimal) -> None:
    if not Decimal(0) <= value <= Decimal(1):
        raise ValidationError("a score lies in 0.0-1.0")


class OverrideScoreSchema(CommandSchema):
    score = fields.Decimal(
        allow_nan=False,
        required=True,
        validate=[_bounded, _zero_to_one],
        metadata={
            "minimum": 0,
            "maximum": 1,
            "description": f"0.0 to 1.0: {DECIMAL_INPUT}; at most ten decimal places",
        },
    )


# -- initiatives, dependencies, KPIs, decisions, priorities ------------------------------


class ProposeInitiativeSchema(CommandSchema):
    team_id = fields.UUID(required=True)
    cycle_id = fields.UUID(required=True)
    title = Text(300, required=True)
    owner = Text(200, required=True)
    description = OptionalText()
    key_result_ids = fields.List(fields.UUID(), validate=Length(max=20), load_default=list)
    key = fields.String(
        validate=Length(min=1, max=80),
        allow_none=True,
        metadata={
            "description": "a natural key, unique in the team's cycle: the id derives from it"
        },
    )


class LinkInitiativeSchema(CommandSchema):
    key_result_id = fields.UUID(required=True)


class ChangeInitiativeStatusSchema(CommandSchema):
    health = Choice(HEALTH, required=True)
    note = OptionalText()


class CompleteInitiativeSchema(CommandSchema):
    note = OptionalText()


class PrioritiseInitiativeSchema(CommandSchema):
    method = Choice(("moscow", "rice"), required=True)
    moscow = fields.String(validate=OneOf(MOSCOW), allow_none=True)
    reach = Number(allow_none=True, metadata={"minimum": 0, "exclusiveMinimum": False})
    impact = Number(allow_none=True, metadata={"enum": [0.25, 0.5, 1, 2, 3]})
    confidence = Number(
        allow_none=True, metadata={**POSITIVE, "maximum": 1, "exclusiveMaximum": False}
    )
    effort = Number(allow_none=True, metadata=POSITIVE)

    @validates_schema
    def fields_fit_the_method(self, data: dict[str, Any], **_: Any) -> None:
        rice = ("reach", "impact", "confidence", "effort")
        if data.get("method") == "moscow":
            if data.get("moscow") is None:
                raise ValidationError("a MoSCoW priority names moscow", field_name="moscow")
            extra = [f for f in rice if data.get(f) is not None]
            if extra:
                raise ValidationError("not part of a MoSCoW priority", field_name=extra[0])
        elif data.get("method") == "rice":
            missing = [f for f in rice if data.get(f) is None]
            if missing:
                raise ValidationError("a RICE score needs this", field_name=missing[0])
            if data.get("moscow") is not None:
                raise ValidationError("not part of a RICE score", field_name="moscow")


class AllocateResourcesSchema(CommandSchema):
    people = Number(
        required=True,
        metadata={
            "minimum": 0,
            "exclusiveMinimum": False,
            "description": "full-time equivalents",
        },
    )
    money = Number(required=True, metadata={"minimum": 0, "exclusiveMinimum": False})
    currency = fields.String(required=True, validate=Length(equal=3))


class DeclareDependencySchema(CommandSchema):
    from_kind = Choice(REF_KINDS, required=True)
    from_id = fields.UUID(required=True)
    on_team_id = fields.UUID(required=True)
    description = Text(2000, required=True)
    on_kind = fields.String(validate=OneOf(REF_KINDS), allow_none=True)
    on_id = fields.UUID(allow_none=True)
    needed_by = fields.Date(allow_none=True)

    @validates_schema
    def both_or_neither(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("on_kind") is None) != (data.get("on_id") is None):
            raise ValidationError("name both on_kind and on_id, or neither", field_name="on_id")


class DependencyNoteSchema(CommandSchema):
    note = OptionalText()


class DefineKpiSchema(CommandSchema):
    key = Text(80, required=True)
    team_id = fields.UUID(required=True)
    name = Text(200, required=True)
    direction = Choice(DIRECTIONS, required=True)
    healthy = Number(required=True)
    warning = Number(required=True)
    unit = OptionalText(40)

    @validates_schema
    def bands_in_order(self, data: dict[str, Any], **_: Any) -> None:
        if {"direction", "healthy", "warning"} <= data.keys():
            try:
                check_bands(Bands(data["direction"], data["healthy"], data["warning"]))
            except RuleViolation as violation:
                raise rule_to_error(violation) from None


class MeasureKpiSchema(CommandSchema):
    value = Number(required=True)


class ChangeKpiBandsSchema(CommandSchema):
    healthy = Number(required=True)
    warning = Number(required=True)


class RecordDecisionSchema(CommandSchema):
    forum = Text(200, required=True)
    decided_by = fields.List(Text(200), required=True, validate=Length(min=1, max=30))
    decision_type = Choice(DECISION_TYPES, required=True)
    summary = Text(500, required=True)
    rationale = Text(4000, required=True)
    cycle_id = fields.UUID(allow_none=True)
    affects = fields.List(fields.UUID(), validate=Length(max=100), load_default=list)
    strategy_id = fields.UUID(allow_none=True)
    choice_ids = fields.List(fields.UUID(), validate=Length(max=20), load_default=list)

    @validates_schema
    def choices_name_their_strategy(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("choice_ids") and data.get("strategy_id") is None:
            raise ValidationError("name the strategy of the choices", field_name="strategy_id")


class ReprioritiseSchema(CommandSchema):
    order = fields.List(fields.UUID(), required=True, validate=Length(min=1, max=50))


IDEMPOTENCY_KEY = [Length(min=1, max=200), Regexp(r"^[\x21-\x7e]+$")]
"""What a client's idempotency key (HTTP's Idempotency-Key, a command message's
command_id) may be: 1 to 200 printable ASCII characters, no spaces."""

SCHEMAS: dict[type[m.Command], type[CommandSchema]] = {
    m.FormulateStrategy: FormulateStrategySchema,
    m.RestateVision: RestateVisionSchema,
    m.RestateMission: RestateMissionSchema,
    m.AddStrategicChoice: AddStrategicChoiceSchema,
    m.ReviseStrategicChoice: ReviseStrategicChoiceSchema,
    m.RetireStrategicChoice: RetireStrategicChoiceSchema,
    m.FormTeam: FormTeamSchema,
    m.RenameTeam: RenameTeamSchema,
    m.MoveTeam: MoveTeamSchema,
    m.Reprioritise: ReprioritiseSchema,
    m.OpenCycle: OpenCycleSchema,
    m.StartCycle: CycleStepSchema,
    m.BeginCycleReview: CycleStepSchema,
    m.CloseCycle: CycleStepSchema,
    m.ReopenCycle: CycleStepSchema,
    m.DraftObjective: DraftObjectiveSchema,
    m.RewordObjective: RewordObjectiveSchema,
    m.ChangeObjectiveOwner: ChangeOwnerSchema,
    m.LinkObjectiveToChoice: LinkObjectiveToChoiceSchema,
    m.UnlinkObjectiveFromChoice: PlainActSchema,
    m.AlignObjective: AlignObjectiveSchema,
    m.UnalignObjective: PlainActSchema,
    m.DropObjective: PlainActSchema,
    m.ReflectOnObjective: ReflectOnObjectiveSchema,
    m.CarryObjectiveForward: CarryObjectiveForwardSchema,
    m.CarryKeyResultForward: CarryKeyResultForwardSchema,
    m.DefineKeyResult: DefineKeyResultSchema,
    m.RewordKeyResult: RewordKeyResultSchema,
    m.ChangeKeyResultOwner: ChangeOwnerSchema,
    m.ReweightKeyResult: ReweightKeyResultSchema,
    m.RetargetKeyResult: RetargetKeyResultSchema,
    m.CheckIn: CheckInSchema,
    m.CorrectCheckIn: CorrectCheckInSchema,
    m.OverrideScore: OverrideScoreSchema,
    m.DropKeyResult: PlainActSchema,
    m.ProposeInitiative: ProposeInitiativeSchema,
    m.LinkInitiative: LinkInitiativeSchema,
    m.UnlinkInitiative: PlainActSchema,
    m.StartInitiative: PlainActSchema,
    m.ChangeInitiativeStatus: ChangeInitiativeStatusSchema,
    m.StopInitiative: PlainActSchema,
    m.CompleteInitiative: CompleteInitiativeSchema,
    m.PrioritiseInitiative: PrioritiseInitiativeSchema,
    m.AllocateResources: AllocateResourcesSchema,
    m.DeclareDependency: DeclareDependencySchema,
    m.AcknowledgeDependency: DependencyNoteSchema,
    m.EscalateDependency: PlainActSchema,
    m.ResolveDependency: DependencyNoteSchema,
    m.DefineKpi: DefineKpiSchema,
    m.MeasureKpi: MeasureKpiSchema,
    m.ChangeKpiBands: ChangeKpiBandsSchema,
    m.RecordDecision: RecordDecisionSchema,
}
"""The body schema of every command that clients send (HTTP or the command topic)."""
