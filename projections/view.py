"""What every read model has: its tables (one generation of them), how to apply a batch
of events to them, and a fingerprint to compare two builds of the same view."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, ClassVar

import orjson

from eventlog.record import Record
from eventlog.store import Cursor

TEXT = re.compile(r"\bTEXT\b")
COLUMN = re.compile(r"(\w+) (BIGINT|INTEGER|TEXT)\b")
BINARY_TYPES = {"BIGINT": "int8", "INTEGER": "int4", "TEXT": "text"}
"""a declared column type → the PostgreSQL type a binary copy writes it as"""


@lru_cache(maxsize=64)
def declared_types(declaration: str) -> dict[str, str]:
    """Each column's declared type (``BIGINT``, ``INTEGER``, ``TEXT``), by name, read off
    a table's declaration (the caller must not change it)."""
    return dict(COLUMN.findall(declaration))


@lru_cache(maxsize=64)
def binary_types(declaration: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The PostgreSQL types of some of a table's columns, read off its declaration."""
    declared = declared_types(declaration)
    return tuple(BINARY_TYPES[declared[c]] for c in columns)


def scope_of(record: Record) -> tuple[str | None, str | None]:
    """The (cycle, team) an aggregate belongs to, from its creation event."""
    data = record.data
    if record.aggregate_type == "Team":
        return None, record.aggregate_id
    if record.aggregate_type == "Cycle":
        return record.aggregate_id, None
    if record.aggregate_type == "Dependency":
        return data.get("cycle_id"), data.get("from_team_id")
    return data.get("cycle_id"), data.get("team_id")


class View:
    name: ClassVar[str]
    tables: ClassVar[dict[str, tuple[str, str]]]
    """logical name → (column definitions, primary key columns: also the rows' order)"""
    indexes: ClassVar[list[tuple[str, str]]] = []
    """(logical table, indexed columns)"""

    def __init__(self, generation: int = 1) -> None:
        self.generation = generation

    @property
    def tracking_name(self) -> str:
        return f"{self.name}@g{self.generation}"

    def t(self, logical: str) -> str:
        return f"rm_{self.name}_{logical}_g{self.generation}"

    def create(self, cursor: Cursor, *, indexes: bool = True) -> None:
        """Create the tables (and their indexes, unless a bulk load adds them after).
        On PostgreSQL every text column compares byte by byte (``COLLATE "C"``): the
        order is the one SQLite and Python give (code points), and sorting ids to build
        an index is about twice as fast as under a libc collation. A PostgreSQL table
        created for a bulk load waits for its primary key too (``index_statements``
        with ``keys``): one sort after the load builds it for a fraction of what
        keeping it up to date row by row costs, for keys that arrive in random order."""
        keys_later = not indexes and cursor.dialect == "postgres"
        for logical, (columns, key) in self.tables.items():
            if cursor.dialect == "postgres":
                columns = TEXT.sub('TEXT COLLATE "C"', columns)
            if not keys_later:
                columns += f", PRIMARY KEY ({key})"
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.t(logical)} ({columns})")
        if indexes:
            self.create_indexes(cursor)

    def create_indexes(self, cursor: Cursor) -> None:
        for statement in self.index_statements(cursor.dialect):
            cursor.execute(statement)

    def index_statements(self, dialect: str, *, keys: bool = False) -> list[str]:
        """What creates the secondary indexes, each on its own (a bulk load may run
        them side by side); with ``keys``, on PostgreSQL, the primary keys a bulk load's
        tables were created without (``create``), first; on PostgreSQL the tables'
        statistics too, so that the planner knows a bulk-loaded table's size at once
        rather than when autovacuum next passes (until then it picks plans for empty
        tables)."""
        statements = []
        if keys and dialect == "postgres":
            statements += [
                f"ALTER TABLE {self.t(logical)} ADD PRIMARY KEY ({key})"
                for logical, (_, key) in self.tables.items()
            ]
        statements += [
            f"CREATE INDEX IF NOT EXISTS {self.t(logical)}_i{number} "
            f"ON {self.t(logical)} ({columns})"
            for number, (logical, columns) in enumerate(self.indexes)
        ]
        if dialect == "postgres":
            statements += [f"ANALYZE {self.t(logical)}" for logical in self.tables]
        return statements

    def drop(self, cursor: Cursor) -> None:
        for logical in self.tables:
            cursor.execute(f"DROP TABLE IF EXISTS {self.t(logical)}")

    def apply(self, cursor: Cursor, records: list[Record]) -> None:
        raise NotImplementedError

    def forget(self) -> None:
        """Drop in-memory caches (after a failed batch); they reload from the tables."""

    def begin_bulk(self) -> None:
        """A bulk load from zero follows: rows that later batches would overwrite may
        wait in memory until ``end_bulk``."""

    def end_bulk(self, cursor: Cursor) -> None:
        """Write what waited in memory since ``begin_bulk``."""

    def fingerprint(self, cursor: Cursor) -> str:
        """SHA-256 over every row of every table, in key order."""
        digest = hashlib.sha256()
        for logical, (columns, order) in sorted(self.tables.items()):
            if cursor.dialect == "postgres":  # byte order, whatever a generation's collation
                declared = declared_types(columns)
                order = ", ".join(
                    f'{key} COLLATE "C"' if declared[key] == "TEXT" else key
                    for key in order.split(", ")
                )
            cursor.execute(f"SELECT * FROM {self.t(logical)} ORDER BY {order}")
            while rows := cursor.fetchmany(5000):
                for row in rows:
                    digest.update(json.dumps(list(row.values()), default=str).encode())
        return digest.hexdigest()

    def insert(
        self, cursor: Cursor, logical: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """Append rows to one of the view's tables (on PostgreSQL, by a binary copy typed
        from the table's declaration)."""
        types = binary_types(self.tables[logical][0], tuple(columns))
        cursor.insert_rows(self.t(logical), columns, rows, types)

    def count(self, cursor: Cursor, logical: str) -> int:
        row = cursor.execute(f"SELECT count(*) AS n FROM {self.t(logical)}").fetchone()
        return int(row["n"]) if row else 0


def dumps(value: Any) -> str:
    """Compact, canonical JSON text."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
