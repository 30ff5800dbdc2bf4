"""Where read models and other readers of the log keep their rows and positions:
tables next to the ledger's (the same SQLite file or PostgreSQL schema; an in-memory
SQLite database for an in-memory ledger), written in transactions that also record each
reader's tracking position, through the ``eventsourcing`` library's tracking recorders
(``_insert_tracking``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from contextlib import contextmanager
from typing import Any, Protocol
from uuid import uuid4

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from eventlog.record import Record
from ledger.application import Ledger
from ledger.persistence.postgres import schema_on_search_path


def text_array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal of the values' texts (``CAST(%s AS text[])`` reads it):
    written here in one join, where psycopg's list dumper costs microseconds a value."""
    quoted = (str(v).replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{v}"' for v in quoted) + "}"


class Cursor:
    """One transaction's cursor, speaking ``%s`` placeholders on both dialects."""

    def __init__(self, raw: Any, dialect: str) -> None:
        self.raw = raw
        self.dialect = dialect

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.dialect == "sqlite" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self.raw.execute(self._sql(sql), params)
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.raw.executemany(self._sql(sql), rows)

    def select_in(
        self,
        head: str,
        values: Sequence[Any],
        chunk: int = 500,
        *,
        params: Sequence[Any] = (),
        tail: str = "",
    ) -> Iterator[dict[str, Any]]:
        """The rows of ``head`` (a query ending in ``... IN``, its own ``params`` first)
        over ``values``, then ``tail``: on PostgreSQL in one statement with the values as
        one array (``= ANY``), on SQLite asked in chunks (it bounds how many parameters
        one statement takes)."""
        if not values:
            return
        if not head.endswith(" IN"):
            raise ValueError("select_in takes a query ending in ... IN")
        if self.dialect == "postgres":
            if all(type(v) is str for v in values):
                sql = f"{head[:-3]} = ANY(CAST(%s AS text[])){tail}"
                yield from self.execute(sql, [*params, text_array(values)]).fetchall()
            else:
                sql = f"{head[:-3]} = ANY(%s){tail}"
                yield from self.execute(sql, [*params, list(values)]).fetchall()
            return
        for start in range(0, len(values), chunk):
            part = values[start : start + chunk]
            marks = ", ".join(["%s"] * len(part))
            yield from self.execute(f"{head} ({marks}){tail}", [*params, *part]).fetchall()

    def fetchall(self) -> list[dict[str, Any]]:
        rows = self.raw.fetchall()
        if self.dialect == "postgres":  # its rows are fresh dictionaries already
            return list(rows)
        return [dict(row) for row in rows]

    @property
    def rowcount(self) -> int:
        return int(getattr(self.raw, "sqlite_cursor", self.raw).rowcount)

    def fetchmany(self, size: int) -> list[dict[str, Any]]:
        raw = getattr(self.raw, "sqlite_cursor", self.raw)
        return [dict(row) for row in raw.fetchmany(size)]

    def fetchone(self) -> dict[str, Any] | None:
        row = self.raw.fetchone()
        return None if row is None else dict(row)

    def insert_rows(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        types: Sequence[str] | None = None,
    ) -> None:
        """Append many rows fast: COPY on PostgreSQL, one prepared INSERT on SQLite. A
        generator of rows is drawn while the copy runs (the session is busy meanwhile,
        never idle in its transaction). Given the columns' PostgreSQL ``types``, the
        copy is binary: neither side formats or parses text, and each value must be of
        its column's type (an ``int`` for a ``bigint``, a ``str`` for a ``text``)."""
        if isinstance(rows, Sized) and not rows:
            return
        if self.dialect == "postgres":
            binary = " (FORMAT BINARY)" if types is not None else ""
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN{binary}"
            with self.raw.copy(statement) as copy:
                if types is not None:
                    copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            self.raw.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )


class Projection(Protocol):
    """A read model kept from the log: applies batches of records in a transaction of
    the store, and is tracked under its own name."""

    @property
    def tracking_name(self) -> str: ...

    def apply(self, cursor: Cursor, records: list[Record]) -> None: ...

    def forget(self) -> None:
        """Drop in-memory caches (after a failed batch); they reload from the tables."""


