"""What changed in a cycle between two instants (recorded time), as named changes, each
with who, when, why and under which decision, and the exact field changes that turn
the OKR set at the first instant into the set at the second (``apply_diff``)."""

from __future__ import annotations

import copy
import json
from typing import Any

from projections.records import Record, iso
from projections.reducers import KINDS, MEASUREMENTS, Doc, reduce
from projections.snapshot import Snapshot

NAMES = {
    "Objective.Drafted": "objective_added",
    "Objective.Dropped": "objective_dropped",
    "Objective.Reworded": "objective_reworded",
    "Objective.OwnerChanged": "owner_changed",
    "Objective.Aligned": "realigned",
    "Objective.Unaligned": "realigned",
    "Objective.LinkedToChoice": "strategy_link_changed",
    "Objective.UnlinkedFromChoice": "strategy_link_changed",
    "Objective.Reflected": "objective_closed",
    "Objective.KeyResultAdded": "key_result_counted",
    "KeyResult.Defined": "key_result_added",
    "KeyResult.Dropped": "key_result_dropped",
    "KeyResult.Reworded": "key_result_reworded",
    "KeyResult.OwnerChanged": "owner_changed",
    "KeyResult.Reweighted": "key_result_reweighted",
    "KeyResult.ScoreOverridden": "score_overridden",
    "KeyResult.CheckedIn": "checked_in",
    "KeyResult.CheckInCorrected": "check_in_corrected",
    "Initiative.Proposed": "initiative_added",
    "Initiative.Stopped": "initiative_stopped",
    "Initiative.Started": "initiative_started",
    "Initiative.Completed": "initiative_completed",
    "Initiative.StatusChanged": "initiative_status_changed",
    "Initiative.ResourcesAllocated": "resources_allocated",
    "Initiative.ResourcesReallocated": "resources_reallocated",
    "Initiative.LinkedToKeyResult": "initiative_relinked",
    "Initiative.UnlinkedFromKeyResult": "initiative_relinked",
    "Initiative.Prioritised": "initiative_prioritised",
    "Priorities.Established": "priorities_established",
    "Priorities.ObjectiveEntered": "ranked",
    "Priorities.ObjectiveLeft": "unranked",
    "Priorities.Reprioritised": "reprioritised",
    "Decision.Recorded": "decision_recorded",
}


def record_of(row: dict[str, Any]) -> Record:
    """An audit row back as a record (what the reducers take)."""
    return Record(
        row["position"], row["aggregate_type"], row["event_type"], row["aggregate_id"],
        row["version"], row["recorded_at"], row["effective_at"], row["actor"], row["reason"],
        row["decision_id"], row["correlation_id"], row["command_id"], json.loads(row["data"]),
    )  # fmt: skip


def change_name(r: Record) -> str:
    if r.event_type == "KeyResult.Retargeted":
        return "target_eased" if r.data.get("easing") else "target_raised"
    if r.event_type in NAMES:
        return NAMES[r.event_type]
    return f"{r.aggregate_type.lower()}_{r.name.lower()}"


def field_changes(before: Doc | None, after: Doc) -> tuple[dict[str, Any], list[str]]:
    """Top-level fields set (with their new values) and removed."""
    before = before or {}
    changed = {k: copy.deepcopy(v) for k, v in after.items() if before.get(k, ...) != v}
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
    for row in rows:
        r = record_of(row)
        if r.aggregate_type not in KINDS:
            continue
        change: dict[str, Any] = {
            "change": change_name(r),
            "type": KINDS[r.aggregate_type],
            "id": r.aggregate_id,
            "position": r.position,
            "who": r.actor,
            "when": iso(r.recorded_at),
            "effective": iso(r.effective_at),
            "why": r.reason,
            "decision": decision_json(r.decision_id, decisions),
        }
        if r.event_type in MEASUREMENTS:
            change["check_in"] = {
                **r.data,
                "effective_at": r.effective_at,
                "recorded_at": r.recorded_at,
            }
            if r.aggregate_type == "KeyResult":
                changes.append(change)
            continue
        before = docs.get(r.aggregate_id)  # replaced below, never changed in place
        after = reduce(copy.deepcopy(before), r)
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
