"""The ledger's connections start in its schema, where the read models keep their
tables, so the read models' transactions need not set the search path each time."""

from __future__ import annotations

import psycopg

from ledger.persistence.postgres import search_path_option
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from tests.integration.conftest import admin_conninfo


def test_every_connection_of_the_ledger_starts_in_the_ledgers_schema(
    pg_url: str, pg_schema: str
) -> None:
    services = bootstrap(Settings(database_url=pg_url))
    try:
        datastore = services.ledger.recorder.datastore  # type: ignore[attr-defined]
        with datastore.get_connection() as conn:  # outside any transaction
            assert conn.execute("SHOW search_path").fetchone()["search_path"] == f'"{pg_schema}"'
        assert services.read_models.cycles() == []
    finally:
        services.close()


def test_the_search_path_option_keeps_a_schema_name_whole_whatever_it_holds(
    postgres_database: str,
) -> None:
    name = 'Odd "Name" \\ with spaces'
    with psycopg.connect(admin_conninfo(), options=search_path_option(name)) as conn:
        shown = conn.execute("SHOW search_path").fetchone()
        assert shown is not None
        assert shown[0] == '"Odd ""Name"" \\ with spaces"'
