"""Receipt: the outcome of a command that carried an idempotency key.

It is saved in the same transaction as the command's events, so a retry with the
same key (even after a lost acknowledgement) finds it and answers with the original
outcome instead of acting twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from ledger.base import LedgerAggregate, natural_id
from ledger.meta import Meta


class Receipt(LedgerAggregate):
    class Issued(LedgerAggregate.Created):
        command_type: str
        fingerprint: str
        versions: dict[str, int]
        created_id: UUID | None

        def apply(self, receipt: Receipt) -> None:
            receipt.command_type = self.command_type
            receipt.fingerprint = self.fingerprint
            receipt.versions = {UUID(k): v for k, v in self.versions.items()}
            receipt.created_id = self.created_id
            receipt.actor = self.meta.actor
            receipt.command_id = self.meta.command_id
            receipt.correlation_id = self.meta.correlation_id

    if TYPE_CHECKING:
        command_type: str
        fingerprint: str
        versions: dict[UUID, int]
        created_id: UUID | None
        actor: str
        command_id: str | None
        correlation_id: UUID

    @staticmethod
    def id_for(actor: str, command_id: str) -> UUID:
        return natural_id("receipt", actor, command_id)

    @classmethod
    def issue(
        cls,
        *,
        command_type: str,
        fingerprint: str,
        versions: dict[UUID, int],
        created_id: UUID | None,
        meta: Meta,
    ) -> Receipt:
        if meta.command_id is None:
            raise ValueError("only a command with an idempotency key gets a receipt")
        return cls._begin(
            cls.Issued,
            cls.id_for(meta.actor, meta.command_id),
            meta,
            command_type=command_type,
            fingerprint=fingerprint,
            versions={str(k): v for k, v in versions.items()},
            created_id=created_id,
        )
