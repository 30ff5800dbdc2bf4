"""Least privilege on PostgreSQL: the tables belong to a migration role that ran
``okr-ledger init --service-role``; the service's own role can run the ledger (append,
read, sign checkpoints, keep the read models) but cannot rewrite the log: UPDATE,
DELETE and TRUNCATE are refused, and so are a direct INSERT and dropping a trigger."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from okr_ledger.bootstrap import bootstrap
from okr_ledger.cli import main
from okr_ledger.config import Settings
from tests.conftest import FakeClock, build_org
from tests.integration.conftest import admin_conninfo, server_url

pytestmark = pytest.mark.postgres


@dataclass
class Roles:
    owner: str
    service: str
    schema: str

    def url(self, role: str) -> str:
        base = server_url().replace("postgres@", f"{role}@", 1)
        return f"{base}?schema={self.schema}"

    def connect(self, role: str) -> psycopg.Connection:
        conn = psycopg.connect(admin_conninfo(), autocommit=True)
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        return conn


@pytest.fixture(scope="module")
def roles(postgres_database: str) -> Iterator[Roles]:
    """Made as ``deploy/postgres/least-privilege.sql`` makes them (unique names)."""
    tag = uuid4().hex[:10]
    made = Roles(f"okr_owner_{tag}", f"okr_service_{tag}", f"lp_{tag}")
    script = Path(__file__).resolve().parents[2] / "deploy/postgres/least-privilege.sql"
    statements = script.read_text().replace("okr_ledger_owner", made.owner)
    statements = statements.replace("okr_ledger_service", made.service)
    statements = statements.replace("SCHEMA okr_ledger", f"SCHEMA {made.schema}")
    with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
        for statement in sql_statements(statements):
            conn.execute(statement)
    yield made
    with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(made.schema)))
        for role in (made.service, made.owner):
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def sql_statements(script: str) -> list[str]:
    """The statements of the script, its psql variables filled in (trust auth here)."""
    script = script.replace(":'owner_password'", "NULL").replace(":'service_password'", "NULL")
    lines = [ln for ln in script.splitlines() if not ln.startswith(("--", "\\"))]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def cli(url: str, key: Path, *args: str) -> object:
    env = {"OKR_LEDGER_SIGNING_KEY_FILE": str(key)}
    return CliRunner().invoke(main, ["--database-url", url, *args], env=env)


@pytest.fixture(scope="module")
def running(roles: Roles, tmp_path_factory: pytest.TempPathFactory) -> Roles:
    """The owner migrated and granted; the service wrote some history and signed."""
    key = tmp_path_factory.mktemp("key") / "log.key"
    assert cli(roles.url(roles.owner), key, "log", "keygen", "--origin", "lp.example/log")
    done = cli(roles.url(roles.owner), key, "init", "--service-role", roles.service)
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    services = bootstrap(
        Settings(database_url=roles.url(roles.service), signing_key_file=str(key)),
        clock=FakeClock(),
    )
    try:
        build_org(services.bus).objective()
        signed = services.transparency.checkpoint_now()
        assert signed is not None
        recorder = services.ledger.chained_recorder  # the service keeps cosignatures
        assert recorder.add_cosignature(signed.size, "audit.example/w+00000000", "\u2014 w x\n")
        services.read_models.catch_up()
        assert services.read_models.audit_rows({}, limit=None)[0]["leaf_index"] == 0
        assert services.transparency.verify().intact
    finally:
        services.close()
    return roles


@pytest.mark.parametrize("table", ["events", "leaves", "nodes", "checkpoints", "cosignatures"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET {column} = {column}",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
    ],
)
def test_the_service_role_cannot_rewrite_the_log(
    running: Roles, table: str, statement: str
) -> None:
    column = {"events": "state", "leaves": "leaf_hash", "nodes": "hash", "cosignatures": "line"}
    column = column.get(table, "note")
    name = f"{running.schema}.okrledger_{table}"
    with (
        running.connect(running.service) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement.format(table=name, column=column))


def test_the_service_role_cannot_append_around_the_function_or_drop_a_trigger(
    running: Roles,
) -> None:
    events = f"{running.schema}.okrledger_events"
    with running.connect(running.service) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                f"INSERT INTO {events} (originator_id, originator_version, topic, state) "
                "VALUES (gen_random_uuid(), 1, 'x', 'x')"
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"DROP TRIGGER okrledger_events_refuse_rows ON {events}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"ALTER TABLE {events} DISABLE TRIGGER ALL")


def test_even_the_owner_is_refused_while_the_triggers_stand(running: Roles) -> None:
    with (
        running.connect(running.owner) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
    ):
        conn.execute(f"DELETE FROM {running.schema}.okrledger_events")
