"""``okr-ledger witness serve`` as a third party runs it: a real process on a loopback
port, killed and restarted, with the ledger's cosigning client talking HTTP to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.witnesses import Cosigning, MemoryCosignatures, parse_witnesses
from tests.unit.test_witness import Checkpoint, Log, LogProofs
from tests.witness_process import WITNESS_NAME, WitnessProcess, cli


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
    process.stop()


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
