"""The sandbagging look-back reads an earlier cycle's check-ins only for the key results
it scores: each team's first live key result, then the others of the teams still on
full marks. What it finds is what scoring every key result finds."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from ledger.scoring import DEFAULT_POLICY
from projections.sandbagging import perfect_teams
from projections.snapshot import Snapshot

CYCLE = str(uuid4())

# per team, its key results: (live?, value reached of a 0 → 10 target)
TEAMS = st.lists(
    st.lists(st.tuples(st.booleans(), st.sampled_from([0, 4, 10, 12])), min_size=1, max_size=4),
    min_size=1,
    max_size=6,
)


def key_result(team: str, live: bool) -> dict[str, Any]:
    return {
        "id": str(uuid4()), "type": "key_result", "cycle_id": CYCLE, "team_id": team,
        "kind": "increase", "baseline": "0", "target": "10", "classification": "committed",
        "weight": "1", "status": "live" if live else "dropped", "statement": "Reach ten",
    }  # fmt: skip


def check_in(kr_id: str, value: int, position: int) -> dict[str, Any]:
    return {
        "check_in_id": str(uuid4()), "kr_id": kr_id, "value": str(value),
        "effective_at": 1_000 + position, "recorded_at": 1_000 + position, "position": position,
    }  # fmt: skip


def snapshots(teams: list[list[tuple[bool, int]]]) -> tuple[Snapshot, Snapshot, list[list[str]]]:
    """The same cycle read whole, and read with its check-ins only when asked (with the
    list of what each ask named)."""
    docs: dict[str, dict[str, Any]] = {CYCLE: {"id": CYCLE, "type": "cycle", "ends_on": None}}
    rows: dict[str, list[dict[str, Any]]] = {}
    for number, krs in enumerate(teams):
        for live, value in krs:
            doc = key_result(f"team-{number}", live)
            docs[doc["id"]] = doc
            rows[doc["id"]] = [check_in(doc["id"], value, len(rows))]
    asked: list[list[str]] = []

    def fetch(key_results: list[str]) -> dict[str, list[dict[str, Any]]]:
        asked.append(key_results)
        return {k: rows[k] for k in key_results}

    whole = Snapshot(docs[CYCLE], docs, rows)
    when_asked = Snapshot(docs[CYCLE], dict(docs), {}, fetch=fetch)
    return whole, when_asked, asked


@given(TEAMS)
def test_reading_check_ins_when_asked_finds_the_same_perfect_teams(
    teams: list[list[tuple[bool, int]]],
) -> None:
    whole, when_asked, _ = snapshots(teams)
    assert perfect_teams(when_asked) == perfect_teams(whole)


@given(TEAMS)
def test_a_team_out_at_its_first_key_result_has_no_other_check_in_read(
    teams: list[list[tuple[bool, int]]],
) -> None:
    whole, when_asked, asked = snapshots(teams)
    perfect_teams(when_asked)
    read = {k for names in asked for k in names}
    for doc in whole.in_cycle("key_result"):
        live = [
            d for d in whole.in_cycle("key_result")
            if d["team_id"] == doc["team_id"] and d["status"] == "live"
        ]  # fmt: skip
        first_short = live and whole.score(live[0], DEFAULT_POLICY).final != 1
        if doc["status"] != "live" or (first_short and doc is not live[0]):
            assert doc["id"] not in read
