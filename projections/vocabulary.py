"""The API's vocabulary (docs/adr/0009-api-vocabulary.md): how every response writes a
decimal and a time. One function per conversion; every JSON answer, export and read
model uses these.

- A decimal is a string holding its exact decimal text, canonical: no exponent, no
  trailing fractional zeros, no ``+``, ``-0`` written ``0`` (``"55"``, ``"2133.33"``).
- A time is ISO 8601 in UTC with six fractional digits and a ``Z``
  (``2026-07-06T09:00:00.000000Z``), so that times sort as text and keep every
  microsecond. Dates are ``YYYY-MM-DD``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

DECIMAL_PATTERN = r"^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$"
TIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$"
_CANONICAL = re.compile(DECIMAL_PATTERN)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def decimal_text(value: Decimal | str | int | float | None) -> str | None:
    """The canonical decimal text of a number (None stays None).

    Exact: a Decimal or a decimal string is never rounded; a float is read from its
    shortest repr (``0.1`` gives ``"0.1"``).
    """
    if value is None:
        return None
    if type(value) is str and _CANONICAL.match(value) and value != "-0":
        return value
    if type(value) is bool:
        raise TypeError("a boolean is not a decimal")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


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
        moment = value.astimezone(UTC)
    else:
        moment = EPOCH + timedelta(microseconds=value)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


DAY_MICROS = 86_400_000_000


def _micros_text(value: int) -> str:
    """``time_text`` of UTC microseconds, without building a datetime (read models write
    tens of thousands of times per answer)."""
    days, rest = divmod(value, DAY_MICROS)
    seconds, micros = divmod(rest, 1_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_day_text(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{micros:06d}Z"


@lru_cache(maxsize=8192)
def _day_text(days: int) -> str:
    return (EPOCH.date() + timedelta(days=days)).isoformat()
