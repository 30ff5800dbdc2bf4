"""One marshmallow schema per command, the body a client sends for it, derived from the
command's declaration (``commands.declarations``).

Unknown fields are refused; types, enums, lengths and dates are checked here, and the
cross-field checks of a declaration call the same functions the aggregates use, so a rule
is written once. Fields the command's address takes from its path (the id of the thing
acted on) and fields of the envelope (the expected version) are not in the body.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Union, get_args, get_origin, get_type_hints
from uuid import UUID

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load
from marshmallow import validates_schema as _validates_schema
from marshmallow.validate import Length, OneOf, Range, Regexp

from commands import messages as m
from commands.declarations.base import ARG, MISSING, Arg, Check, declared
from ledger.base import require_finite
from ledger.exceptions import RuleViolation


def _bounded(value: Decimal) -> None:
    try:
        require_finite(value, "value")
    except RuleViolation as violation:
        raise ValidationError(violation.message.replace("value ", "", 1)) from None


DECIMAL_INPUT = 'a JSON number or a decimal string ("47.50"); answers write it as text'
LIMITS = "below 10^15 in size, with at most ten decimal places"

NUMBER_LIMITS = {
    "minimum": -(10**15),
    "maximum": 10**15,
    "exclusiveMinimum": True,
    "exclusiveMaximum": True,
}
"""The document's words for what ``require_finite`` enforces (the ten places are in the
description: ``multipleOf: 1e-10`` would refuse 0.3 in binary floating point)."""


MAX_INTEGER = 2**53 - 1
"""The largest integer the API takes anywhere (versions, positions, cursors): I-JSON's
(RFC 7493) safe integers, which every client and every store holds exactly."""


def unstorable(value: Any) -> str | None:
    """Why a JSON value cannot be stored as text, or None: NUL characters (PostgreSQL
    text and jsonb refuse them) and lone surrogates (not UTF-8 at all)."""
    if isinstance(value, str):
        if "\x00" in value:
            return "must not contain NUL characters"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "must be valid Unicode text (no lone surrogates)"
        return None
    if isinstance(value, list):
        return next(filter(None, map(unstorable, value)), None)
    if isinstance(value, Mapping):
        return next(filter(None, map(unstorable, [*value.keys(), *value.values()])), None)
    return None


class StorableTextSchema(Schema):
    """Refuses, field by field, text that no store can hold, before anything else."""

    @pre_load
    def storable_text(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):
            problems = {
                str(key) if not unstorable(key) else "_schema": [why]
                for key in data
                if (why := unstorable(key) or unstorable(data[key]))
            }
            if problems:
                raise ValidationError(problems)
        return data


class Instant(fields.AwareDateTime):
    """An ISO 8601 time with a zone that is also a time in UTC (``9999-12-31T23:00-05:00``
    is not: it lies beyond year 9999 there)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        instant = super()._deserialize(value, attr, data, **kwargs)
        try:
            instant.astimezone(UTC)
        except OverflowError:
            raise ValidationError("must lie between the years 1 and 9999 in UTC") from None
        return instant


