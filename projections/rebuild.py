"""Rebuild a view from zero into a fresh generation of its tables, check it against the
live generation at the same log position, then swap it in and drop the old tables."""

from __future__ import annotations

from dataclasses import dataclass

from projections.follower import Follower, Progress
from projections.service import VIEWS, ReadModels


@dataclass(frozen=True)
class Rebuilt:
    view: str
    generation: int
    position: int
    events: int
    identical: bool
    """whether the rebuilt tables equal the live ones, row for row"""
    swapped: bool


def rebuild(
    models: ReadModels, name: str, *, progress: Progress | None = None, swap: bool = True
) -> Rebuilt:
    live = getattr(models, name)
    fresh = VIEWS[name](live.generation + 1)
    store, ledger = models.store, models.ledger
    with store.transaction() as cursor:
        fresh.drop(cursor)  # leftovers of an interrupted rebuild
        fresh.create(cursor)
    building = Follower(ledger, store, [fresh], batch_size=models.batch_size)
    events = building.catch_up(progress=progress)
    keeping = Follower(ledger, store, [live], batch_size=models.batch_size)
    while True:
        target = max(building.position(fresh), keeping.position(live))
        moved = keeping.catch_up(until=target)
        built = building.catch_up(until=target)
        events += built
        with store.transaction() as cursor:
            positions = {store.position_in(cursor, v.tracking_name) for v in (live, fresh)}
            if len(positions) > 1:
                if not (moved or built):
                    raise RuntimeError(f"the {name} views cannot reach one position: {positions}")
                continue  # the live view moved on meanwhile: catch up again
            identical = live.fingerprint(cursor) == fresh.fingerprint(cursor)
            if swap:
                store.set_generation(cursor, name, fresh.generation)
        break
    if swap:
        with store.transaction() as cursor:
            live.drop(cursor)
        models.refresh()
    else:
        with store.transaction() as cursor:
            fresh.drop(cursor)
    return Rebuilt(name, fresh.generation, target, events, identical, swap)
