"""A witness run as a third party runs it: ``okr-ledger witness serve`` in a process of
its own on a loopback port, which a test kills (SIGKILL) and restarts on the same port
and state directory; optionally paused at a fault point (``tests/faults.py witness``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests import faults

WITNESS_NAME = "audit.example.org/witness"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "okr_ledger", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def make_witness_key(key_file: Path, name: str = WITNESS_NAME) -> str:
    """Write a witness key as ``okr-ledger witness keygen`` does; its verifier key."""
    from okr_ledger.witness import Cosigner

    cosigner = Cosigner.generate(name)
    key_file.write_text(cosigner.private_text() + "\n", encoding="utf-8")
    key_file.chmod(0o600)
    return cosigner.vkey


class WitnessProcess:
    def __init__(self, key_file: Path, state: Path, log_vkey: str, vkey: str = "") -> None:
        self.state = state
        self.vkey = vkey
        """the witness's verifier key, when the test made it"""
        self.args = ["witness", "serve", "--key-file", str(key_file), "--state", str(state)]
        self.args += ["--log", log_vkey]
        self.port = free_port()
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, pause_at: int | None = None) -> None:
        """Start it; with ``pause_at=N`` its N-th cosignature stops dead after the
        witness saved its new state and before it answers (and prints ``paused at
        SIZE``: ``faults.wait_until_paused``)."""
        argv = [*self.args, "--port", str(self.port)]
        if pause_at is None:
            command = [sys.executable, "-m", "okr_ledger", *argv]
        else:
            command = [sys.executable, faults.__file__, "witness", str(pause_at), *argv]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30  # a bound on start-up, not a measure of speed
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/key", timeout=1) as answer:
                    if answer.status == 200:
                        assert self.process.stdout is not None
                        self.process.stdout.readline()  # its verifier key, printed at start
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the witness did not start")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.kill()
