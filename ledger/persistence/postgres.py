"""PostgreSQL, with the transparency log's tables, appended by one server-side function.

``{name}_append(events)`` takes the EXCLUSIVE lock on the events table (as the
library's recorder does, so positions are issued in commit order), notifies
subscribers, inserts the events and their leaves (the next leaf indexes, each leaf's
RFC 9162 hash computed by the server from the stored bytes), all inside one statement
run in autocommit mode. The lock is therefore held only while the server works and
commits, never across a network round trip.

The function is ``SECURITY DEFINER``: it runs with the rights of the role that owns the
tables (the migration role), so the service's role needs only EXECUTE on it, SELECT on
the tables and INSERT on the nodes, checkpoints and cosignatures (see
``deploy/postgres/least-privilege.sql``). Triggers refuse UPDATE, DELETE and TRUNCATE on
the events, leaves, nodes, checkpoints and cosignatures, whoever asks; only an owner
who drops them can rewrite, and ``okr-ledger verify`` then names the position.

The function builds each leaf exactly as ``ledger.tlog.leaf.encode_leaf`` does; the
verifier rebuilds every leaf in Python, so the two can never silently disagree.
"""

from __future__ import annotations

import re
import threading
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

from ledger.persistence.group_commit import GroupCommit
from ledger.persistence.postgres_log import PostgresLogTables
from ledger.tlog.store import RawEvent, raw

DUPLICATE_KEY = re.compile(r"\)=\(([0-9a-f-]{36}), (\d+)\)")
"""the (id, version) in a unique violation's detail: ``Key (...)=(<uuid>, <n>) ...``"""

SCHEMA_LOCK = 0x6F6B72_4C6564  # an advisory lock key of our own ("okrLed")

# leaf = "OKRLEAF" 0x01 ‖ position ‖ id ‖ version ‖ len ‖ topic ‖ len ‖ state
LEAF_HASH = (
    "sha256('\\x00'::bytea || '\\x4f4b524c45414601'::bytea || int8send({p}.notification_id)"
    " || uuid_send({p}.originator_id) || int8send({p}.originator_version)"
    " || int4send(octet_length(convert_to({p}.topic, 'UTF8')))"
    " || convert_to({p}.topic, 'UTF8')"
    " || int4send(octet_length({p}.state)) || {p}.state)"
)

APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.{append}(new_events {schema}.{event_type}[])
RETURNS TABLE (appended_position bigint, appended_leaf bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
    next_index bigint;
BEGIN
    LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE;
    PERFORM pg_notify({channel}, '');
    SELECT coalesce(max(leaf_index) + 1, 0) INTO next_index FROM {schema}.{leaves};
    RETURN QUERY
    WITH inserted AS (
        INSERT INTO {schema}.{events} (originator_id, originator_version, topic, state)
        SELECT originator_id, originator_version, topic, state FROM unnest(new_events)
        RETURNING notification_id, originator_id, originator_version, topic, state
    ), leaves AS (
        INSERT INTO {schema}.{leaves} (leaf_index, position, leaf_hash)
        SELECT next_index + row_number() OVER (ORDER BY e.notification_id) - 1,
               e.notification_id, {leaf_hash}
        FROM inserted e
        RETURNING position, leaf_index
    ) SELECT l.position, l.leaf_index FROM leaves l ORDER BY l.position;
END
$body$
"""

# The function of the hash-chain era had this name but returned positions only; it goes
# (CREATE OR REPLACE cannot change a function's result type).
DROP_CHAIN_APPEND = """
DO $body$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = {schema_name} AND p.proname = {append_name}
               AND p.prorettype = 'bigint'::regtype) THEN
        DROP FUNCTION {schema}.{append}({schema}.{event_type}[]);
    END IF;
