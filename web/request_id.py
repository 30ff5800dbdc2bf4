"""A request id on every response, log line and error body.

A client may send ``X-Request-Id`` (1 to 128 characters of letters, digits and
``. _ : + / = @ -``, so that it cannot break a log line); the API keeps it, or makes a
fresh one when none or a malformed one came. The id goes back in the response's
``X-Request-Id``, in every error body (``"request_id"`` in the ``error`` object), and on
every log record made while the request runs (``%(request_id)s``, ``-`` outside one).
"""

from __future__ import annotations

import logging
import re
import sys
from uuid import uuid4

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-Id"
WELL_FORMED = re.compile(r"[A-Za-z0-9._:+/=@-]{1,128}")
LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def current() -> str | None:
    """This request's id, or None outside a request."""
    if not has_request_context():
        return None
    return g.get("request_id")


def assign() -> None:
    sent = request.headers.get(HEADER, "")
    g.request_id = sent if WELL_FORMED.fullmatch(sent) else str(uuid4())


def stamp(response: Response) -> Response:
    request_id = current()
    if request_id:
        response.headers[HEADER] = request_id
    return response


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id``: the running request's, else ``-``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current() or "-"
        return True


def configure_logging(level: int = logging.WARNING) -> None:
    """Log to stderr with the request id on every line (once per process)."""
    root = logging.getLogger()
    if any(isinstance(f, RequestIdFilter) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)


def register(app: Flask) -> None:
    """Assign the id before any other hook runs (authentication may fail)."""
    app.before_request_funcs.setdefault(None, []).insert(0, assign)
    app.after_request(stamp)
