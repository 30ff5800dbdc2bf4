"""Invariants of the spreadsheet import, over generated sheets: a dry run names exactly
the events the import then writes, and importing the same sheet again writes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import given, settings
from hypothesis import strategies as st

from commands.imports.service import import_file
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from tests.conftest import ADMIN_PRINCIPAL, FakeClock, build_org

COLUMNS = [
    "cycle",
    "team",
    "objective_key",
    "objective",
    "objective_owner",
    "key_result_key",
    "key_result",
    "kind",
    "baseline",
    "target",
    "deadline",
    "initiative",
    "reason",
]
row = st.fixed_dictionaries(
    {
        "team": st.sampled_from(["contact", "repairs"]),
        "objective_key": st.sampled_from(["a", "b", "c"]),
        "key_result_key": st.sampled_from(["", "k1", "k2", "k3", "k4"]),
        "target": st.integers(min_value=41, max_value=99).map(str),
        "initiative": st.sampled_from(["", "Pilot", "Pilot; Training"]),
    }
)


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for cells in rows:
        kr = cells["key_result_key"] and f"{cells['objective_key']}-{cells['key_result_key']}"
        writer.writerow(
            {
                **cells,
                "key_result_key": kr,
                "cycle": "2026-Q3",
                "objective": f"Objective {cells['objective_key']} so residents stay",
                "objective_owner": "olu.owner",
                "key_result": f"Lift {kr} from 40" if kr else "",
                "kind": "increase" if kr else "",
                "baseline": "40" if kr else "",
                "target": cells["target"] if kr else "",
                "deadline": "2026-09-30" if kr else "",
                "initiative": cells["initiative"] if kr else "",
                "reason": "replanned",
            }
        )
    return out.getvalue().encode()


@contextmanager
def world() -> Iterator[Services]:
    services = bootstrap(Settings(database_url="memory://"), clock=FakeClock())
    build_org(services.bus)
    try:
        yield services
    finally:
        services.close()


def unique_key_results(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """One row per key result key within a team (a sheet may not define one twice)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for cells in rows:
        key = (cells["team"], cells["objective_key"] + cells["key_result_key"])
        if cells["key_result_key"] and key in seen:
            continue
        seen.add(key)
        kept.append(cells)
    return kept


@settings(max_examples=30, deadline=None)
@given(first=st.lists(row, min_size=1, max_size=8), second=st.lists(row, min_size=1, max_size=8))
def test_a_dry_run_names_what_the_import_writes_and_a_second_import_writes_nothing(
    first: list[dict[str, str]], second: list[dict[str, str]]
) -> None:
    with world() as services:
        bus, admin = services.bus, ADMIN_PRINCIPAL
        import_file(bus, admin, as_csv(unique_key_results(first)))
        sheet = as_csv(unique_key_results(second))
        head = services.ledger.head_position()

        dry = import_file(bus, admin, sheet, dry_run=True).to_json()
        assert services.ledger.head_position() == head
        real = import_file(bus, admin, sheet).to_json()
        written = services.ledger.head_position() - head

        assert dry["changes"] == real["changes"]
        assert written == dry["events"]
        again = import_file(bus, admin, sheet).to_json()
        assert again["changes"] == []
        assert services.ledger.head_position() == head + written
