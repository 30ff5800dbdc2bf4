"""Server time of every board page, next to the API route that serves the same data,
measured in the same run on the same ledger.

Run: ``python -m bench.board_pages --schema NAME`` on the ledger that
``python -m bench.projections`` generated (about a million events, kept in its schema),
or without ``--schema`` on a smaller one generated here (``--cycles``, ``--teams``).
Each request goes through the whole Flask app in-process (routing, session or token
check, read model, rendering), ``--samples`` times per page over random cycles, instants
and teams; p50 and p95 are printed for the page and for its API route.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg

from bench.projections import generate_ledger
from commands import messages as m
from commands.principals import Principal
from ledger.principal import token_hash
from okr_ledger import collector
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from okr_ledger.generator import WEEK
from web import create_app

FIRST_CYCLE = datetime(2017, 1, 2, tzinfo=UTC)


def pages(rng: random.Random, cycles: int, teams: int) -> list[tuple[str, str, str]]:
    """(page, board URL, API URL) for one random cycle, instant and team."""
    number = rng.randrange(cycles)
    key = f"c{number}"
    moment = FIRST_CYCLE + timedelta(weeks=13 * number) + WEEK * rng.randrange(1, 13)
    at = moment.strftime("%Y-%m-%dT%H:%M")
    iso = moment.isoformat().replace("+", "%2B")
    before = (moment - WEEK).strftime("%Y-%m-%dT%H:%M")
    before_iso = (moment - WEEK).isoformat().replace("+", "%2B")
    team = f"t{rng.randrange(teams)}"
    return [
        ("cycles", "/board/cycles", "/api/v1/cycles"),
        ("overview (team picker)", f"/board/cycles/{key}", f"/api/v1/cycles/{key}/okrs"),
        (
            "overview, one team",
            f"/board/cycles/{key}?team={team}",
            f"/api/v1/cycles/{key}/okrs?team={team}",
        ),
        (
            "time travel, one team",
            f"/board/cycles/{key}?as_of={at}&time=effective&team={team}",
            f"/api/v1/cycles/{key}/okrs?as_of={iso}&time=effective&team={team}",
        ),
        (
            "priority history (team picker)",
            f"/board/cycles/{key}/priorities",
            "/api/v1/cycles",
        ),
        (
            "priority history, one team",
            f"/board/cycles/{key}/priorities?team={team}",
            f"/api/v1/cycles/{key}/priorities/history",
        ),
        (
            "changes (a week)",
            f"/board/cycles/{key}/changes?from={before}&to={at}",
            f"/api/v1/cycles/{key}/diff?from={before_iso}&to={iso}",
        ),
        (
            "retrospective (team picker)",
            f"/board/cycles/{key}/retrospective",
            f"/api/v1/cycles/{key}/retrospective",
        ),
        (
            "retrospective, one team",
            f"/board/cycles/{key}/retrospective?team={team}",
            f"/api/v1/cycles/{key}/okrs?team={team}",
        ),
        ("audit trail", f"/board/audit?cycle={key}", f"/api/v1/audit?cycle={key}&limit=50"),
        ("integrity", "/board/integrity", "/healthz"),
        ("board pack (team picker)", f"/board/cycles/{key}/pack", "/api/v1/cycles"),
        (
            "board pack, one team",
            f"/board/cycles/{key}/pack?team={team}",
            f"/api/v1/cycles/{key}/okrs?team={team}",
        ),
    ]


def signed_in(services: Services) -> tuple[object, dict[str, str]]:
    """A test client with a board session, and the bearer header of the same principal."""
    token = uuid4().hex
    services.bus.handle(
        m.AddPrincipal(
            name=f"bench-board-{token[:6]}", role="admin", token_hash=token_hash(token)
        ),
        Principal("bench", "admin"),
    )
    services.read_models.catch_up()
    client = create_app(services).test_client()
    collector.tune()  # as the server does once its app is built
    form = client.get("/board/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf
    answer = client.post(
        "/board/sign-in",
        data={"token": token, "csrf_token": csrf.group(1)},
        headers={"Origin": "http://localhost"},
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return client, {"Authorization": f"Bearer {token}"}


def timed(client: object, url: str, headers: dict[str, str] | None = None) -> float:
    began = time.perf_counter()
    response = client.get(url, headers=headers or {})  # type: ignore[attr-defined]
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", help="a ledger bench.projections generated")
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--teams", type=int, default=160)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "OKR_LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    dsn = psycopg.conninfo.make_conninfo(**psycopg.conninfo.conninfo_to_dict(args.postgres_url))
    schema = args.schema or f"bench_board_{uuid4().hex[:8]}"
    if not args.schema:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    services = bootstrap(Settings(database_url=f"{args.postgres_url}?schema={schema}"))
    try:
        if not args.schema:
            generate_ledger(services, args.cycles, args.teams)
        client, bearer = signed_in(services)
        events = services.ledger.head_position()
        rng = random.Random(5)
        kept = services.read_models.answers
        found: dict[str, dict[str, list[float]]] = {}
        for _ in range(2):  # warm up: first requests compile templates and fill caches
            for _, page, route in pages(rng, args.cycles, args.teams):
                timed(client, page)
                timed(client, route, bearer)
        for _ in range(args.samples):
            for name, page, route in pages(rng, args.cycles, args.teams):
                times = found.setdefault(name, {k: [] for k in KINDS})
                for kind, url, headers in (("board", page, None), ("API", route, bearer)):
                    kept.clear()
                    times[f"{kind} cold"].append(timed(client, url, headers))
                    times[f"{kind} warm"].append(timed(client, url, headers))
        print(
            f"\nserver time over {args.samples} requests each, in-process, PostgreSQL, "
            f"{events} events (p50 / p95, ms)"
        )
        print(f"{'page':<28} " + " ".join(f"{k:>15}" for k in KINDS) + "  API route")
        routes = {n: r.split("?")[0] for n, _, r in pages(rng, args.cycles, args.teams)}
        for name, times in found.items():
            cells = [f"{statistics.median(times[k]):7.1f} {p95(times[k]):7.1f}" for k in KINDS]
            print(f"{name:<28} " + " ".join(cells) + f"  {routes[name]}")
        print(
            "(cold: computed from the views, the answers kept by position cleared first; "
            "warm: the same request again. For organisations of more than 12 teams the "
            "overview, the retrospective and the pack open on a team picker; the API's "
            "whole-cycle answer is the picker's baseline, the API's tree of the same team "
            "the baseline of a team's retrospective and pack)"
        )
        print(f"(ledger in schema {schema}; run again with --schema {schema})")
    finally:
        services.close()


KINDS = ("board cold", "board warm", "API cold", "API warm")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


if __name__ == "__main__":
    main()
