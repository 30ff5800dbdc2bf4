"""The read routes of each aggregate: its current state, its state at a version or an
instant, and its raw event history with metadata (auditors and admins)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from marshmallow.validate import Range

from commands.catalogue import API as ANY_OPERATION
from commands.catalogue import HISTORY, STATE
from commands.errors import Forbidden
from commands.schemas import MAX_INTEGER, Instant, StorableTextSchema
from ledger.application import KIND_NAMES
from ledger.base import LedgerAggregate
from ledger.cycle import Cycle
from ledger.exceptions import NotFound
from ledger.key_result import KeyResult
from web.auth import current_principal
from web.errors import BadRequest, document_errors
from web.render import aggregate_json, event_json
from web.state_responses import aggregate_schema, history_schema

ETAG_HEADER = {
    "ETag": {
        "description": "the version, for If-Match and If-None-Match",
        "schema": {"type": "string"},
    }
}


class ConditionalHeadersSchema(Schema):
    if_none_match = fields.String(
        data_key="If-None-Match",
        metadata={"description": "an ETag this client holds; 304 if still current"},
    )


class StateQuerySchema(StorableTextSchema):
    version = fields.Integer(
        strict=False,
        validate=Range(min=1, max=MAX_INTEGER),
        metadata={"description": "the state at this version"},
    )
    as_of = Instant(
        metadata={"description": "the state as recorded by this instant (ISO 8601 with zone)"}
    )


def load_state(cls: type[LedgerAggregate], ident: UUID, query: dict[str, Any]) -> Any:
    ledger = current_app.extensions["okr_ledger"].ledger
    if "version" in query and "as_of" in query:
        raise BadRequest("conflicting_query", "give version or as_of, not both", field="as_of")
    version = query.get("version")
    if "as_of" in query:
        version = ledger.version_at(ident, query["as_of"])
        if version is None:
            raise NotFound(cls.__name__.lower(), ident)
    aggregate = ledger.get(cls, ident, version=version)
    if version is not None and aggregate.version != version:
        kind = KIND_NAMES.get(cls.__name__, cls.__name__)
        raise NotFound(f"{kind} at version {version}", ident)
    return aggregate


def first_path_value(path: dict[str, UUID]) -> UUID:
    return next(iter(path.values()))


def cycle_end(aggregate: LedgerAggregate) -> date | None:
    """The last day of a key result's cycle (its score needs it)."""
    if not isinstance(aggregate, KeyResult):
        return None
    cycle = current_app.extensions["okr_ledger"].ledger.find(Cycle, aggregate.cycle_id)
    return cycle.ends_on if cycle else None


def register_reads(
    blp: Blueprint,
    cls: type[LedgerAggregate],
    rule: str,
    kind: str,
    *,
    ident_of: Callable[[dict[str, Any]], UUID] = first_path_value,
) -> None:
    """``GET rule`` (state) and ``GET rule/history`` for aggregates of type ``cls``."""

    def state(query: dict[str, Any], if_none_match: str | None = None, **path: Any) -> Any:
        current_principal()
        aggregate = load_state(cls, ident_of(path), query)
        etag = f'"{aggregate.version}"'
        current = "version" not in query and "as_of" not in query
        if current and request.if_none_match.contains_weak(str(aggregate.version)):
            return "", 304, {"ETag": etag}
        # Rendered as is, like the read models (web/readmodels.py): the schema documents
        # the body and the tests validate real bodies against the document.
        response = current_app.json.response(
            aggregate_json(aggregate, ends_on=cycle_end(aggregate))
        )
        response.headers["ETag"] = etag
        return response

    state.__doc__ = f"The {kind}'s current state, or its state at a version or instant."
    view: Any = blp.response(200, aggregate_schema(cls), headers=ETAG_HEADER)(state)
    view = blp.alt_response(304, description="Not modified (If-None-Match)")(view)
    view = document_errors(blp, view, "State", {ANY_OPERATION, STATE})
    view = blp.arguments(StateQuerySchema(), location="query")(view)
    view = blp.arguments(ConditionalHeadersSchema(), location="headers", as_kwargs=True)(view)
    view = blp.doc(operationId=f"get{cls.__name__}")(view)
    blp.route(rule, methods=["GET"], endpoint=f"get_{cls.__name__}")(view)

    def history(**path: Any) -> Any:
        principal = current_principal()
        if not principal.can_audit:
            raise Forbidden("the full audit detail is for auditors and admins")
        ident = ident_of(path)
        ledger = current_app.extensions["okr_ledger"].ledger
        ledger.get(cls, ident)
        positions = ledger.positions_of(ident)
        events = [
            event_json(e, positions.get(e.originator_version)) for e in ledger.history(ident)
        ]
        return current_app.json.response({"aggregate_id": str(ident), "events": events})

    history.__doc__ = f"Every event of the {kind}, with who, when, why and under which decision."
    hview: Any = blp.response(200, history_schema(cls))(history)
    hview = document_errors(blp, hview, "History", {ANY_OPERATION, HISTORY})
    hview = blp.doc(operationId=f"get{cls.__name__}History")(hview)
    blp.route(f"{rule}/history", methods=["GET"], endpoint=f"history_{cls.__name__}")(hview)
