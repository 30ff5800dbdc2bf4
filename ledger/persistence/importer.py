"""Loading an export into an empty store: SQLite, PostgreSQL or memory.

Everything goes in ONE transaction: the events at their original positions, their
leaves, the tree's nodes, every signed checkpoint and its witnesses' cosignatures. A
broken archive (checked before anything is written), a refused store or a crash at any
moment therefore leaves the target as empty as it was; a finished import is complete.
The store must be empty: no events, no leaves, no checkpoints, no cosignatures.

The events are written byte for byte as the source stored them (the id as the
store's own type, the topic, the state), so every leaf rebuilt from the target's
stored bytes is the archive's leaf, and every root the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any
from uuid import UUID

from ledger.exceptions import LedgerError
from ledger.tlog.store import CheckpointRow, CosignatureRow

CHUNK = 5000


class StoreNotEmpty(LedgerError):
    rule = "store_not_empty"


@dataclass(frozen=True)
class Entry:
    index: int
    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes
    leaf_hash: bytes


class Importer:
    """Writes an archive's contents into one recorder's store."""

    def __init__(self, recorder: Any, *, chunk: int = CHUNK) -> None:
        self.recorder = recorder
        self.chunk = chunk
        self.after_chunk: Callable[[int], None] = lambda _count: None
        """A hook the fault tests use: called after each chunk of events is written
        (not yet committed), with the number written so far."""

    def load(
        self,
        entries: Iterable[Entry],
        nodes: Iterable[tuple[int, int, bytes]],
        checkpoints: list[CheckpointRow],
        cosignatures: Sequence[CosignatureRow] = (),
    ) -> int:
        kind = type(self.recorder).__module__
        if kind.endswith(".sqlite"):
            return self._sqlite(entries, nodes, checkpoints, cosignatures)
        if kind.endswith(".postgres"):
            return self._postgres(entries, nodes, checkpoints, cosignatures)
        return self._memory(entries, nodes, checkpoints)

    # -- SQLite ----------------------------------------------------------------------

    def _sqlite(
        self,
        entries: Iterable[Entry],
        nodes: Iterable[tuple[int, int, bytes]],
        checkpoints: list[CheckpointRow],
        cosignatures: Sequence[CosignatureRow],
    ) -> int:
        from ledger.persistence.sqlite import CHECKPOINTS, COSIGNATURES, LEAVES, NODES

        events = self.recorder.events_table_name
        written = 0
        with self.recorder.datastore.transaction(commit=True) as c:
            for table in (events, LEAVES, CHECKPOINTS, COSIGNATURES):
                c.execute(f"SELECT 1 FROM {table} LIMIT 1")
                if c.fetchone() is not None:
                    raise StoreNotEmpty(f"the target store is not empty ({table} has rows)")
            for chunk in _chunks(entries, self.chunk):
                c.executemany(
                    f"INSERT INTO {events} (rowid, originator_id, originator_version, topic, "
                    "state) VALUES (?, ?, ?, ?, ?)",
                    [(e.position, e.aggregate_id.hex, e.version, e.topic, e.state) for e in chunk],
                )
                c.executemany(
                    f"INSERT INTO {LEAVES} VALUES (?, ?, ?)",
                    [(e.index, e.position, e.leaf_hash) for e in chunk],
                )
                written += len(chunk)
                self.after_chunk(written)
            for node_chunk in _chunks(nodes, self.chunk):
                c.executemany(f"INSERT INTO {NODES} VALUES (?, ?, ?)", node_chunk)
            c.executemany(
                f"INSERT INTO {CHECKPOINTS} VALUES (?, ?, ?, ?)",
                [(r.size, r.root_hash, r.note, r.issued_at.isoformat()) for r in checkpoints],
            )
            c.executemany(
                f"INSERT INTO {COSIGNATURES} (witness, size, line) VALUES (?, ?, ?)",
                [(r.witness, r.size, r.line) for r in cosignatures],
            )
        return written

    # -- PostgreSQL ------------------------------------------------------------------

    def _postgres(
        self,
        entries: Iterable[Entry],
        nodes: Iterable[tuple[int, int, bytes]],
        checkpoints: list[CheckpointRow],
        cosignatures: Sequence[CosignatureRow],
    ) -> int:
        from psycopg.sql import SQL, Identifier

        recorder = self.recorder
        schema = Identifier(recorder.datastore.schema)
        events = Identifier(recorder.events_table_name)
        leaves = Identifier(recorder.leaves_table_name)
        tree = Identifier(recorder.nodes_table_name)
        kept = Identifier(recorder.checkpoints_table_name)
        cosigned = Identifier(recorder.cosignatures_table_name)
        written = 0
        with recorder.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(SQL("LOCK TABLE {0}.{1} IN EXCLUSIVE MODE").format(schema, events))
            for table in (events, leaves, kept, cosigned):
                cur.execute(SQL("SELECT 1 FROM {0}.{1} LIMIT 1").format(schema, table))
                if cur.fetchone() is not None:
                    raise StoreNotEmpty(f"the target store is not empty ({table.as_string()})")
            last = 0
            copy_events = SQL(
                "COPY {0}.{1} (notification_id, originator_id, originator_version, topic, "
                "state) FROM STDIN"
            ).format(schema, events)
            copy_leaves = SQL("COPY {0}.{1} (leaf_index, position, leaf_hash) FROM STDIN").format(
                schema, leaves
            )
            for chunk in _chunks(entries, self.chunk):
                with cur.copy(copy_events) as copy:
                    for e in chunk:
                        copy.write_row((e.position, e.aggregate_id, e.version, e.topic, e.state))
                with cur.copy(copy_leaves) as copy:
                    for e in chunk:
                        copy.write_row((e.index, e.position, e.leaf_hash))
                last = chunk[-1].position
                written += len(chunk)
                self.after_chunk(written)
            copy_nodes = SQL("COPY {0}.{1} (level, node_index, hash) FROM STDIN").format(
                schema, tree
            )
            with cur.copy(copy_nodes) as copy:
                for node in nodes:
                    copy.write_row(node)
            for r in checkpoints:
                cur.execute(
                    SQL(
                        "INSERT INTO {0}.{1} (size, root_hash, note, issued_at) "
                        "VALUES (%s, %s, %s, %s)"
                    ).format(schema, kept),
                    (r.size, r.root_hash, r.note, r.issued_at),
                )
            for c in cosignatures:
                cur.execute(
                    SQL("INSERT INTO {0}.{1} (witness, size, line) VALUES (%s, %s, %s)").format(
                        schema, cosigned
                    ),
                    (c.witness, c.size, c.line),
                )
            if last:
                name = f"{recorder.datastore.schema}.{recorder.events_table_name}"
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s)",
                    (name, last),
                )
        return written

    # -- memory ----------------------------------------------------------------------

    def _memory(
        self,
        entries: Iterable[Entry],
        nodes: Iterable[tuple[int, int, bytes]],
        checkpoints: list[CheckpointRow],
    ) -> int:
        loader = getattr(self.recorder, "load_imported", None)
        if loader is None:
            raise LedgerError("this store cannot take an import")
        return int(loader(list(entries), list(nodes), checkpoints))


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
