"""Build the main read models (audit trail and state) over a large generated ledger on
PostgreSQL, next to a raw batched read-and-upsert loop over the same events measured in
the same run; then the p50/p95 latency of the as-of and diff routes on that data.

Run: ``python -m bench.projections [--cycles 40] [--teams 160]`` (about a million events;
the generated ledger stays in its own schema unless ``--drop``; ``--schema NAME`` runs
again on a ledger generated before).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import time
from datetime import timedelta
from functools import partial
from uuid import uuid4

import psycopg

from commands import messages as m
from commands.principals import Principal
from ledger.principal import token_hash
from okr_ledger import collector
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from okr_ledger.generator import generate
from projections.rebuild import load_all
from projections.service import VIEWS, ReadModels
from projections.view import View
from web import create_app


def peak_rss_mb() -> float:
    """The largest resident set of this process or of any child it waited for (the
    bulk load runs in children)."""
    return (
        max(
            resource.getrusage(who).ru_maxrss
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        )
        / 1024
    )


def raw_loop(dsn: str, schema: str, batch: int) -> tuple[int, float]:
    """Read the log in batches, decode each event's JSON and upsert one row per
    aggregate, with a tracking row, one transaction per batch: the floor any
    projection built on this log and database pays."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        conn.execute("DROP TABLE IF EXISTS raw_view, raw_tracking")
        conn.execute(
            "CREATE TABLE raw_view (id uuid PRIMARY KEY, version int, position bigint, state text)"
        )
        conn.execute("CREATE TABLE raw_tracking (name text PRIMARY KEY, position bigint)")
        conn.autocommit = False
        after, started, count = 0, time.perf_counter(), 0
        while True:
            rows = conn.execute(
                "SELECT notification_id, originator_id, originator_version, state "
                "FROM okrledger_events WHERE notification_id > %s "
                "ORDER BY notification_id LIMIT %s",
                (after, batch),
            ).fetchall()
            if not rows:
                break
            upserts = {}
            for position, ident, version, state in rows:
                json.loads(bytes(state))
                upserts[ident] = (ident, version, position, bytes(state).decode())
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO raw_view VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE "
                    "SET version = excluded.version, position = excluded.position, "
                    "state = excluded.state",
                    list(upserts.values()),
                )
                cursor.execute(
                    "INSERT INTO raw_tracking VALUES ('raw', %s) ON CONFLICT (name) "
                    "DO UPDATE SET position = excluded.position",
                    (rows[-1][0],),
                )
            conn.commit()
            after = rows[-1][0]
            count += len(rows)
        return count, time.perf_counter() - started


def build_views(models: ReadModels, batch: int, url: str) -> tuple[list[View], float]:
    """Both views into a fresh generation, as a rebuild builds them (a bulk load shared
    out by aggregate between processes, then the indexes)."""
    views: list[View] = [cls(getattr(models, name).generation + 1) for name, cls in VIEWS.items()]
    with models.store.transaction() as cursor:
        for view in views:
            view.drop(cursor)
            models.store.forget_tracking(cursor, view.tracking_name)
            view.create(cursor, indexes=False)
    models.batch_size = batch
    began = time.perf_counter()
    load_all(models, views, models.ledger.head_position(), url=url, progress=None)
    return views, time.perf_counter() - began


def swap_in(models: ReadModels, views: list[View]) -> None:
    with models.store.transaction() as cursor:
        for view in views:
            old = getattr(models, view.name)
            models.store.set_generation(cursor, view.name, view.generation)
            old.drop(cursor)
            models.store.forget_tracking(cursor, old.tracking_name)
    models.refresh()


def discard(models: ReadModels, views: list[View]) -> None:
    with models.store.transaction() as cursor:
        for view in views:
            view.drop(cursor)
            models.store.forget_tracking(cursor, view.tracking_name)


ROUTES = ("as_of (one team)", "as_of", "as_of_effective", "diff")


