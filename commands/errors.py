"""Errors of the write path, beside the ledger's own rule violations."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from commands.imports.problems import SpreadsheetRefused, SpreadsheetTooLarge
from ledger.exceptions import AlreadyExists, LedgerError, NotFound, VersionConflict


class Forbidden(LedgerError):
    """The principal's role or teams do not allow the act; nothing was written."""

    rule = "forbidden"


class IdempotencyKeyReused(LedgerError):
    """The same idempotency key (``command_id``) came back with a different command."""

    rule = "idempotency_key_reused"

    def __init__(self, command_id: str) -> None:
        super().__init__(
            f"idempotency key {command_id!r} was already used for a different command",
            field="command_id",
        )


class UnknownCommand(LedgerError):
    rule = "unknown_command"


class Unauthenticated(LedgerError):
    """No valid credentials came with the command."""

    rule = "unauthenticated"


class ErrorKind(StrEnum):
    """What kind of failure an error is, in the words of the write path; each front
    (HTTP in ``web/``, the command topic in ``streams/``) says it in its own terms."""

    UNAUTHENTICATED = "unauthenticated"
    """who acts is not known"""
    FORBIDDEN = "forbidden"
    """who acts may not do this"""
    NOT_FOUND = "not_found"
    """what the request names as its target does not exist"""
    CONFLICT = "conflict"
    """the ledger's state disagrees (moved on, or already holds it)"""
    REFUSED = "refused"
    """well-formed, but against a rule or a field's limits"""
    MALFORMED = "malformed"
    """not a request that can be read at all (not JSON, no such command)"""
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported"
    """a representation the front does not read"""
    NOT_OFFERED = "not_offered"
    """the operation is not offered in that form (a method on a resource)"""
    UNAVAILABLE = "unavailable"
    """not now: a store, a view or a key is not ready"""
    INTERNAL = "internal"
    """a bug"""


KIND_OF: list[tuple[type[LedgerError], ErrorKind]] = [
    (Unauthenticated, ErrorKind.UNAUTHENTICATED),
    (Forbidden, ErrorKind.FORBIDDEN),
    (NotFound, ErrorKind.NOT_FOUND),
    (VersionConflict, ErrorKind.CONFLICT),
    (AlreadyExists, ErrorKind.CONFLICT),
    (IdempotencyKeyReused, ErrorKind.REFUSED),
    (UnknownCommand, ErrorKind.MALFORMED),
    (SpreadsheetTooLarge, ErrorKind.TOO_LARGE),
]
"""The kind of each of the write path's errors; anything else is refused (a rule)."""


def kind_of(error: LedgerError) -> ErrorKind:
    return next((k for cls, k in KIND_OF if isinstance(error, cls)), ErrorKind.REFUSED)


def error_detail(error: LedgerError) -> dict[str, Any]:
    """The one error shape without its front's status: code, message, and the fields
    to blame (with what some codes carry besides)."""
    body: dict[str, Any] = {"code": error.rule, "message": error.message}
    if isinstance(error, SpreadsheetRefused):
        body["fields"] = error.fields()
        body["problems"] = [p.to_json() for p in error.problems]
    elif error.field:
        body["fields"] = {error.field: [error.message]}
    if isinstance(error, VersionConflict):
        body["current_version"] = error.current
    return body
