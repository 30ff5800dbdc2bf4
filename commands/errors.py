"""Errors of the write path, beside the ledger's own rule violations."""

from __future__ import annotations

from typing import Any

from commands.imports.problems import SpreadsheetRefused, SpreadsheetTooLarge
from ledger.exceptions import AlreadyExists, LedgerError, NotFound, VersionConflict


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


class Unauthenticated(LedgerError):
    """No valid credentials came with the command."""

    rule = "unauthenticated"


STATUS_OF: list[tuple[type[LedgerError], int]] = [
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (VersionConflict, 409),
    (AlreadyExists, 409),
    (IdempotencyKeyReused, 422),
    (UnknownCommand, 400),
    (SpreadsheetTooLarge, 413),
]
"""HTTP-style statuses of the write path's errors; anything else is 422 (a rule)."""


def status_of(error: LedgerError) -> int:
    return next((s for cls, s in STATUS_OF if isinstance(error, cls)), 422)


def error_body(status: int, error: LedgerError) -> dict[str, Any]:
    """The one error shape, for HTTP responses and command results alike."""
    body: dict[str, Any] = {"status": status, "code": error.rule, "message": error.message}
    if isinstance(error, SpreadsheetRefused):
        body["fields"] = error.fields()
        body["problems"] = [p.to_json() for p in error.problems]
    elif error.field:
        body["fields"] = {error.field: [error.message]}
    if isinstance(error, VersionConflict):
        body["current_version"] = error.current
    return body
