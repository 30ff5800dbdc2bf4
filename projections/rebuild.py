"""Rebuild views from zero into a fresh generation of their tables, check each against
its live generation at the same log position, then swap it in and drop the old tables.

The bulk load is the expensive part: tables without secondary indexes, filled from the
whole log, indexed once at the end. Every view of a rebuild loads from one pass over
the log, each event decoded once for all of them. On a database server the aggregates
are shared out between processes (``PARTS``), so the work runs side by side on separate
cores: every view is per aggregate (an event's rows need only its own aggregate's
earlier events), so each process feeds every view the events of its own aggregates and
writes its rows into the same fresh tables; the indexes are built once at the end.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eventlog.decoder import Decoder, paused_gc
from eventlog.record import Record
from eventlog.store import ReadStore
from ledger.application import Ledger
from projections.follower import Follower, Progress
from projections.service import VIEWS, ReadModels
from projections.view import View

PARTS = 2
"""how many processes share out the aggregates in a bulk load on a database server"""


@dataclass(frozen=True)
class Rebuilt:
    view: str
    generation: int
    position: int
    events: int
    identical: bool
    """whether the rebuilt tables equal the live ones, row for row"""
    swapped: bool


def bulk_load(
    store: ReadStore,
    ledger: Ledger,
    views: Sequence[View],
    head: int,
    batch_size: int,
    *,
    part: int = 0,
    parts: int = 1,
    progress: Callable[[int], None] | None = None,
    before_commit: Callable[[list[Record]], None] | None = None,
) -> None:
    """Load the events up to ``head`` of one part of the aggregates (all, by default)
    into every view, each page decoded once; then the views' deferred rows. The views'
    indexes and tracking positions are left to ``index_and_track``, once every part
    is loaded. ``before_commit`` is a hook for fault-injection tests."""
    decoder, recorder = Decoder.of(ledger), ledger.chained_recorder

    def read(after: int) -> tuple[int, list[Record]]:
        """How far the log was read, and the records read."""
        if parts > 1:  # on PostgreSQL: the database leaves out the other parts' events
            end = min(after + batch_size * parts, head)
            return end, decoder.page(recorder.read_part(after, end, part, parts))
        page = recorder.read_page(after, min(batch_size, head - after), head)
        return (page[-1][0], decoder.page(page)) if page else (head, [])

    for view in views:
        view.begin_bulk()
    after = 0
    with paused_gc(), ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(read, after) if after < head else None
        while upcoming is not None:
            after, records = upcoming.result()
            upcoming = pool.submit(read, after) if after < head else None
            if records:
                with store.transaction(durable=False) as cursor:
                    for view in views:
                        view.apply(cursor, records)
                    if before_commit:
                        before_commit(records)
            if progress:
                progress(after)
    with store.transaction() as cursor:
        for view in views:
            view.end_bulk(cursor)


def index_and_track(store: ReadStore, views: Sequence[View], head: int) -> None:
    """Index the loaded views, then track them at ``head``. On PostgreSQL the indexes
    are built side by side (``PARTS`` at a time, each from its own connection)."""
    statements = [s for view in views for s in view.index_statements(store.dialect, keys=True)]

    def run(statement: str) -> None:
        with store.transaction() as cursor:
            if store.dialect == "postgres":
                cursor.execute(  # builds run side by side already: no workers of their own
                    "SET LOCAL maintenance_work_mem TO '256MB'; "
                    "SET LOCAL max_parallel_maintenance_workers TO 0"
                )
            cursor.execute(statement)

    side_by_side = PARTS if store.dialect == "postgres" else 1
    with ThreadPoolExecutor(max_workers=side_by_side) as pool:
        list(pool.map(run, statements))
    if head:
        with store.transaction() as cursor:
            for view in views:
                store.track(cursor, view.tracking_name, head)


def _load_in_process(
    url: str,
    views: list[tuple[str, int]],
    head: int,
    batch_size: int,
    part: int,
    parts: int,
    reached: Any,
) -> None:
    ledger = Ledger.from_url(url)
    store = ReadStore(ledger)

    def advance(position: int) -> None:
        reached[part] = position

    try:
        fresh = [VIEWS[name](generation) for name, generation in views]
        bulk_load(store, ledger, fresh, head, batch_size, part=part, parts=parts, progress=advance)
    finally:
        store.close()
        ledger.close()


def load_all(
    models: ReadModels, fresh: list[View], head: int, *, url: str | None, progress: Progress | None
) -> None:
    """Bulk-load the fresh views from one pass over the log; on a database server (given
    its ``url``), in ``PARTS`` processes, each loading the events of its share of the
    aggregates into every view. Then index them, side by side, and track them at ``head``."""
    store = models.store
    if url is None or store.dialect != "postgres":
        report = None if progress is None else (lambda position: progress(position, head))
        bulk_load(store, models.ledger, fresh, head, models.batch_size, progress=report)
    else:
        _load_in_processes(models, fresh, head, url, progress)
    index_and_track(store, fresh, head)


def _load_in_processes(
    models: ReadModels, fresh: list[View], head: int, url: str, progress: Progress | None
) -> None:
    context = multiprocessing.get_context("spawn")
    reached = context.Array("q", PARTS, lock=False)
    views = [(v.name, v.generation) for v in fresh]
    workers = [
        context.Process(target=_load_in_process,
                        args=(url, views, head, models.batch_size, part, PARTS, reached))
        for part in range(PARTS)
    ]  # fmt: skip
    for worker in workers:
        worker.start()
    try:
        while any(w.is_alive() for w in workers):
            if any(w.exitcode for w in workers):
                break  # one failed: the others' work is lost anyway
            if progress:
                progress(min(reached), head)
            time.sleep(0.2)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
    failed = [w.exitcode for w in workers if w.exitcode]
    if failed:
        raise RuntimeError(f"a part of the views' bulk load failed (exit codes {failed})")
    if progress:
        progress(head, head)


def rebuild(
    models: ReadModels,
    names: str | list[str],
    *,
    progress: Progress | None = None,
    swap: bool = True,
    url: str | None = None,
) -> list[Rebuilt] | Rebuilt:
    """Rebuild the named views; ``url`` (the ledger's database URL) lets them load in
    parallel processes. Returns one ``Rebuilt`` per view (or one, for one name)."""
    single = isinstance(names, str)
    wanted = [names] if isinstance(names, str) else list(names)
    store, ledger = models.store, models.ledger
    fresh = [VIEWS[name](getattr(models, name).generation + 1) for name in wanted]
    with store.transaction() as cursor:
        for view in fresh:
            view.drop(cursor)  # leftovers of an interrupted rebuild
            store.forget_tracking(cursor, view.tracking_name)
            view.create(cursor, indexes=False)
    head = ledger.head_position()
    load_all(models, fresh, head, url=url, progress=progress)
    done = [finish(models, view, head, swap=swap) for view in fresh]
    return done[0] if single else done


def finish(models: ReadModels, fresh: View, loaded: int, *, swap: bool) -> Rebuilt:
    """Bring the live and fresh generations to one position, compare, swap or discard."""
    store, ledger = models.store, models.ledger
    live = getattr(models, fresh.name)
    building = Follower(ledger, store, [fresh], batch_size=models.batch_size)
    keeping = Follower(ledger, store, [live], batch_size=models.batch_size)
    events = loaded
    while True:
        target = max(building.position(fresh), keeping.position(live))
        moved = keeping.catch_up(until=target)
        built = building.catch_up(until=target)
        events += built
        with store.transaction() as cursor:
            positions = {store.position_in(cursor, v.tracking_name) for v in (live, fresh)}
            if len(positions) > 1:
                if not (moved or built):
                    raise RuntimeError(f"the {fresh.name} views cannot reach one position")
                continue  # the live view moved on meanwhile: catch up again
            identical = live.fingerprint(cursor) == fresh.fingerprint(cursor)
            if swap:
                store.set_generation(cursor, fresh.name, fresh.generation)
        break
    dropped = live if swap else fresh
    with store.transaction() as cursor:
        dropped.drop(cursor)
        store.forget_tracking(cursor, dropped.tracking_name)
    if swap:
        models.refresh()
    return Rebuilt(fresh.name, fresh.generation, target, events, identical, swap)