class ReadStore:
    def __init__(self, ledger: Ledger) -> None:
        datastore = getattr(ledger.recorder, "datastore", None)
        self._on_search_path = False
        """whether every connection starts in the ledger's schema (its factory's)"""
        if isinstance(datastore, PostgresDatastore):
            self.dialect = "postgres"
            self.datastore: Any = datastore
            self._on_search_path = schema_on_search_path(datastore)
            self.tracking = PostgresTrackingRecorder(
                datastore, tracking_table_name="okrviews_tracking"
            )
        else:
            self.dialect = "sqlite"
            if isinstance(datastore, SQLiteDatastore):
                self.datastore = datastore
            else:  # an in-memory ledger keeps its read models in memory too
                self.datastore = SQLiteDatastore(
                    f"file:okr-views-{uuid4().hex}?mode=memory&cache=shared"
                )
                self._owns_datastore = True
            self.tracking = SQLiteTrackingRecorder(self.datastore)
        self.tracking.create_table()
        with self.transaction() as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS rm_generations "
                "(view TEXT PRIMARY KEY, generation INTEGER NOT NULL)"
            )

    @contextmanager
    def transaction(self, *, commit: bool = True, durable: bool = True) -> Iterator[Cursor]:
        """A transaction on the views. ``durable=False`` lets PostgreSQL acknowledge the
        commit before it reaches the disk: a crash may then lose the last batches, with
        their tracking positions, so they are simply applied again."""
        with self.datastore.transaction(commit=commit) as raw:
            cursor = Cursor(raw, self.dialect)
            if self.dialect == "postgres":  # the views live in the ledger's own schema
                settings = []
                if not self._on_search_path:
                    settings.append(f'SET LOCAL search_path TO "{self.datastore.schema}"')
                if not durable:
                    settings.append("SET LOCAL synchronous_commit TO OFF")
                if settings:
                    cursor.execute("; ".join(settings))
            yield cursor

    def position(self, tracking_name: str) -> int:
        return self.tracking.max_tracking_id(tracking_name) or 0

    @property
    def tracking_table(self) -> str:
        if self.dialect == "postgres":
            return f'"{self.datastore.schema}"."{self.tracking.tracking_table_name}"'
        return "tracking"

    def forget_tracking(self, cursor: Cursor, tracking_name: str) -> None:
        """Drop a view generation's tracking with its tables, so that a later view of
        the same name starts from the beginning of the log."""
        cursor.execute(
            f"DELETE FROM {self.tracking_table} WHERE application_name = %s", (tracking_name,)
        )

    def position_in(self, cursor: Cursor, tracking_name: str) -> int:
        """The tracking position, read inside an open transaction."""
        table = self.tracking_table
        row = cursor.execute(
            f"SELECT MAX(notification_id) AS position FROM {table} WHERE application_name = %s",
            (tracking_name,),
        ).fetchone()
        return int(row["position"] or 0) if row else 0

    def advance(self, cursor: Cursor, tracking_name: str, position: int) -> None:
        """Move a tracking position forward to ``position`` if it is behind (never back,
        and not an error when it is already there)."""
        alias = "t" if self.dialect == "postgres" else self.tracking_table
        target = f"{self.tracking_table} AS t" if self.dialect == "postgres" else alias
        cursor.execute(
            f"INSERT INTO {target} (application_name, notification_id) VALUES (%s, %s) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = "
            f"excluded.notification_id WHERE {alias}.notification_id < excluded.notification_id",
            (tracking_name, position),
        )

    def track(self, cursor: Cursor, tracking_name: str, position: int) -> None:
        """Record, in the view's own transaction, how far the view has read. It refuses
        to go backwards or stand still, so a batch is never applied twice."""
        self.tracking._insert_tracking(cursor.raw, Tracking(tracking_name, position))

    def live_generation(self, view: str, cursor: Cursor | None = None) -> int | None:
        sql = "SELECT generation FROM rm_generations WHERE view = %s"
        if cursor is not None:
            row = cursor.execute(sql, (view,)).fetchone()
        else:
            with self.transaction(commit=False) as c:
                row = c.execute(sql, (view,)).fetchone()
        return None if row is None else int(row["generation"])

    def set_generation(self, cursor: Cursor, view: str, generation: int) -> None:
        cursor.execute(
            "INSERT INTO rm_generations (view, generation) VALUES (%s, %s) "
            "ON CONFLICT (view) DO UPDATE SET generation = excluded.generation",
            (view, generation),
        )

    def close(self) -> None:
        if getattr(self, "_owns_datastore", False):
            self.datastore.close()
