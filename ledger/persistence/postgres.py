"""PostgreSQL, with the hash chain.

The library's recorder takes an EXCLUSIVE lock on the events table for each insert,
so appends are serialised and the chain's tail read inside the same transaction is
the true tail. The database-function insert path skips that lock, so it is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from ledger.chain import ChainLink, RawEvent, extend
from ledger.persistence.popo import raw


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        if datastore.enable_db_functions:
            msg = "the hash chain needs the table-locking insert; unset ENABLE_DB_FUNCTIONS"
            raise ProgrammingError(msg)
        super().__init__(datastore, events_table_name=events_table_name)
        self._pending = threading.local()
        base = events_table_name.removesuffix("_events")
        self.chain_table_name = f"{base}_chain"
        self.check_identifier_length(self.chain_table_name)
        schema, chain = Identifier(self.datastore.schema), Identifier(self.chain_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} ("
                "position bigint PRIMARY KEY, prev_position bigint, hash bytea NOT NULL)"
            ).format(schema, chain)
        )
        self._select_tail = SQL(
            "SELECT position, prev_position, hash FROM {0}.{1} ORDER BY position DESC LIMIT 1"
        ).format(schema, chain)
        self._insert_links = SQL("INSERT INTO {0}.{1} VALUES (%s, %s, %s)").format(schema, chain)
        self._select_links = SQL(
            "SELECT position, prev_position, hash FROM {0}.{1} "
            "WHERE position > %s ORDER BY position LIMIT %s"
        ).format(schema, chain)
        self._select_raw = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0}.{1} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(schema, Identifier(self.events_table_name))
        self._select_positions = SQL(
            "SELECT originator_version, notification_id FROM {0}.{1} WHERE originator_id = %s"
        ).format(schema, Identifier(self.events_table_name))
        self._select_position = SQL(
            "SELECT notification_id FROM {0}.{1} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(schema, Identifier(self.events_table_name))

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # Lock, then queue the read of the chain's tail in the same pipeline as the
        # insert, so the chain costs no extra round trip before the commit.
        self._lock_table(curs)
        self._notify_channel(curs)
        tail_cursor = curs.connection.cursor()
        tail_cursor.execute(self._select_tail, prepare=True)
        self._pending.tail_cursor = tail_cursor
        PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events, **kwargs)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert ids is not None  # the PostgreSQL application recorder returns ids
        tail_cursor = self._pending.tail_cursor
        row = tail_cursor.fetchone()
        tail_cursor.close()
        tail = (
            ChainLink(row["position"], row["prev_position"], bytes(row["hash"])) if row else None
        )
        new = [raw(p, s) for p, s in zip(ids, stored_events, strict=True)]
        curs.executemany(
            self._insert_links,
            [(k.position, k.prev_position, k.hash) for k in extend(tail, new)],
        )
        return ids

    def select_raw_events(self, after: int, limit: int) -> list[RawEvent]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_raw, (after, limit), prepare=True)
            return [
                raw(
                    r["notification_id"],
                    StoredEvent(
                        r["originator_id"],
                        r["originator_version"],
                        r["topic"],
                        bytes(r["state"]),
                    ),
                )
                for r in curs.fetchall()
            ]

    def select_links(self, after: int, limit: int) -> list[ChainLink]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_links, (after, limit), prepare=True)
            return [
                ChainLink(r["position"], r["prev_position"], bytes(r["hash"]))
                for r in curs.fetchall()
            ]

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_positions, (originator_id,), prepare=True)
            return {r["originator_version"]: r["notification_id"] for r in curs.fetchall()}

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_position, (originator_id, version), prepare=True)
            r = curs.fetchone()
            return r["notification_id"] if r else None

    def chain_head(self) -> ChainLink | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_tail, prepare=True)
            r = curs.fetchone()
            return ChainLink(r["position"], r["prev_position"], bytes(r["hash"])) if r else None


class ChainedPostgresFactory(PostgresFactory):
    application_recorder_class = ChainedPostgresApplicationRecorder
