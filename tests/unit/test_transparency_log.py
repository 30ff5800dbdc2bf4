"""The transparency log as a service: the proofs it serves verify with the auditor's
verifier for any log size and any index/size pair, bad arguments are refused with
their rule, and it never signs a checkpoint that contradicts an earlier one."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands import messages as m
from ledger.persistence.popo import ChainedPOPOApplicationRecorder
from ledger.tlog.errors import (
    BadProofRange,
    IndexOutOfRange,
    LogCorrupted,
    NoSigningKey,
    SizeBeyondCheckpoint,
)
from ledger.tlog.merkle import leaf_hash, tree_hash
from ledger.tlog.note import Signer, generate_key
from ledger.tlog.service import TransparencyLog
from ledger.tlog.store import Leaf
from okr_ledger import verifier
from okr_ledger.bootstrap import Services
from tests.conftest import Org

SIGNER = Signer.from_key_text(generate_key("unit.example/log"))
KEY = verifier.parse_vkey(SIGNER.vkey)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def hashes(n: int) -> list[bytes]:
    return [leaf_hash(hashlib.sha256(b"leaf %d" % i).digest()) for i in range(n)]


def grow(store: ChainedPOPOApplicationRecorder, to: int) -> None:
    """Leaves as the recorder writes them (the service reads only leaves and nodes)."""
    values = hashes(to)
    for i in range(len(store.leaves), to):
        store.leaves.append(Leaf(i, i + 1, values[i]))


def log_with(sizes: list[int], **kwargs: object) -> TransparencyLog:
    store = ChainedPOPOApplicationRecorder()
    log = TransparencyLog(store, SIGNER, **kwargs)  # type: ignore[arg-type]
    for size in sizes:
        grow(store, size)
        log.checkpoint_now()
    return log


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=1, max_size=4).map(sorted), st.data())
def test_served_proofs_verify_with_the_auditors_verifier_for_any_sizes(
    sizes: list[int], data: st.DataObject
) -> None:
    log = log_with(sizes)
    values = hashes(sizes[-1])
    size = data.draw(st.integers(1, sizes[-1]), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    root = tree_hash(values[:size])

    proof = log.inclusion_proof(index, size)
    verifier.verify_inclusion(index, size, values[index], proof, root)
    assert log.root(size) == root

    m = data.draw(st.integers(0, size), label="m")
    consistency = log.consistency_proof(m, size)
    verifier.verify_consistency(m, size, consistency, tree_hash(values[:m]), root)

    if proof:  # a changed hash, index or size does not verify
        forged = [bytes(32), *proof[1:]]
        with pytest.raises(verifier.VerificationError):
            verifier.verify_inclusion(index, size, values[index], forged, root)
    if size > 1:
        other = (index + 1) % size
        with pytest.raises(verifier.VerificationError):
            verifier.verify_inclusion(other, size, values[index], proof, root)


def test_every_checkpoint_issued_is_kept_and_signed() -> None:
    log = log_with([3, 8, 8, 21])

    kept = log.checkpoints()
    assert [c.size for c in kept] == [3, 8, 21]
    for checkpoint in kept:
        opened = verifier.verify_checkpoint(checkpoint.note, KEY)
        assert (opened.size, opened.root_hash) == (checkpoint.size, checkpoint.root_hash)
    assert log.checkpoint_at(8) == kept[1]
    assert log.checkpoint_at(9) is None
    assert log.latest_checkpoint() == kept[-1]
    assert log.checkpoint_now() is None  # not grown: nothing new to sign


@pytest.mark.parametrize(
    ("call", "error", "field"),
    [
        (lambda log: log.inclusion_proof(8, 8), IndexOutOfRange, "index"),
        (lambda log: log.inclusion_proof(0, 9), SizeBeyondCheckpoint, "size"),
        (lambda log: log.inclusion_proof(-1, 4), IndexOutOfRange, "index"),
        (lambda log: log.inclusion_proof(True, 4), IndexOutOfRange, "index"),
        (lambda log: log.inclusion_proof(0, 2**64), IndexOutOfRange, "size"),
        (lambda log: log.consistency_proof(5, 3), BadProofRange, "from"),
        (lambda log: log.consistency_proof(3, 12), SizeBeyondCheckpoint, "to"),
        (lambda log: log.leaf_hash(12), IndexOutOfRange, "index"),
        (lambda log: log.entry(10**30), IndexOutOfRange, "index"),
    ],
)
def test_bad_arguments_are_refused_with_their_rule_and_field(
    call: object, error: type, field: str
) -> None:
    log = log_with([8])
    log.store.leaves.extend(Leaf(i, i + 1, bytes(32)) for i in range(8, 12))  # type: ignore[attr-defined]

    with pytest.raises(error) as raised:
        call(log)  # type: ignore[operator]
    assert raised.value.field == field
    assert raised.value.rule == error.rule


def test_without_a_key_the_log_serves_proofs_but_signs_nothing() -> None:
    store = ChainedPOPOApplicationRecorder()
    grow(store, 5)
    log = TransparencyLog(store, None)

    assert log.maybe_checkpoint() is None
    with pytest.raises(NoSigningKey):
        log.checkpoint_now()
    with pytest.raises(NoSigningKey):
        log.verifier_key()


def test_a_checkpoint_is_signed_when_the_log_grew_and_the_interval_passed() -> None:
    clock = Clock()
    log = log_with([4], interval=5.0, clock=clock)
    assert log.maybe_checkpoint() is None  # not grown
    grow(log.store, 6)  # type: ignore[arg-type]

    clock.now += timedelta(seconds=4.9)
    assert log.maybe_checkpoint() is None  # grown, but too soon
    clock.now += timedelta(seconds=0.1)
    signed = log.maybe_checkpoint()
    assert signed is not None
    assert (signed.size, signed.issued_at) == (6, clock.now)


def test_the_log_refuses_to_sign_over_a_tree_that_no_longer_matches_what_it_signed() -> None:
    log = log_with([10])
    store: ChainedPOPOApplicationRecorder = log.store  # type: ignore[assignment]
    store.leaves[3] = Leaf(3, 4, bytes(32))  # a rewritten leaf under the checkpoint
    store.nodes.clear()  # and a tree rebuilt over it
    grow(store, 12)

    with pytest.raises(LogCorrupted, match="size 10"):
        log.checkpoint_now()
    assert [c.size for c in log.checkpoints()] == [10]


def test_two_signers_meeting_at_one_size_keep_one_checkpoint() -> None:
    first = log_with([7])
    second = TransparencyLog(first.store, SIGNER)
    grow(first.store, 9)  # type: ignore[arg-type]

    assert first.checkpoint_now() is not None
    assert second.checkpoint_now() is None
    assert [c.size for c in second.checkpoints()] == [7, 9]


def test_an_entry_is_the_exact_leaf_of_the_stored_event(org: Org, services: Services) -> None:
    log = services.transparency
    assert log.checkpoint_now() is not None
    for index in range(log.size()):
        entry = log.entry(index)
        assert leaf_hash(entry.leaf) == entry.leaf_hash == log.leaf_hash(index)
        decoded = verifier.decode_leaf(entry.leaf)
        assert decoded.position == entry.position
        assert log.index_of(entry.position) == index


def test_a_commands_answer_names_the_leaf_indexes_of_its_events(
    org: Org, services: Services
) -> None:
    objective = org.objective()
    kr = org.key_result(objective)
    command = m.CheckIn(key_result_id=kr, value=Decimal(47), confidence="on_track")
    outcome = org.do(command, command_id="check-in-1")
    log = services.transparency

    assert outcome.leaf_indexes  # the check-in and its receipt
    assert list(outcome.leaf_indexes) == list(
        range(outcome.leaf_indexes[0], outcome.leaf_indexes[-1] + 1)
    )
    assert log.index_of(outcome.position) == outcome.leaf_indexes[-1]
    assert outcome.to_json()["leaf_indexes"] == list(outcome.leaf_indexes)

    replayed = org.do(command, command_id="check-in-1")
    assert replayed.replayed
    assert replayed.leaf_indexes == outcome.leaf_indexes


def test_every_audit_row_names_the_leaf_index_of_its_event(org: Org, services: Services) -> None:
    org.objective()
    models = services.read_models
    models.catch_up()

    rows = models.audit_rows({}, limit=None)
    log = services.transparency
    assert [r["leaf_index"] for r in rows] == [log.index_of(r["position"]) for r in rows]
    assert [r["leaf_index"] for r in rows] == list(range(log.size()))
