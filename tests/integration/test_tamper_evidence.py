"""Forgeries against a real store (an SQLite file and PostgreSQL), caught by
``okr-ledger verify``: a changed byte, a deleted event, a reordered pair, and a tail
rewritten with recomputed hashes (caught against a checkpoint taken before it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from commands import messages as m
from ledger.chain import ChainLink, RawEvent, extend
from okr_ledger.bootstrap import bootstrap
from okr_ledger.cli import main
from okr_ledger.config import Settings
from tests.conftest import FakeClock, build_org
from tests.integration.conftest import pg_connect


@dataclass
class Store:
    """Raw SQL access to a ledger's tables, as a forger would have it."""

    url: str
    events: str
    chain: str
    pos: str
    connect: Any
    placeholder: str

    def run(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        statement = statement.format(events=self.events, chain=self.chain, pos=self.pos)
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


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        path = tmp_path / "ledger.sqlite"
        yield Store(
            f"sqlite:///{path}",
            "stored_events",
            "event_chain",
            "rowid",
            lambda: sqlite3.connect(path),
            "?",
        )
    else:
        url = request.getfixturevalue("pg_url")
        schema = request.getfixturevalue("pg_schema")
        yield Store(
            url,
            f"{schema}.okrledger_events",
            f"{schema}.okrledger_chain",
            "notification_id",
            pg_connect,
            "%s",
        )


def write_some_history(url: str) -> int:
    services = bootstrap(Settings(database_url=url), clock=FakeClock())
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


def verify(url: str, *args: str) -> Any:
    return CliRunner().invoke(main, ["--database-url", url, "verify", *args])


def checkpoint(url: str) -> str:
    result = CliRunner().invoke(main, ["--database-url", url, "checkpoint"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1].removeprefix("checkpoint: ")


def test_an_untouched_log_verifies(store: Store) -> None:
    head = write_some_history(store.url)
    result = verify(store.url)
    assert result.exit_code == 0, result.output
    assert f"{head} events verified" in result.output


def test_a_changed_byte_is_caught_at_its_position(store: Store) -> None:
    write_some_history(store.url)
    state = bytearray(store.event(7)[3])
    state[10] ^= 0x01
    store.run("UPDATE {events} SET state = %s WHERE {pos} = %s", (bytes(state), 7))
    result = verify(store.url)
    assert result.exit_code == 1
    assert "TAMPERED at position 7" in result.output
    assert "does not match its hash" in result.output


def test_a_deleted_event_is_caught_at_its_position(store: Store) -> None:
    write_some_history(store.url)
    store.run("DELETE FROM {events} WHERE {pos} = %s", (5,))
    result = verify(store.url)
    assert result.exit_code == 1
    assert "TAMPERED at position 5" in result.output


def test_an_event_deleted_with_its_link_is_still_caught_at_its_position(store: Store) -> None:
    write_some_history(store.url)
    store.run("DELETE FROM {events} WHERE {pos} = %s", (6,))
    store.run("DELETE FROM {chain} WHERE position = %s", (6,))
    result = verify(store.url)
    assert result.exit_code == 1
    assert "TAMPERED at position 6" in result.output
    assert "missing" in result.output


def test_a_reordered_pair_is_caught_at_the_first_of_the_pair(store: Store) -> None:
    write_some_history(store.url)
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
    result = verify(store.url)
    assert result.exit_code == 1
    assert "TAMPERED at position 8" in result.output


def test_a_tail_rewritten_with_recomputed_hashes_is_caught_against_an_earlier_checkpoint(
    store: Store,
) -> None:
    head = write_some_history(store.url)
    taken = checkpoint(store.url)
    assert taken.startswith(f"{head}:")

    forged_at = head - 3
    state = bytearray(store.event(forged_at)[3])
    state[-3] ^= 0x01
    store.run("UPDATE {events} SET state = %s WHERE {pos} = %s", (bytes(state), forged_at))
    # The forger recomputes every link from the forged event to the head.
    tail_row = store.run(
        "SELECT position, prev_position, hash FROM {chain} WHERE position = %s", (forged_at - 1,)
    )[0]
    tail = ChainLink(tail_row[0], tail_row[1], bytes(tail_row[2]))
    rows = store.run(
        "SELECT {pos}, originator_id, originator_version, topic, state FROM {events} "
        "WHERE {pos} >= %s ORDER BY {pos}",
        (forged_at,),
    )
    events = [
        RawEvent(
            r[0],
            (r[1] if isinstance(r[1], str) else r[1].hex).encode(),
            r[2],
            r[3].encode(),
            bytes(r[4]),
        )
        for r in rows
    ]
    for link in extend(tail, events):
        store.run("UPDATE {chain} SET hash = %s WHERE position = %s", (link.hash, link.position))

    assert verify(store.url).exit_code == 0, "a consistent rewrite fools a plain walk"
    result = verify(store.url, "--checkpoint", taken)
    assert result.exit_code == 1
    assert f"TAMPERED at position {head}" in result.output
    assert "no longer extends the checkpoint" in result.output


def test_a_malformed_checkpoint_is_refused_with_a_usage_error(store: Store) -> None:
    write_some_history(store.url)
    result = verify(store.url, "--checkpoint", "12:not-a-hash")
    assert result.exit_code == 2
    assert "POSITION:ROOT" in result.output
