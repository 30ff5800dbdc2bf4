"""Typed reading of one row's cells; every failure is a ``Problem`` naming row and column."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from uuid import UUID

from commands.imports.problems import Problem
from commands.imports.sheets import Row


class RowReader:
    """Reads the cells of one row, collecting problems instead of stopping at the first."""

    def __init__(self, row: Row, problems: list[Problem]) -> None:
        self.row = row
        self.problems = problems

    def problem(self, code: str, column: str | None, message: str) -> None:
        self.problems.append(Problem(code, message, self.row.number, column))

    def text(self, column: str, *, required: bool = False, max_length: int = 500) -> str:
        value = self.row.cells.get(column, "")
        if required and not value:
            self.problem("required", column, f"{column} must not be blank")
        if len(value) > max_length:
            self.problem("too_long", column, f"{column} is longer than {max_length} characters")
            return value[:max_length]
        return value

    def choice(self, column: str, allowed: tuple[str, ...], default: str | None) -> str | None:
        value = self.text(column).lower().replace(" ", "_").replace("-", "_") or default
        if value is not None and value not in allowed:
            self.problem(
                "not_allowed",
                column,
                f"{column} must be one of {', '.join(allowed)}, not {self.row.cells[column]!r}",
            )
            return None
        return value

    def number(self, column: str) -> Decimal | None:
        value = self.text(column).replace(",", "").replace("%", "").strip()
        if not value:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) >= Decimal("1e15"):
            self.problem("bad_number", column, f"{column} is not a number: {value!r}")
            return None
        return number

    def date(self, column: str) -> date | None:
        value = self.text(column)
        if not value:
            return None
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
        except ValueError:
            pass
        self.problem("bad_date", column, f"{column} is not a date (YYYY-MM-DD): {value!r}")
        return None

    def instant(self, column: str) -> datetime | None:
        """A date (midnight UTC) or an ISO 8601 time with a zone."""
        value = self.text(column, required=True)
        if not value:
            return None
        try:
            if len(value) == 10:
                return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            self.problem(
                "bad_date",
                column,
                f"{column} is not a date (YYYY-MM-DD) or a time with a zone: {value!r}",
            )
            return None
        return moment.astimezone(UTC)

    def uuid(self, value: str) -> UUID | None:
        try:
            return UUID(value)
        except ValueError:
            return None


def slug(text: str) -> str:
    """A natural key from free text: lower case, words joined by hyphens, 80 at most."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "-"
