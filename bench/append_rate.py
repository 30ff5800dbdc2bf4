"""Events appended per second, ledger versus a bare insert, measured in one run.

For each store (an SQLite file, PostgreSQL) it times:
- ``raw``:    a bare single-row INSERT + COMMIT of a comparable payload (psycopg / sqlite3),
- ``ledger``: ``Ledger.save`` of one new event per transaction (transcoding, the
              library's recorder with its table lock, and the leaf),
- ``command``: the whole write path, ``CommandBus.handle(CheckIn)`` (load the key result
              and its cycle, check the rules, save), one event per command.

Run: ``python -m bench.append_rate [--events 2000] [--postgres-url URL]``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import psycopg

from commands import messages as m
from commands.bus import CommandBus
from commands.principals import SYSTEM
from ledger.kpi import Kpi
from ledger.meta import Meta, utc_now
from ledger.team import Team
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings

PAYLOAD = b'{"value":{"_type_":"decimal_str","_data_":"42.5"},"meta":{"actor":"bench"}}' * 4


def rate(n: int, step: Callable[[int], None]) -> float:
    started = time.perf_counter()
    for i in range(n):
        step(i)
    return n / (time.perf_counter() - started)


def raw_sqlite(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE raw (id TEXT, version INTEGER, topic TEXT, state BLOB)")

    def step(_: int) -> None:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO raw VALUES (?, 1, 'bench', ?)", (uuid4().hex, PAYLOAD))
        conn.execute("COMMIT")

    try:
        return rate(n, step)
    finally:
        conn.close()


def raw_postgres(conninfo: str, n: int) -> float:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw")
        conn.execute("CREATE TABLE bench_raw (id uuid, version int, topic text, state bytea)")
        conn.autocommit = False

        def step(_: int) -> None:
            conn.execute("INSERT INTO bench_raw VALUES (%s, 1, 'bench', %s)", (uuid4(), PAYLOAD))
            conn.commit()

        try:
            return rate(n, step)
        finally:
            conn.autocommit = True
            conn.execute("DROP TABLE bench_raw")


def setup_key_result(bus: CommandBus) -> UUID:
    """A company, a cycle, an objective and a key result to check in on."""
    team = bus.handle(m.FormTeam(key="bench", name="Bench", level="company"), SYSTEM)
    cycle = bus.handle(
        m.OpenCycle(
            key="bench", name="Bench", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
        ),
        SYSTEM,
    ).created_id
    assert team.created_id
    assert cycle
    bus.handle(m.StartCycle(cycle_id=cycle), SYSTEM)
    objective = bus.handle(
        m.DraftObjective(team_id=team.created_id, cycle_id=cycle, statement="Bench", owner="b"),
        SYSTEM,
    ).created_id
    assert objective
    kr = bus.handle(
        m.DefineKeyResult(
            objective_id=objective,
            statement="Lift x from 0 to 100",
            kind="increase",
            baseline=Decimal(0),
            target=Decimal(100),
            owner="b",
        ),
        SYSTEM,
    ).created_id
    assert kr
    return kr


def ledger_rates(url: str, n: int) -> tuple[float, float]:
    services = bootstrap(Settings(database_url=url))
    try:
        ledger, now = services.ledger, utc_now()
        meta = Meta("bench", now, now, uuid4())
        kr_id = setup_key_result(services.bus)
        team = ledger.get(Team, Team.id_for("bench"))
        kpi = Kpi.define(
            key=f"bench-{uuid4().hex[:6]}",
            team=team,
            name="Bench",
            unit="",
            direction="lower_is_better",
            healthy=Decimal(1),
            warning=Decimal(2),
            meta=meta,
        )
        ledger.save(kpi)

        def save_one(i: int) -> None:
            kpi.measure(Decimal(i % 50), meta)
            ledger.save(kpi)

        saves = rate(n, save_one)

        def command(i: int) -> None:
            services.bus.handle(
                m.CheckIn(key_result_id=kr_id, value=Decimal(i % 90), confidence="on_track"),
                SYSTEM,
            )

        commands = rate(n, command)
        assert ledger.verify().intact
        return saves, commands
    finally:
        services.close()


def fresh_schema(conninfo: str) -> str:
    name = f"bench_{uuid4().hex[:8]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return name


def drop_schema(conninfo: str, name: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "OKR_LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    n = args.events
    rows: list[tuple[str, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        raw = raw_sqlite(Path(tmp) / "raw.sqlite", n)
        saves, commands = ledger_rates(f"sqlite:///{Path(tmp) / 'ledger.sqlite'}", n)
        rows.append(("SQLite file", raw, saves, commands))
    conninfo = psycopg.conninfo.conninfo_to_dict(args.postgres_url)
    dsn = psycopg.conninfo.make_conninfo(**conninfo)
    schema = fresh_schema(dsn)
    try:
        raw = raw_postgres(dsn, n)
        saves, commands = ledger_rates(f"{args.postgres_url}?schema={schema}", n)
        rows.append(("PostgreSQL", raw, saves, commands))
    finally:
        drop_schema(dsn, schema)

    print(f"{n} single-event transactions per measurement")
    print(
        f"{'store':<12} {'raw insert/s':>13} {'ledger save/s':>14} {'ratio':>6} "
        f"{'command/s':>10} {'ratio':>6}"
    )
    for store, raw, saves, commands in rows:
        print(
            f"{store:<12} {raw:>13.0f} {saves:>14.0f} {saves / raw:>6.2f} "
            f"{commands:>10.0f} {commands / raw:>6.2f}"
        )


if __name__ == "__main__":
    main()
