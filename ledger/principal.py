"""Principals and their API tokens, recorded as events so a board can see who could do
what, and when. Only a SHA-256 hash of a token is ever stored."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.base import LedgerAggregate, natural_id, require_choice, require_status, require_text
from ledger.exceptions import RuleViolation
from ledger.meta import Meta

ROLES = ("admin", "editor", "auditor", "viewer")
ACTIVE, REVOKED = "active", "revoked"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Principal(LedgerAggregate):
    class Added(LedgerAggregate.Created):
        name: str
        role: str
        team_ids: list[UUID]

        def apply(self, principal: Principal) -> None:
            principal.name = self.name
            principal.role = self.role
            principal.team_ids = tuple(self.team_ids)
            principal.status = ACTIVE

    class Revoked(LedgerAggregate.Event):
        def apply(self, principal: Principal) -> None:
            principal.status = REVOKED

    if TYPE_CHECKING:
        name: str
        role: str
        team_ids: tuple[UUID, ...]
        status: str

    @staticmethod
    def id_for(name: str) -> UUID:
        return natural_id("principal", name)

    @classmethod
    def add(cls, *, name: str, role: str, team_ids: Sequence[UUID], meta: Meta) -> Principal:
        name = require_text(name, "name", max_length=120)
        require_choice(role, ROLES, "role")
        if role == "editor" and not team_ids:
            raise RuleViolation(
                "teams_required", "an editor writes for at least one team", field="teams"
            )
        if role != "editor" and team_ids:
            raise RuleViolation(
                "teams_not_allowed", "only editors are scoped to teams", field="teams"
            )
        return cls._begin(
            cls.Added, cls.id_for(name), meta, name=name, role=role, team_ids=list(team_ids)
        )

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    def revoke(self, meta: Meta) -> None:
        require_status("principal", self.status, (ACTIVE,), "revoke the principal")
        self._record(self.Revoked, meta)


class ApiToken(LedgerAggregate):
    """The hash of one token, and whose it is. Its id derives from the hash, so a
    request's token is found without any index."""

    class Issued(LedgerAggregate.Created):
        principal_id: UUID
        token_hash: str

        def apply(self, token: ApiToken) -> None:
            token.principal_id = self.principal_id
            token.token_hash = self.token_hash

    if TYPE_CHECKING:
        principal_id: UUID
        token_hash: str

    @staticmethod
    def id_for(hashed: str) -> UUID:
        return natural_id("api-token", hashed)

    @classmethod
    def issue(cls, *, principal: Principal, hashed: str, meta: Meta) -> ApiToken:
        if len(hashed) != 64:
            raise RuleViolation("token_hash", "a token hash is 64 hex digits", field="token")
        return cls._begin(
            cls.Issued, cls.id_for(hashed), meta, principal_id=principal.id, token_hash=hashed
        )
