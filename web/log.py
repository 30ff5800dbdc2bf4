"""The transparency log over HTTP.

Open to anyone (they reveal hashes only): the latest signed checkpoint or the one of a
given size (``text/plain``, a C2SP signed note), the log's verifier key, inclusion and
consistency proofs (RFC 9162). For auditors and admins: one leaf with its event, and
the receipt of one command (its events' leaves, their inclusion proofs and the signed
checkpoint that covers them), which ``okr-ledger-verify receipt`` checks offline.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Response, current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from marshmallow.validate import Range

from commands.errors import Forbidden
from commands.schemas import MAX_INTEGER
from ledger.tlog.errors import LogCorrupted, NoSigningKey
from ledger.tlog.leaf import decode_leaf
from ledger.tlog.note import SignedCheckpoint
from projections.records import decode
from projections.vocabulary import time_text
from web.auth import current_principal
from web.errors import ApiErrorSchema, error_response

RECEIPT_FORMAT = "okr-ledger.receipt/1"
MAX_SIZE = MAX_INTEGER  # every integer a client sends is bounded (the API's contract)
"""Sizes and indexes above this are refused at once (no store holds that many)."""

blp = Blueprint(
    "transparency-log",
    __name__,
    url_prefix="/api/v1/log",
    description="The transparency log: signed checkpoints, proofs, entries and receipts",
)


def plain(description: str) -> dict[str, Any]:
    """An OpenAPI response of plain text."""
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


def transparency() -> Any:
    return current_app.extensions["okr_ledger"].transparency


def whole(**kw: Any) -> fields.Integer:
    return fields.Integer(strict=False, validate=Range(min=0, max=MAX_SIZE), **kw)


def unavailable(error: NoSigningKey | LogCorrupted) -> Response:
    if isinstance(error, NoSigningKey):
        return error_response(503, "no_signing_key", error.message)
    return error_response(503, "log_corrupted", error.message)


def guarded(view: Callable[..., Any]) -> Callable[..., Any]:
    """The log's own failures (no signing key, a corrupted store) as a 503 in the one
    error shape; bad arguments raise the log's typed errors (422)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (NoSigningKey, LogCorrupted) as error:
            return unavailable(error)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def document(*codes: int, public: bool) -> Callable[[Any], Any]:
    def apply(view: Any) -> Any:
        for code in codes:
            view = blp.alt_response(code, schema=ApiErrorSchema)(view)
        if public:
            view = blp.doc(security=[])(view)
        return view

    return apply


def text(body: str) -> Response:
    return Response(body, mimetype="text/plain")


# -- public: checkpoints, key, proofs ----------------------------------------------------


class CheckpointQuerySchema(Schema):
    size = whole(metadata={"description": "the checkpoint issued at this tree size"})


class InclusionQuerySchema(Schema):
    index = whole(required=True, metadata={"description": "the leaf index"})
    size = whole(required=True, metadata={"description": "the tree size (a signed one)"})


class ConsistencyQuerySchema(Schema):
    start = whole(required=True, data_key="from", metadata={"description": "the older size"})
    end = whole(required=True, data_key="to", metadata={"description": "the newer size"})


class InclusionProofSchema(Schema):
    index = fields.Integer(required=True)
    size = fields.Integer(required=True)
    leaf_hash = fields.String(required=True, metadata={"description": "hex"})
    hashes = fields.List(fields.String(), required=True, metadata={"description": "hex"})


class ConsistencyProofSchema(Schema):
    start = fields.Integer(required=True, data_key="from")
    end = fields.Integer(required=True, data_key="to")
    hashes = fields.List(fields.String(), required=True, metadata={"description": "hex"})


