"""The shape of the code, read from its syntax trees: which package may import which, and
how long a module may grow.

Layers point one way (ADR 0001, issue 11): a module imports its own package or a package in
a lower layer, never one beside it or above it. Violations that are being fixed elsewhere
are listed in ``KNOWN``; the list may only shrink, and an entry that no longer violates
fails the test too, so it cannot rot.
"""

from __future__ import annotations

import ast
import tomllib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LAYERS: tuple[tuple[str, ...], ...] = (
    # the entry points and composition root: CLI, server, bootstrap, the demo
    ("okr_ledger",),
    # the edges that take requests and messages in
    ("web", "streams"),
    # webhooks (ADR 0016): run from the log like the publisher, read the read models and
    # send Unsubscribe through the bus; the web layer uses its signing and target checks
    ("deliveries",),
    # the write path and the read side
    ("commands", "projections"),
    # the floor: the stored event as the read side sees it (once the package exists)
    ("eventlog",),
    # the domain
    ("ledger",),
)
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}
SOURCE = tuple(RANK)
OTHERS = ("bench", "tests")
"""Not shipped; they may import the source packages, but never each other."""
FORBIDDEN = {("streams", "projections"): "streams/ stands on the floor, not on projections/"}
"""Imports the layers would allow that are refused all the same."""

MAX_LINES = 420
LONG_BY_NATURE = {
    "okr_ledger/scenario/northbridge.py": "the demo's scenario data",
    "commands/catalogue.py": "the error catalogue (data)",
}

KNOWN = {
    # the standalone verifier (standard library and cryptography only)
    "okr_ledger/verifier.py has more than 420 lines",
}


def modules(*packages: str) -> list[Path]:
    return sorted(
        path
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def name_of(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@cache
def imported_packages(path: Path) -> frozenset[str]:
    """The top-level packages a module imports, anywhere in it (functions and
    ``TYPE_CHECKING`` blocks included); relative imports stay inside its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return frozenset(found)


def import_violations() -> set[str]:
    found = set()
    for path in modules(*SOURCE):
        own = path.relative_to(ROOT).parts[0]
        for package in imported_packages(path):
            if package == own:
                continue
            upward = package in RANK and RANK[package] <= RANK[own]
            if upward or package in OTHERS or (own, package) in FORBIDDEN:
                found.add(f"{name_of(path)} imports {package}")
    for path in modules(*OTHERS):
        own = path.relative_to(ROOT).parts[0]
        for package in imported_packages(path) & set(OTHERS) - {own}:
            found.add(f"{name_of(path)} imports {package}")
    return found


def size_violations() -> set[str]:
    return {
        f"{name_of(path)} has more than {MAX_LINES} lines"
        for path in modules(*SOURCE)
        if name_of(path) not in LONG_BY_NATURE
        and len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES
    }


def test_layers_point_one_way() -> None:
    new = sorted(import_violations() - KNOWN)
    assert not new, "imports against the layers (see LAYERS):\n" + "\n".join(new)


def test_no_module_grows_past_about_four_hundred_lines() -> None:
    new = sorted(size_violations() - KNOWN)
    assert not new, "split these along a clear seam:\n" + "\n".join(new)


def test_every_known_violation_still_violates() -> None:
    fixed = sorted(KNOWN - import_violations() - size_violations())
    assert not fixed, "fixed: take these out of KNOWN:\n" + "\n".join(fixed)


def test_every_shipped_package_has_a_layer() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    included = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    shipped = {pattern.rstrip("*") for pattern in included}
    assert shipped <= set(SOURCE), f"give these a layer: {sorted(shipped - set(SOURCE))}"
    assert set(SOURCE) - {"eventlog"} <= shipped


def test_the_domain_knows_nothing_of_the_web_the_broker_or_the_command_line() -> None:
    outside = {"flask", "flask_smorest", "marshmallow", "kafka", "click", "werkzeug"}
    found = sorted(
        f"{name_of(path)} imports {package}"
        for path in modules("ledger")
        for package in imported_packages(path) & outside
    )
    assert not found, "\n".join(found)


def test_an_import_inside_a_function_counts(tmp_path: Path) -> None:
    module = tmp_path / "upward.py"
    module.write_text("def f():\n    from okr_ledger.config import Settings\n")
    assert "okr_ledger" in imported_packages(module)


def test_events_keep_the_topics_stored_events_name_them_by() -> None:
    from eventsourcing.domain import CanMutateAggregate
    from eventsourcing.utils import get_topic

    from ledger.key_result import KeyResult
    from ledger.objective import Objective

    topics = {
        get_topic(value)
        for aggregate in (KeyResult, Objective)
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, CanMutateAggregate)
    }
    assert topics >= {
        "ledger.key_result:KeyResult.Defined",
        "ledger.key_result:KeyResult.CheckedIn",
        "ledger.key_result:KeyResult.CheckInCorrected",
        "ledger.key_result:KeyResult.ScoreOverridden",
        "ledger.key_result:KeyResult.Retargeted",
        "ledger.key_result:KeyResult.CarriedForward",
        "ledger.objective:Objective.Drafted",
        "ledger.objective:Objective.Reflected",
        "ledger.objective:Objective.CarriedForward",
    }
