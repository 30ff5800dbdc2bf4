"""The ledger application: one append-only log of every OKR act, each event a leaf of
the transparency log's Merkle tree."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording
from eventsourcing.utils import Environment, EnvType

from ledger.base import LedgerAggregate
from ledger.cache import AggregateCache
from ledger.exceptions import NotFound, VersionConflict
from ledger.key_result import KeyResult
from ledger.meta import DateAsISO, MetaAsDict
from ledger.objective import Objective
from ledger.persistence.url import environment_for
from ledger.team import Team
from ledger.tlog.audit import Kept, Verification, verify_log
from ledger.tlog.store import LogStore

A = TypeVar("A", bound=LedgerAggregate)

KIND_NAMES = {
    "Strategy": "strategy",
    "Team": "team",
    "Cycle": "cycle",
    "Objective": "objective",
    "KeyResult": "key result",
    "Initiative": "initiative",
    "Dependency": "dependency",
    "Kpi": "KPI",
    "Decision": "decision",
    "Priorities": "priorities",
    "Receipt": "receipt",
    "Principal": "principal",
    "ApiToken": "API token",
    "Subscription": "webhook subscription",
    "LedgerAggregate": "record",
}


def not_found(cls: type, ident: UUID, field: str | None = None) -> NotFound:
    """The error for an aggregate of type ``cls`` that is not in the ledger."""
    return NotFound(KIND_NAMES.get(cls.__name__, cls.__name__.lower()), ident, field=field)


class Ledger(Application[UUID]):
    """Get → act → save; the aggregates check the rules, ``save`` appends the events."""

    name = "OKRLedger"

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        self.cache = AggregateCache()

    @classmethod
    def from_url(cls, url: str, **settings: str) -> Ledger:
        return cls(env={**environment_for(url), **settings})

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Configuration comes only from what the composition root passes in,
        # never from stray process environment variables.
        return Environment(name, {**type(self).env, **(dict(env) if env else {})})

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(MetaAsDict())
        transcoder.register(DateAsISO())

    # -- reading aggregates ----------------------------------------------------------

    def get(
        self, cls: type[A], ident: UUID, *, version: int | None = None, field: str | None = None
    ) -> A:
        """The aggregate of type ``cls`` (at ``version``), or ``NotFound``."""
        if version is None:
            found = self.get_many([ident]).get(ident)
        else:
            try:
                found = self.repository.get(ident, version=version)
            except AggregateNotFoundError:
                found = None
        if not isinstance(found, cls):
            raise not_found(cls, ident, field)
        return found

    def get_many(self, idents: Sequence[UUID]) -> dict[UUID, LedgerAggregate]:
        """The current state of several aggregates, read in one round trip: cached ones
        are brought up to date, the others rebuilt from all their events."""
        bases = {ident: self.cache.peek(ident) for ident in dict.fromkeys(idents)}
        after = [(ident, base.version if base else 0) for ident, base in bases.items()]
        newer: dict[UUID, list[Any]] = {}
        for stored in self.chained_recorder.select_events_after(after):
            newer.setdefault(stored.originator_id, []).append(stored)
        found: dict[UUID, LedgerAggregate] = {}
        for ident, base in bases.items():
            aggregate = copy.deepcopy(base)
            for stored in newer.get(ident, ()):
                aggregate = self.mapper.to_domain_event(stored).mutate(aggregate)  # type: ignore[attr-defined]
            if aggregate is not None:
                self.cache.put(aggregate)
                found[ident] = aggregate
        return found

    def peek(self, ident: UUID) -> LedgerAggregate | None:
        """What this process last knew of an aggregate (may be stale; do not change it)."""
        return self.cache.peek(ident)

    def find(self, cls: type[A], ident: UUID) -> A | None:
        try:
            return self.get(cls, ident)
        except NotFound:
            return None

    def history(self, ident: UUID) -> list[LedgerAggregate.Event]:
        return cast(list[LedgerAggregate.Event], list(self.events.get(ident)))

    def team_ancestors(self, team_id: UUID) -> list[UUID]:
        """The units above a team, nearest first."""
        ancestors: list[UUID] = []
        team = self.get(Team, team_id)
        while team.parent_id is not None and team.parent_id not in ancestors:
            ancestors.append(team.parent_id)
            team = self.get(Team, team.parent_id)
        return ancestors

    def objective_ancestors(self, objective_id: UUID) -> set[UUID]:
        """Every objective above this one through its alignments (objective or key
        result parents), to refuse alignment loops."""
        seen: set[UUID] = set()
        frontier = [objective_id]
        while frontier:
            objective = self.get(Objective, frontier.pop())
            for parent_id, kind in objective.parents.items():
                above = (
                    parent_id
                    if kind == "objective"
                    else self.get(KeyResult, parent_id).objective_id
                )
                if above not in seen:
                    seen.add(above)
                    frontier.append(above)
        return seen

    # -- writing ---------------------------------------------------------------------

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Append the pending events of ``objs`` atomically (or not at all).

        A concurrent writer that got there first surfaces as ``VersionConflict``.
        """
        aggregates = [o for o in objs if isinstance(o, LedgerAggregate)]
        firsts = {
            a.id: a.pending_events[0].originator_version for a in aggregates if a.pending_events
        }
        try:
            recordings = super().save(*objs, **kwargs)
        except IntegrityError:
            for ident, first in firsts.items():
                current = self._current_version(ident)
                if current >= first:
                    raise VersionConflict(ident, first - 1, current) from None
            raise
        for aggregate in aggregates:
            self.cache.put(aggregate)
        return recordings

    def _current_version(self, ident: UUID) -> int:
        last = list(self.events.get(ident, desc=True, limit=1))
        return last[0].originator_version if last else 0

    # -- the log ---------------------------------------------------------------------

    @property
    def chained_recorder(self) -> LogStore:
        """The recorder, with what the transparency log and the read side need of it."""
        return cast(LogStore, self.recorder)

    def position_of(self, ident: UUID, version: int) -> int | None:
        """The log position of one stored event."""
        return self.chained_recorder.position_of(ident, version)

    def positions_of(self, ident: UUID) -> dict[int, int]:
        """Version → log position, for every stored event of one aggregate."""
        return self.chained_recorder.positions_of(ident)

    def leaf_indexes(self, positions: Sequence[int]) -> tuple[int, ...]:
        """The transparency log's leaf index of each stored event at these positions,
        in log order (written in the same transaction as the events)."""
        recent = getattr(self.recorder, "recent_leaves", dict)()  # this thread's append
        if all(p in recent for p in positions):
            return tuple(sorted(recent[p] for p in positions))
        leaves = self.chained_recorder.leaves_of(list(positions))
        return tuple(sorted(leaf.index for leaf in leaves.values()))

    def positions_of_command(self, versions: dict[UUID, int], correlation_id: UUID) -> list[int]:
        """The positions of the events one command wrote (its correlation id) among the
        aggregates it touched, up to the versions it reached."""
        found = []
        for ident, version in versions.items():
            positions = self.positions_of(ident)
            for event in self.events.get(ident, lte=version, desc=True):
                if event.meta.correlation_id != correlation_id:  # type: ignore[attr-defined]
                    break
                found.append(positions[event.originator_version])
        return sorted(found)

    def version_at(self, ident: UUID, instant: datetime) -> int | None:
        """The version an aggregate had reached by ``instant`` (recorded time)."""
        version = None
        for event in self.events.get(ident):
            if event.timestamp > instant:
                break
            version = event.originator_version
        return version

    def head_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def verify(self, kept: Kept | None = None) -> Verification:
        """Recompute every leaf, node and checkpoint root (signatures are checked by
        ``services.transparency.verify``, which holds the key)."""
        return verify_log(self.chained_recorder, kept=kept)

    def read(
        self, after: int = 0, limit: int = 1000, topics: Sequence[str] = ()
    ) -> Sequence[tuple[int, Any]]:
        """Decoded events after log position ``after`` with their positions (only those
        of the given topics, if any)."""
        notifications = self.recorder.select_notifications(
            after, limit, topics=topics, inclusive_of_start=False
        )
        return [(n.id, self.mapper.to_domain_event(n)) for n in notifications]
