"""A view's rows go to PostgreSQL by a binary copy, typed from its tables' declarations."""

from __future__ import annotations

import pytest

from projections.service import VIEWS
from projections.view import binary_types


def test_every_column_a_view_writes_has_a_type_read_off_its_declaration() -> None:
    for view in VIEWS.values():
        for declaration, _ in view.tables.values():
            names = tuple(part.split()[0] for part in declaration.split(", "))
            assert len(binary_types(declaration, names)) == len(names)


def test_the_types_follow_the_declared_ones_column_by_column() -> None:
    declaration = "position BIGINT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL"
    assert binary_types(declaration, ("doc", "position", "version")) == ("text", "int8", "int4")


def test_a_column_the_declaration_lacks_is_refused() -> None:
    with pytest.raises(KeyError):
        binary_types("position BIGINT NOT NULL", ("position", "missing"))
