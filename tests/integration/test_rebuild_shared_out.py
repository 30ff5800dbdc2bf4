"""A rebuild on PostgreSQL shares the aggregates out between processes, each feeding
every view the events of its own aggregates: the views it builds equal the live ones,
and a load that fails part-way leaves nothing a later rebuild trips over."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okr_ledger import demo
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from projections.rebuild import bulk_load, index_and_track, rebuild
from projections.service import VIEWS


@pytest.fixture
def services(pg_url: str) -> Iterator[Services]:
    services = bootstrap(Settings(database_url=pg_url))
    demo.load(services)
    services.read_models.catch_up()
    services.read_models.batch_size = 40  # many pages, each process's parts of them
    yield services
    services.close()


def test_the_views_loaded_by_parts_in_processes_equal_the_live_ones(
    services: Services, pg_url: str
) -> None:
    models = services.read_models
    head = services.ledger.head_position()
    done = rebuild(models, ["audit", "state"], swap=False, url=pg_url)
    assert isinstance(done, list)
    assert [(d.view, d.identical, d.position) for d in done] == [
        ("audit", True, head),
        ("state", True, head),
    ]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.integers(1, 5), after=st.integers(0, 300), width=st.integers(0, 400))
def test_the_parts_of_a_stretch_of_the_log_share_out_its_events_by_aggregate(
    services: Services, parts: int, after: int, width: int
) -> None:
    recorder = services.ledger.chained_recorder
    stop = after + width
    whole = recorder.read_page(after, width + 1, stop)
    shares = [recorder.read_part(after, stop, part, parts) for part in range(parts)]
    assert sorted(row for share in shares for row in share) == sorted(whole)
    owners = {row[1]: part for part, share in enumerate(shares) for row in share}
    assert all(owners[row[1]] == part for part, share in enumerate(shares) for row in share)


def test_a_rebuild_after_a_load_that_failed_part_way_starts_clean(
    services: Services, pg_url: str
) -> None:
    models = services.read_models
    head = services.ledger.head_position()
    fresh = [VIEWS[name](getattr(models, name).generation + 1) for name in VIEWS]
    with models.store.transaction() as cursor:
        for view in fresh:
            view.create(cursor, indexes=False)
    batches = []

    def fail_at_the_third_batch(records: list[object]) -> None:
        batches.append(records)
        if len(batches) == 3:
            raise RuntimeError("the load dies here")

    with pytest.raises(RuntimeError, match="dies here"):
        bulk_load(models.store, services.ledger, fresh, head, 40, part=1, parts=2,
                  before_commit=fail_at_the_third_batch)  # fmt: skip
    with models.store.transaction() as cursor:
        assert fresh[0].count(cursor, "events") > 0, "two batches stayed behind"
    done = rebuild(models, ["audit", "state"], swap=False, url=pg_url)
    assert isinstance(done, list)
    assert [(d.generation, d.identical) for d in done] == [(v.generation, True) for v in fresh]


def test_a_bulk_load_looks_nothing_up_in_the_tables_it_fills(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every aggregate's creation comes before its other events, in the same part, so a
    load from zero knows every scope and document (a lookup would scan an unindexed
    table)."""
    models = services.read_models
    looked_up: list[str] = []
    for view in VIEWS.values():
        for method in ("_load_scopes", "_load_docs"):
            if hasattr(view, method):
                monkeypatch.setattr(view, method, lambda *_, m=method: looked_up.append(m))
    fresh = [VIEWS[name](getattr(models, name).generation + 1) for name in VIEWS]
    with models.store.transaction() as cursor:
        for view in fresh:
            view.create(cursor, indexes=False)
    head = services.ledger.head_position()
    for part in (0, 1):
        bulk_load(models.store, services.ledger, fresh, head, 40, part=part, parts=2)
    assert looked_up == []


def primary_keys(cursor: object, tables: list[str]) -> dict[str, str]:
    """Each table's primary key columns, by table (none: not in the answer)."""
    rows = cursor.execute(  # type: ignore[attr-defined]
        "SELECT c.relname AS t, string_agg(a.attname, ', ' ORDER BY k.n) AS columns "
        "FROM pg_constraint p JOIN pg_class c ON c.oid = p.conrelid "
        "CROSS JOIN unnest(p.conkey) WITH ORDINALITY AS k(attnum, n) "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
        "WHERE p.contype = 'p' AND c.relname = ANY(%s) "
        "AND c.relnamespace = current_schema()::regnamespace GROUP BY c.relname",
        [tables],
    ).fetchall()
    return {row["t"]: row["columns"] for row in rows}


def test_a_bulk_load_fills_tables_without_keys_and_its_indexing_adds_the_declared_ones(
    services: Services,
) -> None:
    """Keys that arrive in random order (check-in ids, document ids) cost far less
    built by one sort after the load than kept up to date row by row."""
    models = services.read_models
    fresh = [VIEWS[name](getattr(models, name).generation + 1) for name in VIEWS]
    declared = {v.t(logical): key for v in fresh for logical, (_, key) in v.tables.items()}
    with models.store.transaction() as cursor:
        for view in fresh:
            view.create(cursor, indexes=False)
        assert primary_keys(cursor, list(declared)) == {}
    head = services.ledger.head_position()
    for part in (0, 1):
        bulk_load(models.store, services.ledger, fresh, head, 40, part=part, parts=2)
    index_and_track(models.store, fresh, head)
    with models.store.transaction() as cursor:
        assert primary_keys(cursor, list(declared)) == declared
        assert [v.fingerprint(cursor) for v in fresh] == [
            getattr(models, v.name).fingerprint(cursor) for v in fresh
        ]