def latencies(
    services: object, cycles: int, teams: int, samples: int
) -> dict[str, dict[str, list[float]]]:
    """Per route, the time of each request computed from the views (``cold``: the kept
    answers cleared first), then of the same request again (``warm``: the answer kept
    at the views' position), and of the raw SQL that reads the same rows (``raw``)."""
    name = f"bench-reader-{uuid4().hex[:6]}"
    token = uuid4().hex
    services.bus.handle(  # type: ignore[attr-defined]
        m.AddPrincipal(name=name, role="admin", token_hash=token_hash(token)),
        Principal("bench", "admin"),
    )
    models = services.read_models  # type: ignore[attr-defined]
    models.catch_up()
    client = create_app(services).test_client()
    collector.tune()  # as the server does once its app is built
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(3)
    found: dict[str, dict[str, list[float]]] = {
        n: {"cold": [], "warm": [], "raw": []} for n in ROUTES
    }
    from datetime import UTC, datetime

    from eventlog.vocabulary import micros_of
    from ledger.cycle import Cycle
    from okr_ledger.generator import WEEK
    from projections.service import resolve

    for _ in range(samples):
        number = rng.randrange(cycles)
        start = datetime(2017, 1, 2, tzinfo=UTC) + timedelta(weeks=13 * number)
        moment = start + WEEK * rng.randrange(1, 13)
        key = f"c{number}"
        team = f"t{rng.randrange(teams)}"
        at, before = micros_of(moment), micros_of(moment - WEEK)
        cycle_id = resolve(key, Cycle)
        for name, url, raw in (
            (
                "as_of (one team)",
                f"/api/v1/cycles/{key}/okrs?as_of={moment.isoformat()}&team={team}",
                lambda: None,
            ),
            (
                "as_of",
                f"/api/v1/cycles/{key}/okrs?as_of={moment.isoformat()}",
                partial(raw_as_of, models, cycle_id, at, "recorded_at"),
            ),
            (
                "as_of_effective",
                f"/api/v1/cycles/{key}/okrs?as_of={moment.isoformat()}&time=effective",
                partial(raw_as_of, models, cycle_id, at, "effective_at"),
            ),
            (
                "diff",
                f"/api/v1/cycles/{key}/diff?from={(moment - WEEK).isoformat()}"
                f"&to={moment.isoformat()}",
                partial(raw_diff, models, cycle_id, before, at),
            ),
        ):
            url = url.replace("+", "%2B")
            models.answers.clear()
            for kind in ("cold", "warm"):
                began = time.perf_counter()
                response = client.get(url, headers=headers)
                found[name][kind].append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, response.get_json()
            began = time.perf_counter()
            raw()
            found[name]["raw"].append((time.perf_counter() - began) * 1000)
    return found


def raw_as_of(models: object, cycle_id: str, at: int, column: str) -> None:
    """The rows an as-of answer is made from, read by the same indexed queries with
    nothing decoded: the documents' versions in force, and every check-in of the
    cycle's key results known then."""
    versions = models.state.t("versions")  # type: ignore[attr-defined]
    check_ins = models.state.t("check_ins")  # type: ignore[attr-defined]
    with models.reading() as cursor:  # type: ignore[attr-defined]
        cursor.raw.execute(
            f"SELECT v.doc FROM {versions} v JOIN (SELECT id, MAX(version) AS version "
            f"FROM {versions} WHERE (cycle_id = %s OR cycle_id IS NULL) AND {column} <= %s "
            "GROUP BY id) m ON v.id = m.id AND v.version = m.version",
            (cycle_id, at),
        )
        cursor.raw.fetchall()
        cursor.raw.execute(
            f"SELECT * FROM {check_ins} WHERE cycle_id = %s AND {column} <= %s",
            (cycle_id, at),
        )
        cursor.raw.fetchall()


