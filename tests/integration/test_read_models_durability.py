"""Read models on real stores: built on PostgreSQL, and a follower process killed with
SIGKILL mid-batch (on an SQLite file and on PostgreSQL) resumes to exactly the
view an uninterrupted build gives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from eventlog.vocabulary import micros
from okr_ledger import demo
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from okr_ledger.generator import generate
from projections.diff import apply_diff
from projections.rebuild import rebuild
from tests import faults


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    return str(request.getfixturevalue("pg_url"))


def position_of(url: str) -> int:
    services = bootstrap(Settings(database_url=url))
    try:
        return services.read_models.position()
    finally:
        services.close()


def follower(url: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "okr_ledger", "--database-url", url, "project",
         "--batch-size", "400", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.slow
def test_a_follower_killed_mid_batch_resumes_to_the_uninterrupted_view(store_url: str) -> None:
    services = bootstrap(Settings(database_url=store_url))
    try:
        for _ in generate(services.ledger, cycles=1, teams=160):
            pass
        head = services.ledger.head_position()
        services.read_models.refresh()  # the tables exist before the first kill
    finally:
        services.close()
    reached = [0]
    for commits in (2, 5, 3, 6):  # view transactions committed before one dies mid-way
        process = subprocess.Popen(
            faults.command("follower", commits + 1, store_url, "project", "--batch-size", "400"),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            faults.wait_until_paused(process)
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            process.stdout.close()  # type: ignore[union-attr]
        reached.append(position_of(store_url))
    assert reached == sorted(set(reached)), f"each life moved the views on: {reached}"
    assert reached[-1] < head, f"the last kill left work undone: {reached} of {head}"
    assert follower(store_url, "--once").wait(timeout=300) == 0

    services = bootstrap(Settings(database_url=store_url))
    try:
        models = services.read_models
        assert models.position() == head
        for name in ("audit", "state"):
            assert rebuild(models, name, swap=False).identical, name
    finally:
        services.close()


def test_the_demo_on_postgresql_reads_back_consistently(pg_url: str) -> None:
    services = bootstrap(Settings(database_url=pg_url))
    try:
        demo.load(services)
        models = services.read_models
        models.catch_up()
        tree = models.okrs(demo.CYCLE_KEY, now=micros("2026-11-01T00:00:00+00:00"))
        objectives = [o for choice in tree["choices"] for o in choice["objectives"]]
        assert len({o["id"] for o in objectives}) == 6
        start, end = micros("2026-08-10T00:00:00+00:00"), micros("2026-08-14T00:00:00+00:00")
        with models.reading() as cursor:
            first = models.snapshot(cursor, demo.CYCLE_KEY, as_of=start, full_history=True)
            later = models.snapshot(cursor, demo.CYCLE_KEY, as_of=end, full_history=True)
        assert first is not None
        assert later is not None
        docs = json.loads(json.dumps(first.docs))
        check_ins = {k: list(v) for k, v in first.check_ins.items()}
        apply_diff(docs, check_ins, models.diff(demo.CYCLE_KEY, start, end))
        assert docs == later.docs
        assert {k: {c["check_in_id"] for c in v} for k, v in check_ins.items() if v} == {
            k: {c["check_in_id"] for c in v} for k, v in later.check_ins.items() if v
        }
        report = models.retrospective(demo.CYCLE_KEY, now=end)
        assert report["miss_causes"]
        assert rebuild(models, "state").identical
    finally:
        services.close()
