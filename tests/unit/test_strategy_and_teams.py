"""Strategy (vision, mission, strategic choices) and the organisation tree."""

from __future__ import annotations

import pytest

from commands import messages as m
from commands.errors import Forbidden
from ledger.exceptions import AlreadyExists, NotFound, ReasonRequired, RuleViolation
from ledger.strategy import Strategy
from ledger.team import Team
from tests.conftest import Org
from tests.unit.support import last_event, meta

# -- strategy ------------------------------------------------------------------------


def formulate(org: Org, key: str = "city-2030") -> Strategy:
    outcome = org.do(
        m.FormulateStrategy(
            key=key,
            name="City 2030",
            vision="Every resident has a secure, decent home",
            mission="We run fair, responsive housing services",
        )
    )
    assert outcome.created_id == Strategy.id_for(key)
    return org.bus.ledger.get(Strategy, outcome.created_id)


def add_choice(org: Org, strategy: Strategy, key: str = "digital-first") -> Strategy:
    org.do(
        m.AddStrategicChoice(
            strategy_id=strategy.id,
            kind="how_to_win",
            statement="Digital self-service first",
            key=key,
        )
    )
    return org.bus.ledger.get(Strategy, strategy.id)


def test_formulating_a_strategy_records_its_vision_and_mission(org: Org) -> None:
    strategy = formulate(org)

    assert strategy.key == "city-2030"
    assert strategy.vision == "Every resident has a secure, decent home"
    assert strategy.mission == "We run fair, responsive housing services"
    assert strategy.choices == {}


def test_formulating_a_strategy_twice_under_one_key_is_refused(org: Org) -> None:
    formulate(org)

    with pytest.raises(AlreadyExists):
        formulate(org)


