"""``okr-ledger witness serve`` as a third party runs it: a real process on a loopback
port, killed and restarted, with the ledger's cosigning client talking HTTP to it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.witnesses import Cosigning, MemoryCosignatures, parse_witnesses
from tests.unit.test_witness import Log

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


class WitnessProcess:
    def __init__(self, key_file: Path, state: Path, log_vkey: str) -> None:
        self.args = ["witness", "serve", "--key-file", str(key_file), "--state", str(state)]
        self.args += ["--log", log_vkey]
        self.port = free_port()
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "okr_ledger", *self.args, "--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30  # a bound on start-up, not a measure of speed
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/key", timeout=1) as answer:
                    if answer.status == 200:
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


@pytest.fixture
def witness_key(tmp_path: Path) -> tuple[Path, str]:
    key_file = tmp_path / "witness.key"
    made = cli("witness", "keygen", "--name", WITNESS_NAME, "--key-file", str(key_file))
    assert made.returncode == 0, made.stderr
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    return key_file, made.stdout.strip()


@pytest.fixture
def log() -> Log:
    built = Log()
    built.append(5)
    return built


@pytest.fixture
def running(tmp_path: Path, witness_key: tuple[Path, str], log: Log) -> Iterator[WitnessProcess]:
    process = WitnessProcess(witness_key[0], tmp_path / "state", log.signer.vkey)
    process.start()
    yield process
    if process.process and process.process.poll() is None:
        process.kill()


class Checkpoint:
    def __init__(self, log: Log) -> None:
        self.size = len(log.hashes)
        self.note = log.note()


class LogProofs:
    def __init__(self, log: Log) -> None:
        self.log = log

    def consistency_proof(self, m: int, n: int) -> list[bytes]:
        return self.log.proof(m, n)


def test_a_killed_witness_loses_nothing_and_cosigning_catches_up(
    running: WitnessProcess, witness_key: tuple[Path, str], log: Log
) -> None:
    config = parse_witnesses(f"{witness_key[1]} {running.url}")
    store = MemoryCosignatures()
    cosigning = Cosigning(LogProofs(log), config, store, timeout=2)
    ident = config[0].ident

    assert cosigning.submit(Checkpoint(log))[WITNESS_NAME].line is not None
    running.kill()
    log.append(7)
    down = cosigning.submit(Checkpoint(log))[WITNESS_NAME]  # down: later
    assert (down.line, down.refused) == (None, False)
    running.start()  # the same state directory and port
    log.append(4)
    assert cosigning.submit(Checkpoint(log))[WITNESS_NAME].line is not None
    assert store.cosigned_size(ident) == 16
    assert sorted(size for size, _ in store.lines) == [5, 16]


def test_a_client_that_lost_its_record_learns_the_witness_size_from_a_409(
    running: WitnessProcess, witness_key: tuple[Path, str], log: Log
) -> None:
    config = parse_witnesses(f"{witness_key[1]} {running.url}")
    Cosigning(LogProofs(log), config, MemoryCosignatures()).submit(Checkpoint(log))
    log.append(3)
    forgetful = MemoryCosignatures()  # says 0; the witness says 5
    result = Cosigning(LogProofs(log), config, forgetful).submit(Checkpoint(log))
    assert result[WITNESS_NAME].line is not None
    assert forgetful.cosigned_size(config[0].ident) == 8


def test_a_forked_log_is_refused_a_cosignature(
    running: WitnessProcess, witness_key: tuple[Path, str], log: Log
) -> None:
    config = parse_witnesses(f"{witness_key[1]} {running.url}")
    Cosigning(LogProofs(log), config, MemoryCosignatures()).submit(Checkpoint(log))
    fork = Log(signer=log.signer)
    fork.hashes = [*log.hashes[:4], log.hashes[4][::-1]]
    fork.append(3)
    store = MemoryCosignatures()
    store.add_cosignature(5, config[0].ident, "")  # the fork claims the shared past
    refused = Cosigning(LogProofs(fork), config, store).submit(Checkpoint(fork))[WITNESS_NAME]
    assert (refused.line, refused.refused) == (None, True)
    assert "422" in (refused.problem or "")
    assert store.cosigned_size(config[0].ident) == 5


@pytest.mark.parametrize(
    "text",
    ["not-a-key http://127.0.0.1:1", "name+00000000+AAAA", "a b c"],
)
def test_a_bad_witnesses_setting_is_refused_naming_the_entry(text: str) -> None:
    with pytest.raises(ValueError, match="witness"):
        parse_witnesses(text)
