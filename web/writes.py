"""The write routes: one per command, all through the command bus.

Every route authenticates, parses the body with the command's schema (unknown fields
refused), takes the id of the thing acted on from the path, honours ``If-Match``
(optimistic concurrency) and ``Idempotency-Key`` (safe retries), and answers with the
outcome: the ids touched, their new versions and the log position reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from commands import messages as m
from commands import schemas as s
from commands.catalogue import API as ANY_OPERATION
from commands.catalogue import CREATE, UPDATE, WRITE
from ledger.exceptions import NotFound
from web.auth import current_principal
from web.errors import BadRequest, UnknownReference, document_errors


class OutcomeSchema(Schema):
    command = fields.String(required=True)
    id = fields.UUID(allow_none=True, metadata={"description": "the id the command created"})
    versions = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "new version of each aggregate touched"},
    )
    position = fields.Integer(
        required=True,
        metadata={"description": "log position reached; pass it as min_position to read models"},
    )
    leaf_indexes = fields.List(
        fields.Integer(),
        required=True,
        metadata={
            "description": "the transparency log's leaf index of each event the command "
            "wrote, in log order (prove one with GET /api/v1/log/proofs/inclusion)"
        },
    )
    correlation_id = fields.UUID(required=True)
    command_id = fields.String(allow_none=True)
    replayed = fields.Boolean(
        required=True,
        metadata={"description": "true when this answers a retry with the original outcome"},
    )


class CreateHeadersSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=s.IDEMPOTENCY_KEY,
        metadata={
            "description": "a retry with the same key returns the original outcome; keys "
            "are per principal (another principal's same key is a different command)"
        },
    )


class WriteHeadersSchema(CreateHeadersSchema):
    if_match = fields.String(
        data_key="If-Match",
        metadata={"description": 'the ETag a GET returned (e.g. "3"), or *; a stale one gets 409'},
    )


CREATE_HEADERS = CreateHeadersSchema()
WRITE_HEADERS = WriteHeadersSchema()


def expected_version(if_match: str | None, *, has_target: bool) -> int | None:
    """The version named by a strong ETag in If-Match (``*`` names none)."""
    if if_match is None or if_match.strip() == "*":
        return None
    if not has_target:
        raise BadRequest(
            "if_match_not_applicable",
            "If-Match applies to routes that act on an existing resource",
            field="If-Match",
        )
    tag = if_match.strip()
    if not (len(tag) <= 20 and tag.startswith('"') and tag.endswith('"') and tag[1:-1].isdigit()):
        raise BadRequest(
            "bad_if_match",
            'If-Match takes one strong ETag such as "3" (weak tags never match)',
            field="If-Match",
        )
    return int(tag[1:-1])


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    command: type[m.Command]
    location: str | None = None
    """where a created thing is read: the resource segment under /api/v1"""
    path_fields: dict[str, str] = field(default_factory=dict)
    """path parameter → command field, where the names differ"""
    made: str | None = None
    """the path parameter that names what a creating command made"""
    notes: tuple[str, ...] = ()
    """rules of the domain its description states"""

    @property
    def schema(self) -> type[s.CommandSchema]:
        return s.SCHEMAS[self.command]

    @property
    def creates(self) -> bool:
        return self.command in m.CREATING


def register_writes(
    blp: Blueprint, routes: list[Route], links: dict[str, dict[str, Any]] | None = None
) -> None:
    """Register ``routes``; ``links`` (by command name) are the OpenAPI links of a
    creating route's success response."""
    for route in routes:
        _register(blp, route, (links or {}).get(route.command.__name__))


def _register(blp: Blueprint, route: Route, links: dict[str, Any] | None) -> None:
    status = 201 if route.creates else 200
    has_target = "<" in route.rule

    def view(body: dict[str, Any], headers: dict[str, Any], **path: Any) -> Any:
        principal = current_principal()
        values = {route.path_fields.get(k, k): v for k, v in path.items()}
        # If-Match is documented only where it applies; elsewhere it is refused.
        if_match = headers.get("if_match") if has_target else request.headers.get("If-Match")
        expected = expected_version(if_match, has_target=has_target)
        command = route.command(**body, **values, expected_version=expected)
        bus = current_app.extensions["okr_ledger"].bus
        try:
            outcome = bus.handle(command, principal, command_id=headers.get("idempotency_key"))
        except NotFound as missing:
            if missing.field and missing.field not in values:
                raise UnknownReference(missing) from None
            raise
        response_headers = {}
        if route.location and outcome.created_id:
            response_headers["Location"] = f"/api/v1/{route.location}/{outcome.created_id}"
        return outcome.to_json(), status, response_headers

    view.__name__ = route.command.__name__
    view.__doc__ = (route.command.__doc__ or route.command.__name__).split("\n")[0]
    for note in route.notes:
        view.__doc__ += f"\n\n{note}"
    decorated: Any = view
    decorated = blp.response(status, OutcomeSchema)(decorated)
    family, kind = ("Update", UPDATE) if has_target else ("Create", CREATE)
    decorated = document_errors(blp, decorated, family, {ANY_OPERATION, WRITE, kind})
    # Schema instances, not classes: webargs would build a new schema per request.
    headers = WRITE_HEADERS if has_target else CREATE_HEADERS
    decorated = blp.arguments(headers, location="headers")(decorated)
    decorated = blp.arguments(route.schema(), location="json")(decorated)
    doc: dict[str, Any] = {"operationId": route.command.__name__}
    if links:
        doc["responses"] = {status: {"links": links}}
    decorated = blp.doc(**doc)(decorated)
    blp.route(route.rule, methods=[route.method], endpoint=route.command.__name__)(decorated)
