"""What changed in a cycle between two instants (recorded time), as named changes, each
with who, when, why and under which decision, and the exact field changes that turn
the OKR set at the first instant into the set at the second (``apply_diff``)."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from typing import Any

import orjson

from eventlog.record import Record
from eventlog.vocabulary import time_text
from ledger.base import LedgerAggregate
from ledger.cycle import Cycle
from ledger.decision import Decision
from ledger.dependency import Dependency
from ledger.initiative import Initiative
from ledger.key_result import KeyResult
from ledger.kpi import Kpi
from ledger.objective import Objective
from ledger.priorities import Priorities
from ledger.strategy import Strategy
from ledger.team import Team
from projections.reducers import KINDS, MEASUREMENTS, Doc, fresh, reduce
from projections.snapshot import Snapshot

AGGREGATES: tuple[type[LedgerAggregate], ...] = (
    Strategy, Team, Cycle, Objective, KeyResult, Initiative, Dependency, Kpi, Decision,
    Priorities,
)  # fmt: skip
"""The aggregates whose events a diff names (``reducers.KINDS``)."""

EASED = "key_result_target_eased"
"""A ``KeyResult.Retargeted`` that eases the target gets its own kind: easing needs a
reason, and reviews look for it."""


def snake(name: str) -> str:
    """``KeyResult`` → ``key_result``, ``CheckInCorrected`` → ``check_in_corrected``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def change_kinds() -> list[str]:
    """Every change kind a diff can name: ``<aggregate>_<event>`` in snake case for each
    event of the aggregates a diff covers (docs/read-models.md explains each)."""
    kinds = [
        _kind(f"{aggregate.__name__}.{name}")
        for aggregate in AGGREGATES
        for name, cls in vars(aggregate).items()
        if isinstance(cls, type)
        and issubclass(cls, LedgerAggregate.Event)
        and name not in ("Event", "Created")
        and f"{aggregate.__name__}.{name}" not in SKIPPED
    ]
    return [*kinds, EASED]


SKIPPED = {"Kpi.Measured"}
"""Events a diff leaves out (KPIs are not part of a cycle's OKR set)."""


def record_of(row: dict[str, Any], data: dict[str, Any] | None = None) -> Record:
    """An audit row back as a record (what the reducers take); ``data``, if given, is
    its event's fields already read."""
    return Record(
        row["position"], row["aggregate_type"], row["event_type"], row["aggregate_id"],
        row["version"], row["recorded_at"], row["effective_at"], row["actor"], row["reason"],
        row["decision_id"], row["correlation_id"], row["command_id"],
        _data(row["data"]) if data is None else data,
    )  # fmt: skip


def _data(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # an integer beyond 64 bits, which only json reads
        return json.loads(text)


def change_name(event_type: str, data: dict[str, Any]) -> str:
    if event_type == "KeyResult.Retargeted" and data.get("easing"):
        return EASED
    return _kind(event_type)


@lru_cache(maxsize=512)
def _kind(event_type: str) -> str:
    """``KeyResult.CheckedIn`` → ``key_result_checked_in``."""
    aggregate, _, name = event_type.partition(".")
    return f"{snake(aggregate)}_{snake(name)}"


def field_changes(before: Doc | None, after: Doc) -> tuple[dict[str, Any], list[str]]:
    """Top-level fields set (with their new values, shared with ``after``, which is
    never changed in place) and removed."""
    before = before or {}
    changed = {k: v for k, v in after.items() if before.get(k, ...) != v}
    removed = [k for k in before if k not in after]
    return changed, removed


def rank_moves(before: Doc | None, after: Doc) -> list[dict[str, Any]]:
    old = (before or {}).get("order", [])
    new = after.get("order", [])
    return [
        {"objective_id": o, "from": old.index(o) + 1 if o in old else None, "to": n}
        for n, o in enumerate(new, start=1)
        if o not in old or old.index(o) + 1 != n
    ]


def diff(start: Snapshot, rows: list[dict[str, Any]], decisions: dict[str, Doc]) -> list[Any]:
    """The named changes made by ``rows`` (the cycle's audit rows after the first
    instant, up to the second, in log order), starting from the OKR set ``start``,
    whose documents this consumes."""
    docs = start.docs
    changes = []
    for row in rows:  # most are check-ins, named from the row without a record
        event_type = row["event_type"]
        if row["aggregate_type"] not in KINDS or event_type in SKIPPED:
            continue
        data = _data(row["data"])
        recorded, effective = row["recorded_at"], row["effective_at"]
        change: dict[str, Any] = {
            "change": change_name(event_type, data),
            "type": KINDS[row["aggregate_type"]],
            "id": row["aggregate_id"],
            "position": row["position"],
            "who": row["actor"],
            "when": (when := time_text(recorded)),
            "effective": when if effective == recorded else time_text(effective),
            "why": row["reason"],
            "decision": decision_json(row["decision_id"], decisions),
        }
        if event_type in MEASUREMENTS:
            change["check_in"] = {**data, "effective_at": change["effective"], "recorded_at": when}
            changes.append(change)
            continue
        r = record_of(row, data)
        before = docs.get(r.aggregate_id)  # replaced below, never changed in place
        after = reduce(fresh(before), r)
        if after is None:
            continue
        docs[r.aggregate_id] = after
        change["set"], change["removed"] = field_changes(before, after)
        change["label"] = after.get("statement") or after.get("title") or after.get("name")
        if after["type"] == "priorities":
            change["moves"] = rank_moves(before, after)
        changes.append(change)
    return changes


def decision_json(decision_id: str | None, decisions: dict[str, Doc]) -> dict[str, Any] | None:
    if decision_id is None:
        return None
    doc = decisions.get(decision_id, {})
    return {"id": decision_id, "summary": doc.get("summary"), "forum": doc.get("forum")}


def apply_diff(
    docs: dict[str, Doc], check_ins: dict[str, list[dict[str, Any]]], changes: list[dict[str, Any]]
) -> None:
    """Turn an OKR set (documents and current check-ins) into the later one, in place,
    using nothing but the changes' own field values."""
    for change in changes:
        if "check_in" in change:
            entry = change["check_in"]
            rows = check_ins.setdefault(change["id"], [])
            if entry.get("supersedes"):
                rows[:] = [c for c in rows if c["check_in_id"] != entry["supersedes"]]
            rows.append(entry)
            continue
        doc = docs.setdefault(change["id"], {})
        doc.update(copy.deepcopy(change["set"]))
        for name in change["removed"]:
            doc.pop(name, None)
