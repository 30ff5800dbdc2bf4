"""The README's first steps, typed as written into a fresh folder: install, demo and
``serve`` in one terminal, then the first requests in a second one, ending in a first
successful check-in. Its statements of the rules match the code's."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ledger.cycle import CLOSED_CYCLE_RULE

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)


def first_terminal() -> list[str]:
    """The commands of the README's first block (joined by ``&&``)."""
    return [part.strip() for part in code_blocks(README)[0].strip().split(" && ")]


def second_terminal() -> str:
    after = README.split("<!-- first-steps -->", 1)[1]
    return code_blocks(after)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return bytes(response.read())


def wait_until(ready: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():  # type: ignore[operator]
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder whose ``.venv/bin/okr-ledger`` is this installation's."""
    tmp_path = tmp_path_factory.mktemp("clone")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "okr-ledger").symlink_to(Path(sys.executable).parent / "okr-ledger")
    (tmp_path / "tmp").mkdir()
    return tmp_path


@pytest.fixture(scope="module")
def environ(clone: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OKR_LEDGER_", "PROMETHEUS"))}
    env["TMPDIR"] = str(clone / "tmp")
    return env


@pytest.fixture(scope="module")
def served(clone: Path, environ: dict[str, str]) -> Iterator[int]:
    """The first terminal: the install is this one; the demo and ``serve`` as written."""
    commands = first_terminal()
    assert commands[0] == "python3 -m venv .venv"
    assert commands[1] == ".venv/bin/pip install -q ."
    assert commands[2:] == [".venv/bin/okr-ledger demo --quiet", ".venv/bin/okr-ledger serve"]
    subprocess.run(commands[2], shell=True, cwd=clone, env=environ, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        f"exec {commands[3]} --port {port}", shell=True, cwd=clone, env=environ,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(lambda: get(f"http://127.0.0.1:{port}/readyz"), "the API answers")
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, "serve stops cleanly"
    assert list((clone / "tmp").iterdir()) == [], "serve removes its metrics directory"


def test_the_readmes_first_steps_end_in_a_first_successful_check_in(
    clone: Path, environ: dict[str, str], served: int
) -> None:
    status = [".venv/bin/okr-ledger", "project", "--status", "--max-lag", "0"]
    wait_until(  # the follower `serve` started has read the demo
        lambda: (
            subprocess.run(status, cwd=clone, env=environ, capture_output=True).returncode == 0
        ),
        "the read models catch up",
    )
    script = second_terminal().replace("localhost:8000", f"localhost:{served}")

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=clone, env=environ,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    cycles_line, check_in_line = done.stdout.strip().splitlines()[-2:]
    cycles = {c["key"]: c["status"] for c in json.loads(cycles_line)["cycles"]}
    assert cycles == {"2026-Q3": "closed", "2026-Q4": "active"}
    outcome = json.loads(check_in_line)
    assert outcome["command"] == "CheckIn", outcome
    assert outcome["replayed"] is False
    assert outcome["position"] > 0


def test_every_worker_of_serve_counts_towards_one_set_of_metrics(served: int) -> None:
    for _ in range(30):  # a connection each, so the requests spread over the workers
        get(f"http://127.0.0.1:{served}/healthz")

    metrics = get(f"http://127.0.0.1:{served}/metrics").decode()

    counted = {
        sample.labels["route"]: sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "okr_ledger_http_requests_total" and sample.labels["status"] == "200"
    }
    assert counted["/healthz"] == 30


def test_the_readme_states_the_closed_cycle_rule_as_the_code_does() -> None:
    assert CLOSED_CYCLE_RULE in " ".join(README.split())


def test_the_readme_links_the_scoring_rules_and_says_idempotency_keys_are_per_principal() -> None:
    assert "(docs/scoring.md)" in README
    assert (ROOT / "docs" / "scoring.md").exists()
    assert "Keys\n  are per principal" in README