@blp.route("/checkpoint", methods=["GET"], endpoint="getCheckpoint")
@blp.arguments(CheckpointQuerySchema(), location="query")
@blp.response(200, content_type="text/plain")
@document(404, 422, 503, public=True)
@blp.doc(
    operationId="getCheckpoint",
    responses={
        "200": plain("a C2SP signed note: the log's signature, then its witnesses' cosignatures")
    },
)
@guarded
def checkpoint(query: dict[str, Any]) -> Any:
    """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note), or the one
    issued at ``size``, with the cosignatures its witnesses returned appended as further
    signature lines (C2SP tlog-cosignature)."""
    log = transparency()
    if "size" in query:
        found: SignedCheckpoint | None = log.checkpoint_at(query["size"])
        if found is None:
            return error_response(
                404,
                "not_found",
                f"no checkpoint was issued at size {query['size']}",
                {"size": ["no checkpoint of this size"]},
            )
    else:
        found = log.latest_checkpoint()
        if found is None:
            return error_response(404, "not_found", "no checkpoint has been signed yet")
    return text(log.with_cosignatures(found))


@blp.route("/key", methods=["GET"], endpoint="getLogKey")
@blp.response(200, content_type="text/plain")
@document(503, public=True)
@blp.doc(operationId="getLogKey", responses={"200": plain("a C2SP verifier key")})
@guarded
def key() -> Any:
    """The log's verifier key (C2SP vkey: name+key id+base64 key)."""
    return text(transparency().verifier_key() + "\n")


@blp.route("/proofs/inclusion", methods=["GET"], endpoint="getInclusionProof")
@blp.arguments(InclusionQuerySchema(), location="query")
@blp.response(200, InclusionProofSchema)
@document(422, 503, public=True)
@blp.doc(operationId="getInclusionProof")
@guarded
def inclusion(query: dict[str, Any]) -> Any:
    """The inclusion proof (RFC 9162 §2.1.3) of leaf ``index`` in the tree of ``size``
    leaves; ``size`` may not be beyond the latest signed checkpoint."""
    log = transparency()
    index, size = query["index"], query["size"]
    hashes = log.inclusion_proof(index, size)
    return {
        "index": index,
        "size": size,
        "leaf_hash": log.leaf_hash(index).hex(),
        "hashes": [h.hex() for h in hashes],
    }


@blp.route("/proofs/consistency", methods=["GET"], endpoint="getConsistencyProof")
@blp.arguments(ConsistencyQuerySchema(), location="query")
@blp.response(200, ConsistencyProofSchema)
@document(422, 503, public=True)
@blp.doc(operationId="getConsistencyProof")
@guarded
def consistency(query: dict[str, Any]) -> Any:
    """The consistency proof (RFC 9162 §2.1.4) that the tree of ``to`` leaves extends
    the tree of ``from`` leaves; ``to`` may not be beyond the latest signed checkpoint."""
    start, end = query["start"], query["end"]
    hashes = transparency().consistency_proof(start, end)
    return {"start": start, "end": end, "hashes": [h.hex() for h in hashes]}


# -- auditors and admins: entries and receipts ------------------------------------------


class EntrySchema(Schema):
    index = fields.Integer(required=True)
    position = fields.Integer(required=True)
    leaf_hash = fields.String(required=True, metadata={"description": "hex"})
    leaf = fields.String(required=True, metadata={"description": "base64 of the leaf bytes"})
    event = fields.Dict(required=True, metadata={"description": "the event, decoded"})


class ReceiptEntrySchema(Schema):
    index = fields.Integer(required=True)
    position = fields.Integer(required=True)
    leaf = fields.String(required=True, metadata={"description": "base64 of the leaf bytes"})
    hashes = fields.List(
        fields.String(), required=True, metadata={"description": "the inclusion proof, hex"}
    )


class ReceiptSchema(Schema):
    format = fields.String(required=True, metadata={"example": RECEIPT_FORMAT})
    correlation_id = fields.UUID(required=True)
    checkpoint = fields.String(required=True, metadata={"description": "a signed note"})
    entries = fields.List(fields.Nested(ReceiptEntrySchema), required=True)


