"""Cycles: planning → active → review → closed, and what a closed cycle still accepts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from commands import messages as m
from ledger.cycle import Cycle
from ledger.exceptions import CycleClosed, InvalidTransition, ReasonRequired, RuleViolation
from ledger.key_result import KeyResult
from ledger.objective import Objective
from tests.conftest import Org

START, REVIEW, CLOSE, REOPEN = "start", "review", "close", "reopen"


def cycle_command(step: str, cycle_id: UUID) -> m.Command:
    if step == START:
        return m.StartCycle(cycle_id=cycle_id)
    if step == REVIEW:
        return m.BeginCycleReview(cycle_id=cycle_id)
    if step == CLOSE:
        return m.CloseCycle(cycle_id=cycle_id)
    return m.ReopenCycle(cycle_id=cycle_id, reason="A score was entered wrongly")


def status(org: Org, cycle_id: UUID | None = None) -> str:
    return org.bus.ledger.get(Cycle, cycle_id or org.cycle).status


def open_cycle(org: Org, key: str = "2026-Q4") -> UUID:
    outcome = org.do(
        m.OpenCycle(key=key, name=key, starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31))
    )
    assert outcome.created_id is not None
    return outcome.created_id


def test_a_new_cycle_opens_in_planning(org: Org) -> None:
    cycle_id = open_cycle(org)

    cycle = org.bus.ledger.get(Cycle, cycle_id)
    assert (cycle.status, cycle.cadence_days) == ("planning", 7)
    assert cycle_id == Cycle.id_for("2026-Q4")


def test_a_cycle_moves_through_planning_active_review_closed(org: Org) -> None:
    cycle_id = open_cycle(org)
    seen = [status(org, cycle_id)]

    for step in (START, REVIEW, CLOSE):
        org.do(cycle_command(step, cycle_id))
        seen.append(status(org, cycle_id))

    assert seen == ["planning", "active", "review", "closed"]


def test_reopening_a_closed_cycle_with_a_reason_returns_it_to_review(org: Org) -> None:
    for step in (REVIEW, CLOSE, REOPEN):
        org.do(cycle_command(step, org.cycle))

    assert status(org) == "review"


def test_reopening_a_closed_cycle_needs_a_reason(org: Org) -> None:
    org.do(m.BeginCycleReview(cycle_id=org.cycle))
    org.do(m.CloseCycle(cycle_id=org.cycle))

    with pytest.raises(ReasonRequired):
        org.do(m.ReopenCycle(cycle_id=org.cycle))
    with pytest.raises(ReasonRequired):
        org.do(m.ReopenCycle(cycle_id=org.cycle, reason="   "))

    assert status(org) == "closed"


@pytest.mark.parametrize(
    ("path", "step"),
    [
        ((), REVIEW),  # planning → review skips active
        ((), CLOSE),
        ((), REOPEN),
        ((START,), START),
        ((START,), CLOSE),
        ((START,), REOPEN),
        ((START, REVIEW), START),
        ((START, REVIEW), REVIEW),
        ((START, REVIEW), REOPEN),
        ((START, REVIEW, CLOSE), START),
        ((START, REVIEW, CLOSE), REVIEW),
        ((START, REVIEW, CLOSE), CLOSE),
    ],
)
def test_a_transition_out_of_order_is_refused(org: Org, path: tuple[str, ...], step: str) -> None:
    cycle_id = open_cycle(org)
    for earlier in path:
        org.do(cycle_command(earlier, cycle_id))
    before = status(org, cycle_id)

    with pytest.raises(InvalidTransition) as refused:
        org.do(cycle_command(step, cycle_id))

    assert (refused.value.rule, refused.value.field) == ("invalid_transition", "status")
    assert status(org, cycle_id) == before


def test_a_cycle_must_end_after_it_starts(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        org.do(
            m.OpenCycle(
                key="bad", name="Bad", starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 1)
            )
        )

    assert (refused.value.rule, refused.value.field) == ("ends_before_start", "ends_on")


@pytest.mark.parametrize("cadence", [0, 32])
def test_a_check_in_cadence_outside_one_to_31_days_is_refused(org: Org, cadence: int) -> None:
    with pytest.raises(RuleViolation) as refused:
        org.do(
            m.OpenCycle(
                key="odd",
                name="Odd",
                starts_on=date(2026, 10, 1),
                ends_on=date(2026, 12, 31),
                cadence_days=cadence,
            )
        )

    assert refused.value.rule == "cadence"


# -- a closed cycle ------------------------------------------------------------------


REFLECTION = {
    "outcome": "partially_hit",
    "achieved": "Renewals rose to 52%",
    "why": "The reminder landed late",
    "causes": ["execution"],
}


@pytest.fixture
def closed(org: Org) -> tuple[Org, UUID, UUID, UUID]:
    """The org's cycle, closed, with an objective, a key result and one check-in; in
    review the key result's score was overridden and the objective reflected on."""
    objective = org.objective()
    kr = org.key_result(objective)
    check_in = org.do(m.CheckIn(key_result_id=kr, value=Decimal(50), confidence="on_track"))
    org.do(m.BeginCycleReview(cycle_id=org.cycle))
    org.do(m.OverrideScore(key_result_id=kr, score=Decimal("0.5"), reason="Partly counted"))
    org.do(m.ReflectOnObjective(objective_id=objective, **REFLECTION))  # type: ignore[arg-type]
    org.do(m.CloseCycle(cycle_id=org.cycle))
    assert check_in.created_id is not None
    return org, objective, kr, check_in.created_id