def raw_diff(models: object, cycle_id: str, start: int, end: int) -> None:
    """The audit rows a diff names, read by the same indexed query, nothing decoded."""
    events = models.audit.t("events")  # type: ignore[attr-defined]
    with models.reading() as cursor:  # type: ignore[attr-defined]
        cursor.raw.execute(
            f"SELECT * FROM {events} WHERE (cycle_id = %s OR cycle_id IS NULL) "
            "AND recorded_at > %s AND recorded_at <= %s ORDER BY position",
            (cycle_id, start, end),
        )
        cursor.raw.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--teams", type=int, default=160)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--drop", action="store_true", help="drop the schema afterwards")
    parser.add_argument(
        "--rebuild-only",
        action="store_true",
        help="measure the rebuild, then drop what it built (the live views stay as they were)",
    )
    parser.add_argument("--schema", help="reuse a ledger generated by an earlier run")
    parser.add_argument(
        "--reads-only",
        action="store_true",
        help="with --schema: measure the routes only (no raw loop, no rebuild of the views)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "OKR_LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    dsn = psycopg.conninfo.make_conninfo(**psycopg.conninfo.conninfo_to_dict(args.postgres_url))
    schema = args.schema or f"bench_views_{uuid4().hex[:8]}"
    if not args.schema:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    services = bootstrap(Settings(database_url=f"{args.postgres_url}?schema={schema}"))
    try:
        if not args.schema:
            generate_ledger(services, args.cycles, args.teams)
        events = services.ledger.head_position()
        if args.rebuild_only:
            build_and_compare(services, dsn, schema, args, events, keep=False)
            return
        if not args.reads_only:
            build_and_compare(services, dsn, schema, args, events)
        found = latencies(services, args.cycles, args.teams, args.samples)
        print(
            f"\nroute latency over {args.samples} requests each (in-process, PostgreSQL, "
            f"{events} events)"
        )
        print(
            f"{'route':<18} {'cold p50':>9} {'p95':>7}   {'warm p50':>8} {'p95':>6}   "
            f"{'raw SQL p50':>11} {'p95':>6}  cold/raw p95"
        )
        for name, kinds in found.items():
            cold, warm, raw = (kinds[k] for k in ("cold", "warm", "raw"))
            ratio = f"{p95(cold) / p95(raw):5.1f}x" if p95(raw) > 0.05 else "    -"
            print(
                f"{name:<18} {statistics.median(cold):7.1f}ms {p95(cold):5.1f}ms   "
                f"{statistics.median(warm):6.1f}ms {p95(warm):4.1f}ms   "
                f"{statistics.median(raw):9.1f}ms {p95(raw):4.1f}ms  {ratio}"
            )
        print(
            "(as_of and diff cover a whole cycle: 480 objectives and 1,440 key results; cold: "
            "computed from the views, the kept answers cleared first; warm: the same request "
            "again, answered from the answer kept at the views' position; raw SQL: the rows "
            "the answer is made from, read by the same indexed queries, nothing decoded)"
        )
        print(f"(ledger kept in schema {schema}; run again with --schema {schema})")
    finally:
        services.close()
        if args.drop:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def build_and_compare(
    services: Services,
    dsn: str,
    schema: str,
    args: argparse.Namespace,
    events: int,
    *,
    keep: bool = True,
) -> None:
    """Rebuild both views from zero next to the raw batched loop, then swap them in
    (``keep``) or drop what was built (the live views stay as they were)."""
    raw_count, raw_seconds = raw_loop(dsn, schema, args.batch)
    before = peak_rss_mb()
    models = services.read_models
    built, total = build_views(models, args.batch, f"{args.postgres_url}?schema={schema}")
    peak = peak_rss_mb()
    print(
        f"\nviews: audit + state over {events} events, built from zero as okr-ledger "
        "rebuild does (the aggregates shared out between processes: a bulk load, then the "
        "indexes)"
    )
    print(f"{'loop':<34} {'events/s':>10} {'seconds':>8}")
    print(f"{'read models (audit + state)':<34} {events / total:>10.0f} {total:>8.1f}")
    print(
        f"{'raw batched read-and-upsert':<34} {raw_count / raw_seconds:>10.0f} {raw_seconds:>8.1f}"
    )
    print(
        f"ratio: {(events / total) / (raw_count / raw_seconds):.2f} of the raw loop; "
        f"peak memory {peak:.0f} MB (process, {before:.0f} MB before the build)"
    )
    if keep:
        swap_in(models, built)
    else:
        discard(models, built)


def generate_ledger(services: Services, cycles: int, teams: int) -> None:
    began = time.perf_counter()
    written = 0
    for written in generate(services.ledger, cycles=cycles, teams=teams):
        print(f"\rgenerated {written} events", end="", flush=True)
    seconds = time.perf_counter() - began
    print(
        f"\rgenerated {written} events in {seconds:.0f} s "
        f"({written / seconds:.0f}/s, with their leaves, through the aggregates)"
    )


if __name__ == "__main__":
    main()
