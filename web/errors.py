"""One error shape for every failure:

    {"error": {"status": 422, "code": "reason_required", "message": "...",
               "fields": {"reason": ["..."]}}}

``code`` is machine-readable (a rule of the domain, or a protocol error such as
``validation_failed``); ``fields`` names the fields or headers to blame; ``request_id``
is the request's ``X-Request-Id``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from marshmallow import Schema, fields
from marshmallow.validate import OneOf
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from commands.catalogue import codes_for
from commands.errors import Unauthenticated, error_body, status_of
from ledger.exceptions import LedgerError, NotFound, VersionConflict
from web.request_id import current as current_request_id

log = logging.getLogger(__name__)


class UnsupportedMediaType(LedgerError):
    rule = "unsupported_media_type"

    def __init__(self, wanted: str = "application/json") -> None:
        super().__init__(f"send the body as Content-Type: {wanted}", field="Content-Type")


class MalformedJson(LedgerError):
    rule = "malformed_json"

    def __init__(self) -> None:
        super().__init__("the body is not valid JSON")


class UnknownReference(LedgerError):
    """The body names something that does not exist (the path's own target gives 404)."""

    rule = "unknown_reference"

    def __init__(self, missing: NotFound) -> None:
        super().__init__(missing.message, field=missing.field)


class BadRequest(LedgerError):
    """A malformed header or query parameter."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.rule = code


class ImportProblemSchema(Schema):
    row = fields.Integer(
        allow_none=True, metadata={"description": "the row in the file (the header is row 1)"}
    )
    column = fields.String(allow_none=True, metadata={"description": "the column's header"})
    code = fields.String(required=True)
    message = fields.String(required=True)


class ApiErrorDetailSchema(Schema):
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "machine-readable"})
    message = fields.String(required=True)
    field_errors = fields.Dict(
        keys=fields.String(),
        data_key="fields",
        metadata={"description": "the fields or headers to blame"},
    )
    current_version = fields.Integer(
        metadata={"description": "version_conflict: the resource's version now"}
    )
    position = fields.Integer(
        metadata={"description": "view_behind: the log position the read model has reached"}
    )
    request_id = fields.String(metadata={"description": "the request's id, for support"})
    problems = fields.List(
        fields.Nested(ImportProblemSchema),
        metadata={"description": "invalid_spreadsheet: each problem, by row and column"},
    )


class ApiErrorSchema(Schema):
    error = fields.Nested(ApiErrorDetailSchema, required=True)


_ERROR_SCHEMAS: dict[str, type[Schema]] = {}


def error_schema(family: str, status: int, codes: list[str]) -> type[Schema]:
    """The one error shape, its ``code`` narrowed to ``codes`` (an ``enum`` in the
    document), named ``{family}Error{status}``."""
    name = f"{family}Error{status}"
    if name not in _ERROR_SCHEMAS:
        code = fields.String(
            required=True,
            validate=OneOf(codes),
            metadata={"description": "machine-readable; see docs/errors.md"},
        )
        detail = type(f"{name}DetailSchema", (ApiErrorDetailSchema,), {"code": code})
        error = fields.Nested(detail, required=True)
        _ERROR_SCHEMAS[name] = type(f"{name}Schema", (Schema,), {"error": error})
    return _ERROR_SCHEMAS[name]


def document_errors(blp: Any, view: Any, family: str, kinds: set[str]) -> Any:
    """Declare on ``view`` every error status its kinds of operation answer with, each
    with the catalogue's codes for it."""
    for status, codes in codes_for(kinds).items():
        description = "One of: " + ", ".join(f"`{c}`" for c in codes)
        schema = error_schema(family, status, codes)
        view = blp.alt_response(status, schema=schema, description=description)(view)
    return view


def error_response(
    status: int,
    code: str,
    message: str,
    field_errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if field_errors:
        body["fields"] = field_errors
    body.update(extra)
    return json_error(status, body, headers)


def json_error(status: int, body: dict[str, Any], headers: dict[str, str] | None) -> Response:
    """The one error shape on the wire: ``{"error": body}`` with its status."""
    request_id = current_request_id()
    if request_id:
        body = {**body, "request_id": request_id}
    response = jsonify({"error": body})
    response.status_code = status
    response.headers.update(headers or {})
    return response


WEB_STATUS_OF: list[tuple[type[LedgerError], int]] = [
    (BadRequest, 400),
    (MalformedJson, 400),
    (UnsupportedMediaType, 415),
]


def ledger_error(error: LedgerError) -> Response:
    status = next((s for cls, s in WEB_STATUS_OF if isinstance(error, cls)), None)
    status = status or status_of(error)
    headers: dict[str, str] = {}
    if isinstance(error, VersionConflict):
        headers["ETag"] = f'"{error.current}"'
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="okr-ledger"'
    return json_error(status, error_body(status, error), headers)


def _flatten_webargs(messages: Any) -> dict[str, Any]:
    """webargs nests errors by location ({"json": {...}, "headers": {...}})."""
    flat: dict[str, Any] = {}
    if isinstance(messages, dict):
        for location, errors in messages.items():
            if isinstance(errors, dict):
                flat.update({str(k): v for k, v in errors.items()})
            else:
                flat[str(location)] = errors
    return flat


HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}
"""The catalogue's code for each HTTP error Werkzeug raises."""


def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if status == 400 and messages and "json" in messages and isinstance(messages["json"], list):
        return error_response(400, "malformed_json", "the body is not valid JSON")
    if messages:
        field_errors = _flatten_webargs(messages)
        return error_response(
            422 if status in (400, 422) else status,
            "validation_failed",
            "the request does not match the command's schema",
            field_errors,
        )
    code = HTTP_CODES.get(status, "bad_request" if status < 500 else "internal_error")
    headers = dict(data.get("headers", {}))
    if status == 405 and isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_response(status, code, error.description or error.name, None, headers)


def unexpected_error(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    return error_response(500, "internal_error", "an unexpected error occurred")


def register(app: Flask) -> None:
    app.register_error_handler(LedgerError, ledger_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
