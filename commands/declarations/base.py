"""How a command is declared: once, as a frozen dataclass whose fields carry their limits
and documentation, with the address clients reach it at and its cross-field checks.

Everything else derives from the declaration: the body schema (``commands.schemas``),
hence the Kafka intake's validation and the OpenAPI entry, and the HTTP route
(``web.resources``). See ADR 19 for a worked example.

    @command("POST /key-results/{key_result_id}/check-ins", creates="check_in_id")
    class CheckIn(Command):
        '''Check in on a key result: value, confidence, note, blockers.'''

        key_result_id: UUID
        value: Decimal = number()
        confidence: str = choice(CONFIDENCES)
        note: str = text(4000, default="")

A field's type says what it holds; ``X | None = ...`` makes it nullable, a default makes it
optional. Path parameters (``{key_result_id}``) are fields the body does not carry.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, dataclass_transform
from uuid import UUID

from marshmallow import ValidationError

from ledger.exceptions import RuleViolation

ARG = "okr_ledger.arg"
"""The key of a field's ``Arg`` in its dataclass metadata."""

MISSING: Any = dataclasses.MISSING


@dataclass(frozen=True)
class Arg:
    """What a field's declaration adds to its type: limits, choices and documentation."""

    doc: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    length: int | None = None
    choices: tuple[str, ...] | None = None
    bounds: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """``minimum``/``maximum`` and ``exclusiveMinimum``/``exclusiveMaximum`` of a number,
    documented (the aggregate or a check enforces them), or ``enum``"""
    outside: str | None = None
    """the message refusing a number outside its bounds (the field then checks them)"""
    item: Arg | None = None
    """the limits of each item of a tuple"""
    envelope: bool = False
    """carried beside the body (``If-Match``, the message's ``expected_version``)"""


NATURAL_KEY = "a natural key, unique in the team's cycle: the id derives from it"


def _field(default: Any, arg: Arg) -> Any:
    return dataclasses.field(default=default, metadata={ARG: arg})


def arg(default: Any = MISSING, *, doc: str | None = None) -> Any:
    """A field whose type says all (an id, a date, a time), with its documentation."""
    return _field(default, Arg(doc=doc))


def text(
    max_length: int | None = None,
    *,
    default: Any = MISSING,
    blank: bool = False,
    length: int | None = None,
    doc: str | None = None,
) -> Any:
    """Text of 1 to ``max_length`` characters (0 when ``blank`` or the default is "")."""
    blank = blank or default == ""
    return _field(
        default,
        Arg(doc=doc, min_length=None if blank else 1, max_length=max_length, length=length),
    )


def choice(values: tuple[str, ...], *, default: Any = MISSING, doc: str | None = None) -> Any:
    """One of ``values``."""
    return _field(default, Arg(doc=doc, choices=values))


def number(
    *,
    default: Any = MISSING,
    doc: str | None = None,
    minimum: Decimal | int | None = None,
    exclusive_minimum: bool = False,
    maximum: Decimal | int | None = None,
    exclusive_maximum: bool = False,
    enum: list[float] | None = None,
    outside: str | None = None,
) -> Any:
    """An exact decimal; bounds are documented, and checked by the field when ``outside``
    gives the message that refuses a number beyond them."""
    bounds: dict[str, Any] = {}
    if minimum is not None:
        bounds |= {"minimum": minimum, "exclusiveMinimum": exclusive_minimum}
    if maximum is not None:
        bounds |= {"maximum": maximum, "exclusiveMaximum": exclusive_maximum}
    if enum is not None:
        bounds["enum"] = enum
    return _field(default, Arg(doc=doc, bounds=bounds, outside=outside))


def integer(minimum: int, maximum: int, *, default: Any = MISSING, doc: str | None = None) -> Any:
    """A whole number from ``minimum`` to ``maximum`` (a JSON integer, never a string)."""
    return _field(default, Arg(doc=doc, bounds={"minimum": minimum, "maximum": maximum}))


