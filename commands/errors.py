"""Errors of the write path, beside the ledger's own rule violations."""

from __future__ import annotations

from ledger.exceptions import LedgerError


class Forbidden(LedgerError):
    """The principal's role or teams do not allow the act; nothing was written."""

    rule = "forbidden"


class IdempotencyKeyReused(LedgerError):
    """The same idempotency key came back with a different command."""

    rule = "idempotency_key_reused"

    def __init__(self, command_id: str) -> None:
        super().__init__(
            f"idempotency key {command_id!r} was already used for a different command",
            field="Idempotency-Key",
        )


class UnknownCommand(LedgerError):
    rule = "unknown_command"
