"""What happens between the weekly check-ins: dependencies moving, initiatives'
health, a correction, completions and a review forum with what teams do after it."""

from __future__ import annotations

from commands import messages as m
from ledger.team import Team
from okr_ledger.demo.planning import propose_initiative
from okr_ledger.demo.run import Run
from okr_ledger.demo.values import confidence_of
from okr_ledger.scenario import northbridge as scenario
from okr_ledger.scenario.northbridge import KEY_RESULTS, at
from okr_ledger.scenario.plans import (
    Act,
    Completion,
    Correction,
    DependencyStep,
    Drop,
    Happening,
    HealthChange,
    Launch,
    Reallocation,
    Reprioritisation,
    Retarget,
    Review,
    Stop,
)


def step_dependency(run: Run, step: DependencyStep) -> None:
    dependency_id = run.ids[step.dependency]
    command: m.Command
    if step.action == "acknowledge":
        command = m.AcknowledgeDependency(dependency_id=dependency_id, note=step.text)
    elif step.action == "escalate":
        command = m.EscalateDependency(dependency_id=dependency_id, reason=step.text)
    elif step.action == "resolve":
        command = m.ResolveDependency(dependency_id=dependency_id, note=step.text)
    else:
        raise ValueError(f"no dependency action {step.action!r}")
    run.do(command, run.editor(step.team))


def change_health(run: Run, change: HealthChange) -> None:
    command = m.ChangeInitiativeStatus(
        initiative_id=run.ids[change.initiative], health=change.health, note=change.note
    )
    run.do(command, run.editor(run.initiative_teams[change.initiative]))


def correct(run: Run, correction: Correction) -> None:
    """A mistyped check-in, corrected with the week's true value."""
    key, week = correction.key_result, correction.week
    value = run.values[key][week - 1]
    command = m.CorrectCheckIn(
        key_result_id=run.ids[key],
        supersedes=run.check_ins[key, week],
        value=value,
        confidence=confidence_of(run.targets, KEY_RESULTS[key], value, week),
        note=correction.note.format(value=value),
        reason=correction.reason,
    )
    run.do(command, run.editor(correction.team))


def complete(run: Run, completions: tuple[Completion, ...]) -> None:
    for done in completions:
        command = m.CompleteInitiative(initiative_id=run.ids[done.initiative], note=done.note)
        run.do(command, run.editor(done.team))


def review(run: Run, forum: Review) -> None:
    """The forum decides in the morning; teams act on its decisions at ``acts_at_hour``."""
    for plan in forum.decisions:
        command = m.RecordDecision(
            forum=forum.forum,
            decided_by=forum.decided_by,
            decision_type=plan.decision_type,
            summary=plan.summary,
            rationale=plan.rationale,
            cycle_id=run.cycle_id,
            affects=tuple(run.ids[key] for key in plan.affects),
            strategy_id=run.strategy_id,
            choice_ids=tuple(run.choice(key) for key in plan.choices),
        )
        run.create(plan.key, command, run.admin)
    run.clock.at(at(run.clock.now.date(), forum.acts_at_hour))
    for act in forum.acts:
        act_on(run, act)


def act_on(run: Run, act: Act) -> None:
    """One act a team takes after a review."""
    command: m.Command
    match act:
        case Reprioritisation():
            command = m.Reprioritise(
                team_id=Team.id_for(act.team),
                cycle_id=run.cycle_id,
                order=tuple(run.ids[key] for key in act.order),
                reason=act.reason,
                decision_id=run.ids[act.decision],
            )
        case Reallocation():
            command = m.AllocateResources(
                initiative_id=run.ids[act.initiative],
                people=act.people,
                money=act.money,
                currency=scenario.CURRENCY,
                reason=act.reason,
                decision_id=run.ids[act.decision],
            )
        case Stop():
            command = m.StopInitiative(
                initiative_id=run.ids[act.initiative],
                reason=act.reason,
                decision_id=run.ids[act.decision],
            )
        case Launch():
            initiative_id = propose_initiative(run, act.plan)
            run.do(m.StartInitiative(initiative_id=initiative_id), run.editor(act.plan.team))
            return
        case Retarget():
            command = m.RetargetKeyResult(
                key_result_id=run.ids[act.key_result],
                target=act.target,
                reason=act.reason,
                decision_id=run.ids[act.decision],
            )
            run.targets[act.key_result] = act.target
        case Drop():
            command = m.DropKeyResult(
                key_result_id=run.ids[act.key_result],
                reason=act.reason,
                decision_id=run.ids[act.decision],
            )
            run.dropped.add(act.key_result)
    run.do(command, run.editor(act.team))


def happen(run: Run, happening: Happening) -> None:
    match happening:
        case DependencyStep():
            step_dependency(run, happening)
        case HealthChange():
            change_health(run, happening)
        case Correction():
            correct(run, happening)
        case Review():
            review(run, happening)
        case tuple():
            complete(run, happening)
