"""Rules that span aggregates: what a dropped objective or key result still allows,
and where an initiative may link."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from commands import messages as m
from ledger.exceptions import RuleViolation
from ledger.key_result import KeyResult
from tests.conftest import Org


def refused(org: Org, command: m.Command) -> RuleViolation:
    before = org.bus.ledger.head_position()
    with pytest.raises(RuleViolation) as caught:
        org.do(command)
    assert org.bus.ledger.head_position() == before
    return caught.value


def test_an_objective_cannot_align_under_a_dropped_objective(org: Org) -> None:
    parent = org.objective("Make the city greener", team=org.other_team)
    child = org.objective()
    org.do(m.DropObjective(objective_id=parent, reason="merged into another"))

    refusal = refused(
        org, m.AlignObjective(objective_id=child, parent_kind="objective", parent_id=parent)
    )

    assert (refusal.rule, refusal.field) == ("parent_dropped", "parent_id")


def test_an_objective_cannot_align_under_a_dropped_key_result(org: Org) -> None:
    parent_kr = org.key_result(org.objective(team=org.other_team))
    org.do(m.DropKeyResult(key_result_id=parent_kr, reason="wrong metric"))

    refusal = refused(
        org,
        m.AlignObjective(
            objective_id=org.objective(), parent_kind="key_result", parent_id=parent_kr
        ),
    )

    assert refusal.rule == "parent_dropped"


def test_an_unknown_parent_kind_is_refused_naming_the_field(org: Org) -> None:
    refusal = refused(
        org,
        m.AlignObjective(
            objective_id=org.objective(), parent_kind="initiative", parent_id=org.team
        ),
    )

    assert (refusal.rule, refusal.field) == ("not_allowed", "parent_kind")


def test_dropping_an_objective_drops_its_live_key_results_in_the_same_command(
    org: Org,
) -> None:
    objective = org.objective()
    live, already_dropped = org.key_result(objective), org.key_result(objective)
    org.do(m.DropKeyResult(key_result_id=already_dropped, reason="wrong metric"))

    outcome = org.do(m.DropObjective(objective_id=objective, reason="superseded by the review"))

    ledger = org.bus.ledger
    assert ledger.get(KeyResult, live).status == "dropped"
    assert set(outcome.versions) >= {objective, live}
    assert already_dropped not in outcome.versions
    events = [e for e in ledger.history(live) if isinstance(e, KeyResult.Dropped)]
    assert events[0].meta.reason == "superseded by the review"


def test_key_results_of_a_dropped_objective_take_no_more_check_ins(org: Org) -> None:
    objective = org.objective()
    kr = org.key_result(objective)
    org.do(m.DropObjective(objective_id=objective, reason="superseded by the review"))

    refusal = refused(org, m.CheckIn(key_result_id=kr, value=Decimal(45), confidence="at_risk"))

    assert refusal.rule == "invalid_transition"


def test_a_check_in_of_a_dropped_objective_can_still_be_corrected(org: Org) -> None:
    objective = org.objective()
    kr = org.key_result(objective)
    check_in = org.do(m.CheckIn(key_result_id=kr, value=Decimal(45), confidence="at_risk"))
    org.do(m.DropObjective(objective_id=objective, reason="superseded by the review"))

    outcome = org.do(
        m.CorrectCheckIn(
            key_result_id=kr,
            supersedes=check_in.created_id,  # type: ignore[arg-type]
            value=Decimal(44),
            confidence="at_risk",
            reason="typo",
        )
    )

    assert outcome.versions


def test_an_initiative_links_only_to_key_results_of_its_own_cycle(org: Org) -> None:
    next_cycle = org.do(
        m.OpenCycle(
            key="2026-Q4", name="Q4", starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31)
        )
    ).created_id
    assert next_cycle is not None
    kr = org.key_result(org.objective())
    initiative = org.do(
        m.ProposeInitiative(team_id=org.team, cycle_id=next_cycle, title="Callbacks", owner="x")
    ).created_id
    assert initiative is not None

    refusal = refused(org, m.LinkInitiative(initiative_id=initiative, key_result_id=kr))

    assert (refusal.rule, refusal.field) == ("cycle_mismatch", "key_result_id")
