"""The bus runs the handlers it is given: the table is gathered explicitly, once per
command, and importing a handler module registers nothing."""

from __future__ import annotations

from types import ModuleType

import pytest

from commands import handlers
from commands import messages as m
from commands.bus import Unit, handles


def every_command() -> set[type[m.Command]]:
    found: set[type[m.Command]] = set()
    pending = list(m.Command.__subclasses__())
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending += cls.__subclasses__()
    return {cls for cls in found if cls.__module__.startswith("commands.")}


def test_the_table_holds_one_handler_for_every_command() -> None:
    table = handlers.table()

    assert set(table) == every_command()


def test_a_command_with_two_handlers_is_refused_when_the_table_is_built() -> None:
    twin = ModuleType("twin_handlers")

    @handles(m.CheckIn)
    def check_in_again(cmd: m.CheckIn, unit: Unit) -> None: ...

    check_in_again.__module__ = twin.__name__
    twin.check_in_again = check_in_again  # type: ignore[attr-defined]

    with pytest.raises(TypeError, match="CheckIn already has a handler"):
        handlers.table((*handlers.MODULES, twin))


def test_marking_a_handler_registers_nothing_with_the_bus() -> None:
    before = handlers.table()

    @handles(m.CheckIn)
    def stray(cmd: m.CheckIn, unit: Unit) -> None: ...

    assert handlers.table() == before
