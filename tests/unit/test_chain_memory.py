"""Tamper evidence on the in-memory store: forged, deleted, reordered and rewritten
events are caught by ``verify`` at the position where the log stops matching (the
guarantees the linear hash chain gave, now given by the leaves and the tree)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from commands import messages as m
from ledger.application import Ledger
from ledger.persistence.popo import ChainedPOPOApplicationRecorder
from ledger.tlog.audit import Kept
from ledger.tlog.merkle import leaf_hash, tree_hash
from ledger.tlog.note import Signer, generate_key
from ledger.tlog.service import TransparencyLog
from ledger.tlog.store import Leaf, raw, rebuilt_leaf
from tests.conftest import Org


@pytest.fixture
def log(org: Org) -> Ledger:
    """A ledger holding 14 events; 12 to 14 are check-ins."""
    objective = org.objective()
    kr = org.key_result(objective)
    for value in (42, 45, 47):
        org.do(m.CheckIn(key_result_id=kr, value=Decimal(value), confidence="on_track"))
    ledger = org.bus.ledger
    assert ledger.head_position() == 14  # 6 for the org, 3 per objective, 2 + 3 for the KR
    return ledger


def recorder(ledger: Ledger) -> ChainedPOPOApplicationRecorder:
    rec = ledger.recorder
    assert isinstance(rec, ChainedPOPOApplicationRecorder)
    return rec


def transparency(ledger: Ledger) -> TransparencyLog:
    return TransparencyLog(
        recorder(ledger), Signer.from_key_text(generate_key("test.example/log"))
    )


def forge_state(ledger: Ledger, position: int, old: bytes, new: bytes) -> None:
    rec = recorder(ledger)
    stored = rec._stored_events[position - 1]
    assert old in stored.state
    rec._stored_events[position - 1] = replace(stored, state=stored.state.replace(old, new, 1))


def rehash_from(ledger: Ledger, position: int) -> None:
    """Recompute every leaf hash from ``position`` on, as a careful forger would."""
    rec = recorder(ledger)
    for i, leaf in enumerate(rec.leaves):
        if leaf.position >= position:
            event = raw(leaf.position, rec._stored_events[leaf.position - 1])
            data = rebuilt_leaf(event)
            assert data is not None
            rec.leaves[i] = replace(leaf, hash=leaf_hash(data))


def drop_leaf(ledger: Ledger, position: int) -> None:
    rec = recorder(ledger)
    rec.leaves = [x for x in rec.leaves if x.position != position]


def test_a_fresh_log_verifies_intact(log: Ledger) -> None:
    result = log.verify()

    assert result.intact
    assert (result.failed_at, result.problem) == (None, None)
    assert result.checked == log.head_position()
    assert result.head_position == log.head_position()


def test_an_empty_log_verifies_intact(ledger: Ledger) -> None:
    result = ledger.verify()

    assert result.intact
    assert (result.checked, result.head_position) == (0, None)
    assert transparency(ledger).checkpoint_now() is None


def test_a_changed_byte_in_one_events_state_is_reported_at_its_position(log: Ledger) -> None:
    forge_state(log, 7, b'"', b"'")

    result = log.verify()

    assert not result.intact
    assert result.failed_at == 7
    assert result.problem == "stored data does not match its leaf hash"
    assert result.checked == 6


def test_a_changed_actor_is_reported_at_its_position(log: Ledger) -> None:
    forge_state(log, 3, b"ada.admin", b"eve.admin")

    assert log.verify().failed_at == 3


def test_a_deleted_event_whose_leaf_remains_is_reported_at_its_position(log: Ledger) -> None:
    recorder(log)._stored_events[4] = None  # type: ignore[call-overload]

    result = log.verify()

    assert result.failed_at == 5
    assert result.problem == "event is missing (deleted) but its leaf remains"


def test_an_event_deleted_together_with_its_leaf_is_reported_at_its_position(
    log: Ledger,
) -> None:
    recorder(log)._stored_events[4] = None  # type: ignore[call-overload]
    drop_leaf(log, 5)

    result = log.verify()

    assert result.failed_at == 5
    assert result.problem is not None
    assert result.problem.startswith("event is missing (deleted together with its leaf")


def test_an_event_without_a_leaf_is_reported_at_its_position(log: Ledger) -> None:
    drop_leaf(log, 6)

    result = log.verify()

    assert result.failed_at == 6
    assert result.problem == "event has no leaf (written outside the ledger)"


def test_an_altered_leaf_index_is_reported_at_its_position(log: Ledger) -> None:
    rec = recorder(log)
    rec.leaves[7] = replace(rec.leaves[7], index=6)

    result = log.verify()

    assert result.failed_at == 8
    assert result.problem is not None
    assert result.problem.startswith("leaf index was altered")


def test_a_swapped_pair_of_events_is_reported_at_the_first_of_them(log: Ledger) -> None:
    events = recorder(log)._stored_events
    events[8], events[9] = events[9], events[8]

    result = log.verify()

    assert result.failed_at == 9
    assert result.problem == "stored data does not match its leaf hash"


def test_a_tail_rewritten_with_recomputed_hashes_passes_plain_verify(log: Ledger) -> None:
    forge_state(log, 12, b"on_track", b"off_track")

    rehash_from(log, 12)

    assert log.verify().intact


def test_a_stored_checkpoint_catches_a_tail_rewritten_with_recomputed_hashes(
    log: Ledger,
) -> None:
    signed = transparency(log).checkpoint_now()
    assert signed is not None

    forge_state(log, 12, b"on_track", b"off_track")
    rehash_from(log, 12)

    result = log.verify()
    assert not result.intact
    assert result.failed_at == 12  # the first tree node over the forged leaf ends there
    assert result.problem == "the tree node (1, 5) does not match the leaves"


def test_a_stored_checkpoint_catches_a_rewrite_that_also_rebuilt_the_tree(log: Ledger) -> None:
    assert transparency(log).checkpoint_now() is not None
    forge_state(log, 12, b"on_track", b"off_track")
    rehash_from(log, 12)
    recorder(log).nodes.clear()
    transparency(log).build_tree()

    result = log.verify()
    assert result.failed_at == 14
    assert result.problem == (
        "the log no longer matches its checkpoint of size 14 (history up to it was rewritten)"
    )


def test_a_kept_checkpoint_catches_a_rewrite_that_also_rebuilt_the_tree(log: Ledger) -> None:
    signed = transparency(log).checkpoint_now()
    assert signed is not None
    kept = Kept(signed.size, signed.root_hash)

    forge_state(log, 12, b"on_track", b"off_track")
    rehash_from(log, 12)
    rec = recorder(log)
    rec.nodes.clear()
    rec.checkpoints.clear()  # the forger also drops what the log signed
    assert transparency(log).checkpoint_now() is not None  # and has a new one signed

    assert log.verify().intact
    result = log.verify(kept)
    assert not result.intact
    assert result.failed_at == signed.size  # positions 1..14 are leaves 0..13
    assert result.problem is not None
    assert "no longer extends the checkpoint" in result.problem


def test_a_kept_checkpoint_still_verifies_after_honest_appends(org: Org, log: Ledger) -> None:
    signed = transparency(log).checkpoint_now()
    assert signed is not None

    org.objective("Written after the checkpoint")

    result = log.verify(Kept(signed.size, signed.root_hash))
    assert result.intact
    assert result.checked > signed.size


def test_a_kept_checkpoint_beyond_a_truncated_log_is_reported(log: Ledger) -> None:
    signed = transparency(log).checkpoint_now()
    assert signed is not None
    rec = recorder(log)
    last = log.head_position()
    rec._stored_events[last - 1] = None  # type: ignore[call-overload]
    drop_leaf(log, last)
    rec.checkpoints.clear()
    rec.nodes.clear()

    assert log.verify().intact  # dropping the newest event and leaf leaves a valid log
    result = log.verify(Kept(signed.size, signed.root_hash))
    assert result.failed_at == last
    assert result.problem is not None
    assert "beyond the log" in result.problem


def test_the_stored_leaves_are_what_the_events_rebuild(log: Ledger) -> None:
    rec = recorder(log)
    rebuilt = []
    for i, stored in enumerate(rec._stored_events):
        data = rebuilt_leaf(raw(i + 1, stored))
        assert data is not None
        rebuilt.append(Leaf(i, i + 1, leaf_hash(data)))

    assert rebuilt == rec.leaves
    tlog = transparency(log)
    signed = tlog.checkpoint_now()
    assert signed is not None
    assert signed.root_hash == tree_hash([x.hash for x in rebuilt])
