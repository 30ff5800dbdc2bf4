"""A Kafka consumer whose fetching runs in a process of its own.

kafka-python parses every record batch in Python: for the events topic, with its nine
headers per message, that costs about as much as applying the event to the views, and
in one process both take turns on the interpreter lock. ``FetchingConsumer`` keeps the
real consumer, its group membership and its parsing in a child process and hands the
parent only each message's offset and bytes; since that is all it forwards, the child
reads records without their headers (``streams.skimming``), which halves its work. To
the projection worker it is a consumer like any other: ``subscribe``, ``poll``,
``seek``, ``assignment``, ``partitions_for_topic``, ``close``.

How the two processes keep in step:

- The child sends at most ``depth`` batches ahead; the parent gives one back (a credit)
  for each batch it takes.
- A rebalance in the child is handed to the parent as it happens: the child's listener
  sends what was revoked or assigned and waits, serving the parent's requests, until
  the parent's listener has run (and sought) and says to resume. So, as with an
  in-process consumer, nothing is fetched from newly assigned partitions before the
  parent has sought them.
- Every seek starts a new epoch; a batch fetched before the parent's latest seek comes
  tagged with the older epoch and is dropped unread.
- If the child dies, the next ``poll`` starts another and subscribes it again; the group
  then assigns it partitions, and the listener seeks them as on any assignment.
- The child ends when the parent closes it, or when it finds the parent gone.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple

from kafka import ConsumerRebalanceListener, TopicPartition

from streams.skimming import skim_headers

DEPTH = 4
"""batches the child may send before the parent takes them"""
BATCHES = ("batch", "rest")
"""a batch from the child, and what a poll left over of one"""
CHILD_POLL_MS = 100
"""how long the child's consumer waits for messages before it looks for requests"""


class Fetched(NamedTuple):
    """One message as the parent sees it."""

    offset: int
    value: bytes


class FetcherGone(RuntimeError):
    pass