def auditor() -> None:
    if not current_principal().can_audit:
        raise Forbidden("the log's entries and receipts are for auditors and admins")


DIGITS = re.compile(r"[0-9]{1,19}")


def invalid(name: str, message: str) -> Response:
    return error_response(422, "validation_failed", f"{name} {message}", {name: [message]})


def index_from_path(value: str) -> int | None:
    if not DIGITS.fullmatch(value) or int(value) > MAX_SIZE:
        return None
    return int(value)


def event_of(leaf: bytes) -> dict[str, Any]:
    """The event a leaf holds, decoded from its stored bytes as the audit trail shows it."""
    fields_ = decode_leaf(leaf)
    r = decode(
        fields_.position, fields_.aggregate_id, fields_.version, fields_.topic, fields_.state
    )
    return {
        "position": r.position,
        "event_type": r.event_type,
        "aggregate_type": r.aggregate_type,
        "aggregate_id": r.aggregate_id,
        "version": r.version,
        "recorded_at": time_text(r.recorded_at),
        "effective_at": time_text(r.effective_at),
        "actor": r.actor,
        "reason": r.reason,
        "decision_id": r.decision_id,
        "correlation_id": r.correlation_id,
        "command_id": r.command_id,
        "data": r.data,
    }


@blp.route("/entries/<index>", methods=["GET"], endpoint="getLogEntry")
@blp.response(200, EntrySchema)
@document(401, 403, 422, 503, public=False)
@blp.doc(operationId="getLogEntry")
@guarded
def entry(index: str) -> Any:
    """One leaf of the log: its position, hash, exact bytes and the event it holds."""
    auditor()
    number = index_from_path(index)
    if number is None:
        return invalid("index", f"must be a whole number from 0 to {MAX_SIZE}")
    found = transparency().entry(number)
    return {
        "index": found.index,
        "position": found.position,
        "leaf_hash": found.leaf_hash.hex(),
        "leaf": base64.b64encode(found.leaf).decode(),
        "event": event_of(found.leaf),
    }


@blp.route("/receipts/<correlation_id>", methods=["GET"], endpoint="getReceipt")
@blp.response(200, ReceiptSchema)
@document(401, 403, 404, 422, 503, public=False)
@blp.doc(operationId="getReceipt")
@guarded
def receipt(correlation_id: str) -> Any:
    """The receipt of one command: its events' leaves, their inclusion proofs and the
    signed checkpoint that covers them, one self-contained document that
    ``okr-ledger-verify receipt`` checks offline. 503 (with Retry-After) while the
    latest checkpoint does not yet cover every event of the command."""
    auditor()
    try:
        correlation = UUID(correlation_id)
    except ValueError:
        return invalid("correlation_id", "must be a UUID")
    services = current_app.extensions["okr_ledger"]
    models = services.read_models
    models.refresh()
    rows = models.audit_rows({"correlation": str(correlation)}, after=0, limit=None)
    if not rows:
        return error_response(
            404, "not_found", f"the audit trail holds no event of correlation id {correlation}"
        )
    log = services.transparency
    positions = [row["position"] for row in rows]
    indexes = log.indexes_of(positions)
    latest = log.latest_checkpoint()
    covered = latest is not None and all(
        p in indexes and indexes[p] < latest.size for p in positions
    )
    if latest is None or not covered:
        return error_response(
            503,
            "not_checkpointed",
            "the latest signed checkpoint does not cover every event of this command yet",
            headers={"Retry-After": str(max(1, round(log.interval)))},
        )
    entries = []
    for position in positions:
        index = indexes[position]
        found = log.entry(index)
        entries.append(
            {
                "index": index,
                "position": position,
                "leaf": base64.b64encode(found.leaf).decode(),
                "hashes": [h.hex() for h in log.inclusion_proof(index, latest.size)],
            }
        )
    return {
        "format": RECEIPT_FORMAT,
        "correlation_id": str(correlation),
        "checkpoint": latest.note,
        "entries": entries,
    }