END $body$
"""

BACKFILL = """
INSERT INTO {schema}.{leaves} (leaf_index, position, leaf_hash)
SELECT row_number() OVER (ORDER BY e.notification_id) - 1, e.notification_id, {leaf_hash}
FROM {schema}.{events} e
WHERE NOT EXISTS (SELECT 1 FROM {schema}.{leaves})
"""


class ChainedPostgresApplicationRecorder(PostgresLogTables, PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        if datastore.enable_db_functions:
            msg = "the ledger's recorder has its own append function; unset ENABLE_DB_FUNCTIONS"
            raise ProgrammingError(msg)
        super().__init__(datastore, events_table_name=events_table_name)
        self._recent = threading.local()
        self.group_commit = GroupCommit(self._append_rows, key=event_key, stored=self.stored_key)
        base = events_table_name.removesuffix("_events")
        self.append_function_name = f"{base}_append"
        self.define_log_tables(base)
        schema = Identifier(self.datastore.schema)
        events = Identifier(self.events_table_name)
        names = {
            "schema": schema,
            "events": events,
            "leaves": Identifier(self.leaves_table_name),
            "leaf_hash": SQL(LEAF_HASH.format(p="e")),
        }
        self.sql_create_statements.append(
            SQL(DROP_CHAIN_APPEND).format(
                schema=schema,
                schema_name=Literal(self.datastore.schema),
                append=Identifier(self.append_function_name),
                append_name=Literal(self.append_function_name),
                event_type=Identifier(self.stored_event_type_name),
            )
        )
        self.sql_create_statements.append(
            SQL(APPEND_FUNCTION).format(
                append=Identifier(self.append_function_name),
                event_type=Identifier(self.stored_event_type_name),
                channel=Literal(self.channel_name),
                **names,
            )
        )
        self.sql_create_statements.extend(self.refusing_triggers())
        self._backfill = SQL(BACKFILL).format(**names)
        self._append = SQL("SELECT * FROM {0}.{1}(%s)").format(
            schema, Identifier(self.append_function_name)
        )
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
        self._read_part = SQL(
            "SELECT notification_id, originator_id::text, originator_version, topic, state "
            "FROM {0}.{1} WHERE notification_id > %s AND notification_id <= %s "
            "AND mod(get_byte(uuid_send(originator_id), 15), %s) = %s "
            "ORDER BY notification_id"
        ).format(schema, events)
        self._select_positions = SQL(
            "SELECT originator_version, notification_id FROM {0}.{1} WHERE originator_id = %s"
        ).format(schema, events)
        self._select_position = SQL(
            "SELECT notification_id FROM {0}.{1} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(schema, events)

    backfilled = 0
    """leaves given to stored events on first use (a ledger older than the tree)"""

    def create_table(self) -> None:
        """Create the tables, types, function and triggers, one process at a time
        (several workers starting together would otherwise race on the catalogue),
        then give the events of a ledger written before the tree their leaves. A role
        that does not own the tables (the service's) finds them made and only reads."""
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                if self._made_by_another_role(conn):
                    self.datastore.register_type_adapters()
                    return
                super().create_table()
                self.backfilled += self.backfill_leaves()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))

    def _made_by_another_role(self, conn: Any) -> bool:
        row = conn.execute(
            "SELECT pg_has_role(tableowner, 'MEMBER') AS owned FROM pg_tables "
            "WHERE schemaname = %s AND tablename = %s",
            (self.datastore.schema, self.events_table_name),
        ).fetchone()
        return row is not None and not row["owned"]

    def backfill_leaves(self) -> int:
        if self.leaf_count() > 0:  # the usual case: no lock taken at start-up
            return 0
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.lock_table_statements:
                curs.execute(statement, prepare=False)
            curs.execute(self._backfill, prepare=False)
            return curs.rowcount

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None:
            msg = "the ledger's application recorder does not record tracking"
            raise ProgrammingError(msg)
        if not stored_events:
            return []
        rows = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        appended = self.group_commit.append(rows)
        self._recent.leaves = dict(appended)
        return [position for position, _ in appended]

    def _append_rows(self, rows: Sequence[Any]) -> list[tuple[int, int]]:
        """One call of the append function: one lock, one commit."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self._append, (list(rows),), prepare=True)
            return [(position, leaf) for position, leaf in curs.fetchall()]

    def stored_key(self, error: BaseException) -> tuple[UUID, int] | None:
        """(id, version) of the stored event a failed append collided with, if that is
        why it failed (read from the server's report of the unique violation)."""
        cause = error.__cause__
        diag = getattr(cause, "diag", None)
        if diag is None or diag.constraint_name != f"{self.events_table_name}_pkey":
            return None
        found = DUPLICATE_KEY.search(diag.message_detail or "")
        return (UUID(found[1]), int(found[2])) if found else None

    def recent_leaves(self) -> dict[int, int]:
        """position -> leaf index of this thread's latest append."""
        return getattr(self._recent, "leaves", {})

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

    def read_page(self, after: int, limit: int, stop: int) -> list[tuple[Any, ...]]:
        """(position, aggregate id text, version, topic, state) of the stored events
        after ``after``, up to ``stop``: the fast path for read models."""
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(self._read_page, (after, stop, limit), prepare=True)
            return curs.fetchall()

    def read_part(self, after: int, stop: int, part: int, parts: int) -> list[tuple[Any, ...]]:
        """As ``read_page``, the stored events after ``after`` up to ``stop``, but only
        those of the aggregates in ``part`` of ``parts`` (by the last byte of the
        aggregate's id): several processes share out the aggregates this way without
        each reading every event."""
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(self._read_part, (after, stop, parts, part), prepare=True)
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


def event_key(row: Any) -> tuple[UUID, int]:
    """What no two stored events share: their aggregate id and version."""
    return (UUID(str(row.originator_id)), row.originator_version)


def search_path_option(schema: str) -> str:
    """The libpq option that starts a session with ``schema`` as its search path (the
    name quoted as an identifier, its spaces and backslashes escaped for libpq)."""
    quoted = '"' + schema.replace('"', '""') + '"'
    return "-c search_path=" + quoted.replace("\\", "\\\\").replace(" ", "\\ ")


def schema_on_search_path(datastore: PostgresDatastore) -> bool:
    """Whether every connection of the datastore's pool starts in its schema."""
    options = str(datastore.pool.kwargs.get("options", ""))
    return search_path_option(datastore.schema) in options


class ChainedPostgresFactory(PostgresFactory):
    """The library's factory, with the ledger's recorder, and connections that start
    in the ledger's schema: the read models keep their tables there and name them
    unqualified, so their transactions need not set the search path each time (one
    round trip each). The ledger's own statements name the schema."""

    application_recorder_class = ChainedPostgresApplicationRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        kwargs = self.datastore.pool.kwargs  # no connection is made before the first use
        given = str(kwargs.get("options", ""))
        kwargs["options"] = f"{given} {search_path_option(self.datastore.schema)}".strip()
