"""Every command, declared once, in the module of the part of the domain it acts on
(``base`` says how a command is declared; ADR 19 shows how to add one)."""

from __future__ import annotations

from commands.declarations import (
    cycles,
    decisions,
    dependencies,
    initiatives,
    key_results,
    kpis,
    objectives,
    principals,
    strategy,
)
from commands.declarations.base import Command, Declared, declared

MODULES = (
    strategy, cycles, objectives, key_results, initiatives, dependencies, kpis, decisions,
    principals,
)  # fmt: skip
"""The declaration modules; a command declared in one of them is known everywhere."""

COMMANDS: tuple[type[Command], ...] = tuple(
    value
    for module in MODULES
    for value in vars(module).values()
    if isinstance(value, type)
    and value.__module__ == module.__name__
    and declared(value) is not None
)
"""Every declared command, module by module in the order of declaration."""

__all__ = ["COMMANDS", "Command", "Declared", "declared"]
