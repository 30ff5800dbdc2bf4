"""Sandbagging advice: a team that scores 1.0 on every key result, under committed and
aspirational objectives alike, cycle after cycle, is likely setting targets it knows it
will hit. Advice only; nothing is ever refused for it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from ledger.scoring import DEFAULT_POLICY, ScoringPolicy
from projections.reducers import Doc
from projections.snapshot import Snapshot

SANDBAGGING_CYCLES = 3
"""N: how many scored cycles in a row of perfect scores earn the advice (by default)."""
SCORED = ("review", "closed")
"""Cycles whose scores are final enough to judge."""


def perfect_teams(snapshot: Snapshot, policy: ScoringPolicy = DEFAULT_POLICY) -> set[str]:
    """Teams whose every live key result in the snapshot's cycle has a final score of
    1.0 (teams with no live key result there are not counted)."""
    by_team: dict[str, list[Doc]] = defaultdict(list)
    for doc in snapshot.in_cycle("key_result"):
        if doc["status"] == "live":
            by_team[doc["team_id"]].append(doc)
    # a team is out at its first key result short of 1.0: each team's first key result
    # is read and scored, then the others of the teams still in
    snapshot.prefetch([docs[0]["id"] for docs in by_team.values()])
    still = {t: docs for t, docs in by_team.items() if snapshot.score(docs[0], policy).final == 1}
    snapshot.prefetch([doc["id"] for docs in still.values() for doc in docs[1:]])
    return {
        team for team, docs in still.items()
        if all(snapshot.score(doc, policy).final == 1 for doc in docs[1:])
    }  # fmt: skip


def earlier_cycles(cycles: Iterable[Doc], cycle: Doc) -> list[Doc]:
    """The cycles that start before ``cycle``, latest first."""
    earlier = [c for c in cycles if c["starts_on"] < cycle["starts_on"]]
    return sorted(earlier, key=lambda c: (c["starts_on"], c["key"]), reverse=True)


def scored_snapshots(
    snapshot: Snapshot, cycles: Iterable[Doc], load: Callable[[str], Snapshot | None]
) -> Iterator[Snapshot]:
    """The snapshot's cycle once it is scored, then the scored cycles before it, latest
    first, each loaded only when asked for."""
    if snapshot.cycle["status"] in SCORED:
        yield snapshot
    for doc in earlier_cycles(cycles, snapshot.cycle):
        found = load(doc["id"]) if doc["status"] in SCORED else None
        if found is not None and found.cycle["status"] in SCORED:
            yield found


def sandbagging_streaks(
    snapshot: Snapshot,
    cycles: Iterable[Doc],
    load: Callable[[str], Snapshot | None],
    *,
    n: int = SANDBAGGING_CYCLES,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> dict[str, list[str]]:
    """Team id → the keys of the last ``n`` scored cycles (latest first) in each of which
    the team scored 1.0 on every key result, for the teams where that holds.

    The cycles counted are the snapshot's own (once it is in review or closed) and the
    scored ones before it, in a row: a scored cycle in which a team fell short, or had
    no key result, ends its streak. ``load`` gives an earlier cycle's snapshot; it is
    called only while some team is still on a streak.
    """
    streak: set[str] | None = None
    keys: list[str] = []
    for current in scored_snapshots(snapshot, cycles, load):
        perfect = perfect_teams(current, policy)
        streak = perfect if streak is None else streak & perfect
        if not streak:
            return {}
        keys.append(current.cycle["key"])
        if len(keys) == n:
            return dict.fromkeys(sorted(streak), keys)
    return {}


def sandbagging_advice(keys: list[str]) -> dict[str, str]:
    return {
        "rule": "sandbagging",
        "message": f"every key result, committed and aspirational, scored 1.0 in each of "
        f"the last {len(keys)} cycles ({', '.join(reversed(keys))}): are the targets "
        "ambitious enough? Aspirational objectives are expected to land near 0.7",
    }
