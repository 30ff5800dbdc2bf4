"""Priorities: a team's ranked live objectives, reprioritised only with a rationale."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from commands import messages as m
from commands.errors import Forbidden
from ledger.exceptions import (
    CycleClosed,
    NotFound,
    ReasonRequired,
    RuleViolation,
    VersionConflict,
)
from ledger.priorities import Priorities
from tests.conftest import Org
from tests.unit.support import last_event


@pytest.fixture
def ranked(org: Org) -> tuple[Org, list[UUID]]:
    return org, [org.objective(s) for s in ("First", "Second", "Third")]


def priorities_id(org: Org) -> UUID:
    return Priorities.id_for(org.team, org.cycle)


def order(org: Org) -> list[UUID]:
    return org.bus.ledger.get(Priorities, priorities_id(org)).order


def reprioritise(org: Org, new_order: list[UUID], **fields: object) -> None:
    fields.setdefault("reason", "Renewals first this quarter")
    org.do(m.Reprioritise(team_id=org.team, cycle_id=org.cycle, order=tuple(new_order), **fields))  # type: ignore[arg-type]


def test_reprioritising_replaces_the_order_and_keeps_the_previous_one(
    ranked: tuple[Org, list[UUID]],
) -> None:
    org, (a, b, c) = ranked

    reprioritise(org, [c, a, b])

    assert order(org) == [c, a, b]
    event = last_event(org.bus.ledger, priorities_id(org))
    assert (event.order, event.previous_order) == ([c, a, b], [a, b, c])
    assert event.meta.reason == "Renewals first this quarter"
    assert org.bus.ledger.get(Priorities, priorities_id(org)).rank_of(a) == 2


def test_reprioritising_needs_a_reason(ranked: tuple[Org, list[UUID]]) -> None:
    org, (a, b, c) = ranked

    with pytest.raises(ReasonRequired):
        reprioritise(org, [c, b, a], reason=None)

    assert order(org) == [a, b, c]


@pytest.mark.parametrize(
    "shape",
    ["missing", "extra", "duplicate", "duplicate-instead-of-one", "empty"],
)
def test_the_new_order_must_be_a_permutation_of_the_live_objectives(
    ranked: tuple[Org, list[UUID]], shape: str
) -> None:
    org, (a, b, c) = ranked
    stranger = org.objective("Other team's", team=org.other_team)
    new_order = {
        "missing": [c, a],
        "extra": [c, a, b, stranger],
        "duplicate": [c, a, b, a],
        "duplicate-instead-of-one": [c, a, a],
        "empty": [],
    }[shape]

    with pytest.raises(RuleViolation) as refused:
        reprioritise(org, new_order)

    assert (refused.value.rule, refused.value.field) == ("not_a_permutation", "order")
    assert order(org) == [a, b, c]


def test_a_dropped_objective_cannot_be_ranked(ranked: tuple[Org, list[UUID]]) -> None:
    org, (a, b, c) = ranked
    org.do(m.DropObjective(objective_id=b, reason="Out of scope"))

    with pytest.raises(RuleViolation) as refused:
        reprioritise(org, [c, b, a])
    assert refused.value.rule == "not_a_permutation"

    reprioritise(org, [c, a])
    assert order(org) == [c, a]


def test_an_unchanged_order_is_refused(ranked: tuple[Org, list[UUID]]) -> None:
    org, objectives = ranked

    with pytest.raises(RuleViolation) as refused:
        reprioritise(org, objectives)

    assert (refused.value.rule, refused.value.field) == ("no_change", "order")


def test_the_decision_behind_a_reprioritisation_is_recorded(
    ranked: tuple[Org, list[UUID]],
) -> None:
    org, (a, b, c) = ranked
    decision = org.do(
        m.RecordDecision(
            forum="QBR",
            decided_by=("dana.director",),
            decision_type="reprioritise",
            summary="Third first",
            rationale="Regulator deadline",
            affects=(a, b, c),
        )
    ).created_id

    reprioritise(org, [c, a, b], decision_id=decision)

    assert last_event(org.bus.ledger, priorities_id(org)).meta.decision_id == decision


def test_a_later_objective_joins_the_bottom_of_a_reprioritised_order(
    ranked: tuple[Org, list[UUID]],
) -> None:
    org, (a, b, c) = ranked
    reprioritise(org, [c, a, b])

    d = org.objective("Fourth")

    assert order(org) == [c, a, b, d]


def test_a_stale_expected_version_refuses_the_reprioritisation(
    ranked: tuple[Org, list[UUID]],
) -> None:
    org, (a, b, c) = ranked
    version = org.bus.ledger.get(Priorities, priorities_id(org)).version
    reprioritise(org, [b, a, c], expected_version=version)

    with pytest.raises(VersionConflict):
        reprioritise(org, [c, b, a], expected_version=version)

    assert order(org) == [b, a, c]


def test_a_sibling_teams_editor_cannot_reprioritise(ranked: tuple[Org, list[UUID]]) -> None:
    org, (a, b, c) = ranked

    with pytest.raises(Forbidden):
        org.do(
            m.Reprioritise(team_id=org.team, cycle_id=org.cycle, order=(c, b, a), reason="r"),
            org.editor("sid.sibling", org.other_team),
        )

    assert order(org) == [a, b, c]


def test_reprioritising_a_team_with_no_objectives_is_not_found(org: Org) -> None:
    with pytest.raises(NotFound):
        reprioritise(org, [uuid4()])


def test_reprioritising_in_a_closed_cycle_is_refused(ranked: tuple[Org, list[UUID]]) -> None:
    org, (a, b, c) = ranked
    org.do(m.BeginCycleReview(cycle_id=org.cycle))
    org.do(m.CloseCycle(cycle_id=org.cycle))

    with pytest.raises(CycleClosed):
        reprioritise(org, [c, b, a])
