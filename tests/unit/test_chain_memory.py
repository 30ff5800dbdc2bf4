"""Tamper evidence on the in-memory store: forged, deleted, reordered and rewritten
events are caught by ``verify`` at the position where the log stops matching."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from commands import messages as m
from ledger import chain
from ledger.application import Ledger
from ledger.chain import Checkpoint
from ledger.persistence.popo import ChainedPOPOApplicationRecorder, raw
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


def forge_state(ledger: Ledger, position: int, old: bytes, new: bytes) -> None:
    rec = recorder(ledger)
    stored = rec._stored_events[position - 1]
    assert old in stored.state
    rec._stored_events[position - 1] = replace(stored, state=stored.state.replace(old, new, 1))


def relink_from(ledger: Ledger, position: int) -> None:
    """Recompute every link from ``position`` on, as a careful forger would."""
    rec = recorder(ledger)
    tail = rec.links.get(position - 1)
    events = [e for e in rec.select_raw_events(0, 10**6) if e.position >= position]
    for link in chain.extend(tail, events):
        rec.links[link.position] = link


def test_a_fresh_log_verifies_intact(log: Ledger) -> None:
    result = log.verify()

    assert result.intact
    assert (result.failed_at, result.problem) == (None, None)
    assert result.checked == log.head_position()
    assert result.head is not None
    assert result.head.position == log.head_position()


def test_an_empty_log_verifies_intact(ledger: Ledger) -> None:
    result = ledger.verify()

    assert result.intact
    assert (result.checked, result.head, ledger.checkpoint()) == (0, None, None)


def test_a_changed_byte_in_one_events_state_is_reported_at_its_position(log: Ledger) -> None:
    forge_state(log, 7, b'"', b"'")

    result = log.verify()

    assert not result.intact
    assert result.failed_at == 7
    assert result.problem == "stored data does not match its hash"
    assert result.checked == 6


def test_a_changed_actor_is_reported_at_its_position(log: Ledger) -> None:
    forge_state(log, 3, b"ada.admin", b"eve.admin")

    assert log.verify().failed_at == 3


def test_a_deleted_event_whose_link_remains_is_reported_at_its_position(log: Ledger) -> None:
    recorder(log)._stored_events[4] = None  # type: ignore[call-overload]

    result = log.verify()

    assert result.failed_at == 5
    assert result.problem == "event is missing (deleted) but its chain link remains"


def test_an_event_deleted_together_with_its_link_is_reported_at_its_position(
    log: Ledger,
) -> None:
    rec = recorder(log)
    rec._stored_events[4] = None  # type: ignore[call-overload]
    del rec.links[5]

    result = log.verify()

    assert result.failed_at == 5
    assert result.problem == "event is missing (deleted together with its link)"


def test_an_event_without_a_link_is_reported_at_its_position(log: Ledger) -> None:
    del recorder(log).links[6]

    result = log.verify()

    assert result.failed_at == 6
    assert result.problem == "event has no chain link (written outside the ledger)"


def test_a_relinked_link_is_reported_at_its_position(log: Ledger) -> None:
    rec = recorder(log)
    rec.links[8] = replace(rec.links[8], prev_position=6)

    result = log.verify()

    assert result.failed_at == 8
    assert result.problem == "chain link was altered"


def test_a_swapped_pair_of_events_is_reported_at_the_first_of_them(log: Ledger) -> None:
    events = recorder(log)._stored_events
    events[8], events[9] = events[9], events[8]

    result = log.verify()

    assert result.failed_at == 9
    assert result.problem == "stored data does not match its hash"


def test_a_tail_rewritten_with_recomputed_hashes_passes_plain_verify(log: Ledger) -> None:
    forge_state(log, 12, b"on_track", b"off_track")

    relink_from(log, 12)

    assert log.verify().intact


def test_a_checkpoint_catches_a_tail_rewritten_with_recomputed_hashes(log: Ledger) -> None:
    checkpoint = log.checkpoint()
    assert checkpoint is not None
    assert log.verify(checkpoint).intact

    forge_state(log, 12, b"on_track", b"off_track")
    relink_from(log, 12)

    result = log.verify(checkpoint)
    assert not result.intact
    assert result.failed_at == checkpoint.position
    assert result.problem is not None
    assert "no longer extends the checkpoint" in result.problem


def test_a_checkpoint_still_verifies_after_honest_appends(org: Org, log: Ledger) -> None:
    checkpoint = log.checkpoint()
    assert checkpoint is not None

    org.objective("Written after the checkpoint")

    result = log.verify(checkpoint)
    assert result.intact
    assert result.checked > checkpoint.position


def test_a_checkpoint_beyond_a_truncated_log_is_reported(log: Ledger) -> None:
    checkpoint = log.checkpoint()
    assert checkpoint is not None
    rec = recorder(log)
    last = checkpoint.position
    rec._stored_events[last - 1] = None  # type: ignore[call-overload]
    del rec.links[last]

    assert log.verify().intact  # dropping the newest event and link leaves a valid chain
    result = log.verify(checkpoint)
    assert result.failed_at == last
    assert result.problem is not None
    assert "not in the log" in result.problem


def test_a_checkpoint_round_trips_through_text(log: Ledger) -> None:
    checkpoint = log.checkpoint()
    assert checkpoint is not None

    assert Checkpoint.parse(str(checkpoint)) == checkpoint
    assert log.verify().checkpoint == checkpoint
    with pytest.raises(ValueError, match="POSITION:ROOT"):
        Checkpoint.parse("12:not-a-hash")


def test_the_stored_links_are_what_extend_recomputes(log: Ledger) -> None:
    rec = recorder(log)
    events = [raw(i + 1, s) for i, s in enumerate(rec._stored_events)]

    assert chain.extend(None, events) == [rec.links[p] for p in sorted(rec.links)]
