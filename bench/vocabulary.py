"""What the API's vocabulary costs (docs/adr/0009-api-vocabulary.md), next to raw
baselines measured in the same run, on a generated ledger in memory:

- decoding stored events for the read models, which now writes every decimal in its
  canonical text, next to the same decoding with decimals passed through as stored,
  and next to a bare ``orjson.loads`` of each event;
- rendering the largest read model (a cycle's OKR tree) as the routes do (orjson, the
  documents already in the vocabulary), next to dumping the same document through its
  marshmallow response schema, which the routes do not do.

Run: ``python -m bench.vocabulary [--cycles 4] [--teams 40] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

from eventlog.decoder import Decoder, paused_gc
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from okr_ledger.generator import generate
from web.responses import OkrTreeSchema


def best_of(repeat: int, work: Callable[[], Any]) -> float:
    """The fastest of ``repeat`` runs, in seconds (the least disturbed by neighbours)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=4)
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    services = bootstrap(Settings(database_url="memory://"))
    for _ in generate(services.ledger, cycles=args.cycles, teams=args.teams):
        pass
    recorder = services.ledger.recorder
    notifications = recorder.select_notifications(1, 10**9)
    events = len(notifications)

    decoder = Decoder.of(services.ledger)
    decimals = services.ledger.mapper.transcoder.types[Decimal].name
    canonical = decoder.readers[decimals]

    def bare() -> list[Any]:
        with paused_gc():  # as the decoder runs
            return [orjson.loads(n.state) for n in notifications]

    raw = best_of(args.repeat, bare)
    shipped = best_of(args.repeat, lambda: decoder.notifications(notifications))
    decoder.readers[decimals] = lambda value: value
    try:
        as_stored = best_of(args.repeat, lambda: decoder.notifications(notifications))
    finally:
        decoder.readers[decimals] = canonical

    print(f"decoding {events} stored events (best of {args.repeat})")
    print(f"{'loop':<44} {'events/s':>10}")
    print(f"{'bare orjson.loads (baseline)':<44} {events / raw:>10.0f}")
    print(f"{'decode, decimals as stored':<44} {events / as_stored:>10.0f}")
    print(f"{'decode, decimals canonical (as shipped)':<44} {events / shipped:>10.0f}")

    services.read_models.catch_up()
    services.read_models.answers.max_bytes = 0  # measure the computation, not kept answers
    cycle = services.read_models.cycles()[-1]["key"]
    now = int(time.time() * 1_000_000)
    tree = services.read_models.okrs(cycle, now=now)
    key_results = sum(
        len(o["key_results"]) for choice in tree["choices"] for o in choice["objectives"]
    )
    schema = OkrTreeSchema()
    build = best_of(args.repeat, lambda: services.read_models.okrs(cycle, now=now))
    write = best_of(args.repeat, lambda: orjson.dumps(tree))
    dump = best_of(args.repeat, lambda: orjson.dumps(schema.dump(tree)))

    print(f"\nthe OKR tree of {cycle} ({key_results} key results), ms (best of {args.repeat})")
    print(f"{'build the tree from the views':<44} {build * 1000:>10.1f}")
    print(f"{'write it with orjson (as shipped)':<44} {write * 1000:>10.1f}")
    print(f"{'dump it through its schema, then orjson':<44} {dump * 1000:>10.1f}")
    services.close()


if __name__ == "__main__":
    main()
