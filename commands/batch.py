"""Many commands as one write: each runs through its own handler with its own metadata
(correlation id, command id, reason), all against one shared view of the ledger, and
everything they change is saved in one transaction, or nothing is.

A dry run stops before the save: it runs the very handlers the write runs, so it names
exactly the events the write would append, and refuses exactly what the write would
refuse.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from commands.bus import CommandBus, Unit
from commands.errors import UnknownCommand
from commands.messages import Command
from commands.principals import Principal
from ledger.application import Ledger
from ledger.base import LedgerAggregate
from ledger.decision import Decision
from ledger.exceptions import LedgerError, RuleViolation
from ledger.meta import Meta


@dataclass(frozen=True)
class Step:
    """One command of a batch, with where it came from (for errors and reports)."""

    command: Command
    command_id: str | None = None
    source: object = None
    """What the caller needs to name this step in an error (a spreadsheet row, say)."""


@dataclass(frozen=True)
class StepResult:
    step: Step
    correlation_id: UUID
    events: tuple[str, ...]
    """``Aggregate.Event`` names of the events this step appends, in order."""
    versions: dict[UUID, int]
    created_id: UUID | None


@dataclass
class BatchOutcome:
    results: list[StepResult] = field(default_factory=list)
    position: int | None = None
    """The log position the write reached (None for a dry run or an empty batch)."""

    @property
    def event_count(self) -> int:
        return sum(len(r.events) for r in self.results)


class _Seen(dict[UUID, LedgerAggregate]):
    """The batch's aggregates, noting which ones the current step reads or adds (so
    finding a step's events costs what the step touched, not the whole batch)."""

    def __init__(self) -> None:
        super().__init__()
        self.touched: set[UUID] = set()

    def get(self, key: UUID, default: object = None) -> Any:  # type: ignore[override]
        self.touched.add(key)
        return super().get(key, default)

    def __getitem__(self, key: UUID) -> LedgerAggregate:
        self.touched.add(key)
        return super().__getitem__(key)

    def __setitem__(self, key: UUID, value: LedgerAggregate) -> None:
        self.touched.add(key)
        super().__setitem__(key, value)

    def setdefault(self, key: UUID, default: Any = None) -> Any:
        self.touched.add(key)
        return super().setdefault(key, default)


class StepFailed(LedgerError):
    """A step of a batch was refused; nothing of the batch was written."""

    def __init__(self, step: Step, error: LedgerError) -> None:
        super().__init__(error.message, field=error.field)
        self.rule = error.rule
        self.step = step
        self.error = error


class _Ledger:
    """The ledger as a batch's handlers see it: ids the caller found absent a moment ago
    are not looked up again (one created meanwhile makes the save fail, as it must)."""

    def __init__(self, ledger: Ledger, absent: Set[UUID]) -> None:
        self._ledger = ledger
        self._absent = absent

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)

    def get_many(self, idents: Sequence[UUID]) -> dict[UUID, LedgerAggregate]:
        wanted = [i for i in idents if i not in self._absent]
        return self._ledger.get_many(wanted) if wanted else {}


def run_batch(
    bus: CommandBus,
    steps: Sequence[Step],
    principal: Principal,
    *,
    write: bool = True,
    absent: Set[UUID] = frozenset(),
) -> BatchOutcome:
    """Run ``steps`` in order; save all their events at once when ``write``.

    A concurrent writer that touched one of the aggregates first surfaces as
    ``VersionConflict`` from the save, and nothing is written.
    """
    loaded = _Seen()
    pending: dict[UUID, int] = {}
    """Pending events per aggregate before the current step."""
    created: list[LedgerAggregate] = []
    outcome = BatchOutcome()
    ledger = _Ledger(bus.ledger, absent)
    now = bus.clock()
    for step in steps:
        command = step.command
        handler = bus.handlers.get(type(command))
        if handler is None:
            raise UnknownCommand(f"no handler for {type(command).__name__}")
        meta = Meta(
            actor=principal.name,
            recorded_at=now,
            effective_at=command.effective_at or now,
            correlation_id=uuid4(),
            command_id=step.command_id,
            reason=(command.reason or "").strip() or None,
            decision_id=command.decision_id,
        )
        unit = Unit(ledger, principal, meta, command.expected_version)  # type: ignore[arg-type]
        unit._loaded = loaded  # one view of the ledger for the whole batch
        unit._new = created
        loaded.touched = set()
        try:
            if command.decision_id is not None:
                unit.get(Decision, command.decision_id, field="decision_id")
            handler(command, unit)
        except LedgerError as error:
            raise StepFailed(step, error) from None
        events: list[str] = []
        versions: dict[UUID, int] = {}
        for ident in sorted(loaded.touched & loaded.keys()):
            aggregate = dict.__getitem__(loaded, ident)
            fresh = aggregate.pending_events[pending.get(ident, 0) :]
            pending[ident] = len(aggregate.pending_events)
            if fresh:
                versions[ident] = aggregate.version
                events.extend(f"{type(aggregate).__name__}.{type(e).__name__}" for e in fresh)
        if not events:
            raise StepFailed(step, RuleViolation("no_change", "the command changes nothing"))
        outcome.results.append(
            StepResult(step, meta.correlation_id, tuple(events), versions, unit.created_id)
        )
    changed = [a for a in loaded.values() if a.pending_events]
    if write and changed:
        recordings = bus.ledger.save(*changed)
        outcome.position = max(r.notification.id for r in recordings)
    return outcome
