"""The witness: it cosigns a checkpoint only after a consistency proof from the last one
it cosigned, keeps that state on disk, and answers as c2sp.org/tlog-witness says."""

from __future__ import annotations

import base64
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.tlog import merkle
from ledger.tlog.note import Signer, generate_key
from okr_ledger.verifier import VerificationError, parse_vkey
from okr_ledger.witness import (
    SIZE_TYPE,
    AddCheckpoint,
    Cosigner,
    State,
    Witness,
    WitnessError,
    parse_cosigner_vkey,
    verify_cosignature,
)

ORIGIN = "okr-ledger.example.org/city"
NOW = 1_790_000_000


class Log:
    """A log in memory: leaves, its signer, checkpoints and consistency proofs."""

    def __init__(self, origin: str = ORIGIN, signer: Signer | None = None) -> None:
        self.signer = signer or Signer.from_key_text(generate_key(origin))
        self.hashes: list[bytes] = []

    def append(self, count: int) -> None:
        start = len(self.hashes)
        self.hashes += [merkle.leaf_hash(f"leaf {start + i}".encode()) for i in range(count)]

    def note(self, size: int | None = None) -> str:
        size = len(self.hashes) if size is None else size
        root = merkle.tree_hash(self.hashes[:size])
        return self.signer.sign_checkpoint(size, root, datetime.now(UTC)).note

    def proof(self, m: int, n: int) -> list[bytes]:
        if m == 0:
            return []
        return merkle.consistency_proof(m, n, lambda a, b: merkle.tree_hash(self.hashes[a:b]))


class Checkpoint:
    """The log's newest checkpoint, as the cosigning client is handed it."""

    def __init__(self, log: Log) -> None:
        self.size = len(log.hashes)
        self.note = log.note()


class LogProofs:
    """The log's consistency proofs, as the cosigning client asks for them."""

    def __init__(self, log: Log) -> None:
        self.log = log

    def consistency_proof(self, m: int, n: int) -> list[bytes]:
        return self.log.proof(m, n)


def request(old: int, proof: list[bytes], note: str) -> bytes:
    lines = [f"old {old}"] + [base64.b64encode(h).decode() for h in proof]
    return ("\n".join(lines) + "\n\n" + note).encode()


@pytest.fixture
def log() -> Log:
    built = Log()
    built.append(5)
    return built


@pytest.fixture
def cosigner() -> Cosigner:
    return Cosigner.generate("audit.example.org/witness")


@pytest.fixture
def witness(tmp_path: Path, log: Log, cosigner: Cosigner) -> Witness:
    return Witness(cosigner, [parse_vkey(log.signer.vkey)], State(tmp_path), clock=lambda: NOW)


def body_of(note: str) -> str:
    return note[: note.rfind("\n\n") + 1]


def test_a_first_checkpoint_is_cosigned_with_a_timestamped_cosignature(
    witness: Witness, log: Log, cosigner: Cosigner
) -> None:
    note = log.note()
    line = witness.add_checkpoint(request(0, [], note))
    key = parse_cosigner_vkey(cosigner.vkey)
    assert verify_cosignature(line, body_of(note), key) == NOW
    assert line.startswith("\u2014 audit.example.org/witness ")
    assert line.endswith("\n")


