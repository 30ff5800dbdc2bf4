"""POST check-ins over HTTP against gunicorn on PostgreSQL, next to a bare Flask route
doing one raw psycopg insert with commit, both driven by the same load generator (wrk)
with the same connections, duration and body, in the same run.

Check-ins go to many key results at random (a real API's load), with a token, through
the whole write path: authentication, schema, command bus, rules, the save with its leaves.

Besides the rates, it counts the CPU each request cost (on Linux, from ``/proc``): the
server's processes (gunicorn's master and workers), and in PostgreSQL the backends of the
server's connections (named by ``PGAPPNAME``) with the writers that flush the commits,
read before and after each load. On a machine whose cores are all busy, the rate
follows that cost, so the ratio of the CPU costs says what the ratio of the rates can
reach.

Run: ``python -m bench.http_checkins [--seconds 15] [--connections 16] [--key-results 200]``
(needs ``wrk`` on the PATH and PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import psycopg

from commands import messages as m
from commands.principals import Principal
from ledger.principal import token_hash
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings

TOKEN = "bench-token"
OURS, BARE = "okr-ledger-bench", "bare-route-bench"
"""the application names the two servers' connections give PostgreSQL"""
BODY = '{"value": 47.5, "confidence": "on_track", "note": "weekly check-in"}'
LUA = """
paths = {%(paths)s}
wrk.method = "POST"
wrk.body = '%(body)s'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  return wrk.format(nil, paths[math.random(#paths)])
end
"""


def prepare_ledger(url: str, key_results: int) -> list[UUID]:
    services = bootstrap(Settings(database_url=url))
    root = Principal("bench", "admin")
    bus = services.bus
    try:
        bus.handle(
            m.AddPrincipal(name="bench-client", role="admin", token_hash=token_hash(TOKEN)), root
        )
        team = bus.handle(m.FormTeam(key="bench", name="Bench", level="company"), root)
        cycle = bus.handle(
            m.OpenCycle(
                key="bench", name="Bench", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
            ),
            root,
        ).created_id
        bus.handle(m.StartCycle(cycle_id=cycle), root)  # type: ignore[arg-type]
        ids = []
        for i in range(key_results):
            objective = bus.handle(
                m.DraftObjective(
                    team_id=team.created_id, cycle_id=cycle, statement=f"Objective {i}", owner="o"
                ),
                root,
            ).created_id
            kr = bus.handle(
                m.DefineKeyResult(
                    objective_id=objective,
                    statement=f"Lift metric {i} from 0 to 100",
                    kind="increase",
                    baseline=Decimal(0),
                    target=Decimal(100),
                    owner="o",
                ),
                root,
            )
            ids.append(kr.created_id)
        return ids  # type: ignore[return-value]
    finally:
        services.close()


def start_server(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


def wait_healthz_404(port: int) -> None:
    """The bare app has no /healthz; wait until it answers anything."""
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the bare server did not start")


def stat_fields(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command's name (the state is the first),
    or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time so far of these processes (those still running)."""
    total = 0
    for pid in pids:
        fields = stat_fields(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def family(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        fields = stat_fields(entry) if entry.isdigit() else None
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))  # by parent
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def postgres_pids(dsn: str, application: str) -> list[int]:
    """The server's PostgreSQL backends (by the application name its connections give,
    ``PGAPPNAME``) and PostgreSQL's own writers, which flush what the commits wrote."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s OR backend_type "
            "IN ('walwriter', 'background writer', 'checkpointer')",
            (application,),
        ).fetchall()
    return [pid for (pid,) in rows]


