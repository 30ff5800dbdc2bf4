"""The composition root is on top: the layers below it never reach up to it, and the
benches and the tests stand apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported(package: str) -> dict[str, set[str]]:
    """Each module of ``package`` (a top-level folder) with the top-level packages it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("package", "above"),
    [
        ("web", {"okr_ledger", "bench", "tests"}),
        ("streams", {"okr_ledger", "web", "bench", "tests"}),
        ("commands", {"okr_ledger", "web", "streams", "bench", "tests"}),
        ("bench", {"tests"}),
        ("tests", {"bench"}),
    ],
)
def test_a_package_imports_nothing_from_the_layers_above_it(package: str, above: set[str]) -> None:
    reaching_up = {module: names & above for module, names in imported(package).items()}

    assert {module: names for module, names in reaching_up.items() if names} == {}


def test_every_kind_of_failure_has_an_http_status() -> None:
    from commands.errors import ErrorKind
    from web.error_codes import STATUS

    assert set(STATUS) == set(ErrorKind)
