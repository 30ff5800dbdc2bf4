"""Rebuild views from zero into a fresh generation of their tables, check each against
its live generation at the same log position, then swap it in and drop the old tables.

The bulk load is the expensive part: tables without secondary indexes, filled from the
whole log, indexed once at the end. On a database server, each view loads in a process
of its own, so the views' work runs side by side on separate cores.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass

from eventlog.store import ReadStore
from ledger.application import Ledger
from projections.follower import Follower, Progress
from projections.service import VIEWS, ReadModels
from projections.view import View


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
    view: View,
    head: int,
    batch_size: int,
    progress: Progress | None = None,
) -> None:
    view.begin_bulk()
    Follower(ledger, store, [view], batch_size=batch_size).catch_up(until=head, progress=progress)
    with store.transaction() as cursor:
        if store.dialect == "postgres":
            cursor.execute("SET LOCAL maintenance_work_mem TO '256MB'")
        view.end_bulk(cursor)
        view.create_indexes(cursor)


def _load_in_process(url: str, name: str, generation: int, head: int, batch_size: int) -> None:
    ledger = Ledger.from_url(url)
    store = ReadStore(ledger)
    try:
        bulk_load(store, ledger, VIEWS[name](generation), head, batch_size)
    finally:
        store.close()
        ledger.close()


def load_all(
    models: ReadModels, fresh: list[View], head: int, *, url: str | None, progress: Progress | None
) -> None:
    """Bulk-load the fresh views, in parallel processes when they share a server."""
    if url is None or models.store.dialect != "postgres" or len(fresh) < 2:
        for view in fresh:
            bulk_load(models.store, models.ledger, view, head, models.batch_size, progress)
        return
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_load_in_process,
                        args=(url, v.name, v.generation, head, models.batch_size))
        for v in fresh
    ]  # fmt: skip
    for worker in workers:
        worker.start()
    while any(w.is_alive() for w in workers):
        if progress:
            progress(min(models.store.position(v.tracking_name) for v in fresh), head)
        time.sleep(0.5)
    failed = [w.exitcode for w in workers if w.exitcode]
    if failed:
        raise RuntimeError(f"a view's bulk load failed (exit codes {failed})")


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
