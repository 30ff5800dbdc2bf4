"""Concurrent check-ins over HTTP on the real PostgreSQL: with the same If-Match,
exactly one request wins per version and the rest get 409; none is lost or doubled."""

from __future__ import annotations

import threading
from collections import Counter

from ledger.key_result import KeyResult
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from tests.conftest import FakeClock, build_org, grant_token
from web import create_app

THREADS, ROUNDS = 12, 6


def test_many_threads_checking_in_with_one_expected_version_get_one_winner_per_version(
    pg_url: str,
) -> None:
    services = bootstrap(Settings(database_url=pg_url), clock=FakeClock())
    try:
        grant_token(services.bus, "t")
        org = build_org(services.bus)
        kr = org.key_result(org.objective())
        app = create_app(services, {"TESTING": True})
        statuses: Counter[int] = Counter()
        lock = threading.Lock()

        for round_ in range(ROUNDS):
            etag = (
                app.test_client()
                .get(f"/api/v1/key-results/{kr}", headers={"Authorization": "Bearer t"})
                .headers["ETag"]
            )
            barrier = threading.Barrier(THREADS)
            codes: list[int] = []
            currents: list[int] = []

            def post(
                index: int,
                etag: str = etag,
                barrier: threading.Barrier = barrier,
                codes: list[int] = codes,
                currents: list[int] = currents,
                round_: int = round_,
            ) -> None:
                client = app.test_client()
                barrier.wait()
                response = client.post(
                    f"/api/v1/key-results/{kr}/check-ins",
                    json={
                        "value": 41 + round_,
                        "confidence": "on_track",
                        "note": f"thread {index}",
                    },
                    headers={"Authorization": "Bearer t", "If-Match": etag},
                )
                with lock:
                    codes.append(response.status_code)
                    if response.status_code == 409:
                        currents.append(response.json["error"]["current_version"])

            threads = [threading.Thread(target=post, args=(i,)) for i in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(codes) == [201] + [409] * (THREADS - 1), codes
            winner = int(etag.strip('"')) + 1
            assert currents == [winner] * (THREADS - 1), "losers learn the winner's version"
            statuses.update(codes)

        stored = services.ledger.get(KeyResult, kr)
        assert len(stored.check_ins) == ROUNDS, "no check-in lost or doubled"
        assert sorted(c.value for c in stored.check_ins.values()) == [
            41 + r for r in range(ROUNDS)
        ]
        assert services.ledger.verify().intact
        assert statuses == {201: ROUNDS, 409: ROUNDS * (THREADS - 1)}
    finally:
        services.close()