def test_formulating_a_strategy_with_a_blank_vision_is_refused(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        org.do(m.FormulateStrategy(key="s", name="S", vision="  ", mission="M"))

    assert (refused.value.rule, refused.value.field) == ("required", "vision")


@pytest.mark.parametrize(
    ("command_type", "field"),
    [(m.RestateVision, "vision"), (m.RestateMission, "mission")],
)
def test_restating_the_vision_or_mission_without_a_reason_is_refused(
    org: Org, command_type: type[m.Command], field: str
) -> None:
    strategy = formulate(org)

    with pytest.raises(ReasonRequired) as refused:
        org.do(command_type(strategy_id=strategy.id, **{field: "Something new"}))  # type: ignore[call-arg]

    assert refused.value.rule == "reason_required"
    assert getattr(org.bus.ledger.get(Strategy, strategy.id), field) != "Something new"


@pytest.mark.parametrize(
    ("command_type", "field"),
    [(m.RestateVision, "vision"), (m.RestateMission, "mission")],
)
def test_restating_the_vision_or_mission_with_a_reason_replaces_it(
    org: Org, command_type: type[m.Command], field: str
) -> None:
    strategy = formulate(org)

    org.do(
        command_type(  # type: ignore[call-arg]
            strategy_id=strategy.id, reason="New council mandate", **{field: "Something new"}
        )
    )

    assert getattr(org.bus.ledger.get(Strategy, strategy.id), field) == "Something new"
    assert last_event(org.bus.ledger, strategy.id).meta.reason == "New council mandate"


def test_adding_a_choice_with_a_key_gives_it_a_deterministic_id(org: Org) -> None:
    strategy = formulate(org)

    outcome = org.do(
        m.AddStrategicChoice(
            strategy_id=strategy.id, kind="will_not_do", statement="No new builds", key="no-build"
        )
    )

    choice_id = Strategy.choice_id_for("city-2030", "no-build")
    assert outcome.created_id == choice_id
    choice = org.bus.ledger.get(Strategy, strategy.id).choices[choice_id]
    assert (choice.kind, choice.statement, choice.retired) == (
        "will_not_do",
        "No new builds",
        False,
    )


def test_adding_a_choice_of_an_unknown_kind_is_refused(org: Org) -> None:
    strategy = formulate(org)

    with pytest.raises(RuleViolation) as refused:
        org.do(m.AddStrategicChoice(strategy_id=strategy.id, kind="vibes", statement="Be cool"))

    assert (refused.value.rule, refused.value.field) == ("not_allowed", "kind")


def test_adding_the_same_choice_key_twice_is_refused(org: Org) -> None:
    strategy = add_choice(org, formulate(org))

    with pytest.raises(RuleViolation) as refused:
        add_choice(org, strategy)

    assert refused.value.rule == "duplicate"


def test_revising_a_choice_needs_a_reason(org: Org) -> None:
    strategy = add_choice(org, formulate(org))
    choice_id = next(iter(strategy.choices))

    with pytest.raises(ReasonRequired):
        org.do(
            m.ReviseStrategicChoice(
                strategy_id=strategy.id, choice_id=choice_id, statement="Digital by default"
            )
        )

    org.do(
        m.ReviseStrategicChoice(
            strategy_id=strategy.id,
            choice_id=choice_id,
            statement="Digital by default",
            reason="Board review",
        )
    )
    revised = org.bus.ledger.get(Strategy, strategy.id).choices[choice_id]
    assert revised.statement == "Digital by default"


def test_retiring_a_choice_needs_a_reason(org: Org) -> None:
    strategy = add_choice(org, formulate(org))
    choice_id = next(iter(strategy.choices))

    with pytest.raises(ReasonRequired):
        org.do(m.RetireStrategicChoice(strategy_id=strategy.id, choice_id=choice_id))

    assert not org.bus.ledger.get(Strategy, strategy.id).choices[choice_id].retired
    org.do(m.RetireStrategicChoice(strategy_id=strategy.id, choice_id=choice_id, reason="Done"))
    assert org.bus.ledger.get(Strategy, strategy.id).choices[choice_id].retired


@pytest.mark.parametrize("act", ["revise", "retire"])
def test_a_retired_choice_cannot_be_revised_or_retired_again(org: Org, act: str) -> None:
    strategy = add_choice(org, formulate(org))
    choice_id = next(iter(strategy.choices))
    org.do(m.RetireStrategicChoice(strategy_id=strategy.id, choice_id=choice_id, reason="Done"))
    command: m.Command = (
        m.ReviseStrategicChoice(
            strategy_id=strategy.id, choice_id=choice_id, statement="Again", reason="r"
        )
        if act == "revise"
        else m.RetireStrategicChoice(strategy_id=strategy.id, choice_id=choice_id, reason="r")
    )

    with pytest.raises(RuleViolation) as refused:
        org.do(command)

    assert (refused.value.rule, refused.value.field) == ("choice_retired", "choice_id")


def test_revising_an_unknown_choice_is_not_found(org: Org) -> None:
    strategy = formulate(org)

    with pytest.raises(NotFound) as refused:
        org.do(
            m.ReviseStrategicChoice(
                strategy_id=strategy.id,
                choice_id=Strategy.choice_id_for("city-2030", "nope"),
                statement="x",
                reason="r",
            )
        )

    assert refused.value.field == "choice_id"


# -- teams ---------------------------------------------------------------------------


def test_the_org_fixture_builds_a_company_function_team_tree(org: Org) -> None:
    ledger = org.bus.ledger

    assert ledger.get(Team, org.company).parent_id is None
    assert ledger.get(Team, org.function).parent_id == org.company
    assert ledger.team_ancestors(org.team) == [org.function, org.company]


def test_a_company_cannot_have_a_parent(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        org.do(m.FormTeam(key="holding", name="Holding", level="company", parent_id=org.company))

    assert (refused.value.rule, refused.value.field) == ("company_has_no_parent", "parent")


def test_a_function_needs_a_parent(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        org.do(m.FormTeam(key="finance", name="Finance", level="function"))

    assert refused.value.rule == "parent_required"


@pytest.mark.parametrize(
    ("level", "parent"),
    [("team", "team"), ("function", "function"), ("function", "team")],
)
def test_a_unit_must_sit_under_a_higher_level(org: Org, level: str, parent: str) -> None:
    parent_id = org.team if parent == "team" else org.function

    with pytest.raises(RuleViolation) as refused:
        org.do(m.FormTeam(key="new-unit", name="New unit", level=level, parent_id=parent_id))

    assert refused.value.rule == "parent_level"


def test_a_team_may_sit_directly_under_the_company(org: Org) -> None:
    outcome = org.do(
        m.FormTeam(key="cx", name="Chief Exec Office", level="team", parent_id=org.company)
    )

    assert org.bus.ledger.get(Team, outcome.created_id).parent_id == org.company  # type: ignore[arg-type]


def test_an_unknown_level_is_refused(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        org.do(m.FormTeam(key="squad", name="Squad", level="squad", parent_id=org.team))

    assert (refused.value.rule, refused.value.field) == ("not_allowed", "level")


def test_forming_a_team_under_an_existing_key_is_refused(org: Org) -> None:
    with pytest.raises(AlreadyExists):
        org.do(m.FormTeam(key="contact", name="Again", level="team", parent_id=org.function))


def test_moving_a_team_to_another_function_records_the_new_parent(org: Org) -> None:
    other_function = org.do(
        m.FormTeam(key="housing", name="Housing", level="function", parent_id=org.company)
    ).created_id
    assert other_function is not None

    org.do(m.MoveTeam(team_id=org.team, parent_id=other_function))

    assert org.bus.ledger.team_ancestors(org.team) == [other_function, org.company]


def test_moving_a_unit_under_its_own_descendant_is_refused(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        org.do(m.MoveTeam(team_id=org.function, parent_id=org.team))

    # The level order already forbids it; either rule keeps the tree free of loops.
    assert refused.value.rule in ("parent_level", "tree_loop")
    assert org.bus.ledger.get(Team, org.function).parent_id == org.company


def test_moving_a_unit_under_itself_is_refused(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        org.do(m.MoveTeam(team_id=org.function, parent_id=org.function))

    assert refused.value.rule in ("parent_level", "tree_loop")


def test_a_move_that_would_close_a_loop_is_refused_by_the_aggregate() -> None:
    company = Team.form(key="c", name="C", level="company", parent=None, meta=meta())
    function = Team.form(key="f", name="F", level="function", parent=company, meta=meta())

    # The ancestors of the new parent include the unit itself: a loop.
    with pytest.raises(RuleViolation) as refused:
        function.move(company, [function.id], meta())

    assert (refused.value.rule, refused.value.field) == ("tree_loop", "parent")
    assert function.parent_id == company.id


def test_moving_a_team_where_it_already_sits_is_refused(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        org.do(m.MoveTeam(team_id=org.team, parent_id=org.function))

    assert refused.value.rule == "no_change"


def test_a_company_cannot_be_moved_under_anything(org: Org) -> None:
    other_company = org.do(m.FormTeam(key="county", name="County", level="company")).created_id

    with pytest.raises(RuleViolation) as refused:
        org.do(m.MoveTeam(team_id=org.company, parent_id=other_company))  # type: ignore[arg-type]

    assert refused.value.rule == "company_has_no_parent"


def test_renaming_a_team_records_the_new_name(org: Org) -> None:
    org.do(m.RenameTeam(team_id=org.team, name="Resident Contact"))

    assert org.bus.ledger.get(Team, org.team).name == "Resident Contact"


@pytest.mark.parametrize("name", ["Contact Centre", "  Contact Centre  "])
def test_renaming_a_team_to_its_current_name_is_refused(org: Org, name: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        org.do(m.RenameTeam(team_id=org.team, name=name))

    assert (refused.value.rule, refused.value.field) == ("no_change", "name")


@pytest.mark.parametrize(
    "command",
    [
        m.FormulateStrategy(key="s", name="S", vision="V", mission="M"),
        m.FormTeam(key="x", name="X", level="company"),
    ],
)
def test_editors_cannot_shape_strategy_or_the_tree(org: Org, command: m.Command) -> None:
    with pytest.raises(Forbidden):
        org.do(command, org.editor("erin.editor", org.company))
