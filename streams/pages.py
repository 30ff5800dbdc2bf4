"""Pages of the log made ready to publish: read, decoded and turned into messages.

The publisher asks for the next page while it sends the current one. ``ThreadPages``
prepares it on a thread of the publisher's process; ``ProcessPages`` in a process of
its own (with its own connection to the database), so that on a database server the
reading and encoding run on one core while the Kafka client's sending runs on another,
instead of taking turns under one interpreter lock.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

from eventlog.decoder import Decoder
from ledger.application import Ledger
from streams.envelope import Headers, event_message

Message = tuple[bytes, bytes, Headers]
Page = tuple[int, list[Message]]
"""the position a page reaches, and its messages"""


def prepare_page(ledger: Ledger, after: int, head: int, limit: int) -> Page:
    recorder = ledger.chained_recorder
    records = Decoder.of(ledger).page(recorder.read_page(after, min(limit, head - after), head))
    if not records:
        return after, []
    leaves = {x.position: x for x in recorder.select_leaves_by_position(after, len(records))}
    messages = []
    for r in records:
        leaf = leaves.get(r.position)
        messages.append(
            event_message(r, leaf.index if leaf else None, leaf.hash.hex() if leaf else None)
        )
    return records[-1].position, messages


class ThreadPages:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._pool: Executor = ThreadPoolExecutor(max_workers=1)

    def submit(self, after: int, head: int, limit: int) -> Future[Page]:
        return self._pool.submit(prepare_page, self.ledger, after, head, limit)

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


_ledger: Ledger | None = None  # the reading process's own connection


def _open(url: str, parent: int) -> None:
    global _ledger
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    _ledger = Ledger.from_url(url)


def _exit_with(parent: int) -> None:
    """End this process when the publisher's ends, even by kill -9 (then nothing tells
    the pool, and this process would wait for work forever)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _prepare(after: int, head: int, limit: int) -> Page:
    assert _ledger is not None
    return prepare_page(_ledger, after, head, limit)


class ProcessPages:
    def __init__(self, url: str) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_open,
            initargs=(url, os.getpid()),
        )

    def submit(self, after: int, head: int, limit: int) -> Future[Page]:
        return self._pool.submit(_prepare, after, head, limit)

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
