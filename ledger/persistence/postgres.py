"""PostgreSQL, with the hash chain, appended by one server-side function per save.

``{name}_append(events)`` takes the EXCLUSIVE lock on the events table (as the
library's recorder does, so positions are issued in commit order), notifies
subscribers, inserts the events and extends the chain from its true tail, all inside
one statement run in autocommit mode. The lock is therefore held only while the
server works and commits, never across a network round trip or while a Python thread
waits for the interpreter lock: concurrent writers are serialised, but briefly.

The function hashes exactly as ``ledger.chain.digest`` does; the verifier recomputes
every link in Python, so the two can never silently disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier, Literal

from ledger.chain import DOMAIN, ChainLink, RawEvent
from ledger.persistence.popo import raw

SCHEMA_LOCK = 0x6F6B72_4C6564  # an advisory lock key of our own ("okrLed")

APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.{append}(new_events {schema}.{event_type}[])
RETURNS SETOF bigint LANGUAGE plpgsql AS $body$
DECLARE
    tail_position bigint;
    tail_hash bytea;
    link_hash bytea;
    ids bigint[];
    e record;
BEGIN
    LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE;
    PERFORM pg_notify({channel}, '');
    SELECT position, hash INTO tail_position, tail_hash
        FROM {schema}.{chain} ORDER BY position DESC LIMIT 1;
    tail_hash := coalesce(tail_hash, decode(repeat('00', 32), 'hex'));
    WITH inserted AS (
        INSERT INTO {schema}.{events} (originator_id, originator_version, topic, state)
        SELECT originator_id, originator_version, topic, state FROM unnest(new_events)
        RETURNING notification_id
    ) SELECT array_agg(notification_id ORDER BY notification_id) INTO ids FROM inserted;
    FOR e IN
        SELECT notification_id, originator_version,
               convert_to(replace(originator_id::text, '-', ''), 'UTF8') AS oid,
               convert_to(topic, 'UTF8') AS topic, state
        FROM {schema}.{events} WHERE notification_id = ANY(ids) ORDER BY notification_id
    LOOP
        link_hash := sha256(
            {domain} || tail_hash
            || int8send(e.notification_id) || int8send(coalesce(tail_position, 0))
            || int8send(e.originator_version)
            || int8send(octet_length(e.oid)::bigint) || e.oid
            || int8send(octet_length(e.topic)::bigint) || e.topic
            || int8send(octet_length(e.state)::bigint) || e.state
        );
        INSERT INTO {schema}.{chain} VALUES (e.notification_id, tail_position, link_hash);
        tail_position := e.notification_id;
        tail_hash := link_hash;
        RETURN NEXT e.notification_id;
    END LOOP;
END
$body$
"""


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        if datastore.enable_db_functions:
            msg = "the chained recorder has its own append function; unset ENABLE_DB_FUNCTIONS"
            raise ProgrammingError(msg)
        super().__init__(datastore, events_table_name=events_table_name)
        base = events_table_name.removesuffix("_events")
        self.chain_table_name = f"{base}_chain"
        self.append_function_name = f"{base}_append"
        self.check_identifier_length(self.chain_table_name)
        schema, chain = Identifier(self.datastore.schema), Identifier(self.chain_table_name)
        events = Identifier(self.events_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} ("
                "position bigint PRIMARY KEY, prev_position bigint, hash bytea NOT NULL)"
            ).format(schema, chain)
        )
        self.sql_create_statements.append(
            SQL(APPEND_FUNCTION).format(
                schema=schema,
                append=Identifier(self.append_function_name),
                event_type=Identifier(self.stored_event_type_name),
                events=events,
                chain=chain,
                channel=Literal(self.channel_name),
                domain=Literal(DOMAIN),
            )
        )
        self._append = SQL("SELECT * FROM {0}.{1}(%s)").format(
            schema, Identifier(self.append_function_name)
        )
        self._select_tail = SQL(
            "SELECT position, prev_position, hash FROM {0}.{1} ORDER BY position DESC LIMIT 1"
        ).format(schema, chain)
        self._select_links = SQL(
            "SELECT position, prev_position, hash FROM {0}.{1} "
            "WHERE position > %s ORDER BY position LIMIT %s"
        ).format(schema, chain)
        self._select_raw = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0}.{1} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(schema, events)
        self._select_after = SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state "
            "FROM {0}.{1} e JOIN unnest(%s::uuid[], %s::bigint[]) AS t(id, v) "
            "ON e.originator_id = t.id AND e.originator_version > t.v "
            "ORDER BY e.originator_id, e.originator_version"
        ).format(schema, events)
        self._read_page = SQL(
            "SELECT notification_id, originator_id::text, originator_version, topic, state "
            "FROM {0}.{1} WHERE notification_id > %s AND notification_id <= %s "
            "ORDER BY notification_id LIMIT %s"
        ).format(schema, events)
        self._select_positions = SQL(
            "SELECT originator_version, notification_id FROM {0}.{1} WHERE originator_id = %s"
        ).format(schema, events)
        self._select_position = SQL(
            "SELECT notification_id FROM {0}.{1} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(schema, events)

    def create_table(self) -> None:
        """Create the tables, types and function, one process at a time (several
        workers starting together would otherwise race on the catalogue)."""
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                super().create_table()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None:
            msg = "the chained application recorder does not record tracking"
            raise ProgrammingError(msg)
        if not stored_events:
            return []
        rows = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._append, (rows,), prepare=True)
            return [row[self.append_function_name] for row in curs.fetchall()]

    # -- reading the raw log ---------------------------------------------------------

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

    def chain_head(self) -> ChainLink | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_tail, prepare=True)
            r = curs.fetchone()
            return ChainLink(r["position"], r["prev_position"], bytes(r["hash"])) if r else None

    def read_page(self, after: int, limit: int, stop: int) -> list[tuple[Any, ...]]:
        """(position, aggregate id text, version, topic, state) of the stored events
        after ``after``, up to ``stop``: the fast path for read models."""
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(self._read_page, (after, stop, limit), prepare=True)
            return curs.fetchall()

    def select_events_after(self, after: Sequence[tuple[UUID, int]]) -> list[StoredEvent]:
        """Events of several aggregates, each after a version, in one round trip."""
        if not after:
            return []
        ids, versions = [i for i, _ in after], [v for _, v in after]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_after, (ids, versions), prepare=True)
            return [
                StoredEvent(
                    r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])
                )
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


class ChainedPostgresFactory(PostgresFactory):
    application_recorder_class = ChainedPostgresApplicationRecorder
