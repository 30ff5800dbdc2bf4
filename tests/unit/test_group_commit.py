"""Appends asked for while another is under way share one call; each keeps its own
positions, and one that fails in a group fails alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from ledger.persistence.group_commit import GroupCommit


class FakeLog:
    """Appends rows; the first call waits until ``release`` is set (so that others
    queue meanwhile); rows named ``bad`` make the call fail, writing nothing."""

    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.calls: list[list[Any]] = []
        self.release = threading.Event()
        self.entered = threading.Event()
        self._lock = threading.Lock()

    def append(self, rows: Sequence[Any]) -> list[tuple[int, int]]:
        self.entered.set()
        self.release.wait()
        with self._lock:
            self.calls.append(list(rows))
            if "bad" in rows:
                raise ValueError("refused")
            for row in rows:  # no two stored rows share a key (a row's name)
                if row in self.rows or rows.count(row) > 1:
                    raise Taken(row)
            start = len(self.rows)
            self.rows.extend(rows)
            return [(start + i + 1, start + i) for i in range(len(rows))]


class Taken(ValueError):
    """A row of this key is stored already."""

    def __init__(self, row: str) -> None:
        super().__init__(f"{row} is taken")
        self.row = row


def taken(error: BaseException) -> str | None:
    return error.row if isinstance(error, Taken) else None


def keyed(log: FakeLog) -> GroupCommit:
    return GroupCommit(log.append, key=lambda row: row, stored=taken)


def wait_for(condition: Any) -> None:
    for _ in range(10_000):
        if condition():
            return
        time.sleep(0.001)
    raise AssertionError("the condition never held")


def ask_in_threads(group: GroupCommit, log: FakeLog, asks: list[list[str]]) -> dict[str, Any]:
    """The first ask holds the log while the others queue, one after another in the
    order given; then the log is released."""
    results: dict[str, Any] = {}

    def run(rows: list[str]) -> None:
        try:
            results[rows[0]] = group.append(rows)
        except ValueError as error:
            results[rows[0]] = error

    first = threading.Thread(target=run, args=(asks[0],))
    first.start()
    log.entered.wait()
    others = [threading.Thread(target=run, args=(rows,)) for rows in asks[1:]]
    for queued, thread in enumerate(others, start=1):  # they queue in the order given
        thread.start()
        wait_for(lambda queued=queued: len(group._queue) == queued)
    log.release.set()
    for thread in [first, *others]:
        thread.join()
    return results


def test_appends_that_queue_meanwhile_go_in_one_call_each_with_its_own_positions() -> None:
    log = FakeLog()
    group = GroupCommit(log.append)

    results = ask_in_threads(group, log, [["a1"], ["b1", "b2"], ["c1"]])

    assert log.calls[0] == ["a1"]
    assert sorted(log.calls[1]) == ["b1", "b2", "c1"]
    assert len(log.calls) == 2
    for name, rows in (("a1", ["a1"]), ("b1", ["b1", "b2"]), ("c1", ["c1"])):
        assert [log.rows[position - 1] for position, _ in results[name]] == rows
    assert group.groups == 1


def test_an_append_that_fails_in_a_group_fails_alone() -> None:
    log = FakeLog()
    group = GroupCommit(log.append)

    results = ask_in_threads(group, log, [["a1"], ["b1"], ["bad"], ["c1"]])

    assert isinstance(results["bad"], ValueError)
    assert log.rows.count("b1") == log.rows.count("c1") == 1
    assert [log.rows[p - 1] for p, _ in results["b1"]] == ["b1"]
    assert [log.rows[p - 1] for p, _ in results["c1"]] == ["c1"]
    assert group.groups == 0


def test_an_append_alone_goes_at_once_and_errors_reach_the_asker() -> None:
    log = FakeLog()
    log.release.set()
    group = GroupCommit(log.append)

    assert group.append(["x"]) == [(1, 0)]
    with pytest.raises(ValueError, match="refused"):
        group.append(["bad"])
    assert group.append(["y"]) == [(2, 1)]


def test_an_append_whose_row_is_stored_already_fails_and_the_rest_still_go_together() -> None:
    log = FakeLog()
    log.rows.append("x1")  # another writer stored it first
    group = keyed(log)

    results = ask_in_threads(group, log, [["a1"], ["b1"], ["x1"], ["c1"]])

    assert isinstance(results["x1"], Taken)
    assert log.calls[1:] == [["b1", "x1", "c1"], ["b1", "c1"]]
    assert [log.rows[p - 1] for p, _ in results["c1"]] == ["c1"]
    assert group.groups == 1


def test_appends_of_one_group_writing_the_same_row_are_kept_apart() -> None:
    log = FakeLog()
    group = keyed(log)

    results = ask_in_threads(group, log, [["a1"], ["b1"], ["c1", "c2"], ["c2"], ["d1"]])

    assert log.calls[1:] == [["b1", "c1", "c2", "d1"], ["c2"]]
    assert [log.rows[p - 1] for p, _ in results["c1"]] == ["c1", "c2"]
    assert isinstance(results["c2"], Taken)
    assert group.groups == 1


def test_a_failure_naming_no_single_append_sends_each_alone() -> None:
    log = FakeLog()
    group = keyed(log)

    results = ask_in_threads(group, log, [["a1"], ["b1"], ["bad"], ["c1"]])

    assert isinstance(results["bad"], ValueError)
    assert log.calls[2:] == [["b1"], ["bad"], ["c1"]]
    assert group.groups == 0
