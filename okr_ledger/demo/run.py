"""The demo's moving parts: a simulated clock and the state of a scenario being played."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from commands import messages as m
from commands.bus import CommandBus, Outcome
from commands.principals import ADMIN, EDITOR, Principal
from ledger.strategy import Strategy
from ledger.team import Team
from okr_ledger.scenario import northbridge as scenario
from okr_ledger.scenario.northbridge import CYCLE_KEY, TEAMS

DIRECTOR = Principal(scenario.ADMIN_LOGIN, ADMIN)


class SimulatedClock:
    """The bus's clock during the demo: moved forward by the scenario, never back,
    and never past the calendar's latest instant."""

    def __init__(self, start: datetime, latest: datetime = scenario.CALENDAR.latest) -> None:
        self.now = start
        self.latest = latest

    def __call__(self) -> datetime:
        return self.now

    def at(self, when: datetime) -> None:
        if when < self.now:
            raise ValueError(f"the demo clock cannot go back from {self.now} to {when}")
        if when > self.latest:
            raise ValueError(f"the demo clock cannot run past {self.latest}")
        self.now = when

    def tick(self, minutes: int = 1) -> None:
        self.at(self.now + timedelta(minutes=minutes))


@dataclass
class Run:
    """The scenario's state: the bus, the clock, who acts, and the ids created."""

    bus: CommandBus
    clock: SimulatedClock
    values: dict[str, list[Decimal]]
    """Every key result's and the KPI's weekly values."""
    ids: dict[str, UUID] = field(default_factory=dict)
    targets: dict[str, Decimal] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)
    check_ins: dict[tuple[str, int], UUID] = field(default_factory=dict)
    initiative_teams: dict[str, str] = field(default_factory=dict)
    commands: int = 0

    admin: Principal = DIRECTOR

    def editor(self, team_key: str) -> Principal:
        """The team's editor, who may write for that team only."""
        login = TEAMS[team_key].editor or ""
        return Principal(login, EDITOR, frozenset({Team.id_for(team_key)}))

    def do(self, command: m.Command, principal: Principal) -> Outcome:
        outcome = self.bus.handle(command, principal)
        self.commands += 1
        self.clock.tick()
        return outcome

    def create(self, key: str, command: m.Command, principal: Principal) -> UUID:
        """Issue a command that creates something and remember its id under ``key``."""
        created = self.do(command, principal).created_id
        if created is None:
            raise RuntimeError(f"{type(command).__name__} for {key} created nothing")
        self.ids[key] = created
        return created

    @property
    def cycle_id(self) -> UUID:
        return self.ids[CYCLE_KEY]

    @property
    def strategy_id(self) -> UUID:
        return Strategy.id_for(scenario.STRATEGY_KEY)

    def choice(self, key: str) -> UUID:
        return Strategy.choice_id_for(scenario.STRATEGY_KEY, key)