def measured(
    server: subprocess.Popen[bytes],
    database: tuple[str, str],
    port: int,
    paths: list[str],
    seconds: int,
    connections: int,
) -> dict[str, float]:
    """wrk's figures for one load, with the CPU per request of the server and of its
    share of PostgreSQL (``database``: a DSN and the server's application name) while
    it ran (0 where ``/proc`` is missing)."""
    if not os.path.isdir("/proc"):
        return {**run_wrk(port, paths, seconds, connections), "server_ms": 0.0, "db_ms": 0.0}
    servers, databases = family(server.pid), postgres_pids(*database)
    before = cpu_seconds(servers), cpu_seconds(databases)
    result = run_wrk(port, paths, seconds, connections)
    # a process started during the load (a worker replaced, a backend) had spent nothing
    servers = sorted({*servers, *family(server.pid)})
    databases = sorted({*databases, *postgres_pids(*database)})
    after = cpu_seconds(servers), cpu_seconds(databases)
    requests = max(result["rps"] * seconds, 1.0)
    result["server_ms"] = 1000 * (after[0] - before[0]) / requests
    result["db_ms"] = 1000 * (after[1] - before[1]) / requests
    return result


def run_wrk(port: int, paths: list[str], seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            LUA % {"paths": ", ".join(f'"{p}"' for p in paths), "body": BODY, "token": TOKEN}
        )
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            script.name,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "errors": float(non_2xx.group(1)) if non_2xx else 0.0,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else 0.0,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--key-results", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "OKR_LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian: apt-get install wrk)")

    dsn = psycopg.conninfo.make_conninfo(**psycopg.conninfo.conninfo_to_dict(args.postgres_url))
    schema = f"bench_{uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(
            f"CREATE TABLE {schema}.bench_bare (id bigserial primary key, kr text, state jsonb)"
        )
    url = f"{args.postgres_url}?schema={schema}"
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        "gthread",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
    ]
    results = {}
    try:
        krs = prepare_ledger(url, args.key_results)
        env = {**os.environ, "OKR_LEDGER_DATABASE_URL": url, "PGAPPNAME": OURS}
        server = start_server(
            [*gunicorn, "--bind", "127.0.0.1:8801", "okr_ledger.server:make_app()"], env, 8801
        )
        try:
            results["OKR Ledger check-in"] = measured(
                server,
                (dsn, OURS),
                8801,
                [f"/api/v1/key-results/{kr}/check-ins" for kr in krs],
                args.seconds,
                args.connections,
            )
        finally:
            server.terminate()
            server.wait()
        bare_env = {
            **os.environ,
            "BARE_DSN": f"{dsn} options=-csearch_path={schema}",
            "PGAPPNAME": BARE,
        }
        bare = subprocess.Popen(
            [*gunicorn, "--bind", "127.0.0.1:8802", "bench.bare_app:create_bare_app()"],
            env=bare_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_healthz_404(8802)
            results["bare Flask + psycopg insert"] = measured(
                bare,
                (dsn, BARE),
                8802,
                [f"/bare/{kr}" for kr in krs],
                args.seconds,
                args.connections,
            )
        finally:
            bare.terminate()
            bare.wait()
        with psycopg.connect(dsn, autocommit=True) as conn:
            events = conn.execute(f"SELECT count(*) FROM {schema}.okrledger_events").fetchone()
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    print(
        f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.key_results} key results, "
        f"gunicorn gthread {args.workers}x{args.threads}, PostgreSQL; log holds "
        f"{events[0] if events else '?'} events"
    )
    print(
        f"{'route':<30} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
        f"{'CPU ms/request: server':>23} {'PostgreSQL':>10}"
    )
    for name, r in results.items():
        print(
            f"{name:<30} {r['rps']:>8.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
            f"{r['errors']:>8.0f} {r['server_ms']:>23.2f} {r['db_ms']:>10.2f}"
        )
    ours, bare = (
        results["OKR Ledger check-in"]["rps"],
        results["bare Flask + psycopg insert"]["rps"],
    )
    print(f"ratio: {ours / bare:.2f} of the bare route")
    ours_cost, bare_cost = (
        r["server_ms"] + r["db_ms"]
        for r in (results["OKR Ledger check-in"], results["bare Flask + psycopg insert"])
    )
    if ours_cost and bare_cost:
        print(
            f"CPU per request, server and PostgreSQL: {ours_cost:.2f} ms against "
            f"{bare_cost:.2f} ms for the bare route; bare / ours: {bare_cost / ours_cost:.2f} "
            "(with every core busy, the ratio of the rates follows it)"
        )


if __name__ == "__main__":
    main()
