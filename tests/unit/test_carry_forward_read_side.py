"""The read side of carry-forward and sandbagging: the tree and the retrospective show
where carried work came from and went, the documents agree with the aggregates, and a
team that scores 1.0 on everything cycle after cycle is advised (never refused)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commands import messages as m
from commands.handlers.carry import carried_key_result_id, carried_objective_id
from eventlog.vocabulary import micros_of
from ledger.exceptions import RuleViolation
from ledger.key_result import DECREASE, INCREASE, carried_aim, check_target
from okr_ledger.bootstrap import Services
from tests.conftest import FakeClock, Org
from tests.test_properties_projections import assert_documents_agree_with_the_aggregates
from tests.unit.support import meta, new_key_result, started_cycle

QUARTERS = {
    "2026-Q1": (date(2026, 1, 1), date(2026, 3, 31)),
    "2026-Q2": (date(2026, 4, 1), date(2026, 6, 30)),
    "2026-Q4": (date(2026, 10, 1), date(2026, 12, 31)),
    "2027-Q1": (date(2027, 1, 1), date(2027, 3, 31)),
}


def cycle(org: Org, key: str, *steps: type[m.Command]) -> UUID:
    starts_on, ends_on = QUARTERS[key]
    outcome = org.do(m.OpenCycle(key=key, name=key, starts_on=starts_on, ends_on=ends_on))
    assert outcome.created_id is not None
    for step in steps:
        org.do(step(cycle_id=outcome.created_id))  # type: ignore[call-arg]
    return outcome.created_id


def tree(services: Services, cycle_ref: str, **options: Any) -> dict[str, Any]:
    services.read_models.catch_up()
    now = micros_of(services.bus.clock())
    found = services.read_models.okrs(cycle_ref, now=now, **options)
    assert found is not None
    return found  # type: ignore[no-any-return]


def nodes(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every objective and key result node of a tree, by id."""
    every: dict[str, dict[str, Any]] = {}
    for choice in found["choices"]:
        for objective in choice["objectives"]:
            every[objective["id"]] = objective
            every.update({kr["id"]: kr for kr in objective["key_results"]})
    return every


def carried_world(org: Org) -> tuple[UUID, UUID, UUID, UUID]:
    """Q3 in review with an objective of two key results (one at 48 of 40 → 60), carried
    into Q4 with its unfinished key result; the other carried alone afterwards."""
    objective = org.objective()
    first, second = org.key_result(objective), org.key_result(objective, "Cut waits to 2")
    org.do(m.CheckIn(key_result_id=first, value=Decimal(48), confidence="at_risk"))
    q4 = cycle(org, "2026-Q4")
    org.do(m.BeginCycleReview(cycle_id=org.cycle))
    org.do(
        m.ReflectOnObjective(
            objective_id=objective,
            outcome="missed",
            achieved="48%",
            why="Late letters",
            causes=("execution",),
            carry_forward="Reminders by text",
        )
    )
    org.do(m.CarryObjectiveForward(objective_id=objective, cycle_id=q4, key_result_ids=(first,)))
    org.do(m.CarryKeyResultForward(key_result_id=second, cycle_id=q4))
    return objective, first, second, q4


def test_the_next_cycles_tree_names_where_carried_work_came_from(
    org: Org, services: Services
) -> None:
    objective, first, second, q4 = carried_world(org)

    found = nodes(tree(services, "2026-Q4"))

    carried = found[str(carried_objective_id(objective, q4))]
    assert carried["carried_from"] == {
        "id": str(objective),
        "cycle_id": str(org.cycle),
        "cycle_key": "2026-Q3",
        "carry_forward": "Reminders by text",
    }
    assert carried["carried_to"] == []
    kr = found[str(carried_key_result_id(first, q4))]
    assert kr["carried_from"] == {
        "id": str(first),
        "cycle_id": str(org.cycle),
        "cycle_key": "2026-Q3",
        "carry_forward": None,
    }
    assert kr["baseline"] == "48"
    assert [k["id"] for k in carried["key_results"]] == [
        str(carried_key_result_id(first, q4)),
        str(carried_key_result_id(second, q4)),
    ]


def test_the_original_cycles_tree_and_retrospective_name_where_it_went(
    org: Org, services: Services
) -> None:
    objective, first, _, q4 = carried_world(org)
    went = [
        {
            "id": str(carried_objective_id(objective, q4)),
            "cycle_id": str(q4),
            "cycle_key": "2026-Q4",
        }
    ]

    found = nodes(tree(services, "2026-Q3"))
    report = services.read_models.retrospective("2026-Q3", now=micros_of(services.bus.clock()))

    assert found[str(objective)]["carried_to"] == went
    assert found[str(objective)]["carried_from"] is None
    retro = {o["id"]: o for o in report["objectives"]}
    assert retro[str(objective)]["carried_to"] == went
    retro_krs = {k["id"]: k for k in report["key_results"]}
    assert retro_krs[str(first)]["carried_to"][0]["id"] == str(carried_key_result_id(first, q4))


def test_the_documents_agree_with_the_aggregates_after_carrying(
    org: Org, services: Services
) -> None:
    carried_world(org)
    services.read_models.catch_up()

    assert_documents_agree_with_the_aggregates(services.read_models, services.ledger)


