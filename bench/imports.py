"""Importing a 10,000-row planning spreadsheet, next to the same commands sent one by one
through the command bus, in the same run, on two fresh stores of the same kind.

The sheet spreads its rows over 50 teams: each objective has four key results, so the
import runs 12,500 commands (2,500 objectives drafted, 10,000 key results defined). The
baseline sends exactly the commands the import planned, each through ``CommandBus.handle``
(its own transaction). Also timed: the dry run, and the re-import that writes nothing.

Run: ``python -m bench.imports [--rows 10000] [--database-url URL]`` (default: SQLite
files in a temporary directory; a ``postgresql://`` URL gets a fresh schema per store).
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

from commands import messages as m
from commands.imports.okrs import COLUMNS, plan_okrs
from commands.imports.service import import_file
from commands.imports.sheets import read_sheet
from commands.principals import Principal
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings

ADMIN = Principal("bench", "admin")
TEAMS = 50
KEY_RESULTS_PER_OBJECTIVE = 4


def sheet(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for n in range(rows):
        objective = n // KEY_RESULTS_PER_OBJECTIVE
        writer.writerow(
            {
                "cycle": "2026-Q3",
                "team": f"team-{objective % TEAMS}",
                "objective_key": f"o{objective}",
                "objective": f"Make service {objective} effortless so residents stay",
                "objective_owner": "olu.owner",
                "commitment": "committed",
                "key_result_key": f"kr{n}",
                "key_result": f"Lift measure {n} from 40 to 60",
                "kind": "increase",
                "baseline": "40",
                "target": "60",
                "unit": "%",
                "deadline": "2026-09-30",
                "key_result_owner": "kim.owner",
            }
        )
    return out.getvalue().encode()


SCHEMAS: list[str] = []


def postgres(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base.split("?")[0], autocommit=True) as conn:
        conn.execute(sql)


def fresh_services(base: str, tmp: Path, name: str) -> Services:
    if base.startswith("postgresql"):
        schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        postgres(base, f"CREATE SCHEMA {schema}")
        SCHEMAS.append(schema)
        url = f"{base}{'&' if '?' in base else '?'}schema={schema}"
    else:
        url = f"sqlite:///{tmp / (name + '.sqlite')}"
    services = bootstrap(Settings(database_url=url))
    bus = services.bus
    company = bus.handle(m.FormTeam(key="company", name="Company", level="company"), ADMIN)
    for t in range(TEAMS):
        bus.handle(
            m.FormTeam(
                key=f"team-{t}", name=f"Team {t}", level="function", parent_id=company.created_id
            ),
            ADMIN,
        )
    cycle = bus.handle(
        m.OpenCycle(
            key="2026-Q3", name="Q3", starts_on=date(2026, 7, 1), ends_on=date(2026, 9, 30)
        ),
        ADMIN,
    )
    assert cycle.created_id
    bus.handle(m.StartCycle(cycle_id=cycle.created_id), ADMIN)
    return services


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="sqlite")
    args = parser.parse_args()
    data = sheet(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        importing = fresh_services(args.database_url, Path(tmp), "import")
        one_by_one = fresh_services(args.database_url, Path(tmp), "baseline")
        try:
            dry = timed(lambda: import_file(importing.bus, ADMIN, data, dry_run=True))
            real = timed(lambda: import_file(importing.bus, ADMIN, data))
            again = timed(lambda: import_file(importing.bus, ADMIN, data))
            steps = plan_okrs(one_by_one.ledger, read_sheet(data)).steps
            handle = one_by_one.bus.handle
            baseline = timed(lambda: [handle(s.command, ADMIN) for s in steps])
            events = importing.ledger.head_position(), one_by_one.ledger.head_position()
        finally:
            importing.close()
            one_by_one.close()
            for schema in SCHEMAS:
                postgres(args.database_url, f"DROP SCHEMA {schema} CASCADE")
    store = "postgresql" if args.database_url.startswith("postgresql") else "sqlite"
    rows = args.rows
    print(f"{rows} rows, {len(steps)} commands, store {store}; log heads {events[0]}, {events[1]}")
    print(f"  import (one transaction)     {rows / real:10.0f} rows/s  ({real:.2f} s)")
    print(f"  baseline: commands one by one {rows / baseline:9.0f} rows/s  ({baseline:.2f} s)")
    print(f"  dry run                      {rows / dry:10.0f} rows/s  ({dry:.2f} s)")
    print(f"  re-import, nothing written   {rows / again:10.0f} rows/s  ({again:.2f} s)")
    print(f"  import / baseline: {baseline / real:.1f}x")


if __name__ == "__main__":
    main()
