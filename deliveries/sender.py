"""One HTTP POST of one delivery, to the address the target check approved."""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from deliveries.targets import checked_address
from ledger.exceptions import RuleViolation

TIMEOUT = 5.0


@dataclass(frozen=True)
class Attempt:
    status: int | None
    error: str | None
    retry_after: float | None = None
    """seconds the receiver asked to wait (``Retry-After`` in seconds)"""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` as delay-seconds (an HTTP date is ignored)."""
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


def post(
    url: str, body: bytes, headers: dict[str, str], *, allow_private: bool, timeout: float
) -> Attempt:
    """POST ``body``; never follows redirects; a 2xx answer is success."""
    try:
        address, port = checked_address(url, allow_private=allow_private, timeout=timeout)
    except RuleViolation as refused:
        return Attempt(None, refused.message)
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection: Any = cls(parts.hostname or "", port, timeout=timeout)

    def connect_checked(_address: Any, timeout: Any = None, source: Any = None) -> socket.socket:
        return socket.create_connection((address, port), timeout, source)

    connection._create_connection = connect_checked  # connect only where the check said
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST", path, body=body, headers={**headers, "user-agent": "okr-ledger"}
        )
        response = connection.getresponse()
        response.read(64 * 1024)
        status = response.status
        error = None if 200 <= status < 300 else f"answered {status}"
        return Attempt(status, error, retry_after(response.getheader("retry-after")))
    except (OSError, http.client.HTTPException) as error:
        return Attempt(None, f"{type(error).__name__}: {error}")
    finally:
        connection.close()
