"""A plain-text report of one cycle, rebuilt by replaying the whole log.

Nothing here reads a projection: ``render_cycle`` replays every event into a
``World`` and scores the key results with the same rules the ledger uses, so the
report shows exactly what the log holds. Lines stay within 100 columns.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date, datetime
from uuid import UUID

import click

from ledger.application import Ledger
from ledger.cycle import Cycle
from ledger.decision import Decision
from ledger.dependency import Dependency
from ledger.initiative import Initiative
from ledger.key_result import BAND, BASELINE, MILESTONE, KeyResult
from ledger.kpi import HIGHER_IS_BETTER, Kpi
from ledger.objective import DROPPED, Objective
from ledger.replay import World, replay
from ledger.scoring import score_key_result, score_objective
from ledger.team import Team
from okr_ledger.report_text import (
    RULE,
    WIDTH,
    clip,
    flow,
    label,
    money,
    number,
    plural,
    score,
    wrap,
)

Labels = dict[UUID, str]
"""Strategic choice id → its short label (C1, C2, ...)."""


# -- the cycle and its strategy ------------------------------------------------------


def header(cycle: Cycle) -> list[str]:
    title = f"{cycle.name} ({cycle.key})"
    dates = f"{cycle.starts_on.isoformat()} → {cycle.ends_on.isoformat()}"
    cadence = f"check-ins every {plural(cycle.cadence_days, 'day')}"
    return [RULE, *flow((title, dates, cadence, f"status: {cycle.status}"), 0), RULE]


def choice_labels(world: World) -> Labels:
    """Short labels for every strategic choice, in the order they were added."""
    ids = [choice_id for s in world.strategies() for choice_id in s.choices]
    return {choice_id: f"C{n}" for n, choice_id in enumerate(ids, start=1)}


def strategy_section(world: World, labels: Labels) -> list[str]:
    lines: list[str] = []
    for strategy in world.strategies():
        lines += ["", f"STRATEGY  {strategy.name}"]
        lines += wrap(strategy.vision, 2, "Vision:  ")
        lines += wrap(strategy.mission, 2, "Mission: ")
        for choice in strategy.choices.values():
            retired = " (retired)" if choice.retired else ""
            lead = f"{labels[choice.id]:<3} {label(choice.kind):<13} "
            lines.append(f"  {lead}{clip(choice.statement + retired, WIDTH - 2 - len(lead))}")
    return lines


# -- teams in tree order -------------------------------------------------------------


def tree_order(world: World) -> list[Team]:
    """Every unit, depth first from the company down, siblings by name."""
    known = {t.id for t in world.teams()}
    children: dict[UUID | None, list[Team]] = {}
    for team in world.teams():
        parent = team.parent_id if team.parent_id in known else None
        children.setdefault(parent, []).append(team)

    def below(parent: UUID | None) -> Iterator[Team]:
        for team in sorted(children.get(parent, []), key=lambda t: t.name):
            yield team
            yield from below(team.id)

    return list(below(None))


def breadcrumb(world: World, team: Team) -> str:
    """The names of the units above ``team``, top first."""
    names: list[str] = []
    parent = world.get(Team, team.parent_id) if team.parent_id else None
    while parent is not None and parent.name not in names:
        names.insert(0, parent.name)
        parent = world.get(Team, parent.parent_id) if parent.parent_id else None
    return " > ".join(names)


def ranked(world: World, team: Team, cycle: Cycle) -> list[tuple[str, Objective]]:
    """The team's objectives in priority order, ranked; any outside the order (the
    dropped ones) follow, marked with a dash."""
    objectives = {o.id: o for o in world.objectives(cycle.id, team.id)}
    priorities = world.priorities(team.id, cycle.id)
    order = [i for i in (priorities.order if priorities else []) if i in objectives]
    rest = [i for i in objectives if i not in order]
    return [(f"{n}.", objectives[i]) for n, i in enumerate(order, start=1)] + [
        ("-", objectives[i]) for i in rest
    ]


def team_section(world: World, team: Team, cycle: Cycle, labels: Labels) -> list[str]:
    objectives = ranked(world, team, cycle)
    initiatives = [i for i in world.initiatives(cycle.id) if i.team_id == team.id]
    if not objectives and not initiatives:
        return []
    above = breadcrumb(world, team)
    lines = ["", f"{team.name.upper()}  ({team.level}{' in ' + above if above else ''})"]
    for rank, objective in objectives:
        lines += objective_block(world, objective, rank, labels)
    if initiatives:
        lines += ["", "  Initiatives"]
        for initiative in initiatives:
            lines += initiative_lines(initiative)
    return lines


# -- objectives and key results ------------------------------------------------------


def objective_block(world: World, objective: Objective, rank: str, labels: Labels) -> list[str]:
    key_results = world.key_results(objective.id)
    cycle = world.get(Cycle, objective.cycle_id)
    ends_on = cycle.ends_on if cycle else None
    reflection = objective.reflection
    status = objective.status.upper() if objective.status == DROPPED else objective.status
    facts = (
        objective.commitment,
        f"owner {objective.owner}",
        status,
        f"score {score(score_objective(key_results, ends_on=ends_on))}",
        f"outcome {label(reflection.outcome)}" if reflection else None,
    )
    lines = ["", *wrap(objective.statement, 2, f"{rank:<3} ")]
    lines += flow(facts, 6)
    lines += flow(links(world, objective, labels), 6)
    for kr in key_results:
        lines += key_result_lines(kr, ends_on)
    return lines


def links(world: World, objective: Objective, labels: Labels) -> list[str]:
    serves = ", ".join(labels.get(c, "?") for c in objective.choice_links)
    parents = [parent_name(world, i, kind) for i, kind in objective.parents.items()]
    return [f"serves {serves or 'no strategic choice'}", *(f"aligned to {p}" for p in parents)]


def parent_name(world: World, ident: UUID, kind: str) -> str:
    parent = world.get(Objective if kind == "objective" else KeyResult, ident)
    what = "objective" if kind == "objective" else "KR"
    return f'{what} "{parent.statement}"' if parent else f"{what} {ident}"


def key_result_lines(kr: KeyResult, ends_on: date | None) -> list[str]:
    dropped = "  [DROPPED]" if not kr.is_live else ""
    lines = wrap(kr.statement + dropped, 6, "- ")
    lines += flow(key_result_facts(kr, ends_on), 8)
    if kr.override is not None:
        lines += wrap(f"{kr.override.reason} ({kr.override.actor})", 8, "override: ")
    return lines


def key_result_facts(kr: KeyResult, ends_on: date | None) -> list[str | None]:
    result = score_key_result(kr, ends_on=ends_on)
    scored = f"score {score(result.computed)}"
    if result.override is not None:
        scored += f" → {score(result.override)} (override)"
    return [
        f"{kr.kind} {aim(kr)}",
        latest_value(kr),
        scored,
        f"weight {number(kr.weight)}" if kr.weight != 1 else None,
        kr.classification if kr.classification != "committed" else None,
    ]


def aim(kr: KeyResult) -> str:
    """What the key result aims at, in its own unit, and by when."""
    unit = f" {kr.unit}" if kr.unit else ""
    deadline = f" by {kr.aim.deadline.isoformat()}" if kr.aim.deadline else " (no deadline)"
    if kr.kind == BAND:
        return f"{number(kr.aim.band_low)}-{number(kr.aim.band_high)}{unit}{deadline}"
    if kr.kind == MILESTONE:
        return deadline.strip()
    if kr.kind == BASELINE:
        first = kr.current_check_ins()
        measured = f"first measured {number(first[0].value)}" if first else "not yet measured"
        return f"{measured}{unit}{deadline}"
    return f"{number(kr.aim.baseline)} → {number(kr.aim.target)}{unit}{deadline}"


def latest_value(kr: KeyResult) -> str:
    """The latest check-in's value and confidence."""
    latest = kr.latest_check_in()
    if latest is None:
        return "no check-in yet"
    value = number(latest.value)
    if kr.kind == MILESTONE:
        value = "reached" if latest.value >= 1 else "not reached"
    return f"latest {value} ({label(latest.confidence)})"


