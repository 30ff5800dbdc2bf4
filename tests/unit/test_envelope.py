"""The events topic's envelope: every stored event survives the trip through a message
unchanged, and anything else on the topic is refused with one exception type."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventlog.decoder import Decoder
from okr_ledger import demo
from okr_ledger.bootstrap import Services
from streams.envelope import (
    EVENT_SCHEMA,
    MalformedMessage,
    Watermark,
    event_message,
    parse,
    watermark_message,
)


def test_every_demo_event_comes_back_from_its_message_as_it_was_stored(
    services: Services,
) -> None:
    demo.load(services)
    recorder = services.ledger.chained_recorder
    head = services.ledger.head_position()
    records = Decoder.of(services.ledger).page(recorder.read_page(0, head, head))
    assert len(records) == head
    for record in records:
        key, value, headers = event_message(record, record.position - 1, "ab" * 32)
        assert key == record.aggregate_id.encode()
        assert parse(value) == record
        assert dict(headers)["okr-kind"] == b"event"
        body = orjson.loads(value)
        assert body["schema"] == EVENT_SCHEMA
        assert body["leaf_index"] == record.position - 1
        assert dict(headers)["okr-leaf-index"] == b"%d" % (record.position - 1)


def test_a_watermark_carries_its_position() -> None:
    value, headers = watermark_message(4211)
    assert parse(value) == Watermark(4211)
    assert dict(headers)["okr-kind"] == b"watermark"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@given(st.binary(max_size=64) | json_values.map(orjson.dumps))
def test_anything_that_is_not_an_envelope_is_refused_as_malformed(value: bytes) -> None:
    with pytest.raises(MalformedMessage):
        parse(value)


@given(
    st.sampled_from(
        [
            "okr-ledger.event/1",
            "okr-ledger.watermark/1",
            "okr-ledger.event/2",
            "okr-ledger.event/3",
        ]
    ),
    st.dictionaries(
        st.sampled_from(["position", "aggregate_id", "version", "recorded_at", "payload"]),
        json_values,
    ),
)
def test_an_envelope_with_missing_or_mistyped_fields_is_refused_as_malformed(
    schema: str, fields: dict
) -> None:
    value = orjson.dumps({"schema": schema, **fields})
    if schema == "okr-ledger.watermark/1" and type(fields.get("position")) is int:
        assert parse(value) == Watermark(fields["position"])
    else:  # an event envelope here always lacks fields; version 3 is not known
        with pytest.raises(MalformedMessage):
            parse(value)
