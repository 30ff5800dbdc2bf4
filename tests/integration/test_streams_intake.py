"""The command intake on a real Kafka-protocol broker and the real PostgreSQL: command
messages run through the same handlers and permissions as HTTP, each answered on the
results topic (accepted with positions, or HTTP's error shape), and the log holds exactly
what was accepted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from kafka import KafkaProducer

from ledger.key_result import KeyResult
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from streams.intake import RESULT_SCHEMA, CommandIntake
from streams.kafka import consumer, ensure_topics, producer
from tests.conftest import FakeClock, build_org, grant_token
from tests.integration.broker import FAST_GROUP, Broker, read_topic
from web.error_codes import STATUS


@dataclass
class Intake:
    services: Services
    key_result: UUID
    send: KafkaProducer
    broker: Broker
    commands: str
    results: str

    def submit(self, *messages: dict[str, Any] | bytes) -> None:
        for message in messages:
            value = message if isinstance(message, bytes) else orjson.dumps(message)
            self.send.send(self.commands, value=value)
        self.send.flush(timeout=10)

    def results_for(self, count: int) -> list[dict[str, Any]]:
        got = read_topic(self.broker.servers, self.results, lambda found: len(found) >= count)
        return sorted(
            (orjson.loads(message.value) for message in got),
            key=lambda r: (r["source"]["partition"], r["source"]["offset"]),
        )

    def check_ins(self) -> list[Any]:
        kr = self.services.ledger.get(KeyResult, self.key_result)
        return sorted(kr.check_ins.values(), key=lambda c: c.value)

    def check_in(self, value: float, *, token: str = "editor-token", **extra: Any) -> dict:
        return {
            "request_id": f"r-{uuid4().hex[:8]}",
            "command": "CheckIn",
            "token": token,
            "fields": {
                "key_result_id": str(self.key_result),
                "value": value,
                "confidence": "on_track",
            },
            **extra,
        }


def make_intake(services: Services, broker: Broker, suffix: str) -> CommandIntake:
    """An intake reading ``commands-<suffix>`` and answering on ``results-<suffix>``."""
    commands, results = f"commands-{suffix}", f"results-{suffix}"
    ensure_topics(broker.servers, [commands, results], 1)
    return CommandIntake(
        services.bus,
        services.authenticator,
        consumer(broker.servers, f"intake-{suffix}", **FAST_GROUP),
        producer(broker.servers),
        commands,
        results,
        statuses=STATUS,
    )


@pytest.fixture
def intake(pg_url: str, broker: Broker) -> Iterator[Intake]:
    services = bootstrap(Settings(database_url=pg_url), clock=FakeClock())
    org = build_org(services.bus)
    kr = org.key_result(org.objective())
    for name, role, token, teams in [
        ("erin.editor", "editor", "editor-token", (org.team,)),
        ("otto.editor", "editor", "other-editor-token", (org.other_team,)),
        ("vic.viewer", "viewer", "viewer-token", ()),
    ]:
        grant_token(services.bus, token, name, role, teams)
    runner = make_intake(services, broker, uuid4().hex[:8])
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    send = producer(broker.servers)
    try:
        yield Intake(services, kr, send, broker, runner.topic, runner.results_topic)
    finally:
        stop.set()
        thread.join(timeout=30)
        send.close()
        runner.producer.close()
        services.close()


def test_a_valid_check_in_is_accepted_with_its_positions_and_lands_in_the_log(
    intake: Intake,
) -> None:
    before = intake.services.ledger.head_position()
    message = intake.check_in(47.5, command_id="pipeline-2026-07-10-renewals")
    intake.submit(message)
    [result] = intake.results_for(1)
    assert result["schema"] == RESULT_SCHEMA
    assert result["request_id"] == message["request_id"]
    assert result["command"] == "CheckIn"
    assert result["status"] == 201
    assert result["error"] is None
    assert result["outcome"]["position"] == intake.services.ledger.head_position() > before
    assert result["outcome"]["versions"] == {str(intake.key_result): 2}
    assert result["outcome"]["command_id"] == "pipeline-2026-07-10-renewals"
    [check_in] = intake.check_ins()
    assert check_in.value == 47.5


def test_invalid_messages_get_the_http_error_shape_naming_the_field_and_write_nothing(
    intake: Intake,
) -> None:
    before = intake.services.ledger.head_position()
    bad_confidence = intake.check_in(47.5)
    bad_confidence["fields"]["confidence"] = "sure"
    no_value = intake.check_in(47.5)
    del no_value["fields"]["value"]
    bad_id = intake.check_in(47.5)
    bad_id["fields"]["key_result_id"] = "not-a-uuid"
    unknown_kr = intake.check_in(47.5)
    unknown_kr["fields"]["key_result_id"] = str(uuid4())
    stale = intake.check_in(47.5, expected_version=7)
    bad_key = intake.check_in(47.5, command_id="two words")
    intake.submit(bad_confidence, no_value, bad_id, unknown_kr, stale, bad_key)
    results = intake.results_for(6)
    by_request = {r["request_id"]: r for r in results}

    def error(message: dict[str, Any]) -> dict[str, Any]:
        result = by_request[message["request_id"]]
        assert result["outcome"] is None
        assert result["error"]["status"] == result["status"]
        return result["error"]

    assert error(bad_confidence)["code"] == "validation_failed"
    assert "confidence" in error(bad_confidence)["fields"]
    assert "value" in error(no_value)["fields"]
    assert "key_result_id" in error(bad_id)["fields"]
    assert error(unknown_kr)["status"] == 404
    assert error(stale)["status"] == 409
    assert error(stale)["current_version"] == 1
    assert "command_id" in error(bad_key)["fields"]
    assert intake.services.ledger.head_position() == before
    assert intake.check_ins() == []


def test_unknown_tokens_and_principals_without_the_right_are_refused(intake: Intake) -> None:
    before = intake.services.ledger.head_position()
    unknown = intake.check_in(47.5, token="no-such-token")
    viewer = intake.check_in(47.5, token="viewer-token")
    other_team = intake.check_in(47.5, token="other-editor-token")
    intake.submit(unknown, viewer, other_team)
    by_request = {r["request_id"]: r for r in intake.results_for(3)}
    assert by_request[unknown["request_id"]]["status"] == 401
    assert by_request[unknown["request_id"]]["error"]["code"] == "unauthenticated"
    assert by_request[viewer["request_id"]]["status"] == 403
    assert by_request[other_team["request_id"]]["status"] == 403
    assert by_request[other_team["request_id"]]["error"]["code"] == "forbidden"
    assert intake.services.ledger.head_position() == before


def test_a_repeated_command_id_acts_once_and_answers_with_the_first_outcome(
    intake: Intake,
) -> None:
    first = intake.check_in(52, command_id="metrics-job-81")
    again = {**first, "request_id": "r-again"}
    reused = intake.check_in(60, command_id="metrics-job-81")  # the key, other content
    intake.submit(first, again, reused)
    results = intake.results_for(3)
    assert [r["status"] for r in results] == [201, 201, 422]
    assert results[1]["outcome"]["replayed"] is True
    assert results[1]["outcome"]["position"] == results[0]["outcome"]["position"]
    assert results[2]["error"]["code"] == "idempotency_key_reused"
    assert [c.value for c in intake.check_ins()] == [52]


def test_malformed_messages_are_answered_and_the_intake_carries_on(intake: Intake) -> None:
    valid = intake.check_in(44)
    intake.submit(
        b"\xff not json",
        b"[1, 2]",
        {"request_id": "r-no-command", "token": "editor-token"},
        {"request_id": "r-unknown", "command": "LaunchRocket", "token": "editor-token"},
        {"request_id": "r-extra", "command": "CheckIn", "token": "t", "colour": "red"},
        valid,
    )
    results = intake.results_for(6)
    assert [r["status"] for r in results] == [400, 422, 422, 400, 422, 201]
    assert results[0]["error"]["code"] == "malformed_message"
    assert results[2]["request_id"] == "r-no-command"
    assert "command" in results[2]["error"]["fields"]
    assert results[3]["error"]["code"] == "unknown_command"
    assert "colour" in results[4]["error"]["fields"]
    assert results[5]["request_id"] == valid["request_id"]
    assert [c.value for c in intake.check_ins()] == [44]


def test_a_batch_read_again_after_a_crash_acts_once(pg_url: str, broker: Broker) -> None:
    services = bootstrap(Settings(database_url=pg_url), clock=FakeClock())
    try:
        org = build_org(services.bus)
        kr = org.key_result(org.objective())
        grant_token(services.bus, "t")
        suffix = uuid4().hex[:8]
        commands, results = f"commands-{suffix}", f"results-{suffix}"
        ensure_topics(broker.servers, [commands, results], 1)  # before anyone subscribes
        with producer(broker.servers) as send:
            for value in (41, 42):  # no command ids: the message's place in the topic serves
                body = {
                    "command": "CheckIn",
                    "token": "t",
                    "fields": {"key_result_id": str(kr), "value": value, "confidence": "on_track"},
                }
                send.send(commands, value=orjson.dumps(body))
            send.flush(timeout=10)

        def runner() -> CommandIntake:
            made = make_intake(services, broker, suffix)
            made.consumer.subscribe([commands])
            return made

        crashing = runner()
        crashing.consumer.commit = lambda *a, **k: None  # it dies before committing
        handled = 0
        while handled < 2:
            handled += crashing.poll_once(timeout_ms=1000)
        crashing.consumer.close(autocommit=False)
        crashing.producer.close()

        again = runner()
        handled = 0
        while handled < 2:
            handled += again.poll_once(timeout_ms=1000)
        again.consumer.close()
        again.producer.close()

        answers = [orjson.loads(x.value) for x in read_topic(
            broker.servers, results, lambda found: len(found) >= 4
        )]  # fmt: skip
        assert [a["outcome"]["replayed"] for a in answers] == [False, False, True, True]
        assert sorted(c.value for c in services.ledger.get(KeyResult, kr).check_ins.values()) == [
            41,
            42,
        ]
    finally:
        services.close()
