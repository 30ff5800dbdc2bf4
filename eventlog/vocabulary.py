"""The API's vocabulary (docs/adr/0009-api-vocabulary.md): how every response writes a
decimal and a time, and the one representation of an instant inside the read side
(UTC microseconds since the epoch). One function per conversion; every JSON answer,
export, message and read model uses these.

- A decimal is a string holding its exact decimal text, canonical: no exponent, no
  trailing fractional zeros, no ``+``, ``-0`` written ``0`` (``"55"``, ``"2133.33"``).
- A time is ISO 8601 in UTC with six fractional digits and a ``Z``
  (``2026-07-06T09:00:00.000000Z``), so that times sort as text and keep every
  microsecond. Dates are ``YYYY-MM-DD``.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

DECIMAL_PATTERN = r"^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$"
TIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$"
_CANONICAL = re.compile(DECIMAL_PATTERN)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros_of(moment: datetime) -> int:
    """UTC microseconds since the epoch of a zone-aware datetime."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def micros(iso: str) -> int:
    """UTC microseconds since the epoch of an ISO 8601 time with a zone."""
    return micros_of(datetime.fromisoformat(iso))


def moment(value: int) -> datetime:
    """The zone-aware (UTC) datetime of microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=value)


def decimal_text(value: Decimal | str | int | float | None) -> str | None:
    """The canonical decimal text of a number (None stays None).

    Exact: a Decimal or a decimal string is never rounded; a float is read from its
    shortest repr (``0.1`` gives ``"0.1"``).
    """
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        if value in _CANONICAL_TEXTS:
            return value
        if _CANONICAL.match(value) and value != "-0":
            if len(_CANONICAL_TEXTS) < 65_536:
                _CANONICAL_TEXTS.add(value)
            return value
    if kind is Decimal and value.is_finite():  # scores: few values, written again and again
        known = _DECIMAL_TEXTS.get(value)
        if known is not None:
            return known
    if kind is bool:
        raise TypeError("a boolean is not a decimal")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    if kind is Decimal and len(_DECIMAL_TEXTS) < 65_536:
        _DECIMAL_TEXTS[number] = text
    return text


_CANONICAL_TEXTS: set[str] = set()
"""decimal texts met so far that are canonical already (documents hold them as text)"""
_DECIMAL_TEXTS: dict[Decimal, str] = {}
"""canonical texts of the decimals met so far: equal decimals (``1.50`` and ``1.5``)
have one text, so the value is the key"""


def time_text(value: int | datetime | str | None) -> str | None:
    """The canonical UTC text of an instant: UTC microseconds since the epoch, a
    zone-aware datetime, or ISO 8601 text with a zone (None stays None)."""
    if type(value) is int:
        return _micros_text(value)
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a time without a zone is ambiguous")
        instant = value.astimezone(UTC)
    else:
        instant = EPOCH + timedelta(microseconds=value)
    return instant.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def plain(value: Any) -> Any:
    """A value of the domain in the API's vocabulary: ids as text, decimals and times
    as canonical text, dates as ISO text, dataclasses as objects, collections as lists."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return str(value)


DAY_MICROS = 86_400_000_000


def _micros_text(value: int) -> str:
    """``time_text`` of UTC microseconds, without building a datetime (read models write
    tens of thousands of times per answer)."""
    days, rest = divmod(value, DAY_MICROS)
    seconds, micros = divmod(rest, 1_000_000)
    return f"{_day_text(days)}T{_clock_text(seconds)}.{micros:06d}Z"


@lru_cache(maxsize=8192)
def _day_text(days: int) -> str:
    return (EPOCH.date() + timedelta(days=days)).isoformat()


@lru_cache(maxsize=86_400)
def _clock_text(seconds: int) -> str:
    """``HH:MM:SS`` of a second of the day."""
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def json_default(value: Any) -> Any:
    """orjson's ``default``: a decimal, time, date or set that reaches the encoder is
    written in the API's vocabulary; anything else is refused with ``TypeError``."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON: {type(value).__name__}")
