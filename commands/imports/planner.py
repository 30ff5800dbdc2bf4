"""What an import plans: the steps, each with the row and the change it comes from, and
what the planner has looked up in the ledger on the way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from commands import messages as m
from commands.batch import Step
from commands.imports.problems import Problem
from commands.imports.sheets import Sheet
from ledger.application import Ledger
from ledger.base import LedgerAggregate

FIELD_COLUMNS: dict[type[m.Command], dict[str, str]] = {
    m.DraftObjective: {"statement": "objective", "owner": "objective_owner",
                       "key": "objective_key"},
    m.RewordObjective: {"statement": "objective"},
    m.ChangeObjectiveOwner: {"owner": "objective_owner"},
    m.LinkObjectiveToChoice: {"choice_id": "strategic_choice"},
    m.DefineKeyResult: {"statement": "key_result", "owner": "key_result_owner",
                        "key": "key_result_key"},
    m.RewordKeyResult: {"statement": "key_result"},
    m.ChangeKeyResultOwner: {"owner": "key_result_owner"},
    m.ProposeInitiative: {"title": "initiative", "owner": "key_result_owner"},
    m.LinkInitiative: {"key_result_id": "initiative"},
}  # fmt: skip
"""Where a command's field sits in the sheet, where the names differ."""


@dataclass(frozen=True)
class Change:
    """Why a step is in the plan: the row it comes from and what it changes."""

    row: int
    change: str
    """A stable name: ``objective_drafted``, ``key_result_retargeted``, ..."""
    summary: str
    target_id: UUID

    def column_of(self, command: m.Command, field_name: str | None) -> str | None:
        if field_name is None:
            return None
        return FIELD_COLUMNS.get(type(command), {}).get(field_name, field_name)


@dataclass
class Planner:
    ledger: Ledger
    sheet: Sheet
    problems: list[Problem] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    known: dict[UUID, LedgerAggregate] = field(default_factory=dict)
    planned: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    """Ids created by this plan, with the values the first row gave them."""
    links: dict[UUID, set[UUID]] = field(default_factory=dict)
    """Links this plan makes (objective → choices, initiative → key results)."""
    absent: set[UUID] = field(default_factory=set)
    """Ids looked up and not found (the batch need not look for them again)."""

    def add(self, row: int, change: str, summary: str, target: UUID, command: m.Command) -> None:
        self.steps.append(Step(command, source=Change(row, change, summary, target)))

    def lookup(self, ids: Iterable[UUID]) -> None:
        wanted = [i for i in dict.fromkeys(ids) if i not in self.known]
        for start in range(0, len(wanted), 500):
            self.known.update(self.ledger.get_many(wanted[start : start + 500]))
        self.absent.update(i for i in wanted if i not in self.known)

    def find(self, cls: type[Any], ident: UUID) -> Any:
        found = self.known.get(ident)
        return found if isinstance(found, cls) else None
