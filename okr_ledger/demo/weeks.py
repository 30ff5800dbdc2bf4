"""The weekly rhythm: every team's check-ins on Friday afternoon, the KPI at noon, late
check-ins back-dated the next Monday, and the week's happenings in time order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from commands import messages as m
from okr_ledger.demo.happenings import happen
from okr_ledger.demo.run import Run
from okr_ledger.demo.values import confidence_of, friday
from okr_ledger.scenario import northbridge as scenario
from okr_ledger.scenario.northbridge import KEY_RESULTS, TEAMS, WEEKS, at


def check_in(run: Run, kr_key: str, week: int, effective_at: datetime | None = None) -> None:
    plan = KEY_RESULTS[kr_key]
    value = run.values[kr_key][week - 1]
    confidence = confidence_of(run.targets, plan, value, week)
    routine = (routine_note(confidence, week), ())
    note, blockers = scenario.SPECIAL_NOTES.get((kr_key, week), routine)
    if effective_at is not None:
        note += " (figures as at Friday, recorded Monday)"
    command = m.CheckIn(
        key_result_id=run.ids[kr_key],
        value=scenario.MISTYPED.get((kr_key, week), value),
        confidence=confidence,
        note=note,
        blockers=blockers,
        effective_at=effective_at,
    )
    created = run.do(command, run.editor(scenario.TEAM_OF[kr_key])).created_id
    if created is not None:
        run.check_ins[kr_key, week] = created


def routine_note(confidence: str, week: int) -> str:
    notes = scenario.ROUTINE_NOTES[confidence]
    return notes[week % len(notes)]


def team_check_ins(run: Run, team: str, week: int, *, late: bool = False) -> None:
    """One check-in per live key result of the team; late ones are back-dated."""
    if (week, team) in scenario.LATE and not late:
        return
    effective_at = at(friday(week), TEAMS[team].check_in_hour) if late else None
    for kr_key, kr_team in scenario.TEAM_OF.items():
        if kr_team == team and kr_key not in run.dropped:
            check_in(run, kr_key, week, effective_at)


def measure_kpi(run: Run, value: Decimal) -> None:
    command = m.MeasureKpi(kpi_id=run.ids[scenario.KPI.key], value=value)
    run.do(command, run.editor(scenario.KPI_TEAM))


Action = Callable[[Run], None]


def between_check_ins(week: int) -> list[tuple[int, int, Action]]:
    """(weekday, hour, act) of the week's status changes and other happenings."""
    return [
        (day, hour, partial(happen, happening=happening))
        for table in (scenario.HEALTH_CHANGES, scenario.HAPPENINGS)
        for (when, day, hour), happening in table.items()
        if when == week
    ]


def week_agenda(run: Run, week: int) -> Iterator[tuple[datetime, Action]]:
    """Everything that happens in ``week``, in time order."""
    monday = friday(week) - timedelta(days=4)
    agenda: list[tuple[datetime, Action]] = [
        (at(monday + timedelta(days=day), hour), act) for day, hour, act in between_check_ins(week)
    ]
    for late_week, team in scenario.LATE:
        if late_week == week - 1:
            act = partial(team_check_ins, team=team, week=late_week, late=True)
            agenda.append((at(monday, 9, 30), act))
    kpi_value = run.values[scenario.KPI.key][week - 1]
    agenda.append((at(friday(week), 12), partial(measure_kpi, value=kpi_value)))
    for unit in TEAMS.values():
        act = partial(team_check_ins, team=unit.key, week=week)
        agenda.append((at(friday(week), unit.check_in_hour), act))
    yield from sorted(agenda, key=lambda item: item[0])


def run_weeks(run: Run) -> None:
    for week in range(1, WEEKS + 1):
        for when, act in week_agenda(run, week):
            run.clock.at(when)
            act(run)
