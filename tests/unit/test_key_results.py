"""Key results: definition per kind, retargeting (and easing), check-ins, corrections,
score overrides and dropping."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from commands import messages as m
from ledger.exceptions import InvalidTransition, NotFound, ReasonRequired, RuleViolation
from ledger.key_result import KeyResult
from tests.conftest import FakeClock, Org
from tests.unit.support import last_event, new_key_result

D = Decimal

# -- definition ------------------------------------------------------------------------


def refusal(kind: str, **fields: Any) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        new_key_result(kind, **fields)
    return refused.value


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("increase", {"baseline": D(40), "target": D(60)}),
        ("decrease", {"baseline": D(40), "target": D(20)}),
        ("band", {"band_low": D(90), "band_high": D(95), "baseline": D(92)}),
        ("milestone", {"deadline": date(2026, 8, 31)}),
        ("baseline", {}),
    ],
)
def test_each_kind_accepts_its_own_fields(kind: str, fields: dict[str, Any]) -> None:
    kr = new_key_result(kind, **fields)

    assert (kr.kind, kr.status, kr.check_ins) == (kind, "live", {})
    for name, value in fields.items():
        assert getattr(kr.aim, name) == value


def test_an_increase_needs_a_target_above_its_baseline() -> None:
    refused = refusal("increase", baseline=D(60), target=D(40))

    assert (refused.rule, refused.field) == ("target_direction", "target")


def test_a_decrease_needs_a_target_below_its_baseline() -> None:
    refused = refusal("decrease", baseline=D(40), target=D(60))

    assert (refused.rule, refused.field) == ("target_direction", "target")


@pytest.mark.parametrize("kind", ["increase", "decrease"])
def test_a_target_equal_to_the_baseline_is_refused(kind: str) -> None:
    refused = refusal(kind, baseline=D(50), target=D("50.00"))

    assert (refused.rule, refused.field) == ("target_equals_baseline", "target")


@pytest.mark.parametrize("kind", ["increase", "decrease"])
def test_a_metric_key_result_has_no_band(kind: str) -> None:
    refused = refusal(kind, band_low=D(1), band_high=D(2))

    assert refused.rule == "band_not_allowed"


@pytest.mark.parametrize(("low", "high"), [(D(95), D(90)), (D(90), D(90))])
def test_a_band_needs_its_low_below_its_high(low: Decimal, high: Decimal) -> None:
    refused = refusal("band", band_low=low, band_high=high)

    assert (refused.rule, refused.field) == ("band_order", "band_low")


def test_a_band_needs_both_edges_and_no_target() -> None:
    assert refusal("band", band_low=D(90), band_high=None).rule == "band_required"
    assert refusal("band", target=D(92)).rule == "target_not_allowed"


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"target": D(1)}, "target_not_allowed"),
        ({"band_low": D(0)}, "band_low_not_allowed"),
        ({"band_high": D(1)}, "band_high_not_allowed"),
    ],
)
def test_a_milestone_has_no_target_or_band(fields: dict[str, Any], rule: str) -> None:
    assert refusal("milestone", **fields).rule == rule


def test_a_baseline_key_result_establishes_its_baseline_by_checking_in() -> None:
    refused = refusal("baseline", baseline=D(10))

    assert (refused.rule, refused.field) == ("baseline_not_allowed", "baseline")
    assert refusal("baseline", target=D(10)).rule == "target_not_allowed"


@pytest.mark.parametrize("weight", [D(0), D(-1), D("NaN"), D("Infinity")])
def test_the_weight_must_be_positive(weight: Decimal) -> None:
    refused = refusal("increase", weight=weight)

    assert (refused.rule, refused.field) == ("must_be_positive", "weight")


@pytest.mark.parametrize("name", ["baseline", "target"])
def test_metric_values_must_be_finite(name: str) -> None:
    assert refusal("increase", **{name: D("NaN")}).rule == "not_a_number"


def test_unknown_kind_and_classification_are_refused() -> None:
    assert refusal("vibes").field == "kind"
    assert refusal("increase", classification="moonshot").field == "classification"


def test_defining_through_the_bus_copies_team_and_cycle_from_the_objective(org: Org) -> None:
    objective = org.objective(team=org.other_team)

    kr = org.bus.ledger.get(KeyResult, org.key_result(objective, weight=D(2)))

    assert (kr.objective_id, kr.team_id, kr.cycle_id) == (objective, org.other_team, org.cycle)
    assert (kr.baseline, kr.target, kr.weight, kr.unit) == (D(40), D(60), D(2), "%")


# -- retargeting -----------------------------------------------------------------------


def retarget(org: Org, kr: UUID, reason: str | None = "Board review", **fields: Any) -> Any:
    org.do(m.RetargetKeyResult(key_result_id=kr, reason=reason, **fields))
    return last_event(org.bus.ledger, kr)


def test_retargeting_needs_a_reason(org: Org) -> None:
    kr = org.key_result(org.objective())

    with pytest.raises(ReasonRequired):
        retarget(org, kr, reason=None, target=D(70))

    assert org.bus.ledger.get(KeyResult, kr).target == D(60)


def test_retargeting_records_the_previous_aim(org: Org) -> None:
    kr = org.key_result(org.objective())

    event = retarget(org, kr, target=D(70), deadline=date(2026, 9, 15))

    assert (event.previous_target, event.target) == (D(60), D(70))
    assert (event.previous_deadline, event.deadline) == (date(2026, 9, 30), date(2026, 9, 15))
    assert event.meta.reason == "Board review"
    aim = org.bus.ledger.get(KeyResult, kr).aim
    assert (aim.baseline, aim.target, aim.deadline) == (D(40), D(70), date(2026, 9, 15))


@pytest.mark.parametrize(
    ("kind", "define", "change", "easing"),
    [
        ("increase", {}, {"target": D(55)}, True),
        ("increase", {}, {"target": D(65)}, False),
        ("decrease", {"baseline": D(40), "target": D(20)}, {"target": D(30)}, True),
        ("decrease", {"baseline": D(40), "target": D(20)}, {"target": D(10)}, False),
        ("band", {"band_low": D(90), "band_high": D(95)}, {"band_low": D(85)}, True),
        ("band", {"band_low": D(90), "band_high": D(95)}, {"band_high": D(99)}, True),
        ("band", {"band_low": D(90), "band_high": D(95)}, {"band_low": D(92)}, False),
        ("band", {"band_low": D(90), "band_high": D(95)}, {"band_high": D(93)}, False),
        ("increase", {}, {"deadline": date(2026, 10, 15)}, True),
        ("increase", {}, {"deadline": date(2026, 9, 1)}, False),
        ("milestone", {}, {"deadline": date(2026, 10, 15)}, True),
        ("milestone", {}, {"deadline": date(2026, 9, 1)}, False),
        ("increase", {}, {"target": D(70), "deadline": date(2026, 10, 15)}, True),
    ],
    ids=[
        "increase-lowered",
        "increase-raised",
        "decrease-raised",
        "decrease-lowered",
        "band-low-widened",
        "band-high-widened",
        "band-low-narrowed",
        "band-high-narrowed",
        "deadline-later",
        "deadline-earlier",
        "milestone-later",
        "milestone-earlier",
        "harder-target-but-later",
    ],
)
def test_easing_a_target_is_recorded_as_easing(
    org: Org, kind: str, define: dict[str, Any], change: dict[str, Any], easing: bool
) -> None:
    fields: dict[str, Any] = {"kind": kind, **define}
    if kind in ("band", "milestone"):
        fields.setdefault("baseline", None)
        fields.setdefault("target", None)
    kr = org.key_result(org.objective(), **fields)

    event = retarget(org, kr, **change)

    assert event.easing is easing


def test_a_retarget_that_changes_nothing_is_refused(org: Org) -> None:
    kr = org.key_result(org.objective())

    with pytest.raises(RuleViolation) as refused:
        retarget(org, kr, target=D(60))

    assert refused.value.rule == "no_change"


def test_a_retarget_must_keep_the_direction_of_the_kind(org: Org) -> None:
    kr = org.key_result(org.objective())

    with pytest.raises(RuleViolation) as refused:
        retarget(org, kr, target=D(30))

    assert refused.value.rule == "target_direction"


def test_reweighting_needs_a_reason_and_a_positive_weight(org: Org) -> None:
    kr = org.key_result(org.objective())

    with pytest.raises(ReasonRequired):
        org.do(m.ReweightKeyResult(key_result_id=kr, weight=D(3)))
    with pytest.raises(RuleViolation) as refused:
        org.do(m.ReweightKeyResult(key_result_id=kr, weight=D(0), reason="r"))
    assert refused.value.rule == "must_be_positive"

    org.do(m.ReweightKeyResult(key_result_id=kr, weight=D(3), reason="It matters more"))
    assert org.bus.ledger.get(KeyResult, kr).weight == D(3)


# -- check-ins -------------------------------------------------------------------------


def check_in(org: Org, kr: UUID, value: Decimal, **fields: Any) -> UUID:
    fields.setdefault("confidence", "on_track")
    outcome = org.do(m.CheckIn(key_result_id=kr, value=value, **fields))
    assert outcome.created_id is not None
    return outcome.created_id


def test_a_check_in_records_value_confidence_note_and_blockers(org: Org, clock: FakeClock) -> None:
    kr = org.key_result(org.objective())

    ident = check_in(
        org, kr, D(47), confidence="at_risk", note="Slow month", blockers=("Form outage",)
    )

    recorded = org.bus.ledger.get(KeyResult, kr).check_ins[ident]
    assert (recorded.value, recorded.confidence, recorded.note) == (D(47), "at_risk", "Slow month")
    assert recorded.blockers == ("Form outage",)
    assert recorded.effective_at == recorded.recorded_at == clock.now
    assert recorded.actor == "ada.admin"


def test_a_confidence_outside_the_scale_is_refused(org: Org) -> None:
    kr = org.key_result(org.objective())

    with pytest.raises(RuleViolation) as refused:
        check_in(org, kr, D(47), confidence="great")

    assert (refused.value.rule, refused.value.field) == ("not_allowed", "confidence")


@pytest.mark.parametrize("value", [D(0), D(1), D("1.0")])
def test_a_milestone_accepts_zero_or_one(org: Org, value: Decimal) -> None:
    kr = org.key_result(org.objective(), kind="milestone", baseline=None, target=None)

    ident = check_in(org, kr, value)

    assert org.bus.ledger.get(KeyResult, kr).check_ins[ident].value == value


@pytest.mark.parametrize("value", [D("0.5"), D(2), D(-1)])
def test_a_milestone_refuses_anything_but_zero_or_one(org: Org, value: Decimal) -> None:
    kr = org.key_result(org.objective(), kind="milestone", baseline=None, target=None)

    with pytest.raises(RuleViolation) as refused:
        check_in(org, kr, value)

    assert (refused.value.rule, refused.value.field) == ("milestone_value", "value")


def test_a_check_in_effective_in_the_future_is_refused(org: Org, clock: FakeClock) -> None:
    kr = org.key_result(org.objective())

    with pytest.raises(RuleViolation) as refused:
        check_in(org, kr, D(47), effective_at=clock.now + timedelta(minutes=1))

    assert (refused.value.rule, refused.value.field) == (
        "effective_time_in_future",
        "effective_at",
    )
    assert org.bus.ledger.get(KeyResult, kr).check_ins == {}


def test_a_back_dated_check_in_keeps_its_effective_time(org: Org, clock: FakeClock) -> None:
    kr = org.key_result(org.objective())
    last_friday = clock.now - timedelta(days=3)

    ident = check_in(org, kr, D(44), effective_at=last_friday)

    recorded = org.bus.ledger.get(KeyResult, kr).check_ins[ident]
    assert (recorded.effective_at, recorded.recorded_at) == (last_friday, clock.now)


def test_a_check_in_cannot_be_back_dated_to_before_its_cycle(org: Org, clock: FakeClock) -> None:
    kr = org.key_result(org.objective())
    before = org.bus.ledger.head_position()

    with pytest.raises(RuleViolation) as refused:
        check_in(org, kr, D(44), effective_at=clock.now - timedelta(days=30))

    assert (refused.value.rule, refused.value.field) == (
        "effective_time_before_cycle",
        "effective_at",
    )
    assert org.bus.ledger.head_position() == before


def test_a_back_dated_check_in_does_not_displace_a_later_one_as_latest(
    org: Org, clock: FakeClock
) -> None:
    kr = org.key_result(org.objective())
    current = check_in(org, kr, D(50))
    clock.advance(days=1)

    old = check_in(org, kr, D(44), effective_at=clock.now - timedelta(days=5))

    key_result = org.bus.ledger.get(KeyResult, kr)
    latest = key_result.latest_check_in()
    assert latest is not None
    assert latest.id == current
    assert [c.id for c in key_result.current_check_ins()] == [old, current]


def test_check_in_ids_are_distinct_per_command(org: Org) -> None:
    kr = org.key_result(org.objective())

    first, second = check_in(org, kr, D(45)), check_in(org, kr, D(45))

    assert first != second
    assert set(org.bus.ledger.get(KeyResult, kr).check_ins) == {first, second}


def test_too_many_blockers_are_refused(org: Org) -> None:
    kr = org.key_result(org.objective())

    with pytest.raises(RuleViolation) as refused:
        check_in(org, kr, D(45), blockers=tuple(f"b{i}" for i in range(21)))

    assert (refused.value.rule, refused.value.field) == ("too_many", "blockers")


# -- corrections -----------------------------------------------------------------------


def correct(org: Org, kr: UUID, supersedes: UUID, value: Decimal, **fields: Any) -> UUID:
    fields.setdefault("confidence", "on_track")
    fields.setdefault("reason", "Export double-counted")
    outcome = org.do(
        m.CorrectCheckIn(key_result_id=kr, supersedes=supersedes, value=value, **fields)
    )
    assert outcome.created_id is not None
    return outcome.created_id


def test_a_correction_supersedes_the_original_which_stays_visible(org: Org) -> None:
    kr = org.key_result(org.objective())
    original = check_in(org, kr, D(50))

    correction = correct(org, kr, original, D(48))

    key_result = org.bus.ledger.get(KeyResult, kr)
    assert key_result.check_ins[original].value == D(50)
    assert key_result.check_ins[original].superseded_by == correction
    assert key_result.check_ins[correction].supersedes == original
    assert [c.id for c in key_result.current_check_ins()] == [correction]


def test_a_correction_is_effective_when_the_original_was(org: Org, clock: FakeClock) -> None:
    kr = org.key_result(org.objective())
    original = check_in(org, kr, D(50), effective_at=clock.now - timedelta(days=2))
    later = check_in(org, kr, D(52))
    clock.advance(days=3)

    correction = correct(org, kr, original, D(48), effective_at=clock.now - timedelta(hours=1))

    key_result = org.bus.ledger.get(KeyResult, kr)
    fixed = key_result.check_ins[correction]
    assert fixed.effective_at == key_result.check_ins[original].effective_at
    assert fixed.recorded_at == clock.now
    assert last_event(org.bus.ledger, kr).meta.effective_at == fixed.effective_at
    latest = key_result.latest_check_in()
    assert latest is not None
    assert latest.id == later


def test_correcting_a_check_in_twice_is_refused(org: Org) -> None:
    kr = org.key_result(org.objective())
    original = check_in(org, kr, D(50))
    correction = correct(org, kr, original, D(48))

    with pytest.raises(RuleViolation) as refused:
        correct(org, kr, original, D(47))

    assert (refused.value.rule, refused.value.field) == ("already_superseded", "supersedes")
    # The correction itself may be corrected: the chain goes on.
    second = correct(org, kr, correction, D(47))
    assert org.bus.ledger.get(KeyResult, kr).check_ins[correction].superseded_by == second


def test_a_correction_needs_a_reason_and_a_known_original(org: Org) -> None:
    kr = org.key_result(org.objective())
    original = check_in(org, kr, D(50))

    with pytest.raises(ReasonRequired):
        correct(org, kr, original, D(48), reason=None)
    with pytest.raises(NotFound) as refused:
        correct(org, kr, uuid4(), D(48))

    assert refused.value.field == "supersedes"


def test_a_milestone_correction_keeps_the_value_rule(org: Org) -> None:
    kr = org.key_result(org.objective(), kind="milestone", baseline=None, target=None)
    original = check_in(org, kr, D(0))

    with pytest.raises(RuleViolation) as refused:
        correct(org, kr, original, D("0.5"))

    assert refused.value.rule == "milestone_value"


# -- score overrides and dropping ------------------------------------------------------


def test_overriding_a_score_while_the_cycle_is_active_is_refused(org: Org) -> None:
    kr = org.key_result(org.objective())

    with pytest.raises(InvalidTransition):
        org.do(m.OverrideScore(key_result_id=kr, score=D("0.7"), reason="Board agreed"))


def test_overriding_a_score_in_review_needs_a_reason(org: Org) -> None:
    kr = org.key_result(org.objective())
    org.do(m.BeginCycleReview(cycle_id=org.cycle))

    with pytest.raises(ReasonRequired):
        org.do(m.OverrideScore(key_result_id=kr, score=D("0.7")))
    org.do(m.OverrideScore(key_result_id=kr, score=D("0.7"), reason="Data lag"))

    override = org.bus.ledger.get(KeyResult, kr).override
    assert override is not None
    assert (override.score, override.reason, override.actor) == (D("0.7"), "Data lag", "ada.admin")


@pytest.mark.parametrize("score", [D("-0.01"), D("1.01"), D(2)])
def test_an_override_outside_zero_to_one_is_refused(org: Org, score: Decimal) -> None:
    kr = org.key_result(org.objective())
    org.do(m.BeginCycleReview(cycle_id=org.cycle))

    with pytest.raises(RuleViolation) as refused:
        org.do(m.OverrideScore(key_result_id=kr, score=score, reason="r"))

    assert (refused.value.rule, refused.value.field) == ("score_range", "score")


@pytest.mark.parametrize("score", [D(0), D(1)])
def test_an_override_at_the_edges_of_the_range_is_accepted(org: Org, score: Decimal) -> None:
    kr = org.key_result(org.objective())
    org.do(m.BeginCycleReview(cycle_id=org.cycle))

    org.do(m.OverrideScore(key_result_id=kr, score=score, reason="r"))

    override = org.bus.ledger.get(KeyResult, kr).override
    assert override is not None
    assert override.score == score


def test_dropping_a_key_result_needs_a_reason_and_ends_check_ins(org: Org) -> None:
    kr = org.key_result(org.objective())

    with pytest.raises(ReasonRequired):
        org.do(m.DropKeyResult(key_result_id=kr))
    org.do(m.DropKeyResult(key_result_id=kr, reason="Metric retired"))

    assert org.bus.ledger.get(KeyResult, kr).status == "dropped"
    with pytest.raises(InvalidTransition):
        check_in(org, kr, D(50))
    with pytest.raises(InvalidTransition):
        org.do(m.DropKeyResult(key_result_id=kr, reason="again"))


def test_rewording_and_reowning_a_key_result_refuse_no_ops(org: Org) -> None:
    kr = org.key_result(org.objective(), statement="Lift renewals")

    org.do(m.RewordKeyResult(key_result_id=kr, statement="Lift online renewals"))
    org.do(m.ChangeKeyResultOwner(key_result_id=kr, owner="lee.owner"))

    key_result = org.bus.ledger.get(KeyResult, kr)
    assert (key_result.statement, key_result.owner) == ("Lift online renewals", "lee.owner")
    for command in (
        m.RewordKeyResult(key_result_id=kr, statement="Lift online renewals"),
        m.ChangeKeyResultOwner(key_result_id=kr, owner="lee.owner"),
    ):
        with pytest.raises(RuleViolation) as refused:
            org.do(command)
        assert refused.value.rule == "no_change"
