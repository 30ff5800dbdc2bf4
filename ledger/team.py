"""Team: a unit of the organisation tree (company → function → team)."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.base import LedgerAggregate, natural_id, require_choice, require_text
from ledger.exceptions import RuleViolation
from ledger.meta import Meta

LEVELS = ("company", "function", "team")
"""Top to bottom. A unit's parent sits at a higher level; only a company has none."""


def _check_parent(level: str, parent: Team | None) -> None:
    if level == "company":
        if parent is not None:
            raise RuleViolation(
                "company_has_no_parent",
                "a company sits at the top of the tree",
                field="parent",
            )
        return
    if parent is None:
        raise RuleViolation("parent_required", f"a {level} needs a parent unit", field="parent")
    if LEVELS.index(parent.level) >= LEVELS.index(level):
        raise RuleViolation(
            "parent_level",
            f"a {level} cannot sit under a {parent.level}",
            field="parent",
        )


class Team(LedgerAggregate):
    class Formed(LedgerAggregate.Created):
        key: str
        name: str
        level: str
        parent_id: UUID | None

        def apply(self, team: Team) -> None:
            team.key = self.key
            team.name = self.name
            team.level = self.level
            team.parent_id = self.parent_id

    class Renamed(LedgerAggregate.Event):
        name: str

        def apply(self, team: Team) -> None:
            team.name = self.name

    class Moved(LedgerAggregate.Event):
        parent_id: UUID

        def apply(self, team: Team) -> None:
            team.parent_id = self.parent_id

    if TYPE_CHECKING:
        key: str
        name: str
        level: str
        parent_id: UUID | None

    @staticmethod
    def id_for(key: str) -> UUID:
        return natural_id("team", key)

    @classmethod
    def form(cls, *, key: str, name: str, level: str, parent: Team | None, meta: Meta) -> Team:
        key = require_text(key, "key", max_length=80)
        require_choice(level, LEVELS, "level")
        _check_parent(level, parent)
        return cls._begin(
            cls.Formed,
            cls.id_for(key),
            meta,
            key=key,
            name=require_text(name, "name", max_length=200),
            level=level,
            parent_id=parent.id if parent else None,
        )

    def rename(self, name: str, meta: Meta) -> None:
        name = require_text(name, "name", max_length=200)
        if name == self.name:
            raise RuleViolation("no_change", "the team already has that name", field="name")
        self._record(self.Renamed, meta, name=name)

    def move(self, new_parent: Team, new_parent_ancestors: Collection[UUID], meta: Meta) -> None:
        """Move under ``new_parent``; its ancestors are passed to refuse loops."""
        _check_parent(self.level, new_parent)
        if new_parent.id == self.id or self.id in new_parent_ancestors:
            raise RuleViolation(
                "tree_loop",
                "a unit cannot move under itself or its own descendant",
                field="parent",
            )
        if new_parent.id == self.parent_id:
            raise RuleViolation("no_change", "the unit already sits there", field="parent")
        self._record(self.Moved, meta, parent_id=new_parent.id)
