"""Strategy: vision, mission and the strategic choices objectives link to."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.base import LedgerAggregate, natural_id, require_choice, require_text
from ledger.exceptions import NotFound, RuleViolation
from ledger.meta import Meta

CHOICE_KINDS = ("where_to_play", "how_to_win", "will_not_do", "capability")
"""``will_not_do`` records what the organisation deliberately will not do."""


@dataclass(frozen=True)
class StrategicChoice:
    id: UUID
    kind: str
    statement: str
    retired: bool = False


class Strategy(LedgerAggregate):
    """An organisation's vision (5-20 years), mission and strategic choices (1-5 years)."""

    class Formulated(LedgerAggregate.Created):
        key: str
        name: str
        vision: str
        mission: str

        def apply(self, strategy: Strategy) -> None:
            strategy.key = self.key
            strategy.name = self.name
            strategy.vision = self.vision
            strategy.mission = self.mission
            strategy.choices = {}

    class VisionRestated(LedgerAggregate.Event):
        vision: str

        def apply(self, strategy: Strategy) -> None:
            strategy.vision = self.vision

    class MissionRestated(LedgerAggregate.Event):
        mission: str

        def apply(self, strategy: Strategy) -> None:
            strategy.mission = self.mission

    class ChoiceAdded(LedgerAggregate.Event):
        choice_id: UUID
        kind: str
        statement: str

        def apply(self, strategy: Strategy) -> None:
            strategy.choices[self.choice_id] = StrategicChoice(
                self.choice_id, self.kind, self.statement
            )

    class ChoiceRevised(LedgerAggregate.Event):
        choice_id: UUID
        statement: str

        def apply(self, strategy: Strategy) -> None:
            choice = strategy.choices[self.choice_id]
            strategy.choices[self.choice_id] = replace(choice, statement=self.statement)

    class ChoiceRetired(LedgerAggregate.Event):
        choice_id: UUID

        def apply(self, strategy: Strategy) -> None:
            choice = strategy.choices[self.choice_id]
            strategy.choices[self.choice_id] = replace(choice, retired=True)

    if TYPE_CHECKING:  # state set by the events' apply(); not dataclass fields
        key: str
        name: str
        vision: str
        mission: str
        choices: dict[UUID, StrategicChoice]

    @staticmethod
    def id_for(key: str) -> UUID:
        return natural_id("strategy", key)

    @staticmethod
    def choice_id_for(strategy_key: str, choice_key: str) -> UUID:
        return natural_id("strategic-choice", strategy_key, choice_key)

    @classmethod
    def formulate(cls, *, key: str, name: str, vision: str, mission: str, meta: Meta) -> Strategy:
        key = require_text(key, "key", max_length=80)
        return cls._begin(
            cls.Formulated,
            cls.id_for(key),
            meta,
            key=key,
            name=require_text(name, "name", max_length=200),
            vision=require_text(vision, "vision"),
            mission=require_text(mission, "mission"),
        )

    def restate_vision(self, vision: str, meta: Meta) -> None:
        meta.require_reason("restating the vision")
        self._record(self.VisionRestated, meta, vision=require_text(vision, "vision"))

    def restate_mission(self, mission: str, meta: Meta) -> None:
        meta.require_reason("restating the mission")
        self._record(self.MissionRestated, meta, mission=require_text(mission, "mission"))

    def add_choice(self, *, choice_id: UUID, kind: str, statement: str, meta: Meta) -> None:
        if choice_id in self.choices:
            raise RuleViolation(
                "duplicate", f"strategic choice {choice_id} already exists", field="choice_id"
            )
        self._record(
            self.ChoiceAdded,
            meta,
            choice_id=choice_id,
            kind=require_choice(kind, CHOICE_KINDS, "kind"),
            statement=require_text(statement, "statement"),
        )

    def revise_choice(self, choice_id: UUID, statement: str, meta: Meta) -> None:
        self.live_choice(choice_id)
        meta.require_reason("revising a strategic choice")
        self._record(
            self.ChoiceRevised,
            meta,
            choice_id=choice_id,
            statement=require_text(statement, "statement"),
        )

    def retire_choice(self, choice_id: UUID, meta: Meta) -> None:
        self.live_choice(choice_id)
        meta.require_reason("retiring a strategic choice")
        self._record(self.ChoiceRetired, meta, choice_id=choice_id)

    def live_choice(self, choice_id: UUID) -> StrategicChoice:
        choice = self.choices.get(choice_id)
        if choice is None:
            raise NotFound("strategic choice", choice_id, field="choice_id")
        if choice.retired:
            raise RuleViolation(
                "choice_retired", f"strategic choice {choice_id} is retired", field="choice_id"
            )
        return choice
