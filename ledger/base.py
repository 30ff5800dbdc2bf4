"""The base every OKR aggregate stands on: events that carry ``Meta`` and a
recorded time taken from it, plus small guards shared by the aggregates."""

from __future__ import annotations

import copy
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

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """A copy that shares the immutable records.

        Aggregate state holds immutable values (str, Decimal, UUID, dates, tuples and
        frozen dataclasses) either directly or in top-level dicts, lists and sets, so
        copying those containers one level deep gives an independent aggregate. The
        repository's cache copies on every get, and a plain deep copy of a key result
        with a long check-in history costs far more than its events took to write.
        """
        clone = object.__new__(type(self))
        clone.__dict__.update(
            {
                name: copy.copy(value) if isinstance(value, (dict, list, set)) else value
                for name, value in self.__dict__.items()
            }
        )
        memo[id(self)] = clone
        return clone


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
    require_finite(value, field)
    return value


MAX_MAGNITUDE = Decimal("1e15")
MAX_PLACES = 10


def require_finite(value: Decimal | None, field: str) -> Decimal | None:
    """A number the ledger can score: finite, below 10^15 in size, at most ten places."""
    if value is None:
        return None
    if not value.is_finite():
        raise RuleViolation("not_a_number", f"{field} must be a finite number", field=field)
    if abs(value) >= MAX_MAGNITUDE:
        raise RuleViolation("out_of_range", f"{field} must be below 10^15 in size", field=field)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise RuleViolation(
            "too_precise", f"{field} has more than {MAX_PLACES} decimal places", field=field
        )
    return value


def unique(values: Iterable[T], field: str) -> list[T]:
    seen: list[T] = []
    for value in values:
        if value in seen:
            raise RuleViolation("duplicate", f"{field} names {value} twice", field=field)
        seen.append(value)
    return seen
