"""Template filters that turn read-model values into text for people.

The read models speak numbers as JSON numbers or decimal strings ("0.75") and times as
ISO 8601 strings or integer microseconds since the epoch; every filter accepts each of
these (and ``Decimal``, ``datetime``) so the pages do not depend on one vocabulary.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup, escape

EMPTY = "—"
CONFIDENCE = {"on_track": "On track", "at_risk": "At risk", "off_track": "Off track"}


def to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def number(value: Any, places: int | None = None) -> str:
    """``54.0`` → ``54``, ``"0.7500"`` → ``0.75``; ``places`` fixes the decimals."""
    amount = to_decimal(value)
    if amount is None:
        return EMPTY if value is None else str(value)
    if places is not None:
        return f"{amount.quantize(Decimal(1).scaleb(-places)):f}"
    text = f"{amount.normalize():f}"
    return text if "." not in text else text.rstrip("0").rstrip(".")


def score(value: Any) -> str:
    """A 0.0-1.0 grade, to two decimals."""
    return number(value, 2) if to_decimal(value) is not None else EMPTY


def percent(value: Any) -> str:
    amount = to_decimal(value)
    return EMPTY if amount is None else f"{(amount * 100).quantize(Decimal(1)):f}%"


def to_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO text (``Z`` or an offset), microseconds or a datetime."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
        elif isinstance(value, (int, float, Decimal)):
            moment = datetime.fromtimestamp(float(value) / 1_000_000, UTC)
        else:
            text = str(value).strip()
            if text.isdigit():
                return to_datetime(int(text))
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError, OSError):  # not a time, or outside years 1-9999
        return None


def when(value: Any) -> str:
    """``1 Aug 2026, 14:00 UTC``."""
    moment = to_datetime(value)
    if moment is None:
        return EMPTY if value is None else str(value)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def day(value: Any) -> str:
    """``30 Sep 2026``."""
    moment = to_datetime(value)
    return EMPTY if moment is None else f"{moment.day} {moment:%b %Y}"


def iso(value: Any) -> str:
    moment = to_datetime(value)
    return "" if moment is None else moment.isoformat().replace("+00:00", "Z")


def local_input(value: Any) -> str:
    """The value of an ``<input type="datetime-local">`` (UTC, to the minute)."""
    moment = to_datetime(value)
    return "" if moment is None else f"{moment:%Y-%m-%dT%H:%M}"


def time_tag(value: Any) -> Markup:
    """A ``<time>`` element: machine-readable and human-readable."""
    if to_datetime(value) is None:
        return Markup(escape(when(value)))
    return Markup(f'<time datetime="{escape(iso(value))}">{escape(when(value))}</time>')


def label(value: Any) -> str:
    """``where_to_play`` → ``Where to play``; confidence values by their usual names."""
    if value is None:
        return EMPTY
    text = str(value)
    if text in CONFIDENCE:
        return CONFIDENCE[text]
    text = text.replace("_", " ").replace(".", " · ")
    return text[:1].upper() + text[1:]


def band(value: Any) -> str:
    """A band as ``[low, high]`` or ``{"low", "high"}``: ``3 to 5``."""
    if isinstance(value, dict):
        low, high = value.get("low"), value.get("high")
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        low, high = value
    else:
        return EMPTY
    return f"{number(low)}\u2013{number(high)}"


def short_id(value: Any) -> str:
    return EMPTY if value is None else str(value)[:8]


FILTERS = {
    "number": number,
    "score": score,
    "percent": percent,
    "when": when,
    "day": day,
    "iso": iso,
    "local_input": local_input,
    "time_tag": time_tag,
    "label": label,
    "short_id": short_id,
    "band": band,
}
