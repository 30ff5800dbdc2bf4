"""Fixtures for tests that talk to the real PostgreSQL server (never a mock).

Each test gets a schema of its own in the test database, dropped afterwards.
``OKR_LEDGER_TEST_POSTGRES_URL`` names the server and database
(default ``postgresql://postgres@127.0.0.1:5432/okr_ledger_test``; created if absent).
"""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Iterator
from urllib.parse import urlsplit
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from okr_ledger.bootstrap import Services
from projections.rebuild import rebuild
from tests.integration.broker import Broker

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/okr_ledger_test"


def server_url() -> str:
    return os.environ.get("OKR_LEDGER_TEST_POSTGRES_URL", DEFAULT_URL)


def admin_conninfo(dbname: str | None = None) -> str:
    parts = urlsplit(server_url())
    return psycopg.conninfo.make_conninfo(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or "",
        dbname=dbname or parts.path.lstrip("/"),
    )


def ensure_database() -> None:
    dbname = urlsplit(server_url()).path.lstrip("/")
    with psycopg.connect(admin_conninfo("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
        if exists.fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


@pytest.fixture(scope="session")
def postgres_database() -> str:
    ensure_database()
    return server_url()


@pytest.fixture
def pg_schema(postgres_database: str) -> Iterator[str]:
    """A fresh, empty schema; yields its name."""
    name = f"t_{uuid4().hex[:16]}"
    with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
def pg_url(postgres_database: str, pg_schema: str) -> str:
    """A database URL for the ledger, pointing at a fresh schema."""
    return f"{postgres_database}?schema={pg_schema}"


def assert_equal_to_a_clean_rebuild(services: Services) -> None:
    """Both views, as kept, equal what a rebuild from the log builds."""
    models = services.read_models
    models.refresh()
    for name in ("audit", "state"):
        assert rebuild(models, name, swap=False).identical, f"the {name} view differs"


def pg_connect() -> psycopg.Connection:
    return psycopg.connect(admin_conninfo(), autocommit=True)


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    """A Kafka-protocol broker shared by the session (tests use topics of their own)."""
    running = Broker()
    running.start()
    yield running
    running.kill()


@pytest.fixture
def own_broker() -> Iterator[Broker]:
    """A broker for one test, which may stop, pause or restart it (mark such a test
    ``broker_outage``: the client leaks sockets while the broker is away)."""
    running = Broker()
    running.start()
    yield running
    running.kill()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()  # the leaked sockets go now, not in a later test


@pytest.fixture
def topic() -> str:
    return f"okr-test-{uuid4().hex[:12]}"