def test_the_cosignature_follows_the_c2sp_message_and_key_id(
    witness: Witness, log: Log, cosigner: Cosigner
) -> None:
    """Checked from the spec's text, not with the witness's own verify function."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    note = log.note()
    raw = base64.b64decode(witness.add_checkpoint(request(0, [], note)).split(" ")[2])
    name = b"audit.example.org/witness"
    assert raw[:4] == hashlib.sha256(name + b"\n\x04" + cosigner.public_key).digest()[:4]
    assert struct.unpack(">Q", raw[4:12])[0] == NOW
    message = f"cosignature/v1\ntime {NOW}\n".encode() + body_of(note).encode()
    Ed25519PublicKey.from_public_bytes(cosigner.public_key).verify(raw[12:], message)


def test_a_checkpoint_that_extends_the_last_one_is_cosigned(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(request(0, [], log.note()))
    log.append(7)
    witness.add_checkpoint(request(5, log.proof(5, 12), log.note()))
    assert witness.state.latest(ORIGIN).size == 12


def test_a_wrong_old_size_gets_409_with_the_latest_cosigned_size(
    witness: Witness, log: Log
) -> None:
    witness.add_checkpoint(request(0, [], log.note()))
    log.append(3)
    with pytest.raises(WitnessError) as refused:
        witness.add_checkpoint(request(2, log.proof(2, 8), log.note()))
    assert refused.value.status == 409
    assert refused.value.body == "5\n"


def test_a_fork_is_refused_and_kept_as_evidence(
    witness: Witness, log: Log, tmp_path: Path
) -> None:
    witness.add_checkpoint(request(0, [], log.note()))
    fork = Log(signer=log.signer)  # the same key, another history
    fork.hashes = list(log.hashes[:3]) + [merkle.leaf_hash(b"rewritten")] * 2
    fork.append(4)
    with pytest.raises(WitnessError) as refused:
        witness.add_checkpoint(request(5, fork.proof(5, 9), fork.note()))
    assert refused.value.status == 422
    assert witness.state.latest(ORIGIN).size == 5
    assert len(list((tmp_path / "evidence").iterdir())) == 1


def test_the_same_size_with_another_root_is_a_conflict(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(request(0, [], log.note()))
    other = Log(signer=log.signer)
    other.append(5)
    other.hashes[4] = merkle.leaf_hash(b"changed")
    with pytest.raises(WitnessError) as refused:
        witness.add_checkpoint(request(5, [], other.note()))
    assert refused.value.status == 409


def test_the_same_checkpoint_again_is_cosigned_again(witness: Witness, log: Log) -> None:
    note = log.note()
    witness.add_checkpoint(request(0, [], note))
    witness.add_checkpoint(request(5, [], note))
    assert witness.state.latest(ORIGIN).size == 5


def test_an_unknown_origin_is_404_and_an_unknown_key_403(witness: Witness, tmp_path: Path) -> None:
    stranger = Log("somewhere.example/other")
    stranger.append(2)
    with pytest.raises(WitnessError) as unknown:
        witness.add_checkpoint(request(0, [], stranger.note()))
    assert unknown.value.status == 404
    impostor = Log()  # the right origin, another key
    impostor.append(2)
    with pytest.raises(WitnessError) as unsigned:
        witness.add_checkpoint(request(0, [], impostor.note()))
    assert unsigned.value.status == 403


def test_an_old_size_beyond_the_checkpoint_is_a_bad_request(witness: Witness, log: Log) -> None:
    with pytest.raises(WitnessError) as refused:
        witness.add_checkpoint(request(9, [], log.note()))
    assert refused.value.status == 400


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe",
        b"old 01\n\nx",
        b"old -1\n\nx",
        b"size 3\n\nx",
        b"old 3\nnot base64!\n\nx",
        b"old 3\n" + base64.b64encode(b"short") + b"\n\nx",
        ("old 3\n" + "\n".join([base64.b64encode(bytes(32)).decode()] * 64) + "\n\nx").encode(),
    ],
)
def test_malformed_requests_are_bad_requests(body: bytes) -> None:
    with pytest.raises(WitnessError) as refused:
        AddCheckpoint.parse(body)
    assert refused.value.status == 400


def test_the_state_survives_a_new_witness_on_the_same_directory(
    tmp_path: Path, log: Log, cosigner: Cosigner
) -> None:
    keys = [parse_vkey(log.signer.vkey)]
    Witness(cosigner, keys, State(tmp_path)).add_checkpoint(request(0, [], log.note()))
    again = Witness(cosigner, keys, State(tmp_path))
    with pytest.raises(WitnessError) as refused:
        again.add_checkpoint(request(0, [], log.note()))
    assert refused.value.body == "5\n"


def test_a_witness_key_round_trips_through_its_file_text(cosigner: Cosigner) -> None:
    again = Cosigner.parse(cosigner.private_text())
    assert again.vkey == cosigner.vkey
    assert parse_cosigner_vkey(cosigner.vkey).public_key == cosigner.public_key


def test_a_changed_cosignature_byte_fails(witness: Witness, log: Log, cosigner: Cosigner) -> None:
    note = log.note()
    line = witness.add_checkpoint(request(0, [], note))
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[-1] ^= 1
    forged = f"\u2014 {cosigner.name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(VerificationError):
        verify_cosignature(forged, body_of(note), parse_cosigner_vkey(cosigner.vkey))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=6))
def test_any_growing_sequence_of_checkpoints_is_cosigned_in_turn(
    tmp_path_factory: pytest.TempPathFactory, growth: list[int]
) -> None:
    log = Log()
    cosigner = Cosigner.generate("w.example/1")
    witness = Witness(cosigner, [parse_vkey(log.signer.vkey)], State(tmp_path_factory.mktemp("w")))
    seen = 0
    for count in growth:
        log.append(count)
        witness.add_checkpoint(request(seen, log.proof(seen, len(log.hashes)), log.note()))
        seen = len(log.hashes)
    assert witness.state.latest(ORIGIN).size == seen


def test_the_409_answer_is_typed_as_a_tree_size() -> None:
    assert SIZE_TYPE == "text/x.tlog.size"
