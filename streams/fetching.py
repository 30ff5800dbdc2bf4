"""Messages of the events topic fetched in a process of their own, for the projection
worker.

kafka-python takes every record batch apart in Python (varints, keys, headers), which
costs about as much as building the views from the messages. ``ProcessFetcher`` runs a
plain consumer (no group) in a helper process (``spawn``) that reads the partitions and
offsets the worker tells it and hands back the offsets and values of each partition,
so on two cores the decoding overlaps the worker's building instead of taking turns
with it under one interpreter lock. The worker stays the group member: it keeps its
partitions paused and polls only for the group's sake.

Two fetches wait in line while the worker applies the batch before them (the helper
starts the second as soon as the first is done); telling the helper other partitions
or offsets drops them, so nothing fetched for an earlier
assignment reaches the worker afterwards. The helper ends when the worker's process
does, even by kill -9.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from kafka import KafkaConsumer, TopicPartition

Fetched = dict[int, tuple[list[int], list[bytes]]]
"""partition → (offsets, values) of the messages fetched from it, in offset order"""


def fetched(polled: dict[Any, list[Any]]) -> Fetched:
    """A kafka-python poll result as offsets and values per partition."""
    return {
        tp.partition: ([m.offset for m in messages], [m.value for m in messages])
        for tp, messages in polled.items()
        if messages
    }


_consumer: KafkaConsumer | None = None  # the helper process's own consumer
_topic = ""


def _open(servers: list[str], topic: str, parent: int) -> None:
    global _consumer, _topic
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when to stop
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    _consumer = KafkaConsumer(bootstrap_servers=servers, group_id=None, enable_auto_commit=False)
    _topic = topic


def _exit_with(parent: int) -> None:
    """End this process when the worker's ends, even by kill -9 (then nothing tells
    the pool, and this process would wait for work forever)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _ready() -> None:
    """Nothing: the helper has started (and connected) once this returns."""


def _assign(offsets: dict[int, int]) -> None:
    assert _consumer is not None
    partitions = [TopicPartition(_topic, number) for number in sorted(offsets)]
    _consumer.assign(partitions)
    for tp in partitions:
        _consumer.seek(tp, offsets[tp.partition])


def _fetch(max_records: int, timeout_ms: int) -> Fetched:
    assert _consumer is not None
    if not _consumer.assignment():
        time.sleep(timeout_ms / 1000)
        return {}
    return fetched(_consumer.poll(timeout_ms=timeout_ms, max_records=max_records))


AHEAD = 2
"""fetches asked for before the worker needs them"""


class ProcessFetcher:
    def __init__(self, servers: list[str], topic: str, max_records: int) -> None:
        self.max_records = max_records
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_open,
            initargs=(servers, topic, os.getpid()),
        )
        self._upcoming: deque[Future[Fetched]] = deque()
        self._pool.submit(_ready).result()  # up before the group hands out partitions

    def assign(self, offsets: dict[int, int]) -> None:
        """Read these partitions from these offsets from now on (dropping the fetch in
        flight, made for what was assigned before)."""
        self._drop()
        self._pool.submit(_assign, offsets).result()

    def next(self, timeout_ms: int) -> Fetched:
        """The next batch of messages (waiting up to about ``timeout_ms`` for some);
        the fetches after it are asked for at once."""
        while len(self._upcoming) < AHEAD + 1:
            self._upcoming.append(self._pool.submit(_fetch, self.max_records, timeout_ms))
        return self._upcoming.popleft().result()

    def _drop(self) -> None:
        while self._upcoming:
            self._upcoming.popleft().exception()  # waited for, its messages dropped

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
