"""Marshmallow fields for the API's vocabulary (docs/adr/0009-api-vocabulary.md), as the
response schemas document it: decimals and times as canonical text, dates, ids as
lowercase UUID text, counts as integers. Every field of a response schema is
required (a value that may be absent is ``null``), and objects refuse fields they do
not declare, so the document says exactly what a response holds."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from eventlog.vocabulary import DECIMAL_PATTERN, TIME_PATTERN

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class Response(Schema):
    """A response object: every field listed here, no other."""


def _field(cls: type[fields.Field], description: str | None, options: Any, **meta: Any) -> Any:
    """``options``: ``null`` (the value may be null), ``absent`` (the key may be
    missing), ``data_key`` (the key, where it is a Python keyword)."""
    if description:
        meta["description"] = description
    return cls(
        required=not options.pop("absent", False),
        allow_none=options.pop("null", False),
        data_key=options.pop("data_key", None),
        metadata=meta,
        **options,
    )


def Decimal(description: str | None = None, **options: Any) -> Any:
    """An exact decimal as canonical text, e.g. ``"2133.33"``."""
    return _field(fields.String, description, options, format="decimal", pattern=DECIMAL_PATTERN)


def Time(description: str | None = None, **options: Any) -> Any:
    """An instant, e.g. ``"2026-07-06T09:00:00.000000Z"``."""
    return _field(fields.String, description, options, format="date-time", pattern=TIME_PATTERN)


def Day(description: str | None = None, **options: Any) -> Any:
    return _field(fields.String, description, options, format="date", pattern=DATE_PATTERN)


def Id(description: str | None = None, **options: Any) -> Any:
    return _field(fields.String, description, options, format="uuid", pattern=UUID_PATTERN)


def Text(description: str | None = None, *, enum: Any = None, **options: Any) -> Any:
    meta = {}
    if enum:  # OpenAPI 3.0: a nullable enum lists null among its values
        meta["enum"] = [*enum, None] if options.get("null") else list(enum)
    return _field(fields.String, description, options, **meta)


def Count(description: str | None = None, **options: Any) -> Any:
    return _field(fields.Integer, description, options)


def Flag(description: str | None = None, **options: Any) -> Any:
    return _field(fields.Boolean, description, options)


def One(schema: Any, description: str | None = None, **options: Any) -> Any:
    meta = {"description": description} if description else {}
    return _nested(schema, meta, options)


def _nested(schema: Any, meta: dict[str, Any], options: Any) -> Any:
    return fields.Nested(
        schema,
        required=not options.pop("absent", False),
        allow_none=options.pop("null", False),
        data_key=options.pop("data_key", None),
        metadata=meta,
    )


def Many(
    item: Any, description: str | None = None, *, null: bool = False, absent: bool = False
) -> Any:
    inner = fields.Nested(item) if isinstance(item, type) else item
    meta = {"description": description} if description else {}
    return fields.List(inner, required=not absent, allow_none=null, metadata=meta)


def Ids(description: str | None = None, *, absent: bool = False) -> Any:
    item = fields.String(metadata={"format": "uuid", "pattern": UUID_PATTERN})
    return Many(item, description, absent=absent)


def Texts(description: str | None = None, *, absent: bool = False) -> Any:
    return Many(fields.String(), description, absent=absent)


def Object(
    description: str, *, null: bool = False, absent: bool = False, values: Any = None
) -> Any:
    """An object whose keys vary (say what they are in ``description``)."""
    return fields.Dict(
        keys=fields.String(),
        values=values,
        required=not absent,
        allow_none=null,
        metadata={"description": description},
    )
