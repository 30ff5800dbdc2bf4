"""The embedded default: an SQLite file, with the transparency log's tables.

Each event's leaf hash is written in the same transaction as the event (after the
insert has taken SQLite's write lock, so leaf indexes follow positions without gaps).
Triggers refuse UPDATE and DELETE on the events and the log's tables (SQLite has no
TRUNCATE; a ``DELETE`` without ``WHERE`` fires the triggers too).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory

from ledger.tlog.merkle import leaf_hash
from ledger.tlog.store import (
    CheckpointRow,
    CosignatureRow,
    Leaf,
    RawEvent,
    hash_of_stored,
    rebuilt_leaf,
)

LEAVES, NODES, CHECKPOINTS = "log_leaves", "log_nodes", "log_checkpoints"
COSIGNATURES = "log_cosignatures"
REFUSED = "okr-ledger: the log is append-only"


def refusing_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_refuse_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}: {verb} on {table} is refused'); END"
        for verb in ("UPDATE", "DELETE")
    ]


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {LEAVES} (leaf_index INTEGER PRIMARY KEY, "
            "position INTEGER NOT NULL UNIQUE, leaf_hash BLOB NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {NODES} (level INTEGER NOT NULL, "
            "node_index INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, node_index))",
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (size INTEGER PRIMARY KEY, "
            "root_hash BLOB NOT NULL, note TEXT NOT NULL, issued_at TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {COSIGNATURES} (witness TEXT NOT NULL, "
            "size INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY (witness, size))",
            *(
                trigger
                for table in (self.events_table_name, LEAVES, NODES, CHECKPOINTS, COSIGNATURES)
                for trigger in refusing_triggers(table)
            ),
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recent = threading.local()

    backfilled = 0
    """leaves given to stored events on first use (a ledger older than the tree)"""

    def create_table(self) -> None:
        super().create_table()
        self.backfilled += self.backfill_leaves()

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        assert ids is not None  # the SQLite application recorder returns row ids
        c.execute(f"SELECT max(leaf_index) FROM {LEAVES}")
        last = c.fetchone()[0]
        first = 0 if last is None else last + 1
        c.executemany(
            f"INSERT INTO {LEAVES} VALUES (?, ?, ?)",
            [
                (first + i, p, hash_of_stored(s, p))
                for i, (p, s) in enumerate(zip(ids, stored_events, strict=True))
            ],
        )
        self._recent.leaves = {p: first + i for i, p in enumerate(ids)}
        return ids

    def recent_leaves(self) -> dict[int, int]:
        """position -> leaf index of this thread's latest append."""
        return getattr(self._recent, "leaves", {})

    def backfill_leaves(self) -> int:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"SELECT 1 FROM {LEAVES} LIMIT 1")
            if c.fetchone() is not None:
                return 0
            c.execute(
                "SELECT rowid, CAST(originator_id AS BLOB), originator_version, "
                f"CAST(topic AS BLOB), CAST(state AS BLOB) FROM {self.events_table_name} "
                "ORDER BY rowid"
            )
            rows = [_raw(r) for r in c.fetchall()]
            leaves = []
            for index, event in enumerate(rows):
                leaf = rebuilt_leaf(event)
                if leaf is None:
                    raise ValueError(f"the event at position {event.position} is malformed")
                leaves.append((index, event.position, leaf_hash(leaf)))
            c.executemany(f"INSERT INTO {LEAVES} VALUES (?, ?, ?)", leaves)
            return len(leaves)

    # -- reading the raw log ---------------------------------------------------------

    def _select(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return c.fetchall()

    def read_page(self, after: int, limit: int, stop: int) -> list[tuple[Any, ...]]:
        """(position, aggregate id text, version, topic, state) of the stored events
        after ``after``, up to ``stop``: the fast path for read models."""
        return [
            (n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
            for n in self.select_notifications(after, limit, stop, inclusive_of_start=False)
        ]

    def select_raw_events(self, after: int, limit: int) -> list[RawEvent]:
        return [
            _raw(r)
            for r in self._select(
                "SELECT rowid, CAST(originator_id AS BLOB), originator_version, "
                f"CAST(topic AS BLOB), CAST(state AS BLOB) FROM {self.events_table_name} "
                "WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (after, limit),
            )
        ]

    def select_leaves(self, start: int, limit: int) -> list[Leaf]:
        return [
            Leaf(r[0], r[1], bytes(r[2]))
            for r in self._select(
                f"SELECT leaf_index, position, leaf_hash FROM {LEAVES} "
                "WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?",
                (start, limit),
            )
        ]

    def select_leaves_by_position(self, after: int, limit: int) -> list[Leaf]:
        return [
            Leaf(r[0], r[1], bytes(r[2]))
            for r in self._select(
                f"SELECT leaf_index, position, leaf_hash FROM {LEAVES} "
                "WHERE position > ? ORDER BY position LIMIT ?",
                (after, limit),
            )
        ]

    def leaf_count(self) -> int:
        last = self._select(f"SELECT max(leaf_index) FROM {LEAVES}")[0][0]
        return 0 if last is None else last + 1

    def leaves_at(self, indexes: Sequence[int]) -> dict[int, Leaf]:
        return self._leaves_where("leaf_index", indexes, lambda leaf: leaf.index)

    def leaves_of(self, positions: Sequence[int]) -> dict[int, Leaf]:
        return self._leaves_where("position", positions, lambda leaf: leaf.position)

    def _leaves_where(self, column: str, values: Sequence[int], key: Any) -> dict[int, Leaf]:
        found: dict[int, Leaf] = {}
        values = list(dict.fromkeys(values))
        for i in range(0, len(values), 500):
            chunk = values[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._select(
                f"SELECT leaf_index, position, leaf_hash FROM {LEAVES} "
                f"WHERE {column} IN ({marks})",
                chunk,
            ):
                leaf = Leaf(r[0], r[1], bytes(r[2]))
                found[key(leaf)] = leaf
        return found

    def select_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found = {
            (0, i): leaf.hash
            for i, leaf in self.leaves_at([i for lv, i in keys if lv == 0]).items()
        }
        inner = [k for k in keys if k[0] > 0]
        for i in range(0, len(inner), 400):
            chunk = inner[i : i + 400]
            where = " OR ".join(["(level = ? AND node_index = ?)"] * len(chunk))
            for r in self._select(
                f"SELECT level, node_index, hash FROM {NODES} WHERE {where}",
                [p for key in chunk for p in key],
            ):
                found[(r[0], r[1])] = bytes(r[2])
        return found

    def nodes_frontier(self) -> int:
        last = self._select(f"SELECT max(node_index) FROM {NODES} WHERE level = 1")[0][0]
        return 0 if last is None else 2 * (last + 1)

    def insert_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(f"INSERT OR IGNORE INTO {NODES} VALUES (?, ?, ?)", nodes)

    def insert_checkpoint(self, row: CheckpointRow) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT OR IGNORE INTO {CHECKPOINTS} VALUES (?, ?, ?, ?)",
                (row.size, row.root_hash, row.note, row.issued_at.isoformat()),
            )
            c.execute("SELECT changes()")
            return bool(c.fetchone()[0] == 1)

    def select_checkpoints(self) -> list[CheckpointRow]:
        return [_checkpoint(r) for r in self._select(f"SELECT * FROM {CHECKPOINTS} ORDER BY size")]

    def select_checkpoint(self, size: int | None) -> CheckpointRow | None:
        if size is None:
            rows = self._select(f"SELECT * FROM {CHECKPOINTS} ORDER BY size DESC LIMIT 1")
        else:
            rows = self._select(f"SELECT * FROM {CHECKPOINTS} WHERE size = ?", (size,))
        return _checkpoint(rows[0]) if rows else None

    def add_cosignature(self, size: int, witness: str, line: str) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT OR IGNORE INTO {COSIGNATURES} (witness, size, line) VALUES (?, ?, ?)",
                (witness, size, line),
            )
            c.execute("SELECT changes()")
            return bool(c.fetchone()[0] == 1)

    def cosigned_size(self, witness: str) -> int:
        rows = self._select(f"SELECT max(size) FROM {COSIGNATURES} WHERE witness = ?", (witness,))
        return int(rows[0][0] or 0)

    def select_cosignatures(self, sizes: Sequence[int] | None = None) -> list[CosignatureRow]:
        query = f"SELECT size, witness, line FROM {COSIGNATURES}"
        if sizes is None:
            rows = self._select(query + " ORDER BY size, witness")
        else:
            rows = []
            wanted = sorted(set(sizes))
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows += self._select(
                    f"{query} WHERE size IN ({marks}) ORDER BY size, witness", chunk
                )
        return [CosignatureRow(r[0], r[1], r[2]) for r in rows]

    def select_events_after(self, after: Sequence[tuple[UUID, int]]) -> list[StoredEvent]:
        """Events of several aggregates, each after a version, in one query."""
        if not after:
            return []
        where = " OR ".join(["(originator_id = ? AND originator_version > ?)"] * len(after))
        params = [p for ident, version in after for p in (ident.hex, version)]
        return [
            StoredEvent(UUID(r[0]), r[1], r[2], bytes(r[3]))
            for r in self._select(
                f"SELECT originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} WHERE {where} "
                "ORDER BY originator_id, originator_version",
                params,
            )
        ]

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        rows = self._select(
            f"SELECT originator_version, rowid FROM {self.events_table_name} "
            "WHERE originator_id = ?",
            (originator_id.hex,),
        )
        return {r[0]: r[1] for r in rows}

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        rows = self._select(
            f"SELECT rowid FROM {self.events_table_name} "
            "WHERE originator_id = ? AND originator_version = ?",
            (originator_id.hex, version),
        )
        return rows[0][0] if rows else None


def _raw(r: Any) -> RawEvent:
    return RawEvent(r[0], bytes(r[1] or b""), r[2], bytes(r[3] or b""), bytes(r[4] or b""))


def _checkpoint(r: Any) -> CheckpointRow:
    return CheckpointRow(r[0], bytes(r[1]), r[2], datetime.fromisoformat(r[3]))


class ChainedSQLiteFactory(SQLiteFactory):
    application_recorder_class = ChainedSQLiteApplicationRecorder