# -- initiatives ---------------------------------------------------------------------


def initiative_lines(initiative: Initiative) -> list[str]:
    facts = (
        initiative.status,
        label(initiative.health) if initiative.status == "active" else None,
        priority_text(initiative),
        allocation_text(initiative),
    )
    return [*wrap(initiative.title, 4, "- "), *flow(facts, 6)]


def priority_text(initiative: Initiative) -> str | None:
    priority = initiative.priority
    if priority is None:
        return None
    if priority.method == "moscow":
        return f"MoSCoW {priority.moscow}"
    return f"RICE {number(priority.rice_score)}"


def allocation_text(initiative: Initiative) -> str | None:
    allocation = initiative.allocation
    if allocation is None:
        return None
    return f"{number(allocation.people)} FTE, {money(allocation.money, allocation.currency)}"


# -- KPIs, dependencies, decisions ---------------------------------------------------


def kpi_section(world: World) -> list[str]:
    lines = ["", "KPI HEALTH"]
    for kpi in world.kpis():
        lines += kpi_lines(world, kpi)
    return lines if len(lines) > 2 else [*lines, "  (no KPIs)"]


def kpi_lines(world: World, kpi: Kpi) -> list[str]:
    team = world.get(Team, kpi.team_id)
    name = f"{kpi.name} ({team.name if team else '?'})"
    better = "≥" if kpi.bands.direction == HIGHER_IS_BETTER else "≤"
    bands = (
        f"healthy {better} {number(kpi.bands.healthy)}, "
        f"warning {better} {number(kpi.bands.warning)}"
    )
    return flow((kpi_reading(kpi), bands), 2, f"{clip(name, 40):<41}")


