"""Forgeries against a real store (an SQLite file and PostgreSQL).

The store itself refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) on the events and
the log's tables, whoever asks. An owner who drops those triggers can rewrite, and then
``okr-ledger verify`` names the position: a changed byte, a deleted event, a reordered
pair; and a signed checkpoint an auditor kept catches even a history rewritten with
recomputed leaf hashes, a rebuilt tree and checkpoints re-signed with the log's key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from commands import messages as m
from ledger.team import Team
from ledger.tlog.merkle import leaf_hash
from ledger.tlog.store import RawEvent, rebuilt_leaf
from okr_ledger.bootstrap import bootstrap
from okr_ledger.cli import main
from okr_ledger.config import Settings
from tests.conftest import ADMIN_PRINCIPAL, FakeClock, build_org
from tests.integration.conftest import pg_connect

REFUSALS = (sqlite3.IntegrityError, psycopg.errors.InsufficientPrivilege)


@dataclass
class Store:
    """Raw SQL access to a ledger's tables, as a forger would have it."""

    kind: str
    url: str
    tables: dict[str, str]
    pos: str
    connect: Any
    placeholder: str
    env: dict[str, str]

    def run(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        statement = statement.format(pos=self.pos, **self.tables)
        statement = statement.replace("%s", self.placeholder)
        conn = self.connect()
        try:
            cursor = conn.execute(statement, params)
            rows = cursor.fetchall() if cursor.description else []
            conn.commit()
            return rows
        finally:
            conn.close()

    def event(self, position: int) -> tuple[Any, ...]:
        return tuple(
            self.run(
                "SELECT originator_id, originator_version, topic, state FROM {events} "
                "WHERE {pos} = %s",
                (position,),
            )[0]
        )

    def drop_triggers(self) -> None:
        """What only the tables' owner can do."""
        if self.kind == "sqlite":
            for table in self.tables.values():
                for verb in ("update", "delete"):
                    self.run(f"DROP TRIGGER IF EXISTS {table}_refuse_{verb}")
            return
        for table in self.tables.values():
            _schema, name = table.split(".")
            for suffix in ("rows", "truncate"):
                self.run(f"DROP TRIGGER IF EXISTS {name}_refuse_{suffix} ON {table}")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        path = tmp_path / "ledger.sqlite"
        yield Store(
            "sqlite",
            f"sqlite:///{path}",
            {
                "events": "stored_events",
                "leaves": "log_leaves",
                "nodes": "log_nodes",
                "checkpoints": "log_checkpoints",
                "cosignatures": "log_cosignatures",
            },
            "rowid",
            lambda: sqlite3.connect(path),
            "?",
            {},
        )
    else:
        url = request.getfixturevalue("pg_url")
        schema = request.getfixturevalue("pg_schema")
        yield Store(
            "postgres",
            url,
            {
                name: f"{schema}.okrledger_{name}"
                for name in ("events", "leaves", "nodes", "checkpoints", "cosignatures")
            },
            "notification_id",
            pg_connect,
            "%s",
            {"OKR_LEDGER_SIGNING_KEY_FILE": str(tmp_path / "log.key")},
        )


def cli(store: Store, *args: str) -> Any:
    return CliRunner().invoke(main, ["--database-url", store.url, *args], env=store.env)


def write_some_history(store: Store) -> int:
    if store.env:
        assert cli(store, "log", "keygen", "--origin", "tamper.example/log").exit_code == 0
    services = bootstrap(Settings(database_url=store.url), clock=FakeClock())
    try:
        org = build_org(services.bus)
        objective = org.objective()
        kr = org.key_result(objective)
        for week in range(4):
            org.do(
                m.CheckIn(
                    key_result_id=kr,
                    value=Decimal(42 + week),
                    confidence="on_track",
                    note=f"week {week + 1}",
                )
            )
        return services.ledger.head_position()
    finally:
        services.close()


def signed_checkpoint(store: Store) -> str:
    result = cli(store, "checkpoint")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_an_untouched_log_verifies(store: Store) -> None:
    head = write_some_history(store)
    signed_checkpoint(store)
    result = cli(store, "verify")
    assert result.exit_code == 0, result.output
    assert f"{head} events verified, 1 checkpoints" in result.output


@pytest.mark.parametrize("table", ["events", "leaves", "nodes", "checkpoints"])
def test_the_store_refuses_updates_and_deletes_even_from_the_owner(
    store: Store, table: str
) -> None:
    write_some_history(store)
    signed_checkpoint(store)
    column = {"events": "state", "leaves": "leaf_hash", "nodes": "hash"}.get(table, "root_hash")
    for statement in (
        f"UPDATE {{{table}}} SET {column} = %s",
        f"DELETE FROM {{{table}}}",
        *([f"TRUNCATE {{{table}}}"] if store.kind == "postgres" else []),
    ):
        params = (b"forged",) if statement.startswith("UPDATE") else ()
        with pytest.raises(REFUSALS, match="append-only"):
            store.run(statement, params)
    assert cli(store, "verify").exit_code == 0


def test_the_store_refuses_rewriting_or_deleting_a_cosignature(store: Store) -> None:
    write_some_history(store)
    size = int(signed_checkpoint(store).split("\n")[1])
    services = bootstrap(Settings(database_url=store.url), clock=FakeClock())
    try:
        kept = services.ledger.chained_recorder
        assert kept.add_cosignature(size, "audit.example/w+00000000", "\u2014 audit.example/w x\n")
        assert not kept.add_cosignature(size, "audit.example/w+00000000", "another\n")
    finally:
        services.close()
    for statement in (
        "UPDATE {cosignatures} SET line = %s",
        "UPDATE {cosignatures} SET size = size + 1",
        "DELETE FROM {cosignatures}",
        *(["TRUNCATE {cosignatures}"] if store.kind == "postgres" else []),
    ):
        params = ("\u2014 forged\n",) if "%s" in statement else ()
        with pytest.raises(REFUSALS, match="append-only"):
            store.run(statement, params)
    assert store.run("SELECT size, line FROM {cosignatures}") == [
        (size, "\u2014 audit.example/w x\n")
    ]


def test_a_changed_byte_is_caught_at_its_position(store: Store) -> None:
    write_some_history(store)
    store.drop_triggers()
    state = bytearray(store.event(7)[3])
    state[10] ^= 0x01
    store.run("UPDATE {events} SET state = %s WHERE {pos} = %s", (bytes(state), 7))
    result = cli(store, "verify")
    assert result.exit_code == 1
    assert "TAMPERED at position 7" in result.output
    assert "does not match its leaf hash" in result.output


def test_a_deleted_event_is_caught_at_its_position(store: Store) -> None:
    write_some_history(store)
    store.drop_triggers()
    store.run("DELETE FROM {events} WHERE {pos} = %s", (5,))
    result = cli(store, "verify")
    assert result.exit_code == 1
    assert "TAMPERED at position 5" in result.output


def test_an_event_deleted_with_its_leaf_is_still_caught_at_its_position(store: Store) -> None:
    write_some_history(store)
    store.drop_triggers()
    store.run("DELETE FROM {events} WHERE {pos} = %s", (6,))
    store.run("DELETE FROM {leaves} WHERE position = %s", (6,))
    result = cli(store, "verify")
    assert result.exit_code == 1
    assert "TAMPERED at position 6" in result.output
    assert "missing" in result.output


def test_a_reordered_pair_is_caught_at_the_first_of_the_pair(store: Store) -> None:
    write_some_history(store)
    store.drop_triggers()
    first, second = store.event(8), store.event(9)
    update = (
        "UPDATE {events} SET originator_id = %s, originator_version = %s, "
        "topic = %s, state = %s WHERE {pos} = %s"
    )
    # Park both rows on free versions first: (originator_id, version) is unique.
    store.run("UPDATE {events} SET originator_version = -1 WHERE {pos} = %s", (8,))
    store.run("UPDATE {events} SET originator_version = -2 WHERE {pos} = %s", (9,))
    store.run(update, (*second, 8))
    store.run(update, (*first, 9))
    result = cli(store, "verify")
    assert result.exit_code == 1
    assert "TAMPERED at position 8" in result.output


def test_a_history_rewritten_and_re_signed_is_caught_by_a_kept_checkpoint(
    store: Store, tmp_path: Path
) -> None:
    head = write_some_history(store)
    kept = tmp_path / "board-pack.checkpoint"
    kept.write_text(signed_checkpoint(store), encoding="utf-8")

    forged_at = head - 3
    store.drop_triggers()
    state = bytearray(store.event(forged_at)[3])
    state[-3] ^= 0x01
    store.run("UPDATE {events} SET state = %s WHERE {pos} = %s", (bytes(state), forged_at))
    # The forger recomputes the leaf hash, drops the tree and the checkpoints, and has
    # the log (whose key it holds) sign the rewritten history.
    oid, version, topic, _ = store.event(forged_at)
    oid_text = oid if isinstance(oid, str) else oid.hex
    leaf = rebuilt_leaf(
        RawEvent(forged_at, oid_text.encode(), version, topic.encode(), bytes(state))
    )
    assert leaf is not None
    store.run(
        "UPDATE {leaves} SET leaf_hash = %s WHERE position = %s", (leaf_hash(leaf), forged_at)
    )
    store.run("DELETE FROM {nodes}")
    store.run("DELETE FROM {checkpoints}")
    assert signed_checkpoint(store) != kept.read_text(encoding="utf-8")

    plain = cli(store, "verify")
    assert plain.exit_code == 0, "a consistent, re-signed rewrite fools a walk of the store"
    result = cli(store, "verify", "--checkpoint", str(kept))
    assert result.exit_code == 1
    assert f"TAMPERED at position {head}" in result.output
    assert "no longer extends the checkpoint" in result.output


def test_a_kept_checkpoint_of_an_honest_log_verifies_after_more_appends(
    store: Store, tmp_path: Path
) -> None:
    write_some_history(store)
    kept = tmp_path / "board-pack.checkpoint"
    kept.write_text(signed_checkpoint(store), encoding="utf-8")
    write_some_history_more(store)
    signed_checkpoint(store)

    result = cli(store, "verify", "--checkpoint", str(kept))
    assert result.exit_code == 0, result.output
    assert "extends the kept checkpoint" in result.output


def write_some_history_more(store: Store) -> None:
    services = bootstrap(Settings(database_url=store.url), clock=FakeClock())
    try:
        services.bus.handle(
            m.FormTeam(key="parks", name="Parks", level="function", parent_id=Team.id_for("city")),
            ADMIN_PRINCIPAL,
        )
    finally:
        services.close()


def test_a_checkpoint_not_signed_by_the_log_is_refused_with_a_usage_error(
    store: Store, tmp_path: Path
) -> None:
    write_some_history(store)
    note = signed_checkpoint(store)
    forged = tmp_path / "forged.checkpoint"
    forged.write_text(note.replace("\n1", "\n2", 1), encoding="utf-8")
    result = cli(store, "verify", "--checkpoint", str(forged))
    assert result.exit_code == 2
    assert "not a checkpoint signed by this log's key" in result.output
