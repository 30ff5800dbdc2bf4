"""Export and import of a large log on PostgreSQL, next to a raw COPY of the same tables
measured in the same run.

- export: ``okr-ledger export`` of the whole log (tiles, entry bundles, checkpoints)
  against ``COPY (events ⋈ leaves) TO`` a file;
- import: the archive checked whole, then loaded into an empty schema in one transaction,
  against ``COPY FROM`` that file into a bare table of the same columns.

Run: ``python -m bench.archive --schema NAME`` on a schema holding a generated ledger
(``python -m bench.projections`` or ``bench.transparency`` make one of a million events),
or ``--cycles C --teams T`` to generate a smaller one here first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from uuid import uuid4

import psycopg

from ledger.tlog.archive import export
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.cli_archive import restore
from okr_ledger.config import Settings
from okr_ledger.keys import write_key

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/okr_ledger_test"


def services_for(url: str, schema: str, key_file: Path) -> Services:
    os.environ["OKR_LEDGER_SIGNING_KEY_FILE"] = str(key_file)
    return bootstrap(Settings.from_env().with_overrides(database_url=f"{url}?schema={schema}"))


def timed(work: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()  # type: ignore[operator]
    return time.perf_counter() - start, result


def raw_copy(dsn: str, schema: str, target: str, path: Path) -> tuple[float, float]:
    """Seconds to COPY the events with their leaves out to a file, and into a bare table."""
    query = (
        f"COPY (SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, "
        f"e.state, l.leaf_index, l.leaf_hash FROM {schema}.okrledger_events e JOIN "
        f"{schema}.okrledger_leaves l ON l.position = e.notification_id "
        "ORDER BY e.notification_id) TO STDOUT (FORMAT binary)"
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        start = time.perf_counter()
        with path.open("wb") as out, conn.cursor().copy(query) as copy:
            for chunk in copy:
                out.write(chunk)
        out_seconds = time.perf_counter() - start
        conn.execute(f"CREATE SCHEMA {target}")
        conn.execute(
            f"CREATE TABLE {target}.bare (notification_id bigint PRIMARY KEY, originator_id uuid, "
            "originator_version bigint, topic text, state bytea, leaf_index bigint, "
            "leaf_hash bytea)"
        )
        start = time.perf_counter()
        with (
            conn.transaction(),
            conn.cursor().copy(f"COPY {target}.bare FROM STDIN (FORMAT binary)") as copy,
            path.open("rb") as source,
        ):
            while block := source.read(1 << 20):
                copy.write(block)
        in_seconds = time.perf_counter() - start
    return out_seconds, in_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--schema", help="a schema holding a generated ledger")
    parser.add_argument("--cycles", type=int, default=2, help="or generate this many cycles")
    parser.add_argument("--teams", type=int, default=20, help="of this many teams, here")
    args = parser.parse_args()
    url, dsn = args.database_url, args.database_url
    work = Path(tempfile.mkdtemp(prefix="okr-archive-bench-"))
    key_file = work / "log.key"
    write_key(key_file, "bench.okr-ledger.example/log")
    schema = args.schema
    if schema is None:
        from okr_ledger.generator import generate

        schema = f"bench_{uuid4().hex[:8]}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        services = services_for(url, schema, key_file)
        for _ in generate(services.ledger, cycles=args.cycles, teams=args.teams):
            pass
        services.close()
    target, raw = f"bench_{uuid4().hex[:8]}", f"bench_{uuid4().hex[:8]}"
    source = services_for(url, schema, key_file)
    try:
        prepare, _ = timed(source.transparency.checkpoint_now)  # backfill, tree, signature
        size = source.transparency.size()
        log = source.transparency
        out = work / "archive"
        seconds, done = timed(
            lambda: export(log.store, out, key=log.verifier_key(), consistency=None)
        )
        copy_out, copy_in = raw_copy(dsn, schema, raw, work / "raw.copy")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {target}")
        receiver = services_for(url, target, key_file)
        try:
            loaded, _ = timed(lambda: restore(receiver, out))
        finally:
            receiver.close()
    finally:
        source.close()
    archive_bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        f"log of {size:,} events (schema {schema}); tree and checkpoint ready in {prepare:.1f} s"
    )
    print(f"archive: {archive_bytes / 2**20:,.0f} MiB in {len(list(out.rglob('*'))):,} paths")
    for name, elapsed, baseline in (
        ("export", seconds, copy_out),
        ("import (check + load)", loaded, copy_in),
    ):
        ratio = baseline / elapsed
        print(
            f"{name:<22} {size / elapsed:>10,.0f} events/s  {elapsed:7.1f} s   raw COPY "
            f"{size / baseline:>10,.0f} events/s  {baseline:6.1f} s   ratio {ratio:.2f}"
        )
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in (target, raw) + (() if args.schema else (schema,)):
            conn.execute(f"DROP SCHEMA {name} CASCADE")
    shutil.rmtree(work)
    del done


if __name__ == "__main__":
    main()
