"""The fetching process behind a consumer-like proxy (``streams.fetching``), with a
scripted consumer in the child instead of a broker: batches come in order, joined up
to ``max_records`` when several have come, a seek drops what was fetched before it, a
rebalance reaches the listener before any message of the new assignment, and a child
that dies is replaced."""

from __future__ import annotations

import os
import signal
from functools import partial
from typing import Any

import pytest
from kafka import TopicPartition

from streams.fetching import FetcherGone, FetchingConsumer

TOPIC = "events"
PARTITIONS = 2


class Scripted:
    """A consumer-group member of a topic whose partition ``p`` holds offsets 0, 1, 2,
    ... with the value ``b"p:offset"``. Its first poll assigns it every partition
    (calling the listener); until then, and if the listener seeks nothing, it reads
    from 0. It never runs out of messages."""

    def __init__(self, per_poll: int = 5) -> None:
        self.per_poll = per_poll
        self.listener: Any = None
        self.positions: dict[TopicPartition, int] = {}

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.listener = listener

    def assignment(self) -> set[TopicPartition]:
        return set(self.positions)

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(PARTITIONS))

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.positions[partition] = offset

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[Any, Any]:
        if not self.positions:
            every = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
            self.positions = dict.fromkeys(every, 0)
            self.listener.on_partitions_assigned(every)
        batch = {}
        for tp, start in sorted(self.positions.items()):
            count = min(self.per_poll, max_records or self.per_poll)
            batch[tp] = [
                Message(o, b"%d:%d" % (tp.partition, o)) for o in range(start, start + count)
            ]
            self.positions[tp] = start + count
        return batch

    def close(self) -> None:
        pass


class Message:
    def __init__(self, offset: int, value: bytes) -> None:
        self.offset, self.value = offset, value


def scripted(per_poll: int) -> Scripted:
    return Scripted(per_poll)


class Listener:
    """Seeks each assigned partition to ``start`` and notes what it was told."""

    def __init__(self, fetching: FetchingConsumer, start: int) -> None:
        self.fetching, self.start = fetching, start
        self.told: list[tuple[str, list[int]]] = []

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.told.append(("revoked", sorted(tp.partition for tp in revoked)))

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.told.append(("assigned", sorted(tp.partition for tp in assigned)))
        assert self.fetching.partitions_for_topic(TOPIC) == set(range(PARTITIONS))
        for tp in assigned:
            self.fetching.seek(tp, self.start)


@pytest.fixture
def fetching() -> Any:
    made = FetchingConsumer(partial(scripted, 5))
    try:
        yield made
    finally:
        made.close()


def offsets(batch: dict[Any, list[Any]]) -> dict[int, list[int]]:
    return {tp.partition: [m.offset for m in messages] for tp, messages in batch.items()}


def first_batch(fetching: FetchingConsumer, max_records: int = 10) -> dict[Any, list[Any]]:
    """The next messages; by default one batch of the scripted consumer (five of each
    of its two partitions)."""
    for _ in range(100):
        if batch := fetching.poll(timeout_ms=200, max_records=max_records):
            return batch
    raise AssertionError("no batch came")


def poll_until_it_fails(fetching: FetchingConsumer) -> None:
    """Take what the dead child had sent (it stays readable) until the proxy finds it gone."""
    for _ in range(100):
        fetching.poll(timeout_ms=200)


def test_the_listener_hears_of_an_assignment_and_seeks_it_before_any_message_of_it_comes(
    fetching: FetchingConsumer,
) -> None:
    listener = Listener(fetching, start=40)
    fetching.subscribe([TOPIC], listener=listener)
    batch = first_batch(fetching)
    assert listener.told == [("assigned", [0, 1])]
    assert fetching.assignment() == {TopicPartition(TOPIC, p) for p in range(PARTITIONS)}
    assert offsets(batch) == {0: [40, 41, 42, 43, 44], 1: [40, 41, 42, 43, 44]}
    assert batch[TopicPartition(TOPIC, 1)][0].value == b"1:40"


def test_batches_follow_one_another_and_a_seek_drops_what_was_fetched_before_it(
    fetching: FetchingConsumer,
) -> None:
    fetching.subscribe([TOPIC], listener=Listener(fetching, start=0))
    assert offsets(first_batch(fetching))[0] == [0, 1, 2, 3, 4]
    assert offsets(first_batch(fetching))[0] == [5, 6, 7, 8, 9]
    # the child has fetched ahead by now; none of that may come after the seek
    for number in range(PARTITIONS):
        fetching.seek(TopicPartition(TOPIC, number), 1000)
    assert offsets(first_batch(fetching)) == {p: [1000, 1001, 1002, 1003, 1004] for p in (0, 1)}
    assert offsets(first_batch(fetching))[1] == [1005, 1006, 1007, 1008, 1009]


def test_batches_that_have_come_already_are_joined_up_to_max_records_and_the_rest_comes_next(
    fetching: FetchingConsumer,
) -> None:
    fetching.subscribe([TOPIC], listener=Listener(fetching, start=0))
    assert offsets(first_batch(fetching)) == {p: [0, 1, 2, 3, 4] for p in (0, 1)}
    for _ in range(3):  # the child sends ahead while it has credit: wait for three batches
        fetching._pending.append(fetching._conn.recv())
    assert offsets(first_batch(fetching, 15)) == {0: list(range(5, 15)), 1: list(range(5, 10))}
    assert offsets(first_batch(fetching, 15)) == {0: list(range(15, 20)), 1: list(range(10, 20))}


def test_a_fetching_process_that_dies_is_replaced_and_its_partitions_assigned_again(
    fetching: FetchingConsumer,
) -> None:
    listener = Listener(fetching, start=7)
    fetching.subscribe([TOPIC], listener=listener)
    first_batch(fetching)
    gone = fetching._child
    os.kill(gone.pid, signal.SIGKILL)
    gone.join()
    with pytest.raises(FetcherGone):
        poll_until_it_fails(fetching)
    assert fetching._child.pid != gone.pid
    batch = first_batch(fetching)  # the new child is subscribed and sought like a new member
    assert listener.told == [("assigned", [0, 1]), ("assigned", [0, 1])]
    assert offsets(batch)[0] == [7, 8, 9, 10, 11]
