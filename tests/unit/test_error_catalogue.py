"""The error catalogue is the whole truth: every code the source can raise is in it,
everything in it is raised somewhere, and docs/errors.md is written from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ledger.exceptions import LedgerError, RuleViolation
from web.error_codes import CATALOGUE, RULES
from web.error_docs import catalogue_markdown
from web.errors import HTTP_CODES, STATUS_OF, WEB_STATUS_OF

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "ledger", "commands", "web", "projections", "streams", "deliveries", "okr_ledger",
)  # fmt: skip
CODE_ARGUMENT = {"RuleViolation": 0, "BadRequest": 0, "error_response": 1, "refused": 1}
"""Calls that take an error code, and the position of the code among their arguments."""
TABLE_DRIVEN = {"http_error"}
"""Functions that take their codes from a table the tests read (web.errors.HTTP_CODES)."""


def loop_values(function: ast.AST, name: str) -> list[str] | None:
    """The literal values ``name`` takes in ``for ..., name in ((..., "code"), ...)``."""
    for node in ast.walk(function):
        if not (isinstance(node, ast.For) and isinstance(node.target, ast.Tuple)):
            continue
        names = [t.id if isinstance(t, ast.Name) else None for t in node.target.elts]
        if name in names and isinstance(node.iter, ast.Tuple):
            at = names.index(name)
            values = [item.elts[at] for item in node.iter.elts if isinstance(item, ast.Tuple)]
            if all(isinstance(v, ast.Constant) for v in values):
                return [v.value for v in values]  # type: ignore[attr-defined]
    return None


def raised_codes() -> tuple[dict[str, set[str]], list[str]]:
    """Every error code the source names, with where; and the places that name a code
    this test cannot read (each must become a literal)."""
    found: dict[str, set[str]] = {}
    unreadable: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            where = str(path.relative_to(ROOT))
            for scope in ast.walk(tree):
                if isinstance(scope, ast.ClassDef):
                    codes_of_class(scope, where, found)
                if isinstance(scope, (ast.FunctionDef, ast.Module)):
                    codes_of_calls(scope, where, found, unreadable)
    return found, unreadable


def codes_of_class(node: ast.ClassDef, where: str, found: dict[str, set[str]]) -> None:
    if node.name == LedgerError.__name__:
        return  # the base class's placeholder, never raised as such
    is_rule = any(getattr(b, "id", None) == RuleViolation.__name__ for b in node.bases)
    for item in ast.walk(node):
        if (
            isinstance(item, ast.Assign)
            and any(getattr(t, "id", None) == "rule" for t in item.targets)
            and isinstance(item.value, ast.Constant)
        ):
            found.setdefault(item.value.value, set()).add(where)
        if (
            is_rule
            and isinstance(item, ast.Call)
            and isinstance(item.func, ast.Attribute)
            and item.func.attr == "__init__"
            and item.args
            and isinstance(item.args[0], ast.Constant)
        ):
            found.setdefault(item.args[0].value, set()).add(where)


def codes_of_calls(
    scope: ast.AST, where: str, found: dict[str, set[str]], unreadable: list[str]
) -> None:
    body = scope.body if isinstance(scope, ast.Module) else [scope]  # type: ignore[attr-defined]
    for statement in body:
        if isinstance(scope, ast.Module) and isinstance(statement, ast.FunctionDef):
            continue  # walked as a function of its own
        for node in ast.walk(statement):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if getattr(key, "value", None) == "code" and isinstance(value, ast.Constant):
                        found.setdefault(value.value, set()).add(where)
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            if name not in CODE_ARGUMENT or len(node.args) <= CODE_ARGUMENT[name]:
                continue
            argument = node.args[CODE_ARGUMENT[name]]
            if isinstance(argument, ast.Constant):
                found.setdefault(argument.value, set()).add(where)
                continue
            values = loop_values(scope, argument.id) if isinstance(argument, ast.Name) else None
            if values is None and getattr(scope, "name", None) not in TABLE_DRIVEN:
                unreadable.append(f"{where}:{node.lineno}")
            for value in values or []:
                found.setdefault(value, set()).add(where)


def test_every_code_the_source_raises_is_in_the_catalogue() -> None:
    found, unreadable = raised_codes()
    found.update({code: {"web/errors.py HTTP_CODES"} for code in HTTP_CODES.values()})

    assert unreadable == [], "name error codes as literals so that they can be checked"
    assert {c: w for c, w in found.items() if c not in CATALOGUE} == {}


def test_the_catalogue_lists_no_code_that_nothing_raises() -> None:
    found, _ = raised_codes()
    raised = set(found) | set(HTTP_CODES.values())

    assert sorted(set(CATALOGUE) - raised) == []


def test_the_rules_of_the_domain_are_refusals_of_the_request() -> None:
    assert {e.status for e in RULES} == {422}


@pytest.mark.parametrize(
    "cls", [cls for cls, _ in [*STATUS_OF, *WEB_STATUS_OF] if "rule" in vars(cls)]
)
def test_the_catalogue_gives_each_error_class_its_status(cls: type[LedgerError]) -> None:
    status = dict([*STATUS_OF, *WEB_STATUS_OF])[cls]
    assert CATALOGUE[cls.rule].status == status


def test_each_entry_says_what_it_means_and_what_to_do() -> None:
    for entry in CATALOGUE.values():
        assert entry.code.isidentifier(), entry.code
        assert entry.code.islower(), entry.code
        assert entry.meaning.endswith("."), entry.code
        assert entry.action.endswith("."), entry.code
        assert entry.kinds, entry.code


def test_docs_errors_md_is_written_from_the_catalogue() -> None:
    written = (ROOT / "docs" / "errors.md").read_text()
    assert written == catalogue_markdown(), "run: python -m web.error_docs > docs/errors.md"
    for code in CATALOGUE:
        assert f"| `{code}` |" in written