class FetchingConsumer:
    def __init__(self, make_consumer: Callable[[], Any], *, depth: int = DEPTH) -> None:
        """``make_consumer`` builds the real consumer in the child: a picklable callable
        (a module-level function or a ``functools.partial`` of one)."""
        self.make_consumer = make_consumer
        self.depth = depth
        self._context = multiprocessing.get_context("spawn")
        self._conn: Any = None
        self._child: Any = None
        self._topics: list[str] = []
        self._listener: Any = None
        self._assigned: set[TopicPartition] = set()
        self._pending: deque[tuple[Any, ...]] = deque()
        self._epoch = 0
        self._max_records = 500
        """how many messages the child fetches at most per batch: the most a poll asked for"""
        self._start()

    # -- the child's lifetime ----------------------------------------------------------

    def _start(self) -> None:
        parent, child = self._context.Pipe()
        self._child = self._context.Process(
            target=serve, args=(child, self.make_consumer, self.depth), daemon=True,
            name="kafka-fetching",
        )  # fmt: skip
        self._child.start()
        child.close()
        self._conn, self._pending, self._epoch = parent, deque(), 0
        self._assigned = set()
        self._send("size", self._max_records)
        if self._topics:
            self._send("subscribe", self._topics)

    def _replaced(self, what: str) -> FetcherGone:
        """Start another child in place of one that failed or went; the error to raise."""
        self._stop_child()
        self._start()
        return FetcherGone(f"the fetching process {what}; another was started")

    def _stop_child(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(("close",))
        self._child.join(timeout=10)
        if self._child.is_alive():
            self._child.kill()
            self._child.join()
        self._conn.close()

    def close(self) -> None:
        self._stop_child()

    # -- the consumer's interface ------------------------------------------------------

    def subscribe(self, topics: list[str], listener: ConsumerRebalanceListener) -> None:
        self._topics, self._listener = list(topics), listener
        self._send("subscribe", self._topics)

    def assignment(self) -> set[TopicPartition]:
        return set(self._assigned)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        self._send("partitions", topic)
        return self._reply("partitions")

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self._epoch += 1  # the child starts the same epoch when it reads this
        self._send("seek", partition.topic, partition.partition, offset)

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[Any, list[Any]]:
        """Up to ``max_records`` messages fetched since the latest seek, by partition: the
        next batch, filled up from those that have already come after it, as an
        in-process consumer drains every fetch it has completed (what does not fit
        waits for the next poll); {} if none came within ``timeout_ms``. Rebalances the
        child met are handed to the listener here, in the order they happened."""
        if max_records is not None and max_records > self._max_records:
            self._max_records = max_records
            self._send("size", max_records)
        deadline = time.monotonic() + timeout_ms / 1000
        found: dict[Any, list[Any]] = {}
        room = max_records or self._max_records
        while not found:
            item = self._next(max(0.0, deadline - time.monotonic()))
            if item is None:
                return {}
            kind = item[0]
            if kind in BATCHES:
                room = self._take(item, found, room)
            elif kind == "error":
                raise self._replaced(f"failed ({item[1]})")
            else:
                self._rebalanced(kind, item[1], item[2])
        while room > 0 and self._ready():
            item = self._next(0)
            if item is None or item[0] not in BATCHES:  # a rebalance waits for the next poll
                if item is not None:
                    self._pending.appendleft(item)
                break
            room = self._take(item, found, room)
        return found

    def _take(self, item: tuple[Any, ...], found: dict[Any, list[Any]], room: int) -> int:
        """Add a batch's messages to ``found``, partition by partition, while there is
        room (none if it was fetched before the latest seek); the messages left over go
        back first in line. Returns the room left."""
        kind, epoch, topic, batch = item
        if kind == "batch":  # the child's, not the rest of one: it may send another
            self._send("credit")
        if epoch != self._epoch:
            return room
        rest = []
        for number, messages in batch:
            taken = messages[: max(room, 0)]
            if taken:
                found.setdefault(TopicPartition(topic, number), []).extend(
                    Fetched(*m) for m in taken
                )
                room -= len(taken)
            if len(taken) < len(messages):
                rest.append((number, messages[len(taken) :]))
        if rest:
            self._pending.appendleft(("rest", epoch, topic, rest))
        return room

    def _ready(self) -> bool:
        """Whether something has come already (nothing is waited for)."""
        return bool(self._pending) or bool(self._conn.poll(0))

    # -- talking to the child ----------------------------------------------------------

    def _rebalanced(self, kind: str, topic: str, numbers: list[int]) -> None:
        partitions = [TopicPartition(topic, n) for n in numbers]
        try:
            if kind == "revoked":
                self._assigned.difference_update(partitions)
                if self._listener is not None:
                    self._listener.on_partitions_revoked(partitions)
            else:
                self._assigned = set(partitions)
                if self._listener is not None:
                    self._listener.on_partitions_assigned(partitions)
        finally:
            self._send("resume")

    def _send(self, *message: Any) -> None:
        try:
            self._conn.send(message)
        except OSError:
            raise self._replaced("was gone") from None

    def _next(self, timeout: float) -> tuple[Any, ...] | None:
        if self._pending:
            return self._pending.popleft()
        try:
            if not self._conn.poll(timeout):
                return None
            item: tuple[Any, ...] = self._conn.recv()
            return item
        except (EOFError, OSError):
            raise self._replaced("died") from None

    def _reply(self, kind: str) -> Any:
        """The child's answer to a request, keeping what came before it for ``poll``."""
        while True:
            try:
                item = self._conn.recv()
            except (EOFError, OSError):
                raise self._replaced("died") from None
            if item[0] == kind:
                return item[1]
            self._pending.append(item)


# -- the child -------------------------------------------------------------------------


class _Relay(ConsumerRebalanceListener):  # type: ignore[misc]
    """The child's listener: tells the parent, then serves it until it resumes."""

    def __init__(self, fetcher: _Fetcher) -> None:
        self.fetcher = fetcher

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.fetcher.rebalanced("revoked", revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.fetcher.rebalanced("assigned", assigned)


class _Fetcher:
    def __init__(self, conn: Any, consumer: Any, depth: int) -> None:
        self.conn, self.consumer = conn, consumer
        self.credits, self.epoch, self.max_records = depth, 0, 500
        self.topic: str | None = None
        self.closing = False

    def handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "credit":
            self.credits += 1
        elif kind == "seek":
            self.epoch += 1
            partition = TopicPartition(message[1], message[2])
            if partition in self.consumer.assignment():  # else a rebalance took it since
                self.consumer.seek(partition, message[3])
        elif kind == "size":
            self.max_records = message[1]
        elif kind == "subscribe":
            self.topic = message[1][0]
            self.consumer.subscribe(message[1], listener=_Relay(self))
        elif kind == "partitions":
            found = self.consumer.partitions_for_topic(message[1])
            self.conn.send(("partitions", None if found is None else set(found)))
        elif kind == "close":
            self.closing = True

    def rebalanced(self, kind: str, partitions: Any) -> None:
        numbers = sorted(tp.partition for tp in partitions)
        self.conn.send((kind, self.topic, numbers))
        while not self.closing:
            message = self.conn.recv()
            if message[0] == "resume":
                return
            self.handle(message)

    def run(self) -> None:
        while not self.closing:
            ready = self.topic is not None and self.credits > 0
            if self.conn.poll(0 if ready else None):  # every request first; wait if idle
                self.handle(self.conn.recv())
                continue
            batch = self.consumer.poll(timeout_ms=CHILD_POLL_MS, max_records=self.max_records)
            if batch:
                compact = [
                    (tp.partition, [(m.offset, m.value) for m in messages])
                    for tp, messages in batch.items()
                ]
                self.conn.send(("batch", self.epoch, self.topic, compact))
                self.credits -= 1


def serve(conn: Any, make_consumer: Callable[[], Any], depth: int) -> None:
    """The child's whole life: fetch for the parent until it closes or goes. Ctrl-C
    reaches the whole process group; the parent's handling of it closes the child."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    skim_headers()  # this process forwards offsets and values only
    consumer = None
    try:
        consumer = make_consumer()
        _Fetcher(conn, consumer, depth).run()
    except (EOFError, OSError):
        pass  # the parent is gone
    except Exception as error:  # the parent reports it and starts another
        with contextlib.suppress(OSError):
            conn.send(("error", repr(error)))
    finally:
        if consumer is not None:
            consumer.close()
