"""A cosigning round's latency, next to a bare HTTP POST from the same run.

A ledger on an SQLite file grows by a few events, signs a checkpoint and submits it to
a witness (``okr-ledger witness serve`` in its own process on a loopback port), R
times: each round reads the consistency proof from the store, POSTs it with the note,
the witness checks the signature and the proof, saves its state (write, fsync, rename)
and cosigns; the ledger checks the cosignature and keeps it. Only the round is timed.

The round's POST is timed too (the witness's answer: its checks and its fsync'd state).
The baseline POSTs the very same request bodies, with the same client, to a receiver in
its own process that reads the body and answers a fixed line: what HTTP alone costs.

Run: ``python -m bench.cosigning [--rounds 200] [--events 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from commands import messages as m
from commands.principals import SYSTEM
from ledger.team import Team
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from okr_ledger.keys import write_key
from okr_ledger.witness import Cosigner
from streams.witnesses import http_post


def receive() -> None:
    """The bare receiver: read the body, answer 200 with a fixed line."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            body = b"\xe2\x80\x94 bare x\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def start(argv: list[str]) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str) -> None:
    import urllib.request

    for _ in range(600):
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer")


def run(rounds: int, events: int) -> None:
    directory = Path(tempfile.mkdtemp(prefix="bench-cosign-"))
    key_file = directory / "log.key"
    signer = write_key(key_file, "bench.example/log")
    cosigner = Cosigner.generate("bench.example/witness")
    (directory / "w.key").write_text(cosigner.private_text() + "\n")
    port = free_port()
    witness = subprocess.Popen(
        [sys.executable, "-m", "okr_ledger", "witness", "serve", "--key-file",
         str(directory / "w.key"), "--state", str(directory / "state"), "--log", signer.vkey,
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    bare, bare_port = start([sys.executable, "-m", "bench.cosigning", "--receive"])
    answers: list[float] = []
    try:
        wait_for(f"http://127.0.0.1:{port}/key")
        settings = Settings(
            database_url=f"sqlite:///{directory / 'ledger.sqlite'}",
            signing_key_file=str(key_file),
            witnesses=f"{cosigner.vkey} http://127.0.0.1:{port}",
        )
        services = bootstrap(settings)
        cosigning = services.cosigning
        assert cosigning is not None
        bodies: list[bytes] = []

        def recording(url: str, body: bytes, timeout: float) -> tuple[int, str, str]:
            bodies.append(body)
            began = time.perf_counter()
            try:
                return http_post(url, body, timeout)
            finally:
                answers.append(time.perf_counter() - began)

        cosigning.post = recording
        services.bus.handle(m.FormTeam(key="city", name="City", level="company"), SYSTEM)
        log = services.transparency
        timings = []
        for r in range(rounds):
            for e in range(events):
                services.bus.handle(
                    m.FormTeam(key=f"t{r}-{e}", name=f"T {r} {e}", level="function",
                               parent_id=Team.id_for("city")),
                    SYSTEM,
                )  # fmt: skip
            signed = log.checkpoint_now()
            began = time.perf_counter()
            outcome = cosigning.round(signed)
            timings.append(time.perf_counter() - began)
            assert outcome["bench.example/witness"].line is not None, outcome
        services.close()

        bare_url = f"http://127.0.0.1:{bare_port}/add-checkpoint"
        baseline = []
        for body in bodies:
            began = time.perf_counter()
            http_post(bare_url, body, 5.0)
            baseline.append(time.perf_counter() - began)
    finally:
        witness.kill()
        bare.kill()
    round_ms, bare_ms = statistics.median(timings) * 1e3, statistics.median(baseline) * 1e3
    mean_round, mean_bare = statistics.fmean(timings) * 1e3, statistics.fmean(baseline) * 1e3
    print(f"cosigning rounds: {rounds}, {events} events per checkpoint, one witness")
    print(f"  cosign round       median {round_ms:7.2f} ms   mean {mean_round:7.2f} ms")
    answer_ms = statistics.median(answers) * 1e3
    print(f"    of which the witness's answer (checks, fsync'd state)  median {answer_ms:7.2f} ms")
    print(f"  bare HTTP POST     median {bare_ms:7.2f} ms   mean {mean_bare:7.2f} ms")
    print(f"  ratio (median)     {round_ms / bare_ms:7.1f} x bare")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--events", type=int, default=5)
    parser.add_argument("--receive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive:
        receive()
        return
    run(args.rounds, args.events)


if __name__ == "__main__":
    main()