class CommandSchema(StorableTextSchema):
    """What every command's body schema does: refuse unknown fields and turn lists into
    the tuples the commands hold."""

    class Meta:
        unknown = RAISE

    @post_load
    def tuples(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


# -- from a declaration to a schema --------------------------------------------------


def _within(bounds: Mapping[str, Any], message: str) -> Callable[[Decimal], None]:
    low, high = bounds.get("minimum"), bounds.get("maximum")

    def check(value: Decimal) -> None:
        if low is not None and (value <= low if bounds["exclusiveMinimum"] else value < low):
            raise ValidationError(message)
        if high is not None and (value >= high if bounds["exclusiveMaximum"] else value > high):
            raise ValidationError(message)

    return check


def _number(spec: Arg, default: Any, **kwargs: Any) -> fields.Decimal:
    checked = spec.outside is not None
    # Bounds the field checks replace the document's ±10^15; false exclusives go unsaid.
    bounds = {k: v for k, v in spec.bounds.items() if not (checked and v is False)}
    meta: dict[str, Any] = {} if checked else dict(NUMBER_LIMITS)
    meta |= bounds
    if isinstance(default, Decimal):
        meta["default"] = int(default) if default == default.to_integral() else float(default)
    what = f"{spec.doc}: " if spec.doc else ""
    limits = "at most ten decimal places" if checked else LIMITS
    meta["description"] = f"{what}{DECIMAL_INPUT}; {limits}"
    validate: list[Callable[[Decimal], None]] = [_bounded]
    if spec.outside is not None:
        validate.append(_within(spec.bounds, spec.outside))
    return fields.Decimal(allow_nan=False, validate=validate, metadata=meta, **kwargs)


def _text(spec: Arg, **kwargs: Any) -> fields.String:
    if spec.choices is not None:
        return fields.String(validate=OneOf(spec.choices), **kwargs)
    if spec.length is not None:
        return fields.String(validate=Length(equal=spec.length), **kwargs)
    if spec.max_length is None:
        raise TypeError("text needs a length limit: declare it with text(...) or choice(...)")
    return fields.String(validate=Length(min=spec.min_length, max=spec.max_length), **kwargs)


PLAIN: dict[Any, Callable[..., fields.Field[Any]]] = {
    UUID: fields.UUID,
    date: fields.Date,
    datetime: Instant,
}


def field_of(annotation: Any, spec: Arg, default: Any = MISSING) -> fields.Field[Any]:
    """The schema field for a declared field of type ``annotation``."""
    kwargs: dict[str, Any] = {}
    nullable = get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(
        annotation
    )
    if nullable:
        (annotation,) = (a for a in get_args(annotation) if a is not type(None))
        kwargs["allow_none"] = True
    if default is MISSING:
        kwargs["required"] = True
    elif default is not None:
        kwargs["load_default"] = list if default == () else default
    return _made(annotation, spec, default, kwargs)


def _made(annotation: Any, spec: Arg, default: Any, kwargs: dict[str, Any]) -> fields.Field[Any]:
    if get_origin(annotation) is tuple:
        item = field_of(get_args(annotation)[0], spec.item or Arg(), None)
        length = Length(min=spec.min_length, max=spec.max_length)
        return fields.List(item, validate=length, **_described(spec, kwargs))
    if annotation is Decimal:
        return _number(spec, default, **kwargs)
    if annotation is str:
        return _text(spec, **_described(spec, kwargs))
    if annotation is int:
        low, high = spec.bounds["minimum"], spec.bounds["maximum"]
        return fields.Integer(strict=True, validate=Range(low, high), **_described(spec, kwargs))
    if annotation in PLAIN:
        return PLAIN[annotation](**_described(spec, kwargs))
    raise TypeError(f"no schema field for {annotation!r}")


def _described(spec: Arg, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {**kwargs, "metadata": {"description": spec.doc}} if spec.doc else kwargs


def _validator(check: Check) -> Callable[..., None]:
    def validate(self: Schema, data: dict[str, Any], **_: Any) -> None:
        check(data)

    validate.__name__ = check.__name__
    return _validates_schema(validate)


def schema_of(command: type[m.Command]) -> type[CommandSchema]:
    """The body schema of a declared command with an address."""
    found = declared(command)
    if found is None or found.address is None:
        raise TypeError(f"{command.__name__} is not a command clients send")
    hints = get_type_hints(command)
    attrs: dict[str, Any] = {}
    for field in dataclasses.fields(command):
        spec = field.metadata.get(ARG) or Arg()
        if spec.envelope or field.name in found.address.fields:
            continue
        attrs[field.name] = field_of(hints[field.name], spec, field.default)
    attrs |= {check.__name__: _validator(check) for check in found.checks}
    attrs["__doc__"] = command.__doc__
    return type(f"{command.__name__}Schema", (CommandSchema,), attrs)


IDEMPOTENCY_KEY = [Length(min=1, max=200), Regexp(r"^[\x21-\x7e]+$")]
"""What a client's idempotency key (HTTP's Idempotency-Key, a command message's
command_id) may be: 1 to 200 printable ASCII characters, no spaces."""

SCHEMAS: dict[type[m.Command], type[CommandSchema]] = {
    cls: schema_of(cls)
    for cls in m.COMMANDS
    if (found := declared(cls)) is not None and found.address is not None
}
"""The body schema of every command that clients send (HTTP or the command topic)."""
