"""The command intake: runs commands that arrive on a topic (check-ins pushed by a
metrics pipeline, say) through the same handlers and permissions as HTTP, and writes
each outcome, or the same error shape as HTTP, to a results topic.

A command message (JSON):

    {"request_id": "...", "command": "CheckIn", "token": "okr_...",
     "command_id": "...", "expected_version": 3,
     "fields": {"key_result_id": "...", "value": 42.5, "confidence": "on_track"}}

``fields`` holds the command's fields, ids included (the ones HTTP takes from the path).
``command_id`` is the idempotency key; without one, the message's own place in the topic
(topic, partition, offset) serves, so a message read twice acts once. A result is:

    {"schema": "okr-ledger.command-result/1", "request_id": "...", "command": "CheckIn",
     "status": 201, "outcome": {...}, "error": null,
     "source": {"topic": "...", "partition": 0, "offset": 12}}

Offsets are committed only after the results are acknowledged: a crash makes the intake
read messages again, and idempotency turns the second run into the first's outcome. A
malformed message gets an error result and never stops the consumer.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, get_type_hints
from uuid import UUID

import orjson
from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.validate import Length, Range

from commands import messages as m
from commands.auth import Authenticator
from commands.bus import CommandBus
from commands.errors import ErrorKind, Unauthenticated, UnknownCommand, error_detail, kind_of
from commands.schemas import IDEMPOTENCY_KEY, MAX_INTEGER, SCHEMAS
from ledger.exceptions import LedgerError

log = logging.getLogger(__name__)

RESULT_SCHEMA = "okr-ledger.command-result/1"
CREATED, DONE = 201, 200
"""A result's ``status`` when the command made something, and when it changed something;
a failure's comes from the ``statuses`` the intake is given (the HTTP API's)."""
COMMANDS = {cls.__name__: cls for cls in SCHEMAS}


class MessageSchema(Schema):
    class Meta:
        unknown = RAISE

    request_id = fields.String(allow_none=True, validate=Length(max=200))
    command = fields.String(required=True)
    token = fields.String(required=True)
    command_id = fields.String(allow_none=True, validate=IDEMPOTENCY_KEY)
    expected_version = fields.Integer(
        allow_none=True, strict=True, validate=Range(min=0, max=MAX_INTEGER)
    )
    fields_ = fields.Dict(keys=fields.String(), data_key="fields", load_default=dict)


class Refused(Exception):
    def __init__(self, kind: ErrorKind, detail: dict[str, Any]) -> None:
        super().__init__(detail["message"])
        self.kind = kind
        self.detail = detail


def refused(kind: ErrorKind, code: str, message: str, field_errors: Any = None) -> Refused:
    detail: dict[str, Any] = {"code": code, "message": message}
    if field_errors:
        detail["fields"] = field_errors
    return Refused(kind, detail)


def refusal(error: LedgerError) -> Refused:
    return Refused(kind_of(error), error_detail(error))


def id_fields(command: type[m.Command]) -> dict[str, bool]:
    """The command's UUID fields that its body schema does not take (HTTP gets them
    from the path), each with whether it is required."""
    hints = get_type_hints(command)
    body = set(SCHEMAS[command]().fields)
    found = {}
    for field in dataclasses.fields(command):
        if field.name in body or field.name == "expected_version":
            continue
        if hints[field.name] in (UUID, UUID | None):
            required = field.default is dataclasses.MISSING
            found[field.name] = required
    return found


def build_command(cls: type[m.Command], given: dict[str, Any], expected: int | None) -> Any:
    ids: dict[str, UUID] = {}
    problems: dict[str, list[str]] = {}
    for name, required in id_fields(cls).items():
        if name not in given:
            if required:
                problems[name] = ["Missing data for required field."]
            continue
        try:
            ids[name] = UUID(str(given[name]))
        except ValueError:
            problems[name] = ["Not a valid UUID."]
    body = {k: v for k, v in given.items() if k not in id_fields(cls)}
    try:
        loaded = SCHEMAS[cls]().load(body)
    except ValidationError as error:
        problems.update(error.normalized_messages())  # type: ignore[arg-type]
        loaded = {}
    if problems:
        raise refused(
            ErrorKind.REFUSED,
            "validation_failed",
            "the message does not match the command's schema",
            problems,
        )
    return cls(**loaded, **ids, expected_version=expected)


class CommandIntake:
    def __init__(
        self,
        bus: CommandBus,
        authenticator: Authenticator,
        consumer: Any,
        producer: Any,
        topic: str,
        results_topic: str,
        *,
        statuses: Mapping[ErrorKind, int],
    ) -> None:
        """``statuses``: the status a result gives each kind of failure (the composition
        root passes the HTTP API's, so that both fronts answer alike)."""
        self.statuses = statuses
        self.bus = bus
        self.authenticator = authenticator
        self.consumer = consumer
        self.producer = producer
        self.topic = topic
        self.results_topic = results_topic

    def handle(self, value: bytes, source: dict[str, Any]) -> dict[str, Any]:
        """The result message for one command message."""
        request_id, command_name, status, outcome, error = None, None, 0, None, None
        try:
            try:
                raw = orjson.loads(value)
            except orjson.JSONDecodeError:
                raise refused(
                    ErrorKind.MALFORMED, "malformed_message", "the message is not JSON"
                ) from None
            if isinstance(raw, dict) and isinstance(raw.get("request_id"), str):
                request_id = raw["request_id"][:200]  # echoed even when the rest is wrong
            try:
                message = MessageSchema().load(raw)
            except ValidationError as invalid:
                raise refused(
                    ErrorKind.REFUSED,
                    "validation_failed",
                    "the message is not a command message",
                    invalid.normalized_messages(),
                ) from None
            command_name = message["command"]
            cls = COMMANDS.get(command_name)
            if cls is None:
                raise refusal(UnknownCommand(f"no command {command_name!r}", field="command"))
            principal = self.authenticator.principal_for(message["token"])
            if principal is None:
                raise refusal(Unauthenticated("the token is unknown or revoked", field="token"))
            command = build_command(cls, message["fields_"], message.get("expected_version"))
            command_id = message.get("command_id") or (
                f"kafka:{source['topic']}:{source['partition']}:{source['offset']}"
            )
            result = self.bus.handle(command, principal, command_id=command_id)
            status = CREATED if cls in m.CREATING else DONE
            outcome = result.to_json()
        except Refused as no:
            status = self.statuses[no.kind]
            error = {"status": status, **no.detail}
        except LedgerError as failure:
            status = self.statuses[kind_of(failure)]
            error = {"status": status, **error_detail(failure)}
        except Exception:  # a bug must not stop the intake: answer and carry on
            log.exception("the intake failed on a message at %s", source)
            status = self.statuses[ErrorKind.INTERNAL]
            error = {
                "status": status,
                "code": "internal_error",
                "message": "an unexpected error occurred",
            }
        return {
            "schema": RESULT_SCHEMA,
            "request_id": request_id,
            "command": command_name,
            "status": status,
            "outcome": outcome,
            "error": error,
            "source": source,
        }

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Run one batch of command messages; commit their offsets once the results are
        acknowledged. Returns how many messages it handled."""
        batch = self.consumer.poll(timeout_ms=timeout_ms, max_records=200)
        futures, handled = [], 0
        for tp, messages in batch.items():
            for message in messages:
                source = {"topic": tp.topic, "partition": tp.partition, "offset": message.offset}
                result = self.handle(message.value, source)
                key = (result["request_id"] or f"{tp.partition}:{message.offset}").encode()
                futures.append(
                    self.producer.send(self.results_topic, key=key, value=orjson.dumps(result))
                )
                handled += 1
        if handled:
            self.producer.flush(timeout=30)
            for future in futures:
                if future.failed():
                    raise future.exception
            self.consumer.commit()
        return handled

    def run(self, stop: threading.Event, *, beat: Callable[[], None] | None = None) -> None:
        """Consume until ``stop`` is set; ``beat`` is called after every poll."""
        self.consumer.subscribe([self.topic])
        try:
            while not stop.is_set():
                try:
                    self.poll_once()
                    if beat:
                        beat()
                except Exception as error:  # the batch is read again; idempotency holds
                    log.warning("the intake failed a batch (%s); reading it again", error)
                    self.consumer.unsubscribe()
                    stop.wait(1.0)
                    self.consumer.subscribe([self.topic])
        finally:
            self.consumer.close()
