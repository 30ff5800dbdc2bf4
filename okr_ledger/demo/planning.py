"""The demo's planning acts: strategy, teams, objectives with their key results,
initiatives and a dependency, each as the commands a planner would issue."""

from __future__ import annotations

from uuid import UUID

from commands import messages as m
from commands.principals import Principal
from ledger.team import Team
from okr_ledger.demo.run import Run
from okr_ledger.scenario import northbridge as scenario
from okr_ledger.scenario.northbridge import CHOICES
from okr_ledger.scenario.plans import InitiativePlan, KeyResultPlan, ObjectivePlan


def formulate_strategy(run: Run) -> None:
    run.do(scenario.STRATEGY, run.admin)
    for key, kind, statement in CHOICES:
        command = m.AddStrategicChoice(
            strategy_id=run.strategy_id, kind=kind, statement=statement, key=key
        )
        run.do(command, run.admin)


def form_teams(run: Run) -> None:
    for unit in scenario.ORG:
        parent = Team.id_for(unit.parent) if unit.parent else None
        command = m.FormTeam(key=unit.key, name=unit.name, level=unit.level, parent_id=parent)
        run.create(unit.key, command, run.admin)


def draft_objective(run: Run, plan: ObjectivePlan) -> None:
    editor = run.editor(plan.team)
    draft = m.DraftObjective(
        team_id=Team.id_for(plan.team),
        cycle_id=run.cycle_id,
        statement=plan.statement,
        owner=plan.owner,
        commitment=plan.commitment,
        description=plan.description,
    )
    objective_id = run.create(plan.key, draft, editor)
    for choice in plan.choices:
        link = m.LinkObjectiveToChoice(
            objective_id=objective_id, strategy_id=run.strategy_id, choice_id=run.choice(choice)
        )
        run.do(link, editor)
    if plan.aligned_to:
        kind, parent = plan.aligned_to
        align = m.AlignObjective(
            objective_id=objective_id, parent_kind=kind, parent_id=run.ids[parent]
        )
        run.do(align, editor)
    for kr in plan.key_results:
        define_key_result(run, objective_id, kr, editor)


def define_key_result(run: Run, objective_id: UUID, kr: KeyResultPlan, editor: Principal) -> None:
    low, high = kr.band or (None, None)
    command = m.DefineKeyResult(
        objective_id=objective_id,
        statement=kr.statement,
        kind=kr.kind,
        owner=kr.owner,
        baseline=kr.baseline,
        target=kr.target,
        band_low=low,
        band_high=high,
        unit=kr.unit,
        deadline=kr.deadline,
        classification=kr.classification,
        weight=kr.weight,
    )
    run.create(kr.key, command, editor)
    if kr.target is not None:
        run.targets[kr.key] = kr.target


def propose_initiative(run: Run, plan: InitiativePlan) -> UUID:
    editor = run.editor(plan.team)
    command = m.ProposeInitiative(
        team_id=Team.id_for(plan.team),
        cycle_id=run.cycle_id,
        title=plan.title,
        owner=plan.owner,
        description=plan.description,
        key_result_ids=tuple(run.ids[k] for k in plan.key_results),
    )
    initiative_id = run.create(plan.key, command, editor)
    run.initiative_teams[plan.key] = plan.team
    run.do(prioritise(initiative_id, plan), editor)
    allocate = m.AllocateResources(
        initiative_id=initiative_id,
        people=plan.people,
        money=plan.money,
        currency=scenario.CURRENCY,
    )
    run.do(allocate, editor)
    return initiative_id


def prioritise(initiative_id: UUID, plan: InitiativePlan) -> m.PrioritiseInitiative:
    if plan.rice is not None:
        reach, impact, confidence, effort = plan.rice
        return m.PrioritiseInitiative(
            initiative_id=initiative_id,
            method="rice",
            reach=reach,
            impact=impact,
            confidence=confidence,
            effort=effort,
        )
    return m.PrioritiseInitiative(initiative_id=initiative_id, method="moscow", moscow=plan.moscow)


def declare_dependency(run: Run) -> None:
    plan = scenario.DEPENDENCY
    command = m.DeclareDependency(
        from_kind=plan.from_kind,
        from_id=run.ids[plan.from_key],
        on_team_id=Team.id_for(plan.on_team),
        on_kind=plan.on_kind,
        on_id=run.ids[plan.on_key],
        description=plan.description,
        needed_by=plan.needed_by,
    )
    run.create(plan.key, command, run.editor(plan.team))