ClosedCase = Callable[[UUID, UUID, UUID], m.Command]


@pytest.mark.parametrize(
    "make",
    [
        lambda o, kr, c: m.CheckIn(
            key_result_id=kr, value=Decimal(55), confidence="on_track", reason="late"
        ),
        lambda o, kr, c: m.RewordObjective(objective_id=o, statement="Other", reason="r"),
        lambda o, kr, c: m.DropKeyResult(key_result_id=kr, reason="no longer relevant"),
        lambda o, kr, c: m.DefineKeyResult(
            objective_id=o, statement="New", kind="milestone", owner="kim"
        ),
        lambda o, kr, c: m.RetargetKeyResult(key_result_id=kr, target=Decimal(70), reason="r"),
        lambda o, kr, c: m.OverrideScore(
            key_result_id=kr, score=Decimal("0.6"), reason="The board agreed"
        ),
        lambda o, kr, c: m.ReflectOnObjective(
            objective_id=o, **{**REFLECTION, "outcome": "hit"}, reason="Late evidence"
        ),
    ],
    ids=[
        "check_in",
        "reword_objective",
        "drop_key_result",
        "define_key_result",
        "retarget",
        "second_override",
        "revised_reflection",
    ],
)
def test_a_closed_cycle_refuses_changes_even_with_a_reason(
    closed: tuple[Org, UUID, UUID, UUID], make: ClosedCase
) -> None:
    org, objective, kr, check_in = closed
    head = org.bus.ledger.head_position()

    with pytest.raises(CycleClosed) as refused:
        org.do(make(objective, kr, check_in))

    assert refused.value.rule == "cycle_closed"
    assert org.bus.ledger.head_position() == head


def test_a_closed_cycle_refuses_a_new_objective(closed: tuple[Org, UUID, UUID, UUID]) -> None:
    org = closed[0]

    with pytest.raises(CycleClosed):
        org.objective("Something late")


