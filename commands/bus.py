"""The command bus: builds the metadata, runs one handler in a unit of work, saves
everything the command changed in one transaction, and keeps retries idempotent."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from commands.errors import Forbidden, IdempotencyKeyReused, UnknownCommand
from commands.messages import Command
from commands.principals import EDITOR, Principal
from ledger.application import Ledger, not_found
from ledger.base import LedgerAggregate
from ledger.cycle import Cycle
from ledger.decision import Decision
from ledger.exceptions import NotFound, RuleViolation, VersionConflict
from ledger.meta import Meta, utc_now
from ledger.receipt import Receipt

A = TypeVar("A", bound=LedgerAggregate)
C = TypeVar("C", bound=Command)
Handler = Callable[[Any, "Unit"], None]
Handlers = Mapping[type[Command], Handler]
"""The handler of each command the bus runs (``commands.handlers.table()``)."""

MAX_ATTEMPTS = 32
"""Attempts for a command that names no expected version and meets a concurrent
writer: it is re-run on fresh state after a random pause that doubles each time (at most
50 ms, so at most about 1.5 s in all), so no update is lost even when many writers hit
one key result on a loaded machine (twelve attempts were seen to run out there)."""


def handles(
    command_type: type[C],
) -> Callable[[Callable[[C, Unit], None]], Callable[[C, Unit], None]]:
    """Mark a function as the handler of ``command_type`` (it registers nothing: the
    table is gathered from the handler modules where the bus is built)."""

    def mark(func: Callable[[C, Unit], None]) -> Callable[[C, Unit], None]:
        func.handles = command_type  # type: ignore[attr-defined]
        return func

    return mark


def handled_by(func: object) -> type[Command] | None:
    """The command ``func`` is marked to handle (``@handles``), if any."""
    found = getattr(func, "handles", None)
    return found if isinstance(found, type) and issubclass(found, Command) else None


@dataclass(frozen=True)
class Outcome:
    """What a command did: the ids it touched with their new versions, and the log
    position its events reached (ask a read model to be at least that fresh)."""

    command: str
    correlation_id: UUID
    position: int
    versions: dict[UUID, int]
    created_id: UUID | None = None
    leaf_indexes: tuple[int, ...] = ()
    """the transparency log's leaf index of each of its events, in log order"""
    command_id: str | None = None
    replayed: bool = False
    """True when this answers a retry with the original outcome."""

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "correlation_id": str(self.correlation_id),
            "position": self.position,
            "leaf_indexes": list(self.leaf_indexes),
            "versions": {str(k): v for k, v in self.versions.items()},
            "id": str(self.created_id) if self.created_id else None,
            "command_id": self.command_id,
            "replayed": self.replayed,
        }


class Unit:
    """The unit of work of one command: what it read, what it changed, who acts."""

    def __init__(
        self, ledger: Ledger, principal: Principal, meta: Meta, expected_version: int | None
    ) -> None:
        self.ledger = ledger
        self.principal = principal
        self.meta = meta
        self.expected_version = expected_version
        self.created_id: UUID | None = None
        self._loaded: dict[UUID, LedgerAggregate] = {}
        self._new: list[LedgerAggregate] = []

    def get(self, cls: type[A], ident: UUID, *, field: str | None = None) -> A:
        """Load an aggregate once per command; later gets return the same object.

        An aggregate of a cycle is read together with its cycle (one round trip), as
        nearly every act on it checks the cycle.
        """
        if ident not in self._loaded:
            cycle_id = getattr(self.ledger.peek(ident), "cycle_id", None)
            self.load([ident] if cycle_id is None else [ident, cycle_id])
        aggregate = self._loaded.get(ident)
        if not isinstance(aggregate, cls):
            raise not_found(cls, ident, field)
        return aggregate

    def load(self, idents: Sequence[UUID]) -> None:
        """Read the aggregates not loaded yet in one round trip (missing ones are skipped)."""
        wanted = [ident for ident in idents if ident not in self._loaded]
        if wanted:
            for found_id, found in self.ledger.get_many(wanted).items():
                self._loaded.setdefault(found_id, found)

    def find(self, cls: type[A], ident: UUID) -> A | None:
        """Like ``get`` (the same object for the rest of the command), or None."""
        try:
            return self.get(cls, ident)
        except NotFound:
            return None

    def target(self, cls: type[A], ident: UUID, *, field: str | None = None) -> A:
        """The aggregate the command acts on, checked against the expected version."""
        aggregate = self.get(cls, ident, field=field)
        expected = self.expected_version
        if expected is not None and aggregate.version != expected:
            raise VersionConflict(ident, expected, aggregate.version)
        return aggregate

    def cycle(self, ident: UUID, *, field: str | None = "cycle_id") -> Cycle:
        return self.get(Cycle, ident, field=field)

    def add(self, aggregate: LedgerAggregate, *, created: bool = False) -> None:
        self._new.append(aggregate)
        self._loaded[aggregate.id] = aggregate
        if created and self.created_id is None:
            self.created_id = aggregate.id

    def changed(self) -> list[LedgerAggregate]:
        seen: dict[UUID, LedgerAggregate] = {}
        for aggregate in [*self._new, *self._loaded.values()]:
            if aggregate.pending_events:
                seen.setdefault(aggregate.id, aggregate)
        return list(seen.values())

    # -- permissions -------------------------------------------------------------------

    def require_admin(self, act: str) -> None:
        if not self.principal.is_admin:
            raise Forbidden(f"only an admin may {act}")

    def require_team(self, team_id: UUID, act: str) -> None:
        """Admins write everywhere; editors for their teams and the teams below them."""
        if self.principal.is_admin:
            return
        if self.principal.role == EDITOR:
            scope = {team_id, *self.ledger.team_ancestors(team_id)}
            if scope & self.principal.teams:
                return
        raise Forbidden(
            f"{self.principal.name} ({self.principal.role}) may not {act} for this team"
        )


