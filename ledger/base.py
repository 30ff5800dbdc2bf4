"""The base every OKR aggregate stands on: events that carry ``Meta`` and a
recorded time taken from it, plus small guards shared by the aggregates."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Self, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.exceptions import InvalidTransition, RuleViolation
from ledger.meta import Meta

NAMESPACE = uuid5(NAMESPACE_URL, "https://okr-ledger.org/ids")
"""Namespace of the deterministic ids derived from natural keys."""


def natural_id(kind: str, *parts: str | UUID) -> UUID:
    """A stable id for an aggregate that has a natural key (a team's key, say)."""
    return uuid5(NAMESPACE, "/".join([kind, *(str(p) for p in parts)]))


class LedgerAggregate(Aggregate):
    """An aggregate whose every event records who, when and why (``Meta``)."""

    class Event(Aggregate.Event):
        meta: Meta

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _begin(cls, event_class: type[Created], ident: UUID, meta: Meta, **fields: Any) -> Self:
        """Trigger the creation event (after the caller has checked every rule)."""
        return cls._create(event_class, id=ident, meta=meta, timestamp=meta.recorded_at, **fields)

    def _record(self, event_class: type[Event], meta: Meta, **fields: Any) -> None:
        """Trigger an event (after the caller has checked every rule)."""
        self.trigger_event(event_class, meta=meta, timestamp=meta.recorded_at, **fields)


T = TypeVar("T")


def require_text(value: str | None, field: str, *, max_length: int = 2000) -> str:
    if value is None or not value.strip():
        raise RuleViolation("required", f"{field} must not be blank", field=field)
    if len(value) > max_length:
        raise RuleViolation(
            "too_long", f"{field} is longer than {max_length} characters", field=field
        )
    return value.strip()


def optional_text(value: str | None, field: str, *, max_length: int = 4000) -> str:
    if value is None:
        return ""
    if len(value) > max_length:
        raise RuleViolation(
            "too_long", f"{field} is longer than {max_length} characters", field=field
        )
    return value.strip()


def require_choice(value: str, allowed: Iterable[str], field: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise RuleViolation(
            "not_allowed", f"{field} must be one of {', '.join(allowed)}", field=field
        )
    return value


def require_status(what: str, status: str, allowed: Iterable[str], act: str) -> None:
    if status not in tuple(allowed):
        raise InvalidTransition(what, status, act)


def require_positive(value: Decimal, field: str) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise RuleViolation("must_be_positive", f"{field} must be above zero", field=field)
    return value


def require_finite(value: Decimal | None, field: str) -> Decimal | None:
    if value is not None and not value.is_finite():
        raise RuleViolation("not_a_number", f"{field} must be a finite number", field=field)
    return value


def unique(values: Iterable[T], field: str) -> list[T]:
    seen: list[T] = []
    for value in values:
        if value in seen:
            raise RuleViolation("duplicate", f"{field} names {value} twice", field=field)
        seen.append(value)
    return seen
