"""Webhook subscriptions over HTTP: subscribe (the secret is shown once, in the answer),
list, read one with its delivery state and dead letters, end one, replay its dead
letters. Admins see and manage every subscription; editors those of their teams."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import RAISE, fields
from marshmallow.validate import Length, OneOf

from commands.catalogue import API as ANY_OPERATION
from commands.catalogue import CREATE, HISTORY, STATE, UPDATE, WRITE
from commands.errors import Forbidden
from commands.principals import EDITOR, Principal
from commands.schemas import StorableTextSchema
from commands.subscriptions import Subscribe, Unsubscribe
from deliveries.signing import new_secret
from deliveries.store import DEAD
from deliveries.targets import checked_address
from eventlog.vocabulary import micros_of, time_text
from ledger.application import not_found
from ledger.exceptions import InvalidTransition, NotFound
from ledger.subscription import KINDS, PRESETS, Subscription, require_url
from ledger.team import Team
from web.auth import current_principal
from web.errors import UnknownReference, document_errors
from web.vocabulary import Count, Id, Many, One, Response, Text, Time
from web.writes import OutcomeSchema

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="Webhook subscriptions: signed notifications of what matters",
)


class SubscribeSchema(StorableTextSchema):
    class Meta:
        unknown = RAISE

    url = fields.String(
        required=True,
        validate=Length(min=1, max=2000),
        metadata={"description": "an absolute http(s) URL on a public address"},
    )
    kinds = fields.List(
        fields.String(validate=OneOf(KINDS)),
        required=True,
        validate=Length(min=1, max=len(KINDS)),
        metadata={"description": "the kinds of notification wanted"},
    )
    team = fields.String(
        validate=Length(min=1, max=200),
        metadata={"description": "a team id or key: only that team's notifications"},
    )
    preset = fields.String(
        validate=OneOf(PRESETS),
        load_default="standard",
        metadata={"description": "the payload shape: standard, slack or teams"},
    )


class DeliveryCountsSchema(Response):
    pending = Count()
    delivered = Count()
    dead = Count("dead letters: their retries are spent; they can be replayed")
    dropped = Count("dropped when the subscription ended")


class SubscriptionSchema(Response):
    id = Id()
    url = Text()
    kinds = Many(fields.String(metadata={"enum": list(KINDS)}))
    team_id = Id(null=True)
    preset = Text(enum=PRESETS)
    status = Text(enum=("active", "cancelled"))
    created_at = Time()
    deliveries = One(DeliveryCountsSchema)


class CreatedSubscriptionSchema(SubscriptionSchema):
    secret = Text("the signing secret (whsec_...): shown this once, never again")
    position = Count("log position of the subscription's event")


class SubscriptionListSchema(Response):
    webhooks = Many(SubscriptionSchema)


class MessageSchema(Response):
    webhook_id = Text("the webhook-id header: the same on every retry")
    kind = Text(enum=KINDS)
    summary = Text()
    state = Text(enum=("pending", "delivered", "dead", "dropped"))
    attempts = Count()
    position = Count("the log position it comes from (0 for reminders)")
    created_at = Time()
    last_attempt_at = Time(null=True)
    next_attempt_at = Time(null=True)
    delivered_at = Time(null=True)
    last_status = Count("the receiver's last HTTP status", null=True)
    last_error = Text(null=True)


class SubscriptionDetailSchema(SubscriptionSchema):
    dead_letters = Many(MessageSchema, "the latest 100 dead letters")
    recent = Many(MessageSchema, "the latest 20 messages, newest first")


class ReplaySchema(Response):
    replayed = Count("dead letters put back in the queue")


def errors(family: str, *kinds: str) -> Any:
    """Document the catalogue's error codes for an operation of these kinds."""
    return lambda view: document_errors(blp, view, family, {ANY_OPERATION, *kinds})


def services() -> Any:
    return current_app.extensions["okr_ledger"]


def may_manage(principal: Principal, team_id: UUID | None) -> bool:
    if principal.is_admin:
        return True
    if principal.role != EDITOR or team_id is None:
        return False
    scope = {team_id, *services().ledger.team_ancestors(team_id)}
    return bool(scope & principal.teams)


def require_reader(principal: Principal) -> None:
    if not principal.is_admin and principal.role != EDITOR:
        raise Forbidden("webhook subscriptions are for admins and editors")


def subscription_json(subscription: Subscription, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "id": str(subscription.id),
        "url": subscription.url,
        "kinds": list(subscription.kinds),
        "team_id": str(subscription.team_id) if subscription.team_id else None,
        "preset": subscription.preset,
        "status": subscription.status,
        "created_at": time_text(subscription.created_on),
        "deliveries": counts,
    }


def message_json(row: dict[str, Any]) -> dict[str, Any]:
    pending = row["state"] == "pending"
    return {
        "webhook_id": row["message_id"],
        "kind": row["kind"],
        "summary": row["summary"],
        "state": row["state"],
        "attempts": int(row["attempts"]),
        "position": int(row["position"]),
        "created_at": time_text(int(row["created_at"])),
        "last_attempt_at": time_text(row["last_attempt_at"]),
        "next_attempt_at": time_text(int(row["next_attempt_at"])) if pending else None,
        "delivered_at": time_text(row["delivered_at"]),
        "last_status": row["last_status"],
        "last_error": row["last_error"],
    }


