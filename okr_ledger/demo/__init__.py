"""The demo's engine: plays a scenario through the command bus under a simulated clock.

``load`` plays the Northbridge quarter (``okr_ledger.scenario.northbridge``): planning,
thirteen weeks of check-ins with what happens between them, a mid-cycle review, the review
and close, and the next cycle opened with carried-forward work. Every act is a command
handled by the same ``CommandBus`` every other write uses, under a simulated clock, so the
recorded times spread across the quarter as if people had typed them. The scenario says
what happens, to whom and when; this package says how each kind of act becomes commands.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

import click

from commands import messages as m
from commands.bus import CommandBus
from commands.handlers.carry import carried_key_result_id
from ledger.application import Ledger
from ledger.cycle import Cycle
from ledger.kpi import Kpi
from ledger.strategy import Strategy
from ledger.team import Team
from okr_ledger.bootstrap import Services
from okr_ledger.demo.happenings import step_dependency
from okr_ledger.demo.planning import (
    declare_dependency,
    draft_objective,
    form_teams,
    formulate_strategy,
    propose_initiative,
)
from okr_ledger.demo.run import Run, SimulatedClock
from okr_ledger.demo.values import simulate_values
from okr_ledger.demo.weeks import run_weeks
from okr_ledger.scenario import northbridge as scenario
from okr_ledger.scenario.northbridge import (
    CHOICES,
    CYCLE_END,
    CYCLE_KEY,
    DECISIONS,
    FORUM,
    KEY_RESULTS,
    OBJECTIVES,
    OVERRIDE,
    TEAMS,
    WEEKS,
    at,
)

__all__ = [
    "CHOICES",
    "CYCLE_END",
    "CYCLE_KEY",
    "DECISIONS",
    "FORUM",
    "KEY_RESULTS",
    "OBJECTIVES",
    "OVERRIDE",
    "TEAMS",
    "WEEKS",
    "DemoConflict",
    "Loaded",
    "load",
]


@dataclass(frozen=True)
class Loaded:
    commands: int
    """Commands issued (0 when the demo was already there)."""
    position: int
    """The log head afterwards."""


class DemoConflict(click.ClickException):
    """The ledger already holds something the demo would create."""


def plan_quarter(run: Run) -> None:
    """Strategy and teams, the cycle, one team's objectives a day, the initiatives, the
    KPI and the dependency, each on its day of the calendar."""
    calendar = scenario.CALENDAR
    formulate_strategy(run)
    run.clock.at(calendar.teams_formed)
    form_teams(run)
    run.clock.at(calendar.cycle_opened)
    run.create(CYCLE_KEY, scenario.CYCLE, run.admin)
    for day, team in enumerate(TEAMS.values()):
        run.clock.at(at(calendar.objectives_from + timedelta(days=day), 10))
        for plan in OBJECTIVES:
            if plan.team == team.key:
                draft_objective(run, plan)
    run.clock.at(calendar.initiatives_proposed)
    for initiative in scenario.INITIATIVES:
        propose_initiative(run, initiative)
    run.clock.at(calendar.kpi_defined)
    run.create(scenario.KPI.key, scenario.KPI, run.admin)
    run.clock.at(calendar.dependency_declared)
    declare_dependency(run)


def start_quarter(run: Run) -> None:
    """The cycle starts, the initiatives with it, and the dependency is acknowledged."""
    calendar = scenario.CALENDAR
    run.clock.at(calendar.cycle_started)
    run.do(m.StartCycle(cycle_id=run.cycle_id), run.admin)
    run.clock.at(calendar.initiatives_started)
    for plan in scenario.INITIATIVES:
        run.do(m.StartInitiative(initiative_id=run.ids[plan.key]), run.editor(plan.team))
    run.clock.at(calendar.dependency_acknowledged)
    step_dependency(run, scenario.ACKNOWLEDGEMENT)


# -- review, close and the next cycle ------------------------------------------------


def review_and_close(run: Run) -> None:
    calendar = scenario.CALENDAR
    run.clock.at(calendar.review_begins)
    run.do(m.BeginCycleReview(cycle_id=run.cycle_id), run.admin)
    run.clock.at(calendar.score_overridden)
    override = m.OverrideScore(
        key_result_id=run.ids[OVERRIDE.key_result], score=OVERRIDE.score, reason=OVERRIDE.reason
    )
    run.do(override, run.admin)
    run.clock.at(calendar.reflections)
    for plan in OBJECTIVES:
        reflection = scenario.REFLECTIONS[plan.key]
        reflect = m.ReflectOnObjective(
            objective_id=run.ids[plan.key],
            outcome=reflection.outcome,
            achieved=reflection.achieved,
            why=reflection.why,
            causes=reflection.causes,
            carry_forward=reflection.carry_forward,
        )
        run.do(reflect, run.editor(plan.team))
    run.clock.at(calendar.cycle_closed)
    run.do(m.CloseCycle(cycle_id=run.cycle_id), run.admin)


def start_next_cycle(run: Run) -> None:
    """The next cycle opens with what is carried forward into it, and starts."""
    run.clock.at(scenario.CALENDAR.next_cycle_opened)
    cycle_id = run.create(scenario.NEXT_CYCLE_KEY, scenario.NEXT_CYCLE, run.admin)
    plan = scenario.CARRY_FORWARD
    editor = run.editor(plan.team)
    carry = m.CarryObjectiveForward(
        objective_id=run.ids[plan.objective],
        cycle_id=cycle_id,
        key_result_ids=tuple(run.ids[source] for _, source in plan.key_results),
    )
    run.create(plan.key, carry, editor)
    for key, source in plan.key_results:
        run.ids[key] = carried_key_result_id(run.ids[source], cycle_id)
    for key, statement in plan.rewordings:
        run.do(m.RewordKeyResult(key_result_id=run.ids[key], statement=statement), editor)
    run.do(m.StartCycle(cycle_id=cycle_id), run.admin)


# -- entry point ---------------------------------------------------------------------


def check_room(ledger: Ledger) -> None:
    """Refuse to start when the cycle, a team or the KPI the demo creates already
    exists: the demo would otherwise stop half-way through."""
    kpi_key = scenario.KPI.key
    taken = [
        what
        for what, found in (
            *((f"cycle {k}", ledger.find(Cycle, Cycle.id_for(k))) for k in scenario.CYCLE_KEYS),
            (f"KPI {kpi_key}", ledger.find(Kpi, Kpi.id_for(kpi_key))),
            *((f"team {u.key}", ledger.find(Team, Team.id_for(u.key))) for u in scenario.ORG),
        )
        if found is not None
    ]
    if taken:
        raise DemoConflict(f"cannot load the demo: the ledger already has {', '.join(taken)}")


def load(services: Services) -> Loaded:
    """Write the demo quarter, unless its strategy is already in the ledger."""
    ledger = services.ledger
    if ledger.find(Strategy, Strategy.id_for(scenario.STRATEGY_KEY)) is not None:
        return Loaded(0, ledger.head_position())
    check_room(ledger)
    clock = SimulatedClock(scenario.CALENDAR.planning_starts)
    values = simulate_values(random.Random(scenario.SEED))
    run = Run(CommandBus(ledger, clock=clock), clock, values)
    plan_quarter(run)
    start_quarter(run)
    run_weeks(run)
    review_and_close(run)
    start_next_cycle(run)
    return Loaded(run.commands, ledger.head_position())
