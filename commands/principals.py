"""Who may do what. A principal acts under one role, scoped to teams for editors."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

ADMIN, EDITOR, AUDITOR, VIEWER = "admin", "editor", "auditor", "viewer"
ROLES = (ADMIN, EDITOR, AUDITOR, VIEWER)
"""Viewers read current state; auditors also read the full audit detail; editors
write for their teams and the teams below them; admins write everywhere and manage
strategy, cycles, teams and principals."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    teams: frozenset[UUID] = field(default_factory=frozenset)
    id: UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def can_audit(self) -> bool:
        return self.role in (ADMIN, AUDITOR)


SYSTEM = Principal("okr-ledger", ADMIN)
"""The principal of the command line's own acts (the demo, principal management)."""
