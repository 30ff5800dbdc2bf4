"""Objectives: drafting, wording, strategy links, alignment, dropping and reflection."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from commands import messages as m
from ledger.exceptions import (
    CycleClosed,
    InvalidTransition,
    NotFound,
    ReasonRequired,
    RuleViolation,
)
from ledger.objective import Objective
from ledger.priorities import Priorities
from ledger.strategy import Strategy
from tests.conftest import Org


def objective(org: Org, ident: UUID) -> Objective:
    return org.bus.ledger.get(Objective, ident)


def ranking(org: Org, team: UUID | None = None) -> list[UUID]:
    ident = Priorities.id_for(team or org.team, org.cycle)
    return org.bus.ledger.get(Priorities, ident).order


def strategy_with_choice(org: Org) -> tuple[UUID, UUID]:
    strategy_id = org.do(
        m.FormulateStrategy(key="city-2030", name="City 2030", vision="V", mission="M")
    ).created_id
    assert strategy_id is not None
    choice_id = org.do(
        m.AddStrategicChoice(
            strategy_id=strategy_id, kind="how_to_win", statement="Digital first", key="digital"
        )
    ).created_id
    assert choice_id is not None
    return strategy_id, choice_id


# -- drafting and wording --------------------------------------------------------------


def test_drafting_an_objective_records_it_live_in_its_team_and_cycle(org: Org) -> None:
    ident = org.objective("Make renewals effortless", description="Why it matters")

    drafted = objective(org, ident)
    assert (drafted.team_id, drafted.cycle_id, drafted.status) == (org.team, org.cycle, "live")
    assert (drafted.statement, drafted.description) == (
        "Make renewals effortless",
        "Why it matters",
    )
    assert (drafted.owner, drafted.commitment) == ("olu.owner", "committed")


def test_drafting_appends_the_objective_to_its_teams_priorities(org: Org) -> None:
    first = org.objective("First")
    second = org.objective("Second")
    elsewhere = org.objective("Elsewhere", team=org.other_team)

    assert ranking(org) == [first, second]
    assert ranking(org, org.other_team) == [elsewhere]


def test_drafting_an_objective_and_ranking_it_is_one_command(org: Org) -> None:
    outcome = org.do(
        m.DraftObjective(team_id=org.team, cycle_id=org.cycle, statement="S", owner="o")
    )

    priorities_id = Priorities.id_for(org.team, org.cycle)
    assert set(outcome.versions) == {outcome.created_id, priorities_id}


def test_an_unknown_commitment_is_refused(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        org.objective(commitment="maybe")

    assert (refused.value.rule, refused.value.field) == ("not_allowed", "commitment")


def test_drafting_for_an_unknown_team_is_not_found(org: Org) -> None:
    with pytest.raises(NotFound) as refused:
        org.objective(team=uuid4())

    assert refused.value.field == "team_id"


def test_rewording_keeps_the_description_when_none_is_given(org: Org) -> None:
    ident = org.objective("Old words", description="Context")

    org.do(m.RewordObjective(objective_id=ident, statement="New words"))

    assert (objective(org, ident).statement, objective(org, ident).description) == (
        "New words",
        "Context",
    )


def test_rewording_to_the_same_words_is_refused(org: Org) -> None:
    ident = org.objective("Same words", description="Context")

    with pytest.raises(RuleViolation) as refused:
        org.do(m.RewordObjective(objective_id=ident, statement="Same words"))

    assert refused.value.rule == "no_change"


def test_changing_the_owner_records_the_new_owner(org: Org) -> None:
    ident = org.objective()

    org.do(m.ChangeObjectiveOwner(objective_id=ident, owner="nia.new"))

    assert objective(org, ident).owner == "nia.new"
    with pytest.raises(RuleViolation) as refused:
        org.do(m.ChangeObjectiveOwner(objective_id=ident, owner="nia.new"))
    assert (refused.value.rule, refused.value.field) == ("no_change", "owner")


# -- strategy links --------------------------------------------------------------------


def test_linking_to_a_live_choice_records_the_strategy(org: Org) -> None:
    strategy_id, choice_id = strategy_with_choice(org)
    ident = org.objective()

    org.do(
        m.LinkObjectiveToChoice(objective_id=ident, strategy_id=strategy_id, choice_id=choice_id)
    )

    assert objective(org, ident).choice_links == {choice_id: strategy_id}


def test_linking_to_a_retired_choice_is_refused(org: Org) -> None:
    strategy_id, choice_id = strategy_with_choice(org)
    org.do(m.RetireStrategicChoice(strategy_id=strategy_id, choice_id=choice_id, reason="Done"))
    ident = org.objective()

    with pytest.raises(RuleViolation) as refused:
        org.do(
            m.LinkObjectiveToChoice(
                objective_id=ident, strategy_id=strategy_id, choice_id=choice_id
            )
        )

    assert refused.value.rule == "choice_retired"
    assert objective(org, ident).choice_links == {}


def test_linking_to_an_unknown_choice_is_not_found(org: Org) -> None:
    strategy_id, _ = strategy_with_choice(org)
    ident = org.objective()

    with pytest.raises(NotFound):
        org.do(
            m.LinkObjectiveToChoice(
                objective_id=ident,
                strategy_id=strategy_id,
                choice_id=Strategy.choice_id_for("city-2030", "unknown"),
            )
        )


def test_linking_twice_to_one_choice_is_refused_and_unlinking_removes_the_link(
    org: Org,
) -> None:
    strategy_id, choice_id = strategy_with_choice(org)
    ident = org.objective()
    link = m.LinkObjectiveToChoice(
        objective_id=ident, strategy_id=strategy_id, choice_id=choice_id
    )
    org.do(link)

    with pytest.raises(RuleViolation) as refused:
        org.do(link)
    assert refused.value.rule == "already_linked"

    org.do(m.UnlinkObjectiveFromChoice(objective_id=ident, choice_id=choice_id))
    assert objective(org, ident).choice_links == {}


# -- alignment -------------------------------------------------------------------------


def align(org: Org, child: UUID, parent: UUID, kind: str = "objective") -> None:
    org.do(m.AlignObjective(objective_id=child, parent_kind=kind, parent_id=parent))


def test_an_objective_aligns_under_an_objective_and_a_key_result_at_once(org: Org) -> None:
    company_goal = org.objective("Residents stay", team=org.company)
    other_goal = org.objective("Fewer repairs", team=org.other_team)
    other_kr = org.key_result(other_goal)
    ident = org.objective()

    align(org, ident, company_goal)
    align(org, ident, other_kr, "key_result")

    assert objective(org, ident).parents == {company_goal: "objective", other_kr: "key_result"}


def test_aligning_twice_under_one_parent_is_refused(org: Org) -> None:
    parent = org.objective("Parent", team=org.company)
    ident = org.objective()
    align(org, ident, parent)

    with pytest.raises(RuleViolation) as refused:
        align(org, ident, parent)

    assert refused.value.rule == "already_aligned"


def test_an_objective_cannot_align_under_itself(org: Org) -> None:
    ident = org.objective()

    with pytest.raises(RuleViolation) as refused:
        align(org, ident, ident)

    assert (refused.value.rule, refused.value.field) == ("alignment_loop", "parent_id")


def test_an_objective_cannot_align_under_its_own_key_result(org: Org) -> None:
    ident = org.objective()
    kr = org.key_result(ident)

    with pytest.raises(RuleViolation) as refused:
        align(org, ident, kr, "key_result")

    assert refused.value.rule == "alignment_loop"


def test_a_two_step_alignment_loop_is_refused(org: Org) -> None:
    top = org.objective("Top", team=org.company)
    below = org.objective("Below")
    align(org, below, top)

    with pytest.raises(RuleViolation) as refused:
        align(org, top, below)

    assert refused.value.rule == "alignment_loop"
    assert objective(org, top).parents == {}


def test_a_loop_through_a_key_result_is_refused(org: Org) -> None:
    top = org.objective("Top", team=org.company)
    top_kr = org.key_result(top)
    middle = org.objective("Middle")
    bottom = org.objective("Bottom", team=org.other_team)
    align(org, middle, top_kr, "key_result")
    align(org, bottom, middle)

    with pytest.raises(RuleViolation) as refused:
        align(org, top, bottom)

    assert refused.value.rule == "alignment_loop"


def test_aligning_across_branches_without_a_loop_is_allowed(org: Org) -> None:
    top = org.objective("Top", team=org.company)
    left = org.objective("Left")
    right = org.objective("Right", team=org.other_team)
    align(org, left, top)
    align(org, right, top)

    align(org, right, left)  # a diamond, not a loop

    assert set(objective(org, right).parents) == {top, left}


def test_an_unknown_parent_kind_is_refused(org: Org) -> None:
    parent = org.objective("Parent", team=org.company)
    ident = org.objective()

    with pytest.raises(RuleViolation) as refused:
        align(org, ident, parent, "initiative")

    assert (refused.value.rule, refused.value.field) == ("not_allowed", "parent_kind")


def test_a_parent_of_the_wrong_kind_is_not_found(org: Org) -> None:
    parent = org.objective("Parent", team=org.company)
    ident = org.objective()

    with pytest.raises(NotFound):
        align(org, ident, parent, "key_result")


def test_unaligning_removes_only_that_parent(org: Org) -> None:
    first = org.objective("First parent", team=org.company)
    second = org.objective("Second parent", team=org.function)
    ident = org.objective()
    align(org, ident, first)
    align(org, ident, second)

    org.do(m.UnalignObjective(objective_id=ident, parent_id=first))

    assert objective(org, ident).parents == {second: "objective"}
    with pytest.raises(RuleViolation) as refused:
        org.do(m.UnalignObjective(objective_id=ident, parent_id=first))
    assert refused.value.rule == "not_aligned"


# -- dropping --------------------------------------------------------------------------


def test_dropping_needs_a_reason(org: Org) -> None:
    ident = org.objective()

    with pytest.raises(ReasonRequired):
        org.do(m.DropObjective(objective_id=ident))

    assert objective(org, ident).status == "live"
    assert ranking(org) == [ident]


def test_dropping_takes_the_objective_out_of_the_ranking(org: Org) -> None:
    first, second, third = (org.objective(s) for s in ("First", "Second", "Third"))

    org.do(m.DropObjective(objective_id=second, reason="Superseded by the council plan"))

    assert objective(org, second).status == "dropped"
    assert ranking(org) == [first, third]


def test_a_dropped_objective_refuses_further_acts(org: Org) -> None:
    ident = org.objective()
    org.do(m.DropObjective(objective_id=ident, reason="Out of scope"))

    for command in (
        m.DropObjective(objective_id=ident, reason="again"),
        m.RewordObjective(objective_id=ident, statement="New"),
        m.DefineKeyResult(objective_id=ident, statement="KR", kind="milestone", owner="kim"),
    ):
        with pytest.raises(InvalidTransition):
            org.do(command)


# -- reflection ------------------------------------------------------------------------


def reflect(org: Org, ident: UUID, outcome: str = "hit", **fields: object) -> None:
    values: dict[str, object] = {"achieved": "Renewals at 61%", "why": "The new form worked"}
    values.update(fields)
    org.do(m.ReflectOnObjective(objective_id=ident, outcome=outcome, **values))  # type: ignore[arg-type]


def test_reflecting_needs_the_cycle_in_review(org: Org) -> None:
    ident = org.objective()

    with pytest.raises(InvalidTransition) as refused:
        reflect(org, ident)

    assert refused.value.rule == "invalid_transition"
    assert objective(org, ident).reflection is None


def test_reflecting_in_review_closes_the_objective(org: Org) -> None:
    ident = org.objective()
    org.do(m.BeginCycleReview(cycle_id=org.cycle))

    reflect(org, ident, carry_forward="Automate reminders")

    reflected = objective(org, ident)
    assert reflected.status == "closed"
    assert reflected.reflection is not None
    assert (reflected.reflection.outcome, reflected.reflection.carry_forward) == (
        "hit",
        "Automate reminders",
    )


@pytest.mark.parametrize("outcome", ["missed", "partially_hit"])
def test_a_missed_or_partly_hit_objective_names_a_cause(org: Org, outcome: str) -> None:
    ident = org.objective()
    org.do(m.BeginCycleReview(cycle_id=org.cycle))

    with pytest.raises(RuleViolation) as refused:
        reflect(org, ident, outcome)
    assert (refused.value.rule, refused.value.field) == ("cause_required", "causes")

    reflect(org, ident, outcome, causes=("execution", "external_change"))
    reflection = objective(org, ident).reflection
    assert reflection is not None
    assert reflection.causes == ("execution", "external_change")


@pytest.mark.parametrize(
    ("causes", "rule"), [(("bad_luck",), "not_allowed"), (("execution", "execution"), "duplicate")]
)
def test_causes_must_be_known_and_distinct(org: Org, causes: tuple[str, ...], rule: str) -> None:
    ident = org.objective()
    org.do(m.BeginCycleReview(cycle_id=org.cycle))

    with pytest.raises(RuleViolation) as refused:
        reflect(org, ident, "missed", causes=causes)

    assert (refused.value.rule, refused.value.field) == (rule, "causes")


def test_an_unknown_outcome_is_refused(org: Org) -> None:
    ident = org.objective()
    org.do(m.BeginCycleReview(cycle_id=org.cycle))

    with pytest.raises(RuleViolation) as refused:
        reflect(org, ident, "nailed_it")

    assert (refused.value.rule, refused.value.field) == ("not_allowed", "outcome")


def test_a_second_reflection_needs_a_reason(org: Org) -> None:
    ident = org.objective()
    org.do(m.BeginCycleReview(cycle_id=org.cycle))
    reflect(org, ident)

    with pytest.raises(ReasonRequired):
        reflect(org, ident, "partially_hit", causes=("hypothesis",))

    reflect(org, ident, "partially_hit", causes=("hypothesis",), reason="Data was revised")
    reflection = objective(org, ident).reflection
    assert reflection is not None
    assert reflection.outcome == "partially_hit"


def test_a_reflection_forgotten_before_close_waits_for_the_cycle_to_be_reopened(
    org: Org,
) -> None:
    ident = org.objective()
    org.do(m.BeginCycleReview(cycle_id=org.cycle))
    org.do(m.CloseCycle(cycle_id=org.cycle))

    with pytest.raises(CycleClosed):
        reflect(org, ident, reason="Reflection was forgotten before close")
    org.do(m.ReopenCycle(cycle_id=org.cycle, reason="Reflection was forgotten before close"))
    reflect(org, ident)

    assert objective(org, ident).status == "closed"


def test_a_dropped_objective_cannot_be_reflected_on(org: Org) -> None:
    ident = org.objective()
    org.do(m.DropObjective(objective_id=ident, reason="Out of scope"))
    org.do(m.BeginCycleReview(cycle_id=org.cycle))

    with pytest.raises(InvalidTransition):
        reflect(org, ident)
