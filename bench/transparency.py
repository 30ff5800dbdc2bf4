"""The transparency log's costs, every figure next to a baseline measured in the same run.

1. Appends per second on PostgreSQL, one event per transaction, through one SQL
   function call each: a bare INSERT (no lock, no hashing), the linear hash chain this
   project kept before (its append function, recreated here for the comparison), and
   today's append function with its leaf; then ``Ledger.save`` of one event (the whole
   Python path) with the tree.
2. Proof latency on a large log (default: about a million events, made by
   ``okr_ledger.generator``; reuse it with ``--schema``): inclusion and consistency proofs
   from ``TransparencyLog``, p50/p95, next to a bare primary-key read of one leaf.
3. Checkpoints signed per second (append one event, build the tree, check the previous
   root, sign, keep), next to Ed25519 signing the body alone.

Run: ``python -m bench.transparency [--events 2000] [--proofs 2000] [--schema NAME]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from uuid import uuid4

import psycopg

from ledger.kpi import Kpi
from ledger.meta import Meta, utc_now
from ledger.team import Team
from ledger.tlog.note import Signer, checkpoint_body, generate_key
from ledger.tlog.service import TransparencyLog
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from okr_ledger.generator import generate

Row = tuple[str, float, float]
PAYLOAD = b'{"value":{"_type_":"decimal_str","_data_":"42.5"},"meta":{"actor":"bench"}}' * 4

# The append function of the linear hash chain (ADR 0003/0006), as it was: kept here
# only to measure what the tree replaced.
CHAIN_FUNCTION = """
CREATE TABLE {s}.chain (position bigint PRIMARY KEY, prev_position bigint, hash bytea);
CREATE OR REPLACE FUNCTION {s}.chain_append(new_events {s}.stored_event_uuid[])
RETURNS SETOF bigint LANGUAGE plpgsql AS $body$
DECLARE tail_position bigint; tail_hash bytea; link_hash bytea; ids bigint[]; e record;
BEGIN
    LOCK TABLE {s}.okrledger_events IN EXCLUSIVE MODE;
    PERFORM pg_notify('bench', '');
    SELECT position, hash INTO tail_position, tail_hash FROM {s}.chain
        ORDER BY position DESC LIMIT 1;
    tail_hash := coalesce(tail_hash, decode(repeat('00', 32), 'hex'));
    WITH inserted AS (
        INSERT INTO {s}.okrledger_events (originator_id, originator_version, topic, state)
        SELECT originator_id, originator_version, topic, state FROM unnest(new_events)
        RETURNING notification_id
    ) SELECT array_agg(notification_id ORDER BY notification_id) INTO ids FROM inserted;
    FOR e IN
        SELECT notification_id, originator_version,
               convert_to(replace(originator_id::text, '-', ''), 'UTF8') AS oid,
               convert_to(topic, 'UTF8') AS topic, state
        FROM {s}.okrledger_events WHERE notification_id = ANY(ids) ORDER BY notification_id
    LOOP
        link_hash := sha256('okr-ledger/chain/v1'::bytea || '\\x00'::bytea || tail_hash
            || int8send(e.notification_id) || int8send(coalesce(tail_position, 0))
            || int8send(e.originator_version)
            || int8send(octet_length(e.oid)::bigint) || e.oid
            || int8send(octet_length(e.topic)::bigint) || e.topic
            || int8send(octet_length(e.state)::bigint) || e.state);
        INSERT INTO {s}.chain VALUES (e.notification_id, tail_position, link_hash);
        tail_position := e.notification_id; tail_hash := link_hash;
        RETURN NEXT e.notification_id;
    END LOOP;
END $body$;
"""


def rate(n: int, step: Callable[[int], None]) -> float:
    started = time.perf_counter()
    for i in range(n):
        step(i)
    return n / (time.perf_counter() - started)


def quantiles(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), statistics.quantiles(values, n=20)[18]


def timed(n: int, call: Callable[[], object]) -> list[float]:
    out = []
    for _ in range(n):
        began = time.perf_counter()
        call()
        out.append((time.perf_counter() - began) * 1000)
    return out


def fresh_schema(dsn: str) -> str:
    name = f"bench_{uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return name


def drop_schema(dsn: str, name: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")


def function_rates(url: str, dsn: str, schema: str, n: int) -> dict[str, float]:
    """One event per call and transaction: bare insert, chain, leaf. The three take
    turns in rounds of 50, so a change in the machine's load hits them alike."""
    services = bootstrap(Settings(database_url=f"{url}?schema={schema}"))
    services.close()  # the tables, type and append function now exist
    row = f"ROW(%s, 1, 'bench', %s)::{schema}.stored_event_uuid"
    statements = {
        "bare INSERT": f"INSERT INTO {schema}.bare VALUES (%s, 1, 'bench', %s)",
        "chain append (before)": f"SELECT * FROM {schema}.chain_append(ARRAY[{row}])",
        "tree leaf append (now)": f"SELECT * FROM {schema}.okrledger_append(ARRAY[{row}])",
    }
    spent = dict.fromkeys(statements, 0.0)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {schema}.bare (id uuid, version int, topic text, state bytea)")
        conn.execute(CHAIN_FUNCTION.format(s=schema))
        for _ in range(0, n, 50):
            for name, statement in statements.items():
                began = time.perf_counter()
                for _ in range(50):
                    conn.execute(statement, (uuid4(), PAYLOAD))
                spent[name] += time.perf_counter() - began
    rounds = len(range(0, n, 50)) * 50
    return {name: rounds / seconds for name, seconds in spent.items()}


