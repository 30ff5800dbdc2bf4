"""The event-log floor sits between the ledger and its readers (ADR 18): it imports
only the ledger and libraries, the ledger does not know it, and streams stand on it
rather than on the projections."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"ledger", "eventlog", "commands", "projections", "streams", "web", "deliveries",
        "okr_ledger", "bench", "tests"}  # fmt: skip


def imported_packages(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.partition(".")[0])
    return found & OURS


@pytest.mark.parametrize(
    ("package", "allowed"),
    [("eventlog", {"eventlog", "ledger"}), ("ledger", {"ledger"})],
)
def test_the_floor_and_the_ledger_import_nothing_above_them(
    package: str, allowed: set[str]
) -> None:
    assert imported_packages(package) <= allowed


def test_nothing_in_streams_imports_the_projections() -> None:
    assert "projections" not in imported_packages("streams")
