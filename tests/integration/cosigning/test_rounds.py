"""The checkpointer's rounds against a real witness process: a witness that is down or
killed mid-cosigning delays cosigning and loses nothing, and the running follower and
checkpointer submit each new checkpoint."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ledger.tlog.cosignature import cosignature_timestamp, parse_cosigner_vkey
from streams.witnesses import Outcome
from tests import faults
from tests.conftest import build_org
from tests.integration.cosigning.support import (
    checkpoint_sizes,
    cosigned_sizes,
    grow,
    ledger,
    witness_size,
)
from tests.witness_process import WITNESS_NAME, WitnessProcess


def test_a_witness_that_is_down_delays_cosigning_and_loses_nothing(
    url: str, key_file: Path, witness: WitnessProcess
) -> None:
    services = ledger(url, key_file, witness)
    try:
        build_org(services.bus)
        for round_ in range(3):  # the witness is not running: each round only waits
            grow(services, f"down{round_}")
            signed, outcomes = services.checkpoint_tick()
            assert signed is not None
            assert outcomes[WITNESS_NAME].line is None
            assert not outcomes[WITNESS_NAME].refused
        assert cosigned_sizes(services) == []
        newest = services.transparency.latest_checkpoint()
        assert newest is not None
        assert len(checkpoint_sizes(services)) == 3

        witness.start()
        signed, outcomes = services.checkpoint_tick()  # the log did not grow: no new one
        assert signed is None
        assert outcomes[WITNESS_NAME].line is not None
        assert cosigned_sizes(services) == [newest.size]  # the newest, with its proof from 0
        assert witness_size(witness) == newest.size
        assert services.checkpoint_tick()[1] == {}  # nothing left to submit
        assert services.transparency.verify().intact
    finally:
        services.close()


@pytest.mark.parametrize("pause_at", [1, 2])
def test_a_witness_killed_while_cosigning_loses_no_checkpoint_and_cosigning_catches_up(
    tmp_path: Path, key_file: Path, witness: WitnessProcess, pause_at: int
) -> None:
    """The kill lands after the witness saved the checkpoint as cosigned and before it
    answered: the ledger never got that cosignature, the witness is one size ahead."""
    services = ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}", key_file, witness)
    cosigning = services.cosigning
    assert cosigning is not None
    try:
        build_org(services.bus)
        witness.start(pause_at=pause_at)
        for i in range(pause_at - 1):  # the arrivals before the fault point go through
            grow(services, f"before{i}")
            assert services.checkpoint_tick()[1][WITNESS_NAME].line is not None
        grow(services, "paused")
        paused = services.transparency.checkpoint_now()
        assert paused is not None
        answers: dict[str, Outcome] = {}
        # the submission waits at the witness's fault point: run it beside the test
        submitting = threading.Thread(target=lambda: answers.update(cosigning.round(paused)))
        submitting.start()
        assert faults.wait_until_paused(witness.process) == paused.size  # type: ignore[arg-type]
        witness.kill()
        submitting.join(timeout=60)
        assert not submitting.is_alive()
        outcome = answers[WITNESS_NAME]
        assert outcome.line is None
        assert not outcome.refused
        assert witness_size(witness) == paused.size  # it had saved it...
        assert paused.size not in cosigned_sizes(services)  # ...and never answered

        grow(services, "while-down")  # the log goes on while the witness is away
        signed, outcomes = services.checkpoint_tick()
        assert signed is not None
        assert outcomes[WITNESS_NAME].line is None

        witness.start()  # the same state and port
        _, outcomes = services.checkpoint_tick()
        line = outcomes[WITNESS_NAME].line
        assert line is not None
        newest = services.transparency.latest_checkpoint()
        assert newest is not None
        assert newest.size == signed.size
        assert cosigned_sizes(services)[-1] == newest.size
        assert witness_size(witness) == newest.size
        body = newest.note[: newest.note.rfind("\n\n") + 1]
        assert cosignature_timestamp(line, body, parse_cosigner_vkey(witness.vkey)) is not None
        assert len(checkpoint_sizes(services)) == pause_at + 1  # every checkpoint kept
        assert services.transparency.verify().intact
    finally:
        services.close()


@pytest.mark.parametrize(
    "command", [("project",), ("checkpoint", "--follow")], ids=["follower", "checkpointer"]
)
def test_the_running_checkpointer_submits_each_new_checkpoint(
    tmp_path: Path, key_file: Path, witness: WitnessProcess, command: tuple[str, ...]
) -> None:
    """The follower of ``okr-ledger project`` and ``okr-ledger checkpoint --follow``, as
    deployed: each signs and then submits, in its own loop."""
    import os
    import subprocess
    import sys
    import time

    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    services = ledger(url, key_file, witness)
    try:
        build_org(services.bus)
        head = services.ledger.head_position()
        witness.start()
        env = {
            **os.environ,
            "OKR_LEDGER_SIGNING_KEY_FILE": str(key_file),
            "OKR_LEDGER_CHECKPOINT_INTERVAL": "0",
            "OKR_LEDGER_WITNESSES": f"{witness.vkey} {witness.url}",
        }
        running = subprocess.Popen(
            [sys.executable, "-m", "okr_ledger", "--database-url", url, *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60  # a bound on the wait, not a measure of speed
            while witness_size(witness) < head and time.monotonic() < deadline:
                time.sleep(0.05)
            assert witness_size(witness) == head
            while head not in cosigned_sizes(services) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert cosigned_sizes(services) == [head]
        finally:
            running.terminate()
            _, errors = running.communicate(timeout=30)
        assert f"witness {WITNESS_NAME} cosigned the checkpoint of size {head}" in errors.decode()
    finally:
        services.close()
