"""Initiatives, cross-team dependencies, KPIs and review decisions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from commands import messages as m
from commands.errors import Forbidden
from ledger.decision import Decision
from ledger.dependency import Dependency
from ledger.exceptions import (
    AlreadyExists,
    InvalidTransition,
    NotFound,
    ReasonRequired,
    RuleViolation,
)
from ledger.initiative import Initiative
from ledger.kpi import Bands, Kpi
from tests.conftest import FakeClock, Org
from tests.unit.support import events_after, last_event

D = Decimal

# -- initiatives -----------------------------------------------------------------------


def propose(org: Org, *key_results: UUID, team: UUID | None = None) -> UUID:
    outcome = org.do(
        m.ProposeInitiative(
            team_id=team or org.team,
            cycle_id=org.cycle,
            title="Online renewal form",
            owner="ian.owner",
            key_result_ids=key_results,
        )
    )
    assert outcome.created_id is not None
    return outcome.created_id


def initiative(org: Org, ident: UUID) -> Initiative:
    return org.bus.ledger.get(Initiative, ident)


def test_a_proposed_initiative_starts_and_completes(org: Org) -> None:
    ident = propose(org)
    assert (initiative(org, ident).status, initiative(org, ident).health) == ("proposed", None)

    org.do(m.StartInitiative(initiative_id=ident))
    assert (initiative(org, ident).status, initiative(org, ident).health) == ("active", "on_track")

    org.do(m.ChangeInitiativeStatus(initiative_id=ident, health="at_risk", note="Vendor late"))
    assert initiative(org, ident).health == "at_risk"

    org.do(m.CompleteInitiative(initiative_id=ident, note="Shipped"))
    assert initiative(org, ident).status == "completed"


@pytest.mark.parametrize(
    ("started", "command"),
    [
        (False, lambda i: m.CompleteInitiative(initiative_id=i)),
        (False, lambda i: m.ChangeInitiativeStatus(initiative_id=i, health="at_risk")),
        (True, lambda i: m.StartInitiative(initiative_id=i)),
    ],
    ids=["complete-proposed", "status-of-proposed", "start-twice"],
)
def test_an_initiative_refuses_acts_out_of_order(org: Org, started: bool, command: Any) -> None:
    ident = propose(org)
    if started:
        org.do(m.StartInitiative(initiative_id=ident))

    with pytest.raises(InvalidTransition):
        org.do(command(ident))


def test_stopping_an_initiative_needs_a_reason_and_ends_it(org: Org) -> None:
    ident = propose(org)

    with pytest.raises(ReasonRequired):
        org.do(m.StopInitiative(initiative_id=ident))
    org.do(m.StopInitiative(initiative_id=ident, reason="Funding withdrawn"))

    assert initiative(org, ident).status == "stopped"
    with pytest.raises(InvalidTransition):
        org.do(m.StartInitiative(initiative_id=ident))


def test_a_completed_initiative_cannot_be_stopped(org: Org) -> None:
    ident = propose(org)
    org.do(m.StartInitiative(initiative_id=ident))
    org.do(m.CompleteInitiative(initiative_id=ident))

    with pytest.raises(InvalidTransition):
        org.do(m.StopInitiative(initiative_id=ident, reason="late"))


def test_an_unchanged_or_unknown_health_is_refused(org: Org) -> None:
    ident = propose(org)
    org.do(m.StartInitiative(initiative_id=ident))

    with pytest.raises(RuleViolation) as unchanged:
        org.do(m.ChangeInitiativeStatus(initiative_id=ident, health="on_track"))
    with pytest.raises(RuleViolation) as unknown:
        org.do(m.ChangeInitiativeStatus(initiative_id=ident, health="fine"))

    assert unchanged.value.rule == "no_change"
    assert (unknown.value.rule, unknown.value.field) == ("not_allowed", "health")


def test_an_initiative_links_to_key_results(org: Org) -> None:
    objective = org.objective()
    first, second = org.key_result(objective), org.key_result(objective, "Cut waiting time")
    ident = propose(org, first)

    org.do(m.LinkInitiative(initiative_id=ident, key_result_id=second))
    assert initiative(org, ident).key_result_ids == [first, second]

    org.do(m.UnlinkInitiative(initiative_id=ident, key_result_id=first))
    assert initiative(org, ident).key_result_ids == [second]


def test_link_rules_refuse_duplicates_missing_links_and_dropped_key_results(org: Org) -> None:
    objective = org.objective()
    linked, dropped = org.key_result(objective), org.key_result(objective, "Old metric")
    org.do(m.DropKeyResult(key_result_id=dropped, reason="Retired"))
    ident = propose(org, linked)

    cases = [
        (m.LinkInitiative(initiative_id=ident, key_result_id=linked), "already_linked"),
        (m.LinkInitiative(initiative_id=ident, key_result_id=dropped), "key_result_dropped"),
        (m.UnlinkInitiative(initiative_id=ident, key_result_id=dropped), "not_linked"),
    ]
    for command, rule in cases:
        with pytest.raises(RuleViolation) as refused:
            org.do(command)
        assert refused.value.rule == rule
    assert initiative(org, ident).key_result_ids == [linked]


def test_a_moscow_priority_is_recorded(org: Org) -> None:
    ident = propose(org)

    org.do(m.PrioritiseInitiative(initiative_id=ident, method="moscow", moscow="should"))

    priority = initiative(org, ident).priority
    assert priority is not None
    assert (priority.method, priority.moscow, priority.rice_score) == ("moscow", "should", None)


def test_a_rice_priority_records_reach_times_impact_times_confidence_over_effort(
    org: Org,
) -> None:
    ident = propose(org)

    org.do(
        m.PrioritiseInitiative(
            initiative_id=ident,
            method="rice",
            reach=D(1200),
            impact=D(2),
            confidence=D("0.8"),
            effort=D(3),
        )
    )

    priority = initiative(org, ident).priority
    assert priority is not None
    assert priority.method == "rice"
    assert priority.rice_score == D("640.00")
    assert (priority.reach, priority.impact, priority.confidence, priority.effort) == (
        D(1200),
        D(2),
        D("0.8"),
        D(3),
    )


@pytest.mark.parametrize(
    ("fields", "rule", "field"),
    [
        ({"method": "moscow"}, "required", "moscow"),
        ({"method": "moscow", "moscow": "maybe"}, "not_allowed", "moscow"),
        ({"method": "rice", "impact": None}, "required", "impact"),
        ({"method": "rice", "impact": D("1.5")}, "rice_impact", "impact"),
        ({"method": "rice", "confidence": D(0)}, "rice_confidence", "confidence"),
        ({"method": "rice", "confidence": D("1.1")}, "rice_confidence", "confidence"),
        ({"method": "rice", "effort": D(0)}, "must_be_positive", "effort"),
        ({"method": "rice", "reach": D(-1)}, "must_not_be_negative", "reach"),
        ({"method": "wsjf"}, "not_allowed", "method"),
    ],
)
def test_priority_rules(org: Org, fields: dict[str, Any], rule: str, field: str) -> None:
    ident = propose(org)
    values: dict[str, Any] = {}
    if fields["method"] == "rice":
        values = {"reach": D(100), "impact": D(1), "confidence": D("0.5"), "effort": D(2)}
    values.update(fields)

    with pytest.raises(RuleViolation) as refused:
        org.do(m.PrioritiseInitiative(initiative_id=ident, **values))

    assert (refused.value.rule, refused.value.field) == (rule, field)
    assert initiative(org, ident).priority is None


def allocate(org: Org, ident: UUID, people: str, money: str, **fields: Any) -> Any:
    org.do(
        m.AllocateResources(
            initiative_id=ident, people=D(people), money=D(money), currency="gbp", **fields
        )
    )
    return last_event(org.bus.ledger, ident)


def test_the_first_allocation_needs_no_reason(org: Org) -> None:
    ident = propose(org)

    event = allocate(org, ident, "2.5", "40000")

    assert type(event).__name__ == "ResourcesAllocated"
    allocation = initiative(org, ident).allocation
    assert allocation is not None
    assert (allocation.people, allocation.money, allocation.currency) == (
        D("2.5"),
        D(40000),
        "GBP",
    )


def test_a_reallocation_needs_a_reason_or_a_decision(org: Org) -> None:
    ident = propose(org)
    allocate(org, ident, "2.5", "40000")

    with pytest.raises(RuleViolation) as refused:
        allocate(org, ident, "3", "40000")
    assert (refused.value.rule, refused.value.field) == ("reason_or_decision_required", "reason")

    event = allocate(org, ident, "3", "40000", reason="Backlog grew")
    assert type(event).__name__ == "ResourcesReallocated"
    assert (event.previous_people, event.people) == (D("2.5"), D(3))


def test_a_reallocation_may_rest_on_a_decision_alone(org: Org) -> None:
    ident = propose(org)
    allocate(org, ident, "2.5", "40000")
    decision = record_decision(org, decision_type="reallocate", affects=(ident,))

    event = allocate(org, ident, "2.5", "55000", decision_id=decision)

    assert (event.previous_money, event.money) == (D(40000), D(55000))
    assert (event.meta.decision_id, event.meta.reason) == (decision, None)


def test_an_unchanged_allocation_is_refused(org: Org) -> None:
    ident = propose(org)
    allocate(org, ident, "2", "100")

    with pytest.raises(RuleViolation) as refused:
        allocate(org, ident, "2", "100", reason="again")

    assert refused.value.rule == "no_change"


@pytest.mark.parametrize(
    ("people", "money", "currency", "rule"),
    [
        ("-1", "0", "GBP", "must_not_be_negative"),
        ("1", "-5", "GBP", "must_not_be_negative"),
        ("1", "5", "G1P", "currency"),
        ("1", "5", "POUND", "too_long"),
    ],
)
def test_allocation_rules(org: Org, people: str, money: str, currency: str, rule: str) -> None:
    ident = propose(org)

    with pytest.raises(RuleViolation) as refused:
        org.do(
            m.AllocateResources(
                initiative_id=ident, people=D(people), money=D(money), currency=currency
            )
        )

    assert refused.value.rule == rule


# -- dependencies ----------------------------------------------------------------------


def declare(org: Org, **fields: Any) -> UUID:
    values: dict[str, Any] = {
        "from_kind": "objective",
        "from_id": fields.pop("from_id", None) or org.objective(),
        "on_team_id": org.other_team,
        "description": "Repairs must fix the renewal letters template",
        "needed_by": date(2026, 8, 15),
    }
    values.update(fields)
    outcome = org.do(m.DeclareDependency(**values))
    assert outcome.created_id is not None
    return outcome.created_id


def dependency(org: Org, ident: UUID) -> Dependency:
    return org.bus.ledger.get(Dependency, ident)


def test_declaring_a_dependency_records_both_teams(org: Org) -> None:
    source = org.objective()
    target = org.key_result(org.objective("Fix letters", team=org.other_team))

    ident = declare(org, from_id=source, on_kind="key_result", on_id=target)

    declared = dependency(org, ident)
    assert (declared.from_team_id, declared.on_team_id) == (org.team, org.other_team)
    assert (declared.on_kind, declared.on_id, declared.status) == (
        "key_result",
        target,
        "declared",
    )
    assert (declared.cycle_id, declared.needed_by) == (org.cycle, date(2026, 8, 15))


def test_a_dependency_on_ones_own_team_is_refused(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        declare(org, on_team_id=org.team)

    assert (refused.value.rule, refused.value.field) == ("same_team", "on_team_id")


def test_the_object_depended_on_must_belong_to_the_named_team(org: Org) -> None:
    third_team_objective = org.objective("Elsewhere", team=org.function)

    with pytest.raises(RuleViolation) as refused:
        declare(org, on_kind="objective", on_id=third_team_objective)

    assert (refused.value.rule, refused.value.field) == ("wrong_team", "on_id")


def test_the_depending_object_must_exist_as_the_named_kind(org: Org) -> None:
    source = org.objective()

    with pytest.raises(NotFound):
        declare(org, from_kind="key_result", from_id=source)
    with pytest.raises(RuleViolation) as refused:
        declare(org, from_kind="initiative", from_id=source)
    assert refused.value.field == "from_kind"


def test_naming_only_half_of_the_object_depended_on_is_refused(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        declare(org, on_kind="objective")

    assert refused.value.rule == "on_ref_incomplete"


def test_only_the_team_depended_on_may_acknowledge(org: Org) -> None:
    ident = declare(org)
    asker = org.editor("asha.asker", org.team)
    helper = org.editor("hal.helper", org.other_team)

    with pytest.raises(Forbidden):
        org.do(m.AcknowledgeDependency(dependency_id=ident), asker)
    assert dependency(org, ident).status == "declared"

    org.do(m.AcknowledgeDependency(dependency_id=ident, note="On it"), helper)
    assert dependency(org, ident).status == "acknowledged"
    assert last_event(org.bus.ledger, ident).meta.actor == "hal.helper"


def test_a_dependency_is_acknowledged_only_once(org: Org) -> None:
    ident = declare(org)
    org.do(m.AcknowledgeDependency(dependency_id=ident))

    with pytest.raises(InvalidTransition):
        org.do(m.AcknowledgeDependency(dependency_id=ident))


def test_escalating_needs_a_reason_and_either_team_may_escalate(org: Org) -> None:
    ident = declare(org)
    asker = org.editor("asha.asker", org.team)

    with pytest.raises(ReasonRequired):
        org.do(m.EscalateDependency(dependency_id=ident), asker)
    org.do(m.EscalateDependency(dependency_id=ident, reason="Deadline at risk"), asker)

    assert dependency(org, ident).status == "escalated"


def test_a_resolved_dependency_is_closed_to_further_acts(org: Org) -> None:
    ident = declare(org)
    helper = org.editor("hal.helper", org.other_team)
    org.do(m.ResolveDependency(dependency_id=ident, note="Template fixed"), helper)

    assert dependency(org, ident).status == "resolved"
    assert not dependency(org, ident).is_open
    with pytest.raises(InvalidTransition):
        org.do(m.EscalateDependency(dependency_id=ident, reason="r"))
    with pytest.raises(InvalidTransition):
        org.do(m.ResolveDependency(dependency_id=ident))


def test_a_third_teams_editor_cannot_touch_a_dependency(org: Org) -> None:
    ident = declare(org)
    outsider_team = org.do(
        m.FormTeam(key="parks", name="Parks", level="team", parent_id=org.company)
    ).created_id
    outsider = org.editor("olga.outsider", outsider_team)  # type: ignore[arg-type]

    with pytest.raises(Forbidden):
        org.do(m.ResolveDependency(dependency_id=ident), outsider)


# -- KPIs ------------------------------------------------------------------------------


def define_kpi(org: Org, direction: str, healthy: str, warning: str, key: str = "kpi") -> UUID:
    outcome = org.do(
        m.DefineKpi(
            key=key,
            team_id=org.team,
            name="Calls answered in 60s",
            direction=direction,
            healthy=D(healthy),
            warning=D(warning),
            unit="%",
        )
    )
    assert outcome.created_id == Kpi.id_for(key)
    return outcome.created_id


@pytest.mark.parametrize(
    ("direction", "healthy", "warning"),
    [
        ("higher_is_better", "80", "90"),
        ("higher_is_better", "80", "80"),
        ("lower_is_better", "10", "5"),
        ("lower_is_better", "10", "10"),
    ],
)
def test_kpi_bands_must_be_ordered_for_their_direction(
    org: Org, direction: str, healthy: str, warning: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        define_kpi(org, direction, healthy, warning)

    assert (refused.value.rule, refused.value.field) == ("band_order", "healthy")


def test_an_unknown_kpi_direction_is_refused(org: Org) -> None:
    with pytest.raises(RuleViolation) as refused:
        define_kpi(org, "sideways", "1", "2")

    assert refused.value.field == "direction"


def test_a_kpi_key_is_used_once(org: Org) -> None:
    define_kpi(org, "higher_is_better", "90", "80")

    with pytest.raises(AlreadyExists):
        define_kpi(org, "higher_is_better", "90", "80")


@pytest.mark.parametrize(
    ("value", "health"),
    [
        ("95", "healthy"),
        ("90", "healthy"),
        ("85", "warning"),
        ("80", "warning"),
        ("79.9", "unhealthy"),
    ],
)
def test_health_when_higher_is_better(value: str, health: str) -> None:
    assert Bands("higher_is_better", D(90), D(80)).health(D(value)) == health


@pytest.mark.parametrize(
    ("value", "health"),
    [("1", "healthy"), ("2", "healthy"), ("4", "warning"), ("5", "warning"), ("5.1", "unhealthy")],
)
def test_health_when_lower_is_better(value: str, health: str) -> None:
    assert Bands("lower_is_better", D(2), D(5)).health(D(value)) == health


def test_a_measurement_is_classified_by_the_bands_in_force(org: Org, clock: FakeClock) -> None:
    kpi = define_kpi(org, "higher_is_better", "90", "80")

    org.do(m.MeasureKpi(kpi_id=kpi, value=D(85)))

    measured = org.bus.ledger.get(Kpi, kpi)
    latest = measured.latest()
    assert latest is not None
    assert (latest.value, latest.health, latest.recorded_at) == (D(85), "warning", clock.now)
    assert measured.health == "warning"


def test_a_future_measurement_is_refused(org: Org, clock: FakeClock) -> None:
    kpi = define_kpi(org, "higher_is_better", "90", "80")

    with pytest.raises(RuleViolation) as refused:
        org.do(m.MeasureKpi(kpi_id=kpi, value=D(85), effective_at=clock.now + timedelta(hours=1)))

    assert refused.value.rule == "effective_time_in_future"


def test_a_back_dated_measurement_is_not_the_latest(org: Org, clock: FakeClock) -> None:
    kpi = define_kpi(org, "higher_is_better", "90", "80")
    org.do(m.MeasureKpi(kpi_id=kpi, value=D(95)))
    clock.advance(hours=1)

    org.do(m.MeasureKpi(kpi_id=kpi, value=D(70), effective_at=clock.now - timedelta(days=3)))

    latest = org.bus.ledger.get(Kpi, kpi).latest()
    assert latest is not None
    assert (latest.value, latest.health) == (D(95), "healthy")


def test_changing_kpi_bands_needs_a_reason_and_reclassifies_current_health(org: Org) -> None:
    kpi = define_kpi(org, "higher_is_better", "90", "80")
    org.do(m.MeasureKpi(kpi_id=kpi, value=D(85)))

    with pytest.raises(ReasonRequired):
        org.do(m.ChangeKpiBands(kpi_id=kpi, healthy=D(85), warning=D(75)))
    org.do(m.ChangeKpiBands(kpi_id=kpi, healthy=D(85), warning=D(75), reason="New SLA"))

    changed = org.bus.ledger.get(Kpi, kpi)
    assert changed.bands == Bands("higher_is_better", D(85), D(75))
    assert changed.health == "healthy"
    # The measurement keeps the health it had when it was taken.
    assert changed.measurements[0].health == "warning"


def test_kpi_band_changes_keep_the_direction_rules(org: Org) -> None:
    kpi = define_kpi(org, "lower_is_better", "2", "5")

    with pytest.raises(RuleViolation) as disordered:
        org.do(m.ChangeKpiBands(kpi_id=kpi, healthy=D(6), warning=D(5), reason="r"))
    with pytest.raises(RuleViolation) as unchanged:
        org.do(m.ChangeKpiBands(kpi_id=kpi, healthy=D(2), warning=D(5), reason="r"))

    assert disordered.value.rule == "band_order"
    assert unchanged.value.rule == "no_change"


# -- decisions -------------------------------------------------------------------------


def record_decision(org: Org, **fields: Any) -> UUID:
    values: dict[str, Any] = {
        "forum": "Quarterly business review",
        "decided_by": ("dana.director", "cal.cfo"),
        "decision_type": "reprioritise",
        "summary": "Renewals before repairs",
        "rationale": "Renewal churn costs more",
        "cycle_id": org.cycle,
    }
    values.update(fields)
    outcome = org.do(m.RecordDecision(**values))
    assert outcome.created_id is not None
    return outcome.created_id


def test_a_decision_records_its_forum_people_and_what_it_affects(org: Org) -> None:
    objective = org.objective()

    ident = record_decision(org, affects=(objective,))

    decision = org.bus.ledger.get(Decision, ident)
    assert (decision.forum, decision.decided_by) == (
        "Quarterly business review",
        ("dana.director", "cal.cfo"),
    )
    assert (decision.decision_type, decision.affects, decision.cycle_id) == (
        "reprioritise",
        (objective,),
        org.cycle,
    )


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"decided_by": ()}, "decided_by_required"),
        ({"decided_by": ("dana", "dana")}, "duplicate"),
        ({"decision_type": "vibes"}, "not_allowed"),
        ({"rationale": " "}, "required"),
    ],
)
def test_decision_rules(org: Org, fields: dict[str, Any], rule: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        record_decision(org, **fields)

    assert refused.value.rule == rule


def test_a_decision_affecting_an_unknown_item_is_not_found(org: Org) -> None:
    with pytest.raises(NotFound) as refused:
        record_decision(org, affects=(uuid4(),))

    assert refused.value.field == "affects"


def test_every_event_of_an_act_taken_on_a_decision_names_it(org: Org) -> None:
    first, second = org.objective("First"), org.objective("Second")
    decision = record_decision(org, affects=(first, second))
    head = org.bus.ledger.head_position()

    org.do(
        m.Reprioritise(
            team_id=org.team,
            cycle_id=org.cycle,
            order=(second, first),
            decision_id=decision,
            reason="Decided at QBR",
        )
    )
    org.do(m.DropObjective(objective_id=first, decision_id=decision, reason="Decided at QBR"))

    events = events_after(org.bus.ledger, head)
    assert len(events) == 3  # reprioritised, dropped, left the ranking
    assert {e.meta.decision_id for e in events} == {decision}


def test_an_unknown_decision_id_is_refused_and_writes_nothing(org: Org) -> None:
    objective = org.objective()
    head = org.bus.ledger.head_position()

    with pytest.raises(NotFound) as refused:
        org.do(m.DropObjective(objective_id=objective, reason="r", decision_id=uuid4()))

    assert refused.value.field == "decision_id"
    assert org.bus.ledger.head_position() == head


def test_a_decision_id_that_names_something_else_is_not_found(org: Org) -> None:
    objective = org.objective()

    with pytest.raises(NotFound):
        org.do(m.DropObjective(objective_id=objective, reason="r", decision_id=objective))


def test_an_editor_records_decisions_only_about_its_own_teams(org: Org) -> None:
    mine, theirs = org.objective("Mine"), org.objective("Theirs", team=org.other_team)
    editor = org.editor()

    def huddle(*affects: UUID) -> m.RecordDecision:
        return m.RecordDecision(
            forum="Team huddle",
            decided_by=("erin",),
            decision_type="other",
            summary="s",
            rationale="r",
            affects=affects,
        )

    with pytest.raises(Forbidden):
        org.do(huddle(mine, theirs), editor)
    with pytest.raises(Forbidden):
        org.do(huddle(), editor)

    outcome = org.do(huddle(mine), editor)
    assert org.bus.ledger.get(Decision, outcome.created_id).affects == (mine,)  # type: ignore[arg-type]
