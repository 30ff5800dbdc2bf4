"""Dependency: one team's objective or key result depends on another team's."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.base import (
    LedgerAggregate,
    optional_text,
    require_choice,
    require_status,
    require_text,
)
from ledger.exceptions import RuleViolation
from ledger.meta import Meta

if TYPE_CHECKING:
    from ledger.cycle import Cycle

DECLARED, ACKNOWLEDGED, ESCALATED, RESOLVED = "declared", "acknowledged", "escalated", "resolved"
REF_KINDS = ("objective", "key_result")


class Dependency(LedgerAggregate):
    class Declared(LedgerAggregate.Created):
        cycle_id: UUID
        from_team_id: UUID
        from_kind: str
        from_id: UUID
        on_team_id: UUID
        on_kind: str | None
        on_id: UUID | None
        description: str
        needed_by: date | None

        def apply(self, dependency: Dependency) -> None:
            dependency.cycle_id = self.cycle_id
            dependency.from_team_id = self.from_team_id
            dependency.from_kind = self.from_kind
            dependency.from_id = self.from_id
            dependency.on_team_id = self.on_team_id
            dependency.on_kind = self.on_kind
            dependency.on_id = self.on_id
            dependency.description = self.description
            dependency.needed_by = self.needed_by
            dependency.status = DECLARED

    class Acknowledged(LedgerAggregate.Event):
        note: str

        def apply(self, dependency: Dependency) -> None:
            dependency.status = ACKNOWLEDGED

    class Escalated(LedgerAggregate.Event):
        def apply(self, dependency: Dependency) -> None:
            dependency.status = ESCALATED

    class Resolved(LedgerAggregate.Event):
        note: str

        def apply(self, dependency: Dependency) -> None:
            dependency.status = RESOLVED

    if TYPE_CHECKING:
        cycle_id: UUID
        from_team_id: UUID
        from_kind: str
        from_id: UUID
        on_team_id: UUID
        on_kind: str | None
        on_id: UUID | None
        description: str
        needed_by: date | None
        status: str

    @classmethod
    def declare(
        cls,
        *,
        dependency_id: UUID,
        cycle: Cycle,
        from_team_id: UUID,
        from_kind: str,
        from_id: UUID,
        on_team_id: UUID,
        on_kind: str | None = None,
        on_id: UUID | None = None,
        description: str,
        needed_by: date | None = None,
        meta: Meta,
    ) -> Dependency:
        """Declare that ``from_id`` (of ``from_team_id``) depends on another team.

        The caller has checked that the objects named exist and belong to the teams.
        """
        cycle.guard_change("declare a dependency", meta)
        require_choice(from_kind, REF_KINDS, "from_kind")
        if (on_kind is None) != (on_id is None):
            raise RuleViolation(
                "on_ref_incomplete",
                "name both on_kind and on_id, or neither",
                field="on_id",
            )
        if on_kind is not None:
            require_choice(on_kind, REF_KINDS, "on_kind")
        if from_team_id == on_team_id:
            raise RuleViolation("same_team", "a dependency is on another team", field="on_team_id")
        return cls._begin(
            cls.Declared,
            dependency_id,
            meta,
            cycle_id=cycle.id,
            from_team_id=from_team_id,
            from_kind=from_kind,
            from_id=from_id,
            on_team_id=on_team_id,
            on_kind=on_kind,
            on_id=on_id,
            description=require_text(description, "description"),
            needed_by=needed_by,
        )

    @property
    def is_open(self) -> bool:
        return self.status != RESOLVED

    def acknowledge(self, note: str, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("acknowledge a dependency", meta)
        require_status("dependency", self.status, (DECLARED,), "acknowledge the dependency")
        self._record(self.Acknowledged, meta, note=optional_text(note, "note"))

    def escalate(self, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("escalate a dependency", meta)
        require_status(
            "dependency", self.status, (DECLARED, ACKNOWLEDGED), "escalate the dependency"
        )
        meta.require_reason("escalating a dependency")
        self._record(self.Escalated, meta)

    def resolve(self, note: str, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("resolve a dependency", meta)
        require_status(
            "dependency",
            self.status,
            (DECLARED, ACKNOWLEDGED, ESCALATED),
            "resolve the dependency",
        )
        self._record(self.Resolved, meta, note=optional_text(note, "note"))
