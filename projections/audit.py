"""The audit trail: every event flattened, with who, when (recorded and effective), why,
under which decision, its correlation id, its log position and (added when rows are read)
its leaf index in the transparency log."""

from __future__ import annotations

import json
from typing import Any

from eventlog.record import Record
from eventlog.rendering import event_json
from eventlog.store import Cursor
from projections.view import View, dumps, scope_of

COLUMNS = (
    "position", "aggregate_id", "aggregate_type", "event_type", "version", "recorded_at",
    "effective_at", "actor", "reason", "decision_id", "correlation_id", "command_id",
    "cycle_id", "team_id", "data",
)  # fmt: skip


class AuditView(View):
    name = "audit"
    tables = {
        "events": (
            "position BIGINT NOT NULL, aggregate_id TEXT NOT NULL, "
            "aggregate_type TEXT NOT NULL, event_type TEXT NOT NULL, version INTEGER NOT NULL, "
            "recorded_at BIGINT NOT NULL, effective_at BIGINT NOT NULL, actor TEXT NOT NULL, "
            "reason TEXT, decision_id TEXT, correlation_id TEXT NOT NULL, command_id TEXT, "
            "cycle_id TEXT, team_id TEXT, data TEXT NOT NULL",
            "position",
        )
    }
    indexes = [
        ("events", "cycle_id, position"),
        ("events", "team_id, position"),
        ("events", "aggregate_id, position"),
        ("events", "actor, position"),
        ("events", "event_type, position"),
        ("events", "correlation_id"),
        ("events", "cycle_id, recorded_at"),  # the changes of a window (diff)
    ]

    def __init__(self, generation: int = 1) -> None:
        super().__init__(generation)
        self.scopes: dict[str, tuple[str | None, str | None]] = {}

    def forget(self) -> None:
        self.scopes.clear()

    def _load_scopes(self, cursor: Cursor, idents: set[str]) -> None:
        for row in cursor.select_in(
            f"SELECT aggregate_id, cycle_id, team_id FROM {self.t('events')} "
            "WHERE version = 1 AND aggregate_id IN",
            sorted(idents),
        ):
            self.scopes[row["aggregate_id"]] = (row["cycle_id"], row["team_id"])

    def apply(self, cursor: Cursor, records: list[Record]) -> None:
        created = {r.aggregate_id for r in records if r.version == 1}
        unknown = {r.aggregate_id for r in records if r.version > 1} - created - self.scopes.keys()
        if unknown:
            self._load_scopes(cursor, unknown)
        rows = []
        for r in records:
            if r.version == 1:
                self.scopes[r.aggregate_id] = scope_of(r)
            cycle_id, team_id = self.scopes.get(r.aggregate_id, (None, None))
            rows.append((
                r.position, r.aggregate_id, r.aggregate_type, r.event_type, r.version,
                r.recorded_at, r.effective_at, r.actor, r.reason, r.decision_id,
                r.correlation_id, r.command_id, cycle_id, team_id, dumps(r.data),
            ))  # fmt: skip
        self.insert(cursor, "events", COLUMNS, rows)


SHOWN = (
    "position", "leaf_index", "event_type", "aggregate_type", "aggregate_id", "version",
    "recorded_at", "effective_at", "actor", "cycle_id", "team_id", "decision_id",
)  # fmt: skip
FULL = (*SHOWN, "reason", "correlation_id", "command_id", "data")


def audit_row(row: dict[str, Any], *, full: bool) -> dict[str, Any]:
    """An audit row as the API shows it: the event's one JSON rendering with its leaf
    and scope; without ``full``, the reason, payload and ids that link acts together are
    left out (auditors and admins get everything)."""
    event = event_json(
        Record(
            position=row["position"],
            aggregate_type=row["aggregate_type"],
            event_type=row["event_type"],
            aggregate_id=row["aggregate_id"],
            version=row["version"],
            recorded_at=row["recorded_at"],
            effective_at=row["effective_at"],
            actor=row["actor"],
            reason=row["reason"],
            decision_id=row["decision_id"],
            correlation_id=row["correlation_id"],
            command_id=row["command_id"],
            data=json.loads(row["data"]) if full else {},
        )
    )
    event.update(
        leaf_index=row.get("leaf_index"), cycle_id=row["cycle_id"], team_id=row["team_id"]
    )
    return {name: event[name] for name in (FULL if full else SHOWN)}
