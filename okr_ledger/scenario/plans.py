"""The shapes a scenario is written in: plain, frozen values naming things by key.

A plan refers to what the scenario creates by the key it was created under (an objective's
``"cc-first-contact"``, a decision's ``"decision-retarget"``), never by id: ids exist only
once the demo engine has issued the commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

ONE = Decimal(1)

Path = tuple[tuple[int, float], ...]
"""Waypoints (week, value) the weekly values follow; week 0 is the start."""


@dataclass(frozen=True)
class OrgUnit:
    key: str
    name: str
    level: str
    parent: str | None = None
    editor: str | None = None
    """Login of the team's editor, who writes its objectives and check-ins."""
    check_in_hour: int = 15


@dataclass(frozen=True)
class KeyResultPlan:
    key: str
    statement: str
    kind: str
    owner: str
    path: Path
    """Waypoints (week, value) the weekly check-ins follow; week 0 is the start."""
    baseline: Decimal | None = None
    target: Decimal | None = None
    band: tuple[Decimal, Decimal] | None = None
    unit: str = ""
    deadline: date | None = None
    classification: str = "committed"
    weight: Decimal = ONE
    noise: float = 0.0
    places: int = 1
    steps: bool = False
    """Hold each waypoint's value until the next (counts, milestones)."""


@dataclass(frozen=True)
class ObjectivePlan:
    key: str
    team: str
    statement: str
    owner: str
    commitment: str
    key_results: tuple[KeyResultPlan, ...]
    choices: tuple[str, ...] = ()
    aligned_to: tuple[str, str] | None = None
    """(parent kind, key of an objective or key result planned earlier)."""
    description: str = ""


@dataclass(frozen=True)
class InitiativePlan:
    key: str
    team: str
    title: str
    owner: str
    key_results: tuple[str, ...]
    people: Decimal
    money: Decimal
    moscow: str | None = None
    rice: tuple[Decimal, Decimal, Decimal, Decimal] | None = None
    """Reach, impact, confidence, effort."""
    description: str = ""


@dataclass(frozen=True)
class DependencyPlan:
    key: str
    team: str
    """The team that depends on another and declares it."""
    from_kind: str
    from_key: str
    on_team: str
    on_kind: str
    on_key: str
    description: str
    needed_by: date


@dataclass(frozen=True)
class DependencyStep:
    """An acknowledgement, escalation or resolution of a declared dependency."""

    dependency: str
    action: str
    """``acknowledge``, ``escalate`` or ``resolve``."""
    team: str
    text: str
    """The note (acknowledge, resolve) or the reason (escalate)."""


@dataclass(frozen=True)
class HealthChange:
    initiative: str
    health: str
    note: str


@dataclass(frozen=True)
class Correction:
    """A check-in typed wrongly, corrected with the right value of its week."""

    key_result: str
    week: int
    team: str
    note: str
    """Formatted with ``value``."""
    reason: str


@dataclass(frozen=True)
class Completion:
    initiative: str
    team: str
    note: str


@dataclass(frozen=True)
class DecisionPlan:
    key: str
    decision_type: str
    summary: str
    rationale: str
    affects: tuple[str, ...]
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Reprioritisation:
    team: str
    order: tuple[str, ...]
    reason: str
    decision: str


@dataclass(frozen=True)
class Reallocation:
    initiative: str
    team: str
    people: Decimal
    money: Decimal
    reason: str
    decision: str


@dataclass(frozen=True)
class Stop:
    initiative: str
    team: str
    reason: str
    decision: str


@dataclass(frozen=True)
class Launch:
    """An initiative proposed, prioritised, resourced and started at once."""

    plan: InitiativePlan


@dataclass(frozen=True)
class Retarget:
    key_result: str
    team: str
    target: Decimal
    reason: str
    decision: str


@dataclass(frozen=True)
class Drop:
    key_result: str
    team: str
    reason: str
    decision: str


Act = Reprioritisation | Reallocation | Stop | Launch | Retarget | Drop


@dataclass(frozen=True)
class Review:
    """A review forum: its decisions in the morning, what teams do about them after lunch."""

    forum: str
    decided_by: tuple[str, ...]
    decisions: tuple[DecisionPlan, ...]
    acts_at_hour: int
    acts: tuple[Act, ...]


Happening = DependencyStep | HealthChange | Correction | Review | tuple[Completion, ...]
"""Something that happens between the weekly check-ins."""


class Reflection(NamedTuple):
    outcome: str
    achieved: str
    why: str
    causes: tuple[str, ...]
    carry_forward: str


class Override(NamedTuple):
    key_result: str
    score: Decimal
    reason: str


@dataclass(frozen=True)
class CarryForward:
    """An objective carried into the next cycle with some of its key results."""

    key: str
    objective: str
    team: str
    key_results: tuple[tuple[str, str], ...]
    """(key of the carried key result, key of the key result it continues)."""
    rewordings: tuple[tuple[str, str], ...] = ()
    """(key of a carried key result, its new statement)."""


@dataclass(frozen=True)
class Calendar:
    """When the quarter's one-off acts happen."""

    planning_starts: datetime
    teams_formed: datetime
    cycle_opened: datetime
    objectives_from: date
    """Each team drafts its objectives on a day of its own, from this one, at 10:00."""
    initiatives_proposed: datetime
    kpi_defined: datetime
    dependency_declared: datetime
    cycle_started: datetime
    initiatives_started: datetime
    dependency_acknowledged: datetime
    review_begins: datetime
    score_overridden: datetime
    reflections: datetime
    cycle_closed: datetime
    next_cycle_opened: datetime
    latest: datetime
    """The simulated clock never runs past this instant."""
