"""The ``eventsourcing`` library's own recorder test cases, run against this
project's recorders (on the real PostgreSQL, and on an SQLite file).

After every library case the transparency log's leaves over whatever the case wrote
must still verify (every event with its leaf, indexes without gaps): the leaves are
written in the same transaction as the events, whatever the concurrency the case
throws at it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import psycopg
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)
from psycopg import sql

from ledger.persistence.postgres import ChainedPostgresApplicationRecorder
from ledger.persistence.sqlite import ChainedSQLiteApplicationRecorder
from ledger.tlog.audit import verify_log
from tests.integration.conftest import admin_conninfo, ensure_database, server_url


def assert_chains_intact(recorders: list) -> None:
    """Whatever the library's cases wrote, every recorder's leaves still verify."""
    for recorder in recorders:
        result = verify_log(recorder)
        assert result.intact, (result.failed_at, result.problem)


class PostgresSchemaMixin:
    """A private schema per library case, and a check of the leaves after it."""

    recorders: list[ChainedPostgresApplicationRecorder]

    def setUp(self) -> None:
        ensure_database()
        self.schema = f"lib_{uuid4().hex[:16]}"
        with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        parts = urlsplit(server_url())
        self.datastore = PostgresDatastore(
            dbname=parts.path.lstrip("/"),
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or "",
            schema=self.schema,
            pool_size=10,
            max_overflow=10,
        )
        self.recorders = []
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        try:
            assert_chains_intact(self.recorders)
        finally:
            self.datastore.close()
            with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(self.schema)))

    def create_recorder(self) -> ChainedPostgresApplicationRecorder:
        recorder = ChainedPostgresApplicationRecorder(
            self.datastore, events_table_name="okrledger_events"
        )
        recorder.create_table()
        self.recorders.append(recorder)
        return recorder


class TestChainedPostgresRecorderPassesTheLibraryCases(
    PostgresSchemaMixin, ApplicationRecorderTestCase[ChainedPostgresApplicationRecorder]
):
    pass


class TestChainedPostgresRecorderDoesNotInterleaveNotificationIds(
    PostgresSchemaMixin, NonInterleavingNotificationIDsBaseCase
):
    pass


class TestChainedSQLiteRecorderPassesTheLibraryCases(
    ApplicationRecorderTestCase[ChainedSQLiteApplicationRecorder]
):
    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp())
        self.datastore = SQLiteDatastore(str(self.tmp / "ledger.sqlite"))
        self.recorders: list[ChainedSQLiteApplicationRecorder] = []
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        try:
            assert_chains_intact(self.recorders)
        finally:
            self.datastore.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def create_recorder(self) -> ChainedSQLiteApplicationRecorder:
        recorder = ChainedSQLiteApplicationRecorder(self.datastore)
        recorder.create_table()
        self.recorders.append(recorder)
        return recorder
