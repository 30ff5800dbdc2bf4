"""The error catalogue (``commands.catalogue``) as HTTP says it: each kind of failure's
status, each code's status, and the codes per operation and status for the OpenAPI
document (``web.error_docs`` writes ``docs/errors.md`` from it)."""

from __future__ import annotations

from dataclasses import dataclass

from commands import catalogue
from commands.errors import ErrorKind

STATUS: dict[ErrorKind, int] = {
    ErrorKind.MALFORMED: 400,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.NOT_OFFERED: 405,
    ErrorKind.CONFLICT: 409,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.UNSUPPORTED: 415,
    ErrorKind.REFUSED: 422,
    ErrorKind.INTERNAL: 500,
    ErrorKind.UNAVAILABLE: 503,
}
"""The HTTP status of each kind of failure (the command topic's results say the same)."""


@dataclass(frozen=True)
class ErrorCode:
    """A catalogue entry with its HTTP status."""

    code: str
    status: int
    meaning: str
    action: str
    kinds: tuple[str, ...]


def with_status(entry: catalogue.ErrorCode) -> ErrorCode:
    return ErrorCode(entry.code, STATUS[entry.failure], entry.meaning, entry.action, entry.kinds)


CATALOGUE: dict[str, ErrorCode] = {c: with_status(e) for c, e in catalogue.CATALOGUE.items()}
RULES = [with_status(e) for e in catalogue.RULES]
KIND_NAMES = catalogue.KIND_NAMES


def codes_for(kinds: set[str]) -> dict[int, list[str]]:
    """Per status, the codes an operation of these kinds can answer with."""
    found: dict[int, list[str]] = {}
    for entry in CATALOGUE.values():
        if kinds & set(entry.kinds):
            found.setdefault(entry.status, []).append(entry.code)
    return {status: sorted(codes) for status, codes in sorted(found.items())}
