"""What is wrong with an imported file, by row and column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.exceptions import LedgerError

MAX_PROBLEMS = 50
"""A refusal lists at most this many problems (the first ones, in row order)."""


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    row: int | None = None
    """The row's number in the file (the header is row 1)."""
    column: str | None = None
    """The column's name in the header (or its letter, where the header has none)."""

    @property
    def where(self) -> str:
        parts = [
            f"row {self.row}" if self.row else "",
            f"column {self.column}" if self.column else "",
        ]
        return ", ".join(p for p in parts if p) or "file"

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


class SpreadsheetRefused(LedgerError):
    """The file cannot be imported as it is; nothing was written."""

    rule = "invalid_spreadsheet"

    def __init__(self, problems: list[Problem]) -> None:
        problems = sorted(problems, key=lambda p: p.row or 0)[:MAX_PROBLEMS]
        first = problems[0]
        super().__init__(f"{first.where}: {first.message}", field=first.where)
        self.problems = problems

    def fields(self) -> dict[str, list[str]]:
        named: dict[str, list[str]] = {}
        for problem in self.problems:
            named.setdefault(problem.where, []).append(f"{problem.code}: {problem.message}")
        return named


class SpreadsheetTooLarge(SpreadsheetRefused):
    """The file is over the size limit; not a byte of it was read as a sheet."""

    rule = "payload_too_large"
