"""The ledger on the real PostgreSQL: concurrent writers, conflicts, the chain."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

from commands import messages as m
from ledger.exceptions import VersionConflict
from ledger.key_result import KeyResult
from ledger.replay import replay
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from tests.conftest import FakeClock, build_org


def test_racing_writers_with_the_same_expected_version_get_one_winner_each_round(
    pg_url: str,
) -> None:
    clock = FakeClock()
    writers = [bootstrap(Settings(database_url=pg_url), clock=clock) for _ in range(4)]
    try:
        org = build_org(writers[0].bus)
        kr = org.key_result(org.objective())
        rounds, results = 5, Counter[str]()
        for round_ in range(rounds):
            version = writers[0].ledger.get(KeyResult, kr).version
            barrier = threading.Barrier(8)
            currents: list[int] = []

            def write(
                index: int,
                version: int = version,
                round_: int = round_,
                barrier: threading.Barrier = barrier,
                currents: list[int] = currents,
            ) -> None:
                command = m.CheckIn(
                    key_result_id=kr,
                    value=Decimal(40 + round_),
                    confidence="on_track",
                    note=f"writer {index}",
                    expected_version=version,
                )
                barrier.wait()
                try:
                    writers[index % 4].bus.handle(command, org.admin)
                    results["won"] += 1
                except VersionConflict as conflict:
                    currents.append(conflict.current)
                    results["conflict"] += 1

            threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert currents == [version + 1] * 7, "each loser is told the winner's version"

        assert results == {"won": rounds, "conflict": rounds * 7}
        stored = writers[1].ledger.get(KeyResult, kr)
        assert len(stored.check_ins) == rounds, "none lost, none doubled"
        assert writers[2].ledger.verify().intact
    finally:
        for services in writers:
            services.close()


def test_racing_writers_without_an_expected_version_all_land(pg_url: str) -> None:
    clock = FakeClock()
    writers = [bootstrap(Settings(database_url=pg_url), clock=clock) for _ in range(3)]
    try:
        org = build_org(writers[0].bus)
        kr = org.key_result(org.objective())
        barrier = threading.Barrier(6)
        errors: list[BaseException] = []

        def write(index: int) -> None:
            barrier.wait()
            try:
                for n in range(5):
                    writers[index % 3].bus.handle(
                        m.CheckIn(
                            key_result_id=kr,
                            value=Decimal(n),
                            confidence="at_risk",
                            note=f"{index}-{n}",
                        ),
                        org.admin,
                    )
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert not errors
        assert len(writers[0].ledger.get(KeyResult, kr).check_ins) == 30
        world = replay(writers[1].ledger)
        assert world.get(KeyResult, kr) == writers[2].ledger.get(KeyResult, kr)
        assert writers[0].ledger.verify().intact
    finally:
        for services in writers:
            services.close()
