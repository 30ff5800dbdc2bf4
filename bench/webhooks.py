"""The webhook deliveries' speed, next to a raw baseline from the same run.

A ledger on an SQLite file records N decisions; S subscriptions to them point at a
receiver in its own process on a loopback port (it answers 204 at once). Then:

1. Queueing: the dispatcher reading the log and queueing one message per decision per
   subscription (in events/s and messages/s).
2. Delivery: the dispatcher sending every queued message (sign, POST, record the
   outcome), next to a raw baseline: plain ``http.client`` POSTs of the very same
   bodies and headers, prepared beforehand, with the same shape (one connection per
   request, one request at a time per subscription, the subscriptions in parallel)
   and nothing recorded.

Run: ``python -m bench.webhooks [--decisions 2000] [--subscriptions 4]``.
"""

from __future__ import annotations

import argparse
import http.client
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from uuid import uuid4

import orjson

from commands import messages as m
from commands.principals import SYSTEM
from commands.subscriptions import Subscribe
from deliveries import signing
from deliveries.notices import Notice, body
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings

ADMIN = SYSTEM


def receive(port: int) -> None:
    """The receiver: answer every POST with 204."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def ledger(path: Path, decisions: int, subscriptions: int, url: str) -> Services:
    services = bootstrap(Settings(database_url=f"sqlite:///{path}", webhook_allow_private=True))
    bus = services.bus
    cycle = bus.handle(
        m.OpenCycle(key="2026-Q3", name="Q3", starts_on=_day(7, 1), ends_on=_day(9, 30)), ADMIN
    ).created_id
    for _ in range(subscriptions):
        ident = uuid4()
        services.deliveries.keep_secret(str(ident), signing.new_secret())
        bus.handle(Subscribe(subscription_id=ident, url=url, kinds=["decision_recorded"]), ADMIN)
    for n in range(decisions):
        bus.handle(
            m.RecordDecision(forum="QBR", decided_by=("ana",), decision_type="escalate",
                             summary=f"decision {n}", rationale="because", cycle_id=cycle),
            ADMIN,
        )  # fmt: skip
    return services


def _day(month: int, day: int) -> date:
    return date(2026, month, day)


def raw_posts(services: Services, port: int) -> float:
    """POST the same bodies with the same headers, prepared before the clock starts."""
    store = services.deliveries
    with store.transaction(commit=False) as cursor:
        rows = cursor.execute("SELECT * FROM wh_queue ORDER BY seq").fetchall()
        secrets = {i: store.secret(cursor, i) for i in store.subscription_ids()}
    queues: dict[str, list[tuple[bytes, dict[str, str]]]] = {}
    for row in rows:
        notice = Notice(**orjson.loads(row["notice"]))
        payload = body("standard", row["message_id"], notice)
        secret = secrets[row["subscription_id"]] or ""
        headers = signing.headers(secret, row["message_id"], int(time.time()), payload)
        queues.setdefault(row["subscription_id"], []).append((payload, headers))

    def send_all(requests: list[tuple[bytes, dict[str, str]]]) -> None:
        for payload, headers in requests:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("POST", "/hook", body=payload, headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.status == 204
            connection.close()

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(queues)) as pool:
        list(pool.map(send_all, queues.values()))
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--subscriptions", type=int, default=4)
    parser.add_argument("--receive", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.receive is not None:
        receive(options.receive)
        return
    receiver = subprocess.Popen(
        [sys.executable, "-m", "bench.webhooks", "--receive", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline())
        with tempfile.TemporaryDirectory() as folder:
            services = ledger(
                Path(folder) / "ledger.sqlite",
                options.decisions,
                options.subscriptions,
                f"http://127.0.0.1:{port}/hook",
            )
            dispatcher = services.dispatcher(concurrency=options.subscriptions)
            began = time.perf_counter()
            queued = dispatcher.queue_from_log()
            queueing = time.perf_counter() - began
            raw = raw_posts(services, port)
            began = time.perf_counter()
            result = dispatcher.run_once(with_due=False)
            delivering = time.perf_counter() - began
            dispatcher.close()
            assert result["pending"] == 0
            assert result["attempts"] == queued
            events = services.ledger.head_position()
            services.close()
    finally:
        receiver.kill()
        receiver.wait()
    print(f"log: {events} events; {options.subscriptions} subscriptions; {queued} messages")
    print(f"queueing from the log : {events / queueing:10,.0f} events/s"
          f" ({queued / queueing:,.0f} messages/s)")  # fmt: skip
    print(f"delivering (dispatcher): {queued / delivering:10,.0f} messages/s")
    print(f"raw http.client POSTs  : {queued / raw:10,.0f} messages/s (baseline, same run)")
    print(f"dispatcher / raw       : {raw / delivering:10.2f}")


if __name__ == "__main__":
    main()