@given(
    kind=st.sampled_from([INCREASE, DECREASE]),
    latest=st.decimals(min_value=0, max_value=100, places=1),
)
def test_a_carried_metric_either_met_its_aim_or_aims_validly_from_its_latest_value(
    kind: str, latest: Decimal
) -> None:
    q3 = started_cycle()
    kr = new_key_result(kind, cycle=q3, deadline=date(2026, 9, 30))  # 40 → 60, or 40 → 20
    kr.check_in(check_in_id=uuid4(), value=latest, confidence="on_track", cycle=q3, meta=meta())
    met = latest >= 60 if kind == INCREASE else latest <= 20

    if met:
        with pytest.raises(RuleViolation, match="met its aim"):
            carried_aim(kr, date(2026, 12, 31))
    else:
        aim = carried_aim(kr, date(2026, 12, 31))
        check_target(kind, aim)  # a valid aim for a key result of that kind
        assert (aim.baseline, aim.target, aim.deadline) == (
            latest,
            kr.aim.target,
            date(2026, 12, 31),
        )


# -- sandbagging ---------------------------------------------------------------------------


def perfect_cycle(
    org: Org, clock: FakeClock, key: str, *, committed: bool = True, close: bool = True
) -> UUID:
    """A cycle in which the team hits every key result, under an aspirational objective
    too; closed, or left in review. ``2026-Q3`` is the org's own (started) cycle."""
    ident = org.cycle if key == "2026-Q3" else cycle(org, key, m.StartCycle)
    starts_on = QUARTERS.get(key, (date(2026, 7, 1),))[0]
    clock.now = max(clock.now, datetime.combine(starts_on, time(9), tzinfo=UTC))
    for commitment in ("committed", "aspirational"):
        objective = org.do(
            m.DraftObjective(
                team_id=org.team, cycle_id=ident, statement=f"Do well {commitment}",
                owner="olu", commitment=commitment,
            )
        ).created_id  # fmt: skip
        assert objective is not None
        kr = org.key_result(objective)
        value = 60 if committed or commitment == "aspirational" else 50
        org.do(m.CheckIn(key_result_id=kr, value=Decimal(value), confidence="on_track"))
    org.do(m.BeginCycleReview(cycle_id=ident))
    if close:
        org.do(m.CloseCycle(cycle_id=ident))
    return ident


def team_advice(found: dict[str, Any], team: UUID) -> list[str]:
    return [a["rule"] for t in found["teams"] if t["id"] == str(team) for a in t["advice"]]


def test_a_team_that_hits_everything_three_cycles_running_is_advised(
    org: Org, services: Services, clock: FakeClock
) -> None:
    perfect_cycle(org, clock, "2026-Q1")
    perfect_cycle(org, clock, "2026-Q2")
    q3 = perfect_cycle(org, clock, "2026-Q3", close=False)

    found = tree(services, str(q3))
    report = services.read_models.retrospective(str(q3), now=micros_of(services.bus.clock()))

    assert "sandbagging" in team_advice(found, org.team)
    message = next(a["message"] for t in found["teams"] for a in t["advice"])
    assert "2026-Q1, 2026-Q2, 2026-Q3" in message
    assert [(a["team"]["id"], a["rule"]) for a in report["advice"]] == [
        (str(org.team), "sandbagging")
    ]


def test_the_advice_looks_back_from_a_cycle_still_being_planned(
    org: Org, services: Services, clock: FakeClock
) -> None:
    for key in ("2026-Q1", "2026-Q2", "2026-Q3"):
        perfect_cycle(org, clock, key)
    next_one = cycle(org, "2026-Q4")
    org.do(m.DraftObjective(team_id=org.team, cycle_id=next_one, statement="Go on", owner="olu"))

    assert "sandbagging" in team_advice(tree(services, "2026-Q4"), org.team)


def test_one_cycle_short_of_full_marks_breaks_the_streak(
    org: Org, services: Services, clock: FakeClock
) -> None:
    perfect_cycle(org, clock, "2026-Q1", committed=False)  # a committed result at 0.5
    perfect_cycle(org, clock, "2026-Q2")
    q3 = perfect_cycle(org, clock, "2026-Q3", close=False)

    assert "sandbagging" not in team_advice(tree(services, str(q3)), org.team)
    assert "sandbagging" in team_advice(tree(services, str(q3), sandbagging_cycles=2), org.team)


def test_a_cycle_in_which_the_team_had_no_key_results_breaks_the_streak(
    org: Org, services: Services, clock: FakeClock
) -> None:
    perfect_cycle(org, clock, "2026-Q1")
    cycle(org, "2026-Q2", m.StartCycle, m.BeginCycleReview, m.CloseCycle)
    q3 = perfect_cycle(org, clock, "2026-Q3", close=False)

    assert "sandbagging" not in team_advice(tree(services, str(q3)), org.team)


def test_sandbagging_is_advice_and_refuses_nothing(
    org: Org, services: Services, clock: FakeClock
) -> None:
    perfect_cycle(org, clock, "2026-Q1")
    perfect_cycle(org, clock, "2026-Q2")
    q3 = perfect_cycle(org, clock, "2026-Q3", close=False)
    assert "sandbagging" in team_advice(tree(services, str(q3)), org.team)

    outcome = org.do(
        m.DraftObjective(team_id=org.team, cycle_id=q3, statement="Aim higher", owner="olu")
    )

    assert outcome.created_id is not None
