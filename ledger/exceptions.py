"""The typed errors the ledger raises. Every refusal names a rule (and a field, when
one field is to blame) so that any caller can say precisely what was refused."""

from __future__ import annotations

from uuid import UUID


class LedgerError(Exception):
    """Base class of every error the ledger raises on purpose."""

    rule = "ledger_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RuleViolation(LedgerError):
    """A command broke a rule of the domain; nothing was recorded."""

    def __init__(self, rule: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.rule = rule


class ReasonRequired(RuleViolation):
    def __init__(self, act: str) -> None:
        super().__init__("reason_required", f"{act} needs a reason", field="reason")


class InvalidTransition(RuleViolation):
    def __init__(self, what: str, status: str, act: str) -> None:
        super().__init__(
            "invalid_transition", f"cannot {act}: the {what} is {status}", field="status"
        )


class CycleClosed(RuleViolation):
    def __init__(self, act: str) -> None:
        super().__init__(
            "cycle_closed",
            f"cannot {act}: the cycle is closed (only a check-in correction with a "
            "reason is accepted; reopen the cycle to change anything else)",
        )


class NotFound(LedgerError):
    rule = "not_found"

    def __init__(self, kind: str, ident: UUID | str, *, field: str | None = None) -> None:
        super().__init__(f"no {kind} with id {ident}", field=field)
        self.kind = kind
        self.ident = ident


class AlreadyExists(LedgerError):
    rule = "already_exists"

    def __init__(self, kind: str, ident: UUID | str) -> None:
        super().__init__(f"a {kind} with id {ident} already exists")
        self.kind = kind
        self.ident = ident


class VersionConflict(LedgerError):
    """The aggregate moved on since the caller read it (optimistic concurrency)."""

    rule = "version_conflict"

    def __init__(self, aggregate_id: UUID, expected: int | None, current: int) -> None:
        if expected is None:
            message = f"{aggregate_id} changed concurrently; it is now at version {current}"
        else:
            message = f"{aggregate_id} is at version {current}, not the expected {expected}"
        super().__init__(message)
        self.aggregate_id = aggregate_id
        self.expected = expected
        self.current = current
