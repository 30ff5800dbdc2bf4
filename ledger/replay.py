"""Deterministic replay: every aggregate rebuilt from a prefix of the log.

``replay(ledger, until_position=N)`` answers "what did the ledger hold after N
events", ``until=T`` "what had been recorded by T". Both feed the same aggregate
code the live write path uses, so replayed state equals live state by construction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from ledger.base import LedgerAggregate
from ledger.cycle import Cycle
from ledger.initiative import Initiative
from ledger.key_result import KeyResult
from ledger.kpi import Kpi
from ledger.objective import Objective
from ledger.priorities import Priorities
from ledger.strategy import Strategy
from ledger.team import Team

A = TypeVar("A", bound=LedgerAggregate)


class World:
    """All aggregates as of some point of the log."""

    def __init__(self) -> None:
        self.aggregates: dict[UUID, LedgerAggregate] = {}
        self.position = 0
        self._held_back: set[UUID] = set()

    def apply(self, position: int, event: Any) -> None:
        current = self.aggregates.get(event.originator_id)
        self.aggregates[event.originator_id] = event.mutate(current)
        self.position = position

    def hold_back(self, event: Any) -> None:
        """Leave out an event, and every later event of its aggregate."""
        self._held_back.add(event.originator_id)

    def is_held_back(self, event: Any) -> bool:
        return event.originator_id in self._held_back

    def all(self, cls: type[A]) -> list[A]:
        return [a for a in self.aggregates.values() if isinstance(a, cls)]

    def get(self, cls: type[A], ident: UUID) -> A | None:
        aggregate = self.aggregates.get(ident)
        return aggregate if isinstance(aggregate, cls) else None

    # -- the questions replay answers --------------------------------------------------

    def cycle_by_key(self, key: str) -> Cycle | None:
        return self.get(Cycle, Cycle.id_for(key))

    def teams(self) -> list[Team]:
        return sorted(self.all(Team), key=lambda t: (t.level != "company", t.key))

    def strategies(self) -> list[Strategy]:
        return self.all(Strategy)

    def objectives(self, cycle_id: UUID, team_id: UUID | None = None) -> list[Objective]:
        found = [
            o
            for o in self.all(Objective)
            if o.cycle_id == cycle_id and (team_id is None or o.team_id == team_id)
        ]
        return sorted(found, key=lambda o: (o.created_on, str(o.id)))

    def key_results(self, objective_id: UUID) -> list[KeyResult]:
        found = [k for k in self.all(KeyResult) if k.objective_id == objective_id]
        return sorted(found, key=lambda k: (k.created_on, str(k.id)))

    def initiatives(self, cycle_id: UUID) -> list[Initiative]:
        found = [i for i in self.all(Initiative) if i.cycle_id == cycle_id]
        return sorted(found, key=lambda i: (i.created_on, str(i.id)))

    def kpis(self) -> list[Kpi]:
        return sorted(self.all(Kpi), key=lambda k: k.key)

    def priorities(self, team_id: UUID, cycle_id: UUID) -> Priorities | None:
        return self.get(Priorities, Priorities.id_for(team_id, cycle_id))


def replay_events(
    events: Iterable[tuple[int, Any]],
    *,
    until_position: int | None = None,
    until: datetime | None = None,
) -> World:
    world = World()
    for position, event in events:
        if until_position is not None and position > until_position:
            break
        if until is not None and (event.timestamp > until or world.is_held_back(event)):
            world.hold_back(event)
            continue
        world.apply(position, event)
    return world


def read_log(
    ledger: Any, *, batch: int = 1000, topics: tuple[str, ...] = ()
) -> Iterable[tuple[int, Any]]:
    """Every event of the ledger (of the given topics, if any) with its log position,
    in append order."""
    after = 0
    while True:
        page = ledger.read(after, batch, topics)
        yield from page
        if len(page) < batch:
            return
        after = page[-1][0]


def replay(
    ledger: Any, *, until_position: int | None = None, until: datetime | None = None
) -> World:
    return replay_events(read_log(ledger), until_position=until_position, until=until)