def test_a_closed_cycle_accepts_a_reasoned_check_in_correction(
    closed: tuple[Org, UUID, UUID, UUID],
) -> None:
    org, _, kr, check_in = closed

    outcome = org.do(
        m.CorrectCheckIn(
            key_result_id=kr,
            supersedes=check_in,
            value=Decimal(48),
            confidence="at_risk",
            reason="The export double-counted renewals",
        )
    )

    key_result = org.bus.ledger.get(KeyResult, kr)
    latest = key_result.latest_check_in()
    assert latest is not None
    assert (latest.id, latest.value, latest.supersedes) == (outcome.created_id, 48, check_in)


def test_a_closed_cycle_refuses_a_correction_without_a_reason(
    closed: tuple[Org, UUID, UUID, UUID],
) -> None:
    org, _, kr, check_in = closed

    with pytest.raises(ReasonRequired):
        org.do(
            m.CorrectCheckIn(
                key_result_id=kr, supersedes=check_in, value=Decimal(48), confidence="at_risk"
            )
        )


def test_a_closed_cycle_refuses_a_first_reflection_even_with_a_reason(org: Org) -> None:
    objective = org.objective()
    org.do(m.BeginCycleReview(cycle_id=org.cycle))
    org.do(m.CloseCycle(cycle_id=org.cycle))

    with pytest.raises(CycleClosed):
        org.do(m.ReflectOnObjective(objective_id=objective, **REFLECTION, reason="Late"))  # type: ignore[arg-type]


def test_a_reopened_cycle_accepts_changes_again(closed: tuple[Org, UUID, UUID, UUID]) -> None:
    org, _, kr, _ = closed
    org.do(m.ReopenCycle(cycle_id=org.cycle, reason="Late evidence"))

    org.do(m.RewordKeyResult(key_result_id=kr, statement="Renewals online reach 60%"))

    assert org.bus.ledger.get(KeyResult, kr).statement == "Renewals online reach 60%"


def test_a_reopened_cycle_takes_a_second_override_and_a_revised_reflection(
    closed: tuple[Org, UUID, UUID, UUID],
) -> None:
    org, objective, kr, _ = closed
    org.do(m.ReopenCycle(cycle_id=org.cycle, reason="The audit found late renewals"))

    org.do(m.OverrideScore(key_result_id=kr, score=Decimal("0.7"), reason="Audit recount"))
    revised = {**REFLECTION, "outcome": "hit", "achieved": "Renewals reached 55%"}
    with pytest.raises(ReasonRequired):
        org.do(m.ReflectOnObjective(objective_id=objective, **revised))  # type: ignore[arg-type]
    org.do(m.ReflectOnObjective(objective_id=objective, **revised, reason="Audit recount"))  # type: ignore[arg-type]
    org.do(m.CloseCycle(cycle_id=org.cycle))

    override = org.bus.ledger.get(KeyResult, kr).override
    reflection = org.bus.ledger.get(Objective, objective).reflection
    assert override is not None
    assert (override.score, override.reason) == (Decimal("0.7"), "Audit recount")
    assert reflection is not None
    assert reflection.outcome == "hit"
    assert status(org) == "closed"


def test_checking_in_while_the_cycle_is_planning_is_refused(org: Org) -> None:
    cycle_id = open_cycle(org)
    objective = org.do(
        m.DraftObjective(team_id=org.team, cycle_id=cycle_id, statement="Plan", owner="olu")
    ).created_id
    assert objective is not None
    kr = org.key_result(objective)

    with pytest.raises(InvalidTransition) as refused:
        org.do(m.CheckIn(key_result_id=kr, value=Decimal(45), confidence="on_track"))

    assert refused.value.rule == "invalid_transition"
    assert org.bus.ledger.get(KeyResult, kr).check_ins == {}


def test_checking_in_during_review_is_allowed(org: Org) -> None:
    kr = org.key_result(org.objective())
    org.do(m.BeginCycleReview(cycle_id=org.cycle))

    org.do(m.CheckIn(key_result_id=kr, value=Decimal(59), confidence="on_track"))

    latest = org.bus.ledger.get(KeyResult, kr).latest_check_in()
    assert latest is not None
    assert latest.value == 59