def fingerprint(command: Command) -> str:
    body = json.dumps(
        {"type": type(command).__name__, **asdict(command)}, sort_keys=True, default=str
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class CommandBus:
    ledger: Ledger
    handlers: Handlers
    clock: Callable[[], datetime] = field(default=utc_now)

    def handle(
        self, command: Command, principal: Principal, *, command_id: str | None = None
    ) -> Outcome:
        handler = self.handlers.get(type(command))
        if handler is None:
            raise UnknownCommand(f"no handler for {type(command).__name__}")
        digest = fingerprint(command) if command_id else ""
        if command_id:
            prior = self._prior_outcome(principal, command_id, digest)
            if prior:
                return prior
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return self._attempt(handler, command, principal, command_id, digest)
            except VersionConflict:
                if command_id:
                    prior = self._prior_outcome(principal, command_id, digest)
                    if prior:
                        return prior
                if command.expected_version is not None or attempt == MAX_ATTEMPTS:
                    raise
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self,
        handler: Handler,
        command: Command,
        principal: Principal,
        command_id: str | None,
        digest: str,
    ) -> Outcome:
        now = self.clock()
        meta = Meta(
            actor=principal.name,
            recorded_at=now,
            effective_at=command.effective_at or now,
            correlation_id=uuid4(),
            command_id=command_id,
            reason=(command.reason or "").strip() or None,
            decision_id=command.decision_id,
        )
        unit = Unit(self.ledger, principal, meta, command.expected_version)
        if command.decision_id is not None:
            unit.get(Decision, command.decision_id, field="decision_id")
        handler(command, unit)
        changed = unit.changed()
        if not changed:
            raise RuleViolation("no_change", "the command changes nothing")
        versions = {a.id: a.version for a in changed}
        receipt = None
        if command_id:
            receipt = Receipt.issue(
                command_type=type(command).__name__,
                fingerprint=digest,
                versions=versions,
                created_id=unit.created_id,
                meta=meta,
            )
        recordings = self.ledger.save(*changed, receipt)
        positions = sorted(r.notification.id for r in recordings)
        return Outcome(
            command=type(command).__name__,
            correlation_id=meta.correlation_id,
            position=positions[-1],
            leaf_indexes=self.ledger.leaf_indexes(positions),
            versions=versions,
            created_id=unit.created_id,
            command_id=command_id,
        )

    def _prior_outcome(self, principal: Principal, command_id: str, digest: str) -> Outcome | None:
        receipt = self.ledger.find(Receipt, Receipt.id_for(principal.name, command_id))
        if receipt is None:
            return None
        if receipt.fingerprint != digest:
            raise IdempotencyKeyReused(command_id)
        position = self.ledger.position_of(receipt.id, 1) or 0
        return Outcome(
            command=receipt.command_type,
            correlation_id=receipt.correlation_id,
            position=position,
            leaf_indexes=self.ledger.leaf_indexes(
                [
                    *self.ledger.positions_of_command(receipt.versions, receipt.correlation_id),
                    position,
                ]
            ),
            versions=dict(receipt.versions),
            created_id=receipt.created_id,
            command_id=command_id,
            replayed=True,
        )
