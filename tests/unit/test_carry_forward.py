"""Carrying unfinished work into a later cycle: a new objective or key result there,
linked both ways, from a cycle in review or closed (``CARRY_FORWARD_RULE``)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from commands import messages as m
from commands.errors import Forbidden
from commands.handlers.carry import carried_key_result_id, carried_objective_id
from eventlog.decoder import Decoder
from ledger.base import LedgerAggregate
from ledger.exceptions import AlreadyExists, InvalidTransition, RuleViolation
from ledger.key_result import KeyResult
from ledger.objective import Objective
from ledger.priorities import Priorities
from projections.reducers import reduce
from tests.conftest import Org


def next_cycle(org: Org, key: str = "2026-Q4", starts_on: date = date(2026, 10, 1)) -> UUID:
    outcome = org.do(
        m.OpenCycle(key=key, name=key, starts_on=starts_on, ends_on=date(2026, 12, 31))
    )
    assert outcome.created_id is not None
    return outcome.created_id


def in_review(org: Org) -> None:
    org.do(m.BeginCycleReview(cycle_id=org.cycle))


def closed(org: Org) -> None:
    in_review(org)
    org.do(m.CloseCycle(cycle_id=org.cycle))


def check_in(org: Org, kr: UUID, value: int) -> None:
    org.do(m.CheckIn(key_result_id=kr, value=Decimal(value), confidence="at_risk"))


def refused(org: Org, command: m.Command) -> Exception:
    before = org.bus.ledger.head_position()
    with pytest.raises((RuleViolation, AlreadyExists, Forbidden)) as caught:
        org.do(command)
    assert org.bus.ledger.head_position() == before, "a refused carry wrote something"
    return caught.value


def test_carrying_an_objective_drafts_a_linked_one_in_the_later_cycle(org: Org) -> None:
    objective = org.objective()
    kr = org.key_result(objective)
    check_in(org, kr, 48)
    q4 = next_cycle(org)
    in_review(org)
    org.do(
        m.ReflectOnObjective(
            objective_id=objective,
            outcome="partially_hit",
            achieved="Renewals up to 48%",
            why="The reminder letters landed late",
            causes=("execution",),
            carry_forward="Send the reminders by text message",
        )
    )

    outcome = org.do(m.CarryObjectiveForward(objective_id=objective, cycle_id=q4))

    ledger = org.bus.ledger
    carried = ledger.get(Objective, carried_objective_id(objective, q4))
    original = ledger.get(Objective, objective)
    assert outcome.created_id == carried.id
    assert (carried.cycle_id, carried.team_id, carried.statement, carried.status) == (
        q4,
        org.team,
        original.statement,
        "live",
    )
    assert carried.carried_from is not None
    assert (carried.carried_from.id, carried.carried_from.cycle_id) == (objective, org.cycle)
    assert carried.carried_from.carry_forward == "Send the reminders by text message"
    assert original.carried_to == {q4: carried.id}
    assert original.status == "closed"  # the reflection stands as it was
    assert ledger.get(Priorities, Priorities.id_for(org.team, q4)).order == [carried.id]


def test_a_carried_metric_key_result_starts_from_where_the_work_got_to(org: Org) -> None:
    objective = org.objective()
    kr = org.key_result(objective)  # 40 → 60 by 30 September
    check_in(org, kr, 48)
    q4 = next_cycle(org)
    in_review(org)

    org.do(m.CarryObjectiveForward(objective_id=objective, cycle_id=q4))

    ledger = org.bus.ledger
    new = ledger.get(KeyResult, carried_key_result_id(kr, q4))
    assert (new.aim.baseline, new.aim.target, new.aim.deadline) == (
        Decimal(48),
        Decimal(60),
        date(2026, 12, 31),
    )
    assert (new.objective_id, new.cycle_id, new.check_ins) == (
        carried_objective_id(objective, q4),
        q4,
        {},
    )
    assert new.carried_from is not None
    assert new.carried_from.id == kr
    assert ledger.get(KeyResult, kr).carried_to == {q4: new.id}
    assert ledger.get(Objective, new.objective_id).key_result_ids == [new.id]


def test_by_default_only_live_key_results_that_have_not_met_their_aim_go_along(
    org: Org,
) -> None:
    objective = org.objective()
    unfinished, met, dropped = (org.key_result(objective) for _ in range(3))
    check_in(org, met, 61)
    org.do(m.DropKeyResult(key_result_id=dropped, reason="wrong metric"))
    q4 = next_cycle(org)
    in_review(org)

    org.do(m.CarryObjectiveForward(objective_id=objective, cycle_id=q4))

    carried = org.bus.ledger.get(Objective, carried_objective_id(objective, q4))
    assert carried.key_result_ids == [carried_key_result_id(unfinished, q4)]


def test_naming_a_key_result_that_met_its_aim_is_refused_naming_the_field(org: Org) -> None:
    objective = org.objective()
    met = org.key_result(objective)
    check_in(org, met, 60)
    q4 = next_cycle(org)
    in_review(org)

    refusal = refused(
        org, m.CarryObjectiveForward(objective_id=objective, cycle_id=q4, key_result_ids=(met,))
    )

    assert (refusal.rule, refusal.field) == ("aim_met", "key_result_ids")  # type: ignore[attr-defined]


def test_naming_another_objectives_key_result_is_refused(org: Org) -> None:
    objective, other = org.objective(), org.objective("Fix repairs right first time")
    stray = org.key_result(other)
    q4 = next_cycle(org)
    in_review(org)

    refusal = refused(
        org,
        m.CarryObjectiveForward(objective_id=objective, cycle_id=q4, key_result_ids=(stray,)),
    )

    assert (refusal.rule, refusal.field) == ("wrong_objective", "key_result_ids")  # type: ignore[attr-defined]


def test_an_empty_list_carries_the_objective_alone(org: Org) -> None:
    objective = org.objective()
    org.key_result(objective)
    q4 = next_cycle(org)
    in_review(org)

    org.do(m.CarryObjectiveForward(objective_id=objective, cycle_id=q4, key_result_ids=()))

    assert org.bus.ledger.get(Objective, carried_objective_id(objective, q4)).key_result_ids == []


def test_work_is_carried_only_once_into_a_cycle(org: Org) -> None:
    objective = org.objective()
    q4 = next_cycle(org)
    in_review(org)
    org.do(m.CarryObjectiveForward(objective_id=objective, cycle_id=q4))

    refusal = refused(org, m.CarryObjectiveForward(objective_id=objective, cycle_id=q4))

    assert isinstance(refusal, AlreadyExists)
    assert str(carried_objective_id(objective, q4)) in str(refusal)


def test_a_retry_with_the_same_command_id_answers_with_the_first_outcome(org: Org) -> None:
    objective = org.objective()
    q4 = next_cycle(org)
    in_review(org)
    command = m.CarryObjectiveForward(objective_id=objective, cycle_id=q4)

    first = org.do(command, command_id="carry-renewals")
    again = org.do(command, command_id="carry-renewals")

    assert again.replayed
    assert again.created_id == first.created_id
    assert again.position == first.position


def test_an_active_cycle_carries_nothing_forward(org: Org) -> None:
    objective = org.objective()
    q4 = next_cycle(org)

    refusal = refused(org, m.CarryObjectiveForward(objective_id=objective, cycle_id=q4))

    assert isinstance(refusal, InvalidTransition)


def test_a_closed_cycle_still_carries_work_forward(org: Org) -> None:
    objective = org.objective()
    kr = org.key_result(objective)
    q4 = next_cycle(org)
    closed(org)
    ledger = org.bus.ledger
    before = {i: dict(vars(ledger.get(LedgerAggregate, i))) for i in (objective, kr)}

    org.do(m.CarryObjectiveForward(objective_id=objective, cycle_id=q4))

    for ident, state in before.items():
        after = dict(vars(ledger.get(LedgerAggregate, ident)))
        changed = {k for k in after if after[k] != state[k]}
        assert changed <= {"carried_to", "_version", "_modified_on"}, changed
        assert type(ledger.history(ident)[-1]).__name__ == "CarriedForward"


@pytest.mark.parametrize("where", ["same", "earlier", "in_review"])
def test_work_goes_only_into_a_later_cycle_in_planning_or_active(org: Org, where: str) -> None:
    objective = org.objective()
    if where == "same":
        target = org.cycle
    elif where == "earlier":
        target = next_cycle(org, "2026-Q2", date(2026, 4, 1))
    else:
        target = next_cycle(org)
        org.do(m.StartCycle(cycle_id=target))
        org.do(m.BeginCycleReview(cycle_id=target))
    in_review(org)

    refusal = refused(org, m.CarryObjectiveForward(objective_id=objective, cycle_id=target))

    assert (refusal.rule, refusal.field) == ("carry_target", "cycle_id")  # type: ignore[attr-defined]


def test_a_dropped_objective_is_not_carried(org: Org) -> None:
    objective = org.objective()
    org.do(m.DropObjective(objective_id=objective, reason="merged"))
    q4 = next_cycle(org)
    in_review(org)

    refusal = refused(org, m.CarryObjectiveForward(objective_id=objective, cycle_id=q4))

    assert isinstance(refusal, InvalidTransition)


def test_a_key_result_carried_alone_lands_under_its_objectives_carried_objective(
    org: Org,
) -> None:
    objective = org.objective()
    first, second = org.key_result(objective), org.key_result(objective)
    q4 = next_cycle(org)
    in_review(org)
    org.do(m.CarryObjectiveForward(objective_id=objective, cycle_id=q4, key_result_ids=(first,)))

    outcome = org.do(m.CarryKeyResultForward(key_result_id=second, cycle_id=q4))

    carried = org.bus.ledger.get(Objective, carried_objective_id(objective, q4))
    assert outcome.created_id == carried_key_result_id(second, q4)
    assert carried.key_result_ids == [
        carried_key_result_id(first, q4),
        carried_key_result_id(second, q4),
    ]


def test_a_key_result_carried_alone_can_go_under_a_named_objective(org: Org) -> None:
    kr = org.key_result(org.objective())
    q4 = next_cycle(org)
    home = org.do(
        m.DraftObjective(team_id=org.team, cycle_id=q4, statement="Renewals", owner="olu")
    ).created_id
    assert home is not None
    in_review(org)

    org.do(m.CarryKeyResultForward(key_result_id=kr, cycle_id=q4, objective_id=home))

    assert org.bus.ledger.get(Objective, home).key_result_ids == [carried_key_result_id(kr, q4)]


def test_a_key_result_carried_alone_needs_somewhere_to_land(org: Org) -> None:
    kr = org.key_result(org.objective())
    q4 = next_cycle(org)
    in_review(org)

    refusal = refused(org, m.CarryKeyResultForward(key_result_id=kr, cycle_id=q4))

    assert (refusal.rule, refusal.field) == ("objective_not_carried", "objective_id")  # type: ignore[attr-defined]


def test_a_key_result_cannot_land_under_an_objective_of_another_cycle(org: Org) -> None:
    kr = org.key_result(org.objective())
    same_cycle = org.objective("Fix repairs right first time")
    q4 = next_cycle(org)
    in_review(org)

    refusal = refused(
        org, m.CarryKeyResultForward(key_result_id=kr, cycle_id=q4, objective_id=same_cycle)
    )

    assert (refusal.rule, refusal.field) == ("carry_target", "objective_id")  # type: ignore[attr-defined]


def test_an_editor_carries_only_into_objectives_of_teams_they_write_for(org: Org) -> None:
    kr = org.key_result(org.objective())
    q4 = next_cycle(org)
    elsewhere = org.do(
        m.DraftObjective(team_id=org.other_team, cycle_id=q4, statement="Repairs", owner="ria")
    ).created_id
    in_review(org)
    before = org.bus.ledger.head_position()

    with pytest.raises(Forbidden):
        org.do(
            m.CarryKeyResultForward(key_result_id=kr, cycle_id=q4, objective_id=elsewhere),
            org.editor(),
        )

    assert org.bus.ledger.head_position() == before


def test_a_carried_objective_keeps_serving_its_live_strategic_choices(org: Org) -> None:
    strategy = org.do(
        m.FormulateStrategy(key="city", name="City", vision="Thrive", mission="Serve")
    ).created_id
    assert strategy is not None
    live, retired = (
        org.do(
            m.AddStrategicChoice(strategy_id=strategy, kind="how_to_win", statement=s)
        ).created_id
        for s in ("Digital first", "Print leaflets")
    )
    objective = org.objective()
    for choice in (live, retired):
        org.do(
            m.LinkObjectiveToChoice(objective_id=objective, strategy_id=strategy, choice_id=choice)
        )  # type: ignore[arg-type]
    org.do(m.RetireStrategicChoice(strategy_id=strategy, choice_id=retired, reason="no print"))  # type: ignore[arg-type]
    q4 = next_cycle(org)
    in_review(org)

    org.do(m.CarryObjectiveForward(objective_id=objective, cycle_id=q4))

    carried = org.bus.ledger.get(Objective, carried_objective_id(objective, q4))
    assert carried.choice_links == {live: strategy}


def test_a_carried_objective_aligns_under_its_parents_carried_version(org: Org) -> None:
    parent = org.objective("Residents trust the council", team=org.function)
    objective = org.objective()
    org.do(m.AlignObjective(objective_id=objective, parent_kind="objective", parent_id=parent))
    q4 = next_cycle(org)
    in_review(org)
    org.do(m.CarryObjectiveForward(objective_id=parent, cycle_id=q4))

    org.do(m.CarryObjectiveForward(objective_id=objective, cycle_id=q4))

    carried = org.bus.ledger.get(Objective, carried_objective_id(objective, q4))
    assert carried.parents == {carried_objective_id(parent, q4): "objective"}


def test_a_parent_not_carried_leaves_the_carried_objective_unaligned(org: Org) -> None:
    parent = org.objective("Residents trust the council", team=org.function)
    objective = org.objective()
    org.do(m.AlignObjective(objective_id=objective, parent_kind="objective", parent_id=parent))
    q4 = next_cycle(org)
    in_review(org)

    org.do(m.CarryObjectiveForward(objective_id=objective, cycle_id=q4))

    assert org.bus.ledger.get(Objective, carried_objective_id(objective, q4)).parents == {}


def as_written_before_carry_forward(ledger: Any, event: Any) -> StoredEvent:
    """The event as version 1 stored it: no lineage fields, no class version."""
    stored = ledger.mapper.to_stored_event(event)
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    for name in ("carried_from", "carried_from_cycle_id", "carry_forward"):
        state.pop(name, None)
    return StoredEvent(
        stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode()
    )


@pytest.mark.parametrize("kind", ["objective", "key_result"])
def test_creation_events_stored_before_carry_forward_still_read(org: Org, kind: str) -> None:
    objective = org.objective()
    ident = objective if kind == "objective" else org.key_result(objective)
    ledger = org.bus.ledger
    old = as_written_before_carry_forward(ledger, ledger.history(ident)[0])

    event = ledger.mapper.to_domain_event(old)
    record = Decoder.of(ledger).record(1, str(ident), 1, old.topic, old.state)
    doc = reduce(None, record)

    assert (event.carried_from, event.carried_from_cycle_id) == (None, None)
    assert doc is not None
    assert (doc["carried_from"], doc["carried_to"]) == (None, [])
    aggregate = event.mutate(None)
    assert (aggregate.carried_from, aggregate.carried_to) == (None, {})
