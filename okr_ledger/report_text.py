"""Plain-text formatting for the cycle report: numbers, scores, money and labels as
people read them, and lines wrapped or flowed within the report's 100 columns."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from decimal import Decimal

WIDTH = 100
RULE = "=" * WIDTH
SEPARATOR = " · "
CURRENCY_SIGNS = {"GBP": "£", "EUR": "€", "USD": "$"}


def number(value: Decimal | None) -> str:
    """A decimal without trailing zeros (``75``, ``4.8``), or a dash."""
    if value is None:
        return "-"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def score(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def money(amount: Decimal, currency: str) -> str:
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{amount:,.0f}" if sign else f"{amount:,.0f} {currency}"


def label(code: str | None) -> str:
    """``on_track`` → ``on track``."""
    return "-" if code is None else code.replace("_", " ")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def clip(text: str, width: int) -> str:
    return textwrap.shorten(text, width, placeholder="...")


def wrap(text: str, indent: int, lead: str = "") -> list[str]:
    """``text`` wrapped to the report width after ``lead``, continuation lines
    lined up with the text."""
    pad = " " * indent
    return textwrap.wrap(
        text, WIDTH, initial_indent=pad + lead, subsequent_indent=pad + " " * len(lead)
    )


def flow(parts: Iterable[str | None], indent: int, lead: str = "") -> list[str]:
    """The non-empty ``parts`` joined by " · " after ``lead``, broken between parts
    so that no line runs past the report width."""
    pad = " " * indent
    start = pad + lead
    lines: list[str] = []
    current = start
    for part in (clip(p, WIDTH - len(start)) for p in parts if p):
        longer = current + (SEPARATOR if current != start else "") + part
        if len(longer) > WIDTH and current != start:
            lines.append(current)
            start = pad + " " * len(lead)
            longer = start + part
        current = longer
    lines.append(current)
    return [line.rstrip() for line in lines]