def many(
    item: Any = None,
    *,
    default: Any = MISSING,
    min_items: int | None = None,
    max_items: int,
    doc: str | None = None,
) -> Any:
    """A list of at most ``max_items`` items, each declared by ``item`` (a ``text(...)``
    or ``choice(...)``; ids need none)."""
    each = item.metadata[ARG] if item is not None else None
    return _field(default, Arg(doc=doc, min_length=min_items, max_length=max_items, item=each))


def envelope(*, doc: str) -> Any:
    """A field that travels beside the body, never in it."""
    return _field(None, Arg(doc=doc, envelope=True))


C = TypeVar("C", bound=type)
Check = Callable[[dict[str, Any]], None]


class _CheckMarker(staticmethod):  # type: ignore[type-arg]
    """A cross-field check inside a declaration (a ``staticmethod`` the schema collects)."""


def check(func: Check) -> Any:
    """Mark a function of a declaration as a check of the loaded body: it gets the body's
    fields (as loaded, before the command is built) and raises ``ValidationError``."""
    return _CheckMarker(func)


def refused(violation: RuleViolation) -> ValidationError:
    """A rule of the domain, broken by a body, as the schema's refusal."""
    return ValidationError(violation.message, field_name=violation.field or "_schema")


@dataclass(frozen=True)
class Address:
    """Where clients reach a command: a method and a path under the API's root, with
    ``{parameters}`` naming the fields taken from the path."""

    method: str
    path: str
    path_fields: Mapping[str, str]
    """path parameter → field, where the names differ"""

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def fields(self) -> set[str]:
        """The command's fields that the path gives."""
        return {self.path_fields.get(p, p) for p in self.parameters}


@dataclass(frozen=True)
class Declared:
    """What a declaration says beside its fields."""

    address: Address | None
    """None for a command only the operator's CLI sends"""
    creates: bool | str
    """whether it makes something; a name is the path parameter naming what it made"""
    notes: tuple[str, ...]
    """rules of the domain that its documentation states"""
    checks: tuple[Check, ...]


def declared(cls: type) -> Declared | None:
    """What ``cls``'s declaration says (None for a class not declared as a command)."""
    found = vars(cls).get("__declared__")
    return found if isinstance(found, Declared) else None


DECISION = "The recorded decision behind the act"
EFFECTIVE = "When the act is true in the world (default: now)"


@dataclass(frozen=True, kw_only=True)
class Command:
    """Fields every command may carry."""

    reason: str | None = text(
        2000, default=None, doc="Why; required by retargets, drops, corrections, ..."
    )
    decision_id: UUID | None = arg(None, doc=DECISION)  # noqa: RUF009
    effective_at: datetime | None = arg(None, doc=EFFECTIVE)  # noqa: RUF009
    expected_version: int | None = envelope(
        doc="Optimistic concurrency: refuse if the target moved past this version."
    )


@dataclass_transform(
    kw_only_default=True,
    frozen_default=True,
    field_specifiers=(arg, text, choice, number, integer, many, envelope),
)
def command(
    address: str | None = None,
    *,
    creates: bool | str = False,
    path_fields: Mapping[str, str] | None = None,
    notes: tuple[str, ...] = (),
) -> Callable[[C], C]:
    """Declare a command: ``address`` is ``"METHOD /path/{param}"`` (None: CLI only)."""

    def declare(cls: C) -> C:
        made = dataclasses.dataclass(frozen=True, kw_only=True)(cls)
        where = None
        if address is not None:
            method, path = address.split(" ", 1)
            where = Address(method, path, dict(path_fields or {}))
            names = {f.name for f in dataclasses.fields(made)}
            if unknown := where.fields - names:
                raise TypeError(f"{cls.__name__}: the path names no field {sorted(unknown)}")
        checks = tuple(v.__func__ for v in vars(made).values() if isinstance(v, _CheckMarker))
        made.__declared__ = Declared(where, creates, notes, checks)  # type: ignore[attr-defined]
        return made

    return declare