def save_rate(url: str, schema: str, n: int) -> float:
    services = bootstrap(Settings(database_url=f"{url}?schema={schema}"))
    try:
        now = utc_now()
        meta = Meta("bench", now, now, uuid4())
        team = Team.form(
            key=f"b{uuid4().hex[:6]}", name="Bench", level="company", parent=None, meta=meta
        )
        services.ledger.save(team)
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
        services.ledger.save(kpi)

        def save_one(i: int) -> None:
            kpi.measure(Decimal(i % 50), meta)
            services.ledger.save(kpi)

        return rate(n, save_one)
    finally:
        services.close()


def large_log(
    url: str, dsn: str, schema: str | None, cycles: int, teams: int
) -> tuple[Services, TransparencyLog]:
    if schema is None:
        schema = fresh_schema(dsn)
        print(f"generating a log in schema {schema} (reuse it with --schema {schema})")
        services = bootstrap(Settings(database_url=f"{url}?schema={schema}"))
        began = time.perf_counter()
        written = 0
        for written in generate(services.ledger, cycles=cycles, teams=teams):
            print(f"\rgenerated {written} events", end="", flush=True)
        print(f"\rgenerated {written} events in {time.perf_counter() - began:.0f} s")
    else:
        services = bootstrap(Settings(database_url=f"{url}?schema={schema}"))
    signer = Signer.from_key_text(generate_key("bench.example/log"))
    log = TransparencyLog(services.ledger.chained_recorder, signer)
    began = time.perf_counter()
    built = log.build_tree()
    print(f"tree built over {built} leaves in {time.perf_counter() - began:.1f} s")
    if log.checkpoint_now() is None and log.latest_checkpoint() is None:
        raise SystemExit("the log is empty")
    return services, log


def proof_latency(log: TransparencyLog, schema: str, dsn: str, n: int) -> list[Row]:
    latest = log.latest_checkpoint()
    assert latest is not None
    size = latest.size
    rng = random.Random(7)
    rows: list[Row] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        statement = f"SELECT leaf_hash FROM {schema}.okrledger_leaves WHERE leaf_index = %s"
        conn.execute(statement, (0,), prepare=True)
        bare = timed(n, lambda: conn.execute(statement, (rng.randrange(size),)))
        rows.append(("bare leaf read (baseline)", *quantiles(bare)))
    inclusion = timed(n, lambda: log.inclusion_proof(rng.randrange(size), size))
    rows.append(("inclusion proof", *quantiles(inclusion)))

    def consistency() -> None:
        m = rng.randrange(1, size + 1)
        log.consistency_proof(m, rng.randrange(m, size + 1))

    rows.append(("consistency proof", *quantiles(timed(n, consistency))))
    print(f"proofs on a log of {size} leaves ({n} each, random indexes and sizes)")
    return rows


def signing_rates(services: Services, log: TransparencyLog, n: int) -> tuple[float, float]:
    assert log.signer is not None
    signer: Signer = log.signer
    body = checkpoint_body(signer.name, 10**6, bytes(32))
    bare = rate(n, lambda _: signer.sign_note(body))
    now = utc_now()

    def grow_and_sign(_: int) -> None:
        meta = Meta("bench", now, now, uuid4())
        team = Team.form(key=uuid4().hex, name="S", level="company", parent=None, meta=meta)
        services.ledger.save(team)
        assert log.checkpoint_now() is not None

    signed = rate(n, grow_and_sign)
    return bare, signed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="appends per measurement")
    parser.add_argument("--proofs", type=int, default=2000, help="proofs per measurement")
    parser.add_argument("--checkpoints", type=int, default=200)
    parser.add_argument("--schema", help="a schema holding a log made by an earlier run")
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--teams", type=int, default=160)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "OKR_LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    url = args.postgres_url
    dsn = psycopg.conninfo.make_conninfo(**psycopg.conninfo.conninfo_to_dict(url))

    scratch = fresh_schema(dsn)
    try:
        rates = function_rates(url, dsn, scratch, args.events)
        rates["Ledger.save with the tree"] = save_rate(url, scratch, args.events)
    finally:
        drop_schema(dsn, scratch)
    base = rates["bare INSERT"]
    print(f"appends on PostgreSQL, one event per transaction ({args.events} each)")
    for name, value in rates.items():
        print(f"  {name:<28} {value:>8.0f}/s  {value / base:>5.2f} x bare")

    services, log = large_log(url, dsn, args.schema, args.cycles, args.teams)
    schema = services.settings.database_url.rpartition("schema=")[2]
    try:
        for name, p50, p95 in proof_latency(log, schema, dsn, args.proofs):
            print(f"  {name:<28} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
        bare, signed = signing_rates(services, log, args.checkpoints)
        print(f"checkpoints ({args.checkpoints}, each after one more event)")
        print(f"  {'Ed25519 sign of the body':<28} {bare:>8.0f}/s")
        print(f"  {'checkpoint_now':<28} {signed:>8.0f}/s  {signed / bare:>5.3f} x bare")
    finally:
        services.close()


if __name__ == "__main__":
    main()
