"""What sandbagging advice costs the OKR tree (docs/adr/0017-carry-forward-and-sandbagging.md),
next to the tree without it, measured in the same run on a generated ledger in memory:

- the tree built as before (one cycle's snapshot, no look-back): the baseline;
- the tree as shipped: it looks back over earlier cycles only while some team is still
  on a streak of perfect scores (in a generated ledger, almost never past the first);
- the worst case: every team on a streak, so every one of the N scored cycles is read
  and scored (forced by counting every team as perfect after scoring it).

Run: ``python -m bench.sandbagging [--cycles 6] [--teams 40] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from okr_ledger.generator import generate
from projections import sandbagging
from projections.okrs import okr_tree


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
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    services = bootstrap(Settings(database_url="memory://"))
    for _ in generate(services.ledger, cycles=args.cycles, teams=args.teams):
        pass
    models = services.read_models
    models.answers.max_bytes = 0  # measure the computation, not kept answers
    models.catch_up()
    cycle = models.cycles()[-1]["key"]
    now = int(time.time() * 1_000_000)

    def before() -> Any:
        with models.reading() as cursor:
            snapshot = models.snapshot(cursor, cycle)
        assert snapshot is not None
        return okr_tree(snapshot, now=now)

    tree = models.okrs(cycle, now=now)
    key_results = sum(
        len(o["key_results"]) for choice in tree["choices"] for o in choice["objectives"]
    )
    baseline = best_of(args.repeat, before)
    shipped = best_of(args.repeat, lambda: models.okrs(cycle, now=now))

    scored = sandbagging.perfect_teams

    def everyone(snapshot: Any, policy: Any = sandbagging.DEFAULT_POLICY) -> set[str]:
        scored(snapshot, policy)  # the scoring work, done in full
        return {d["id"] for d in snapshot.of_type("team")}

    sandbagging.perfect_teams = everyone  # type: ignore[assignment]
    try:
        worst = best_of(args.repeat, lambda: models.okrs(cycle, now=now))
        flagged = sum(
            1 for t in models.okrs(cycle, now=now)["teams"] for a in t["advice"]
            if a["rule"] == "sandbagging"
        )  # fmt: skip
    finally:
        sandbagging.perfect_teams = scored

    n = sandbagging.SANDBAGGING_CYCLES
    print(f"the OKR tree of {cycle} ({key_results} key results), ms (best of {args.repeat})")
    print(f"{'the tree without look-back (baseline)':<52} {baseline * 1000:>10.1f}")
    print(f"{'as shipped (looks back while a team is on a streak)':<52} {shipped * 1000:>10.1f}")
    print(f"{f'worst case: every team on a streak, {n} cycles read':<52} {worst * 1000:>10.1f}")
    print(f"(teams flagged in the worst case: {flagged})")
    services.close()


if __name__ == "__main__":
    main()
