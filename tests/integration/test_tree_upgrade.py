"""A ledger written before the transparency log (events, no leaves) gets its tree from
its stored events through ``okr-ledger init``; and the follower signs checkpoints."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands import messages as m
from ledger.team import Team
from okr_ledger.bootstrap import bootstrap
from okr_ledger.cli import main, run_follower
from okr_ledger.config import Settings
from tests.conftest import ADMIN_PRINCIPAL, FakeClock, build_org
from tests.integration.conftest import pg_connect


@pytest.fixture(params=["sqlite", "postgres"])
def older(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Callable[[], None]]:
    """A store URL, and how to make its ledger look as it did before the tree."""
    if request.param == "sqlite":
        path = tmp_path / "older.sqlite"

        def strip_sqlite() -> None:
            with sqlite3.connect(path) as conn:
                conn.execute("DROP TABLE log_leaves")
                conn.execute("DROP TABLE log_nodes")

        return f"sqlite:///{path}", strip_sqlite
    schema = request.getfixturevalue("pg_schema")

    def strip_postgres() -> None:
        with pg_connect() as conn:
            conn.execute(f"DROP TABLE {schema}.okrledger_leaves, {schema}.okrledger_nodes")
            # the append function of the hash-chain era had the same name, other results
            append = f"{schema}.okrledger_append({schema}.stored_event_uuid[])"
            conn.execute(f"DROP FUNCTION {append}")
            conn.execute(
                f"CREATE FUNCTION {append} RETURNS SETOF bigint LANGUAGE sql "
                "AS $$ SELECT 0::bigint $$"
            )

    return request.getfixturevalue("pg_url"), strip_postgres


def test_init_gives_an_older_ledger_its_leaves_and_tree(
    older: tuple[str, Callable[[], None]], tmp_path: Path
) -> None:
    url, strip = older
    services = bootstrap(Settings(database_url=url), clock=FakeClock())
    try:
        build_org(services.bus).objective()
        head = services.ledger.head_position()
    finally:
        services.close()
    strip()  # as it was before: events only

    env = {"OKR_LEDGER_SIGNING_KEY_FILE": str(tmp_path / "k")} if "postgres" in url else {}
    result = CliRunner().invoke(main, ["--database-url", url, "init"], env=env)
    assert result.exit_code == 0, result.output
    assert f"{head} leaves added from stored events; tree built over {head} leaves" in (
        result.output
    )
    verified = CliRunner().invoke(main, ["--database-url", url, "verify"], env=env)
    assert verified.exit_code == 0, verified.output
    assert f"{head} events verified" in verified.output
    again = CliRunner().invoke(main, ["--database-url", url, "init"], env=env)
    assert "leaves added" not in again.output
    services = bootstrap(Settings(database_url=url), clock=FakeClock())
    try:  # and it goes on appending, each event with its leaf
        outcome = services.bus.handle(
            m.FormTeam(key="parks", name="Parks", level="function", parent_id=Team.id_for("city")),
            ADMIN_PRINCIPAL,
        )
        assert outcome.leaf_indexes == (head,)
        assert services.ledger.verify().intact
    finally:
        services.close()


def test_the_follower_signs_a_checkpoint_when_the_log_has_grown(tmp_path: Path) -> None:
    services = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'f.sqlite'}"))
    stop = threading.Event()
    try:
        build_org(services.bus)
        log = services.transparency
        signed = []

        def tick() -> None:
            signed.append(log.maybe_checkpoint())
            stop.set()

        run_follower(services.read_models, stop, 0.01, tick=tick)
        assert signed[0] is not None
        assert signed[0].size == services.ledger.head_position()
        assert services.read_models.position() == services.ledger.head_position()
    finally:
        services.close()
