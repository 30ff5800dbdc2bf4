"""One handler per command, grouped by the part of the domain they act on.

Importing this package registers nothing: ``table()`` gathers the handler of each
command from the modules below, and the composition root hands it to the bus.
"""

from __future__ import annotations

from types import ModuleType

from commands.bus import Handler, handled_by
from commands.handlers import (
    carry,
    cycles,
    decisions,
    dependencies,
    initiatives,
    key_results,
    kpis,
    objectives,
    principals,
    strategy,
    teams,
    webhooks,
)
from commands.messages import Command

MODULES: tuple[ModuleType, ...] = (
    carry,
    cycles,
    decisions,
    dependencies,
    initiatives,
    key_results,
    kpis,
    objectives,
    principals,
    strategy,
    teams,
    webhooks,
)


def table(modules: tuple[ModuleType, ...] = MODULES) -> dict[type[Command], Handler]:
    """The handler of each command, from the functions marked ``@handles`` in
    ``modules``; two handlers for one command are refused."""
    found: dict[type[Command], Handler] = {}
    for module in modules:
        for value in vars(module).values():
            command = handled_by(value)
            if command is None or getattr(value, "__module__", None) != module.__name__:
                continue
            if command in found and found[command] is not value:
                raise TypeError(f"{command.__name__} already has a handler")
            found[command] = value
    return found
