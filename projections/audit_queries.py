"""The audit trail's queries: filtered pages of audit rows in log order, each with its
event's leaf index in the transparency log, and every matching row for exports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from ledger.application import Ledger
from ledger.cycle import Cycle
from ledger.team import Team
from projections.audit import AuditView

INDEXED_AUDIT_COLUMNS = ("cycle_id", "team_id", "aggregate_id", "actor", "event_type")
"""Columns indexed with the position. A page filtered on one asks for it as a range of
one value, ordered by (it, position): the log's order, since the column is fixed, but
one that only that index gives. Asked with ``=`` and ordered by position, PostgreSQL
walks the whole log's index instead, expecting the matches spread evenly, and reads
the log to its end when they all lie there (the latest cycle: a second, not a
millisecond)."""


def resolve(ref: str, kind: type[Cycle] | type[Team]) -> str:
    """An id given as a UUID or as the natural key (``2026-Q3``, ``contact-centre``)."""
    try:
        return str(UUID(ref))
    except ValueError:
        return str(kind.id_for(ref))


class AuditQueries:
    ledger: Ledger
    audit: AuditView

    def reading(self) -> Any:
        raise NotImplementedError

    def audit_rows(
        self, filters: dict[str, Any], *, after: int = 0, limit: int | None = 100
    ) -> list[dict[str, Any]]:
        where, params, order = ["position > %s"], [after], "position"
        for column, key in (
            ("cycle_id", "cycle"),
            ("team_id", "team"),
            ("aggregate_id", "aggregate"),
            ("actor", "actor"),
            ("event_type", "type"),
            ("decision_id", "decision"),
            ("correlation_id", "correlation"),
        ):
            if filters.get(key) is not None:
                value = filters[key]
                if key == "cycle":
                    value = resolve(value, Cycle)
                elif key == "team":
                    value = resolve(value, Team)
                if key == "type" and "." not in value:
                    where.append("aggregate_type = %s")
                elif order == "position" and column in INDEXED_AUDIT_COLUMNS:
                    where.append(f"{column} >= %s AND {column} <= %s")  # = , read as a range
                    params.append(value)
                    order = f"{column}, position"
                else:
                    where.append(f"{column} = %s")
                params.append(value)
        column = "effective_at" if filters.get("time") == "effective" else "recorded_at"
        if filters.get("from") is not None:
            where.append(f"{column} >= %s")
            params.append(filters["from"])
        if filters.get("to") is not None:
            where.append(f"{column} <= %s")
            params.append(filters["to"])
        sql = (
            f"SELECT * FROM {self.audit.t('events')} WHERE {' AND '.join(where)} ORDER BY {order}"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self.reading() as cursor:
            rows = cursor.execute(sql, params).fetchall()
        return self.with_leaf_indexes(rows)

    def with_leaf_indexes(self, rows: list[Any]) -> list[dict[str, Any]]:
        """Audit rows, each naming its event's leaf index in the transparency log."""
        leaves = self.ledger.chained_recorder.leaves_of([r["position"] for r in rows])
        found = {p: leaf.index for p, leaf in leaves.items()}
        return [{**r, "leaf_index": found.get(r["position"])} for r in rows]

    def all_audit_rows(self, filters: dict[str, Any], *, chunk: int = 5000) -> Iterator[Any]:
        """Every matching audit row, in pages (for exports)."""
        after = 0
        while True:
            rows = self.audit_rows(filters, after=after, limit=chunk)
            yield from rows
            if len(rows) < chunk:
                return
            after = rows[-1]["position"]
