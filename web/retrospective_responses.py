"""The documented shape of the retrospective (``GET /cycles/{cycle}/retrospective``)."""

from __future__ import annotations

from marshmallow import fields

from ledger.decision import DECISION_TYPES
from ledger.key_result import CLASSIFICATIONS, CONFIDENCES, KINDS
from ledger.objective import COMMITMENTS, MISS_CAUSES, OUTCOMES
from projections.retrospective import LANDING_BARS, STOPS
from web.responses import (
    KEY_RESULT_STATUSES,
    OBJECTIVE_STATUSES,
    AdviceSchema,
    CarriedFrom,
    CarriedTo,
    CycleSchema,
    ScoreSchema,
)
from web.scoring_query import BAND_MODES
from web.vocabulary import (
    Count,
    Day,
    Decimal,
    Flag,
    Id,
    Many,
    Object,
    One,
    Response,
    Text,
    Texts,
    Time,
)


class TeamSchema(Response):
    id = Id(null=True)
    name = Text(null=True)


class ParSchema(Response):
    committed = Decimal(absent=True)
    stretch = Decimal(absent=True)
    experimental = Decimal(absent=True)


class PolicySchema(Response):
    band_mode = Text(enum=BAND_MODES)
    par = One(ParSchema, "progress that earns full marks, by classification, where not 1")
    use_overrides = Flag()
    milestone_grace_days = Count()


class WhoWhenWhySchema(Response):
    when = Time("recorded")
    effective = Time()
    who = Text()
    why = Text(null=True)
    decision_id = Id(null=True)


class AimSchema(Response):
    target = Decimal(null=True)
    band_low = Decimal(null=True)
    band_high = Decimal(null=True)
    deadline = Day(null=True)


class TargetChangeSchema(WhoWhenWhySchema):
    from_ = One(AimSchema, data_key="from")
    to = One(AimSchema)
    eased = Flag()


class KeyResultTargetChangeSchema(TargetChangeSchema):
    key_result_id = Id()
    statement = Text()


class RhythmSchema(Response):
    periods = Count("cadence periods judged")
    periods_with_check_in = Count()
    share = Decimal("periods_with_check_in / periods, to 3 places", null=True)


class PointSchema(Response):
    effective_at = Time()
    recorded_at = Time()
    value = Decimal()
    confidence = Text(enum=CONFIDENCES)


class RetroKeyResultSchema(Response):
    id = Id()
    statement = Text()
    objective_id = Id()
    team = One(TeamSchema)
    kind = Text(enum=KINDS)
    classification = Text(enum=CLASSIFICATIONS)
    weight = Decimal()
    status = Text(enum=KEY_RESULT_STATUSES)
    dropped = One(WhoWhenWhySchema, null=True)
    baseline = Decimal(null=True)
    target = Decimal(null=True)
    band = Many(Decimal(null=True), "[low, high] of a band key result", null=True)
    unit = Text(null=True)
    deadline = Day(null=True)
    score = One(ScoreSchema)
    rhythm = One(RhythmSchema)
    confidence_trajectory = Many(
        fields.String(allow_none=True, metadata={"enum": [*CONFIDENCES, None]}),
        "per counted period, the confidence of its latest check-in, or null",
    )
    series = Many(PointSchema)
    target_changes = Many(TargetChangeSchema)
    chart = Text("the path of its SVG chart")
    carried_from = CarriedFrom()
    carried_to = CarriedTo()


class RetroObjectiveSchema(Response):
    id = Id()
    statement = Text()
    team = One(TeamSchema)
    commitment = Text(enum=COMMITMENTS)
    status = Text(enum=OBJECTIVE_STATUSES)
    score = Decimal(null=True)
    outcome = Text(null=True, enum=OUTCOMES)
    achieved = Text(null=True)
    why = Text(null=True)
    causes = Texts()
    carry_forward = Text(null=True)
    carried_from = CarriedFrom()
    carried_to = CarriedTo()


class CommitmentSchema(Response):
    scored = Count()
    mean = Decimal("to 3 places", null=True)
    landed = Count("scored at or above the bar")
    bar = Decimal()


class CommitmentsSchema(Response):
    committed = One(CommitmentSchema)
    aspirational = One(CommitmentSchema)


class DropSchema(WhoWhenWhySchema):
    type = Text(enum=STOPS.values())
    id = Id()
    statement = Text(null=True)
    team = One(TeamSchema)


class NamedObjectiveSchema(Response):
    id = Id()
    statement = Text(null=True)


class ReprioritisationSchema(WhoWhenWhySchema):
    team = One(TeamSchema)
    previous_order = Many(NamedObjectiveSchema)
    order = Many(NamedObjectiveSchema)


class RetroDecisionSchema(Response):
    id = Id()
    forum = Text(null=True)
    decision_type = Text(null=True, enum=DECISION_TYPES)
    summary = Text(null=True)
    rationale = Text(null=True)
    decided_by = Texts()
    recorded_at = Time(null=True)


class TeamAdviceSchema(AdviceSchema):
    team = One(TeamSchema)


class RetrospectiveSchema(Response):
    cycle = One(CycleSchema)
    policy = One(PolicySchema)
    reviewed_at = Time("check-in rhythm is measured up to here")
    key_results = Many(RetroKeyResultSchema)
    objectives = Many(RetroObjectiveSchema)
    commitments = One(
        CommitmentsSchema,
        "bars: " + ", ".join(f"{k} {v}" for k, v in LANDING_BARS.items()),
    )
    target_changes = Many(KeyResultTargetChangeSchema)
    drops = Many(DropSchema)
    reprioritisations = Many(ReprioritisationSchema)
    decisions = Many(RetroDecisionSchema)
    miss_causes = Object(
        "how often each cause was named in reflections that missed: " + ", ".join(MISS_CAUSES),
        values=fields.Integer(),
    )
    advice = Many(TeamAdviceSchema, "advice on teams, e.g. sandbagging (never a refusal)")