def kpi_reading(kpi: Kpi) -> str:
    """The latest value and its health, and where the measurements started."""
    latest = kpi.latest()
    if latest is None:
        return "not measured"
    first = min(kpi.measurements, key=lambda m: (m.effective_at, m.recorded_at))
    unit = f" {kpi.unit}" if kpi.unit else ""
    since = f" (from {number(first.value)})" if first is not latest else ""
    return f"{number(latest.value)}{unit} {(kpi.health or '-').upper()}{since}"


def dependency_section(world: World, cycle: Cycle) -> list[str]:
    found = [d for d in world.all(Dependency) if d.cycle_id == cycle.id]
    lines = ["", "DEPENDENCIES"]
    for dependency in sorted(found, key=lambda d: (not d.is_open, d.created_on)):
        lines += dependency_lines(world, dependency)
    return lines if found else [*lines, "  (none)"]


def dependency_lines(world: World, dependency: Dependency) -> list[str]:
    state = f"open: {label(dependency.status)}" if dependency.is_open else "resolved"
    source = ref(world, dependency.from_team_id, dependency.from_kind, dependency.from_id)
    target = ref(world, dependency.on_team_id, dependency.on_kind, dependency.on_id)
    needed = f" by {dependency.needed_by.isoformat()}" if dependency.needed_by else ""
    lines = wrap(f"{source} needs {target}{needed}", 2, f"[{state}] ")
    return lines + wrap(dependency.description, 4)


def ref(world: World, team_id: UUID, kind: str | None, ident: UUID | None) -> str:
    team = world.get(Team, team_id)
    team_name = team.name if team else str(team_id)
    if kind is None or ident is None:
        return team_name
    item = world.get(Objective if kind == "objective" else KeyResult, ident)
    what = "objective" if kind == "objective" else "KR"
    return f'{team_name} {what} "{clip(item.statement, 48) if item else ident}"'


def decision_section(world: World, cycle: Cycle, labels: Labels) -> list[str]:
    found = [d for d in world.all(Decision) if d.cycle_id == cycle.id]
    lines = ["", "DECISIONS"]
    for decision in sorted(found, key=lambda d: d.created_on):
        lines += decision_lines(decision, labels)
    return lines if found else [*lines, "  (none)"]


def decision_lines(decision: Decision, labels: Labels) -> list[str]:
    when = decision.created_on.date().isoformat()
    serves = ", ".join(labels.get(c, "?") for c in decision.choice_ids)
    lines = flow((decision.forum, label(decision.decision_type)), 2, f"{when}  ")
    lines += wrap(decision.summary, 14)
    lines += flow((f"serves {serves}" if serves else None, affects(decision)), 14)
    return lines + wrap(", ".join(decision.decided_by), 14, "decided by ")


def affects(decision: Decision) -> str:
    return f"affects {plural(len(decision.affects), 'item')}"


def footer(ledger: Ledger, world: World) -> list[str]:
    checkpoint = ledger.chained_recorder.select_checkpoint(None)
    return [
        "",
        RULE,
        f"Replayed to log position {world.position}; log head {ledger.head_position()}",
        f"Latest signed checkpoint: tree size {checkpoint.size}, root "
        f"{base64.b64encode(checkpoint.root_hash).decode()}"
        if checkpoint
        else "No signed checkpoint yet (okr-ledger checkpoint signs one)",
    ]


# -- the report ----------------------------------------------------------------------


def sections(ledger: Ledger, world: World, cycle: Cycle) -> Iterator[list[str]]:
    labels = choice_labels(world)
    yield header(cycle)
    yield strategy_section(world, labels)
    for team in tree_order(world):
        yield team_section(world, team, cycle, labels)
    yield kpi_section(world)
    yield dependency_section(world, cycle)
    yield decision_section(world, cycle, labels)
    yield footer(ledger, world)


def render_cycle(ledger: Ledger, cycle_key: str, *, until: datetime | None = None) -> str:
    """The cycle's state as plain text, replayed from the log (only the events recorded
    by ``until``, if given)."""
    world = replay(ledger, until=until)
    cycle = world.cycle_by_key(cycle_key)
    if cycle is None:
        when = f" by {until.isoformat()}" if until else ""
        raise click.ClickException(f"no cycle with key {cycle_key!r} in the ledger{when}")
    return "\n".join(line for block in sections(ledger, world, cycle) for line in block)
