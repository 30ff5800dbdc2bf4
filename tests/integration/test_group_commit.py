"""Group commit on the real PostgreSQL: check-ins asked for while an append is under
way share one call of the append function; a version conflict inside a group fails
alone (and its command, retried on fresh state, still lands), and one whose version
another process stored first fails while the rest still go together; the log stays
intact."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from commands import messages as m
from ledger.key_result import KeyResult
from ledger.persistence.group_commit import GroupCommit
from ledger.persistence.postgres import event_key
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from tests.conftest import FakeClock, Org, build_org


class Gate:
    """Once armed, holds the next call of the append function until released, and
    counts the rows of each call from then on."""

    def __init__(self, append: Callable[[Sequence[Any]], Any]) -> None:
        self.append = append
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls: list[int] = []

    def __call__(self, rows: Sequence[Any]) -> Any:
        if self.armed:
            if not self.entered.is_set():
                self.entered.set()
                self.release.wait()
            self.calls.append(len(rows))
        return self.append(rows)


@pytest.fixture
def gated(pg_url: str) -> Iterator[tuple[Services, Org, GroupCommit, Gate]]:
    services = bootstrap(Settings(database_url=pg_url), clock=FakeClock())
    org = build_org(services.bus)
    recorder: Any = services.ledger.recorder
    gate = Gate(recorder._append_rows)
    recorder.group_commit = GroupCommit(gate, key=event_key, stored=recorder.stored_key)
    yield services, org, recorder.group_commit, gate
    services.close()


def check_in(org: Org, kr: UUID, value: int) -> Callable[[], None]:
    def run() -> None:
        org.do(m.CheckIn(key_result_id=kr, value=Decimal(value), confidence="on_track"))

    return run


def hold_then_release(
    group: GroupCommit,
    gate: Gate,
    first: Any,
    others: list[Any],
    meanwhile: Callable[[], None] = lambda: None,
) -> None:
    """Hold the first append, let the others queue behind it, run ``meanwhile``, then
    release."""
    gate.armed = True
    threads = [threading.Thread(target=first)]
    threads[0].start()
    gate.entered.wait()
    threads += [threading.Thread(target=run) for run in others]
    for thread in threads[1:]:
        thread.start()
    for _ in range(10_000):  # every other append is queued behind the held one
        if len(group._queue) == len(others):
            break
        time.sleep(0.001)
    meanwhile()
    gate.release.set()
    for thread in threads:
        thread.join()


def values(services: Services, kr: UUID) -> list[Decimal]:
    return [c.value for c in services.ledger.get(KeyResult, kr).check_ins.values()]


def test_check_ins_that_queue_behind_an_append_share_one_call(
    gated: tuple[Services, Org, GroupCommit, Gate],
) -> None:
    services, org, group, gate = gated
    krs = [org.key_result(org.objective(f"Objective {i} so that it matters")) for i in range(3)]

    hold_then_release(group, gate, check_in(org, krs[0], 41), [
        check_in(org, krs[1], 42), check_in(org, krs[2], 43),
    ])  # fmt: skip

    assert gate.calls == [1, 2]
    assert group.groups == 1
    assert [values(services, kr) for kr in krs] == [[41], [42], [43]]
    assert services.ledger.verify().intact


def test_a_conflict_inside_a_group_fails_alone_and_its_command_lands_on_retry(
    gated: tuple[Services, Org, GroupCommit, Gate],
) -> None:
    services, org, group, gate = gated
    first, contested = (
        org.key_result(org.objective(f"Objective {i} so it matters")) for i in (1, 2)
    )

    hold_then_release(group, gate, check_in(org, first, 41), [
        check_in(org, contested, 50), check_in(org, contested, 51),
    ])  # fmt: skip

    assert group.groups == 0  # the pair wrote the same version: each went alone
    assert sorted(values(services, contested)) == [50, 51]
    assert values(services, first) == [41]
    assert services.ledger.verify().intact


def test_a_check_in_whose_version_another_process_took_fails_alone_and_the_rest_go_together(
    gated: tuple[Services, Org, GroupCommit, Gate], pg_url: str
) -> None:
    services, org, group, gate = gated
    first, *krs, contested = (
        org.key_result(org.objective(f"Objective {i} so that it counts")) for i in range(4)
    )
    other = bootstrap(Settings(database_url=pg_url), clock=FakeClock())
    try:
        hold_then_release(
            group,
            gate,
            check_in(org, first, 41),
            [check_in(org, krs[0], 42), check_in(org, krs[1], 43), check_in(org, contested, 50)],
            # every queued command has read its key result; the other process now
            # writes the contested one's next version first
            meanwhile=lambda: other.bus.handle(
                m.CheckIn(key_result_id=contested, value=Decimal(60), confidence="on_track"),
                org.admin,
            ),
        )
    finally:
        other.close()

    assert gate.calls == [1, 3, 2, 1]  # the group failed; the rest went together
    assert group.groups == 1
    assert values(services, contested) == [60, 50]  # retried on fresh state
    assert [values(services, kr) for kr in (first, *krs)] == [[41], [42], [43]]
    assert services.ledger.verify().intact