def load(ident: UUID) -> Subscription:
    """The subscription, if this principal may see it (else 404 or 403)."""
    principal = current_principal()
    require_reader(principal)
    found = services().ledger.get_many([ident]).get(ident)
    if not isinstance(found, Subscription):
        raise not_found(Subscription, ident)
    if not may_manage(principal, found.team_id):
        raise Forbidden(f"{principal.name} may not see this subscription")
    return found


def counts_of(ident: UUID) -> dict[str, int]:
    store = services().deliveries
    with store.transaction(commit=False) as cursor:
        return store.counts(cursor, str(ident))


def team_id_of(ref: str | None) -> UUID | None:
    if ref is None:
        return None
    try:
        return UUID(ref)
    except ValueError:
        return Team.id_for(ref)


@blp.route("", methods=["POST"], endpoint="Subscribe")
@blp.doc(operationId="Subscribe")
@blp.arguments(SubscribeSchema(), location="json")
@errors("Webhook", WRITE, CREATE)
@blp.response(201, CreatedSubscriptionSchema)
def subscribe(body: dict[str, Any]) -> Any:
    """Subscribe a URL to kinds of notification; the answer holds the secret, once."""
    principal = current_principal()
    app = services()
    url = require_url(body["url"])
    team_id = team_id_of(body.get("team"))
    command = Subscribe(
        subscription_id=uuid4(),
        url=url,
        kinds=body["kinds"],
        team_id=team_id,
        preset=body["preset"],
    )
    # Permissions and the team first, then the address, then the secret, then the
    # event (the bus checks the rules again; a refusal there forgets the secret).
    if team_id is None and not principal.is_admin:
        raise Forbidden("only an admin may subscribe to notifications of every team")
    if team_id is not None:
        try:
            app.ledger.get(Team, team_id, field="team")
        except NotFound as missing:
            raise UnknownReference(missing) from None
        if not may_manage(principal, team_id):
            raise Forbidden(f"{principal.name} may not subscribe for this team")
    checked_address(url, allow_private=app.settings.webhook_allow_private)
    secret = new_secret()
    ident = str(command.subscription_id)
    app.deliveries.keep_secret(ident, secret)
    try:
        outcome = app.bus.handle(command, principal)
    except BaseException:
        app.deliveries.forget_secret(ident)
        raise
    subscription = app.ledger.get(Subscription, command.subscription_id)
    answer = subscription_json(subscription, counts_of(subscription.id))
    answer.update(secret=secret, position=outcome.position)
    return answer, 201, {"Location": f"/api/v1/webhooks/{ident}"}


@blp.route("", methods=["GET"], endpoint="listWebhooks")
@blp.doc(operationId="listWebhooks")
@errors("WebhookRead", STATE, HISTORY)
@blp.response(200, SubscriptionListSchema)
def list_webhooks() -> Any:
    """The subscriptions this principal may manage (without their secrets)."""
    principal = current_principal()
    require_reader(principal)
    app = services()
    ids = [UUID(i) for i in app.deliveries.subscription_ids()]
    found = app.ledger.get_many(ids)
    listed = [
        subscription_json(s, counts_of(s.id))
        for s in found.values()
        if isinstance(s, Subscription) and may_manage(principal, s.team_id)
    ]
    return current_app.json.response({"webhooks": sorted(listed, key=lambda s: s["created_at"])})


@blp.route("/<uuid:subscription_id>", methods=["GET"], endpoint="getWebhook")
@blp.doc(operationId="getWebhook")
@errors("WebhookRead", STATE, HISTORY)
@blp.response(200, SubscriptionDetailSchema)
def get_webhook(subscription_id: UUID) -> Any:
    """One subscription with its delivery state, dead letters and latest messages."""
    subscription = load(subscription_id)
    store = services().deliveries
    with store.transaction(commit=False) as cursor:
        counts = store.counts(cursor, str(subscription_id))
        dead = store.messages(cursor, str(subscription_id), DEAD, limit=100)
        recent = store.messages(cursor, str(subscription_id), limit=20)
    answer = subscription_json(subscription, counts)
    answer["dead_letters"] = [message_json(r) for r in dead]
    answer["recent"] = [message_json(r) for r in recent]
    return current_app.json.response(answer)


@blp.route("/<uuid:subscription_id>", methods=["DELETE"], endpoint="Unsubscribe")
@blp.doc(operationId="Unsubscribe")
@errors("WebhookUpdate", WRITE, UPDATE)
@blp.response(200, OutcomeSchema)
def unsubscribe(subscription_id: UUID) -> Any:
    """End a subscription: nothing more is queued for it, its pending messages drop."""
    load(subscription_id)
    outcome = services().bus.handle(
        Unsubscribe(subscription_id=subscription_id), current_principal()
    )
    return outcome.to_json()


@blp.route(
    "/<uuid:subscription_id>/dead-letters/replay", methods=["POST"], endpoint="replayDeadLetters"
)
@blp.doc(operationId="replayDeadLetters")
@errors("WebhookUpdate", WRITE, UPDATE)
@blp.response(200, ReplaySchema)
def replay_dead_letters(subscription_id: UUID) -> Any:
    """Put the subscription's dead letters back in its queue with a fresh retry budget."""
    subscription = load(subscription_id)
    if not subscription.is_active:
        raise InvalidTransition("subscription", subscription.status, "replay dead letters")
    now = micros_of(services().bus.clock())
    return {"replayed": services().deliveries.replay_dead(str(subscription_id), now)}
