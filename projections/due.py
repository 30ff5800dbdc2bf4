"""What is due: the live key results of an active cycle whose check-in is expected now.

With P the cycle's cadence (``cadence_days``) and *since* the effective time of a key
result's latest check-in (the cycle's first instant when it has none), judged at *now*
(never after the cycle's last day):

- **due** when more than one period has passed since then (now - since > P), and
- **overdue** when more than two have (now - since > 2P): the key result is stale, as
  the OKR tree says (DESIGN: no check-in for two cadence periods).

A key result that is neither is not listed. Only an active cycle expects check-ins."""

from __future__ import annotations

from typing import Any

from eventlog.vocabulary import time_text
from ledger.cycle import ACTIVE
from projections.okrs import DAY, end_of, start_of
from projections.snapshot import Snapshot

DUE, OVERDUE = "due", "overdue"


def due_item(snapshot: Snapshot, doc: dict[str, Any], now: int) -> dict[str, Any] | None:
    """The key result's entry if its check-in is due or overdue at ``now``, else None."""
    period = int(snapshot.cycle["cadence_days"]) * DAY
    latest = snapshot.latest(doc["id"])
    since = latest["effective_at"] if latest else start_of(snapshot.cycle["starts_on"])
    age = now - since
    if age <= period:
        return None
    team = snapshot.docs.get(doc.get("team_id") or "")
    return {
        "id": doc["id"],
        "statement": doc["statement"],
        "owner": doc["owner"],
        "team_id": doc.get("team_id"),
        "team": team.get("name") if team else None,
        "objective_id": doc.get("objective_id"),
        "state": OVERDUE if age > 2 * period else DUE,
        "last_check_in_at": time_text(latest["effective_at"]) if latest else None,
        "due_since": time_text(since + period),
        "overdue_since": time_text(since + 2 * period),
        "since": since,
    }


def due_items(snapshot: Snapshot, now: int) -> list[dict[str, Any]]:
    """Every due or overdue key result of the cycle at ``now`` (with ``since``, the
    instant their period counts from, kept for reminders)."""
    cycle = snapshot.cycle
    if cycle["status"] != ACTIVE:
        return []
    at = min(now, end_of(cycle["ends_on"]))
    found = [
        item
        for doc in snapshot.in_cycle("key_result")
        if doc["status"] == "live" and (item := due_item(snapshot, doc, at)) is not None
    ]
    return sorted(found, key=lambda i: (i["state"] != OVERDUE, i["due_since"], i["id"]))


def _group(items: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    groups: dict[Any, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(item[key], []).append(item)
    return groups


def _counts(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "due": sum(1 for i in items if i["state"] == DUE),
        "overdue": sum(1 for i in items if i["state"] == OVERDUE),
        "key_results": [{k: v for k, v in i.items() if k != "since"} for i in items],
    }


def due_report(snapshot: Snapshot, now: int, team: str | None = None) -> dict[str, Any]:
    """The due and overdue key results of the cycle, per owner and per team."""
    items = [i for i in due_items(snapshot, now) if team is None or i["team_id"] == team]
    cycle = snapshot.cycle
    by_owner = _group(items, "owner")
    by_team = _group(items, "team_id")
    return {
        "cycle": {"id": cycle["id"], "key": cycle["key"], "status": cycle["status"]},
        "at": time_text(min(now, end_of(cycle["ends_on"]))),
        "cadence_days": int(cycle["cadence_days"]),
        "due": sum(1 for i in items if i["state"] == DUE),
        "overdue": sum(1 for i in items if i["state"] == OVERDUE),
        "owners": [
            {"owner": owner, **_counts(group)} for owner, group in sorted(by_owner.items())
        ],
        "teams": [
            {"team_id": team_id, "team": group[0]["team"], **_counts(group)}
            for team_id, group in sorted(by_team.items(), key=lambda kv: str(kv[0]))
        ],
    }
