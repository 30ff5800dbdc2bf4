"""The embedded default: an SQLite file, with the hash chain."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory

from ledger.chain import ChainLink, RawEvent, extend
from ledger.persistence.popo import raw


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    chain_table_name = "event_chain"

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.chain_table_name} ("
            "position INTEGER PRIMARY KEY, prev_position INTEGER, hash BLOB NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        assert ids is not None  # the SQLite application recorder returns row ids
        c.execute(
            f"SELECT position, prev_position, hash FROM {self.chain_table_name} "
            "ORDER BY position DESC LIMIT 1"
        )
        row = c.fetchone()
        tail = ChainLink(row[0], row[1], bytes(row[2])) if row else None
        new = [raw(p, s) for p, s in zip(ids, stored_events, strict=True)]
        c.executemany(
            f"INSERT INTO {self.chain_table_name} VALUES (?, ?, ?)",
            [(k.position, k.prev_position, k.hash) for k in extend(tail, new)],
        )
        return ids

    def read_page(self, after: int, limit: int, stop: int) -> list[tuple[Any, ...]]:
        """(position, aggregate id text, version, topic, state) of the stored events
        after ``after``, up to ``stop``: the fast path for read models."""
        return [
            (n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
            for n in self.select_notifications(after, limit, stop, inclusive_of_start=False)
        ]

    def select_raw_events(self, after: int, limit: int) -> list[RawEvent]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT rowid, CAST(originator_id AS BLOB), originator_version, "
                f"CAST(topic AS BLOB), CAST(state AS BLOB) FROM {self.events_table_name} "
                "WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (after, limit),
            )
            return [
                RawEvent(r[0], bytes(r[1] or b""), r[2], bytes(r[3] or b""), bytes(r[4] or b""))
                for r in c.fetchall()
            ]

    def select_links(self, after: int, limit: int) -> list[ChainLink]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT position, prev_position, hash FROM {self.chain_table_name} "
                "WHERE position > ? ORDER BY position LIMIT ?",
                (after, limit),
            )
            return [ChainLink(r[0], r[1], bytes(r[2])) for r in c.fetchall()]

    def select_events_after(self, after: Sequence[tuple[UUID, int]]) -> list[StoredEvent]:
        """Events of several aggregates, each after a version, in one query."""
        if not after:
            return []
        where = " OR ".join(["(originator_id = ? AND originator_version > ?)"] * len(after))
        params = [p for ident, version in after for p in (ident.hex, version)]
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} WHERE {where} "
                "ORDER BY originator_id, originator_version",
                params,
            )
            return [StoredEvent(UUID(r[0]), r[1], r[2], bytes(r[3])) for r in c.fetchall()]

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_version, rowid FROM {self.events_table_name} "
                "WHERE originator_id = ?",
                (originator_id.hex,),
            )
            return {r[0]: r[1] for r in c.fetchall()}

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} "
                "WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, version),
            )
            row = c.fetchone()
            return row[0] if row else None

    def chain_head(self) -> ChainLink | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT position, prev_position, hash FROM {self.chain_table_name} "
                "ORDER BY position DESC LIMIT 1"
            )
            row = c.fetchone()
            return ChainLink(row[0], row[1], bytes(row[2])) if row else None


class ChainedSQLiteFactory(SQLiteFactory):
    application_recorder_class = ChainedSQLiteApplicationRecorder
