"""Initiative: the work believed to move one or more key results."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.base import (
    LedgerAggregate,
    natural_id,
    optional_text,
    require_choice,
    require_finite,
    require_positive,
    require_status,
    require_text,
)
from ledger.exceptions import RuleViolation
from ledger.meta import Meta

if TYPE_CHECKING:
    from ledger.cycle import Cycle
    from ledger.key_result import KeyResult
    from ledger.team import Team

PROPOSED, ACTIVE, STOPPED, COMPLETED = "proposed", "active", "stopped", "completed"
HEALTH = ("on_track", "at_risk", "blocked", "paused")
MOSCOW = ("must", "should", "could", "wont")
RICE_IMPACTS = (Decimal("0.25"), Decimal("0.5"), Decimal(1), Decimal(2), Decimal(3))


@dataclass(frozen=True)
class Priority:
    """Portfolio priority: MoSCoW, or a RICE score (reach * impact * confidence / effort)."""

    method: str
    moscow: str | None = None
    reach: Decimal | None = None
    impact: Decimal | None = None
    confidence: Decimal | None = None
    effort: Decimal | None = None
    rice_score: Decimal | None = None


@dataclass(frozen=True)
class Allocation:
    people: Decimal
    """Full-time equivalents."""
    money: Decimal
    currency: str


def rice_score(reach: Decimal, impact: Decimal, confidence: Decimal, effort: Decimal) -> Decimal:
    return (reach * impact * confidence / effort).quantize(Decimal("0.01"))


class Initiative(LedgerAggregate):
    class Proposed(LedgerAggregate.Created):
        team_id: UUID
        cycle_id: UUID
        title: str
        description: str
        owner: str

        def apply(self, initiative: Initiative) -> None:
            initiative.team_id = self.team_id
            initiative.cycle_id = self.cycle_id
            initiative.title = self.title
            initiative.description = self.description
            initiative.owner = self.owner
            initiative.status = PROPOSED
            initiative.health = None
            initiative.key_result_ids = []
            initiative.priority = None
            initiative.allocation = None

    class LinkedToKeyResult(LedgerAggregate.Event):
        key_result_id: UUID

        def apply(self, initiative: Initiative) -> None:
            initiative.key_result_ids.append(self.key_result_id)

    class UnlinkedFromKeyResult(LedgerAggregate.Event):
        key_result_id: UUID

        def apply(self, initiative: Initiative) -> None:
            initiative.key_result_ids.remove(self.key_result_id)

    class Started(LedgerAggregate.Event):
        def apply(self, initiative: Initiative) -> None:
            initiative.status = ACTIVE
            initiative.health = "on_track"

    class StatusChanged(LedgerAggregate.Event):
        health: str
        note: str

        def apply(self, initiative: Initiative) -> None:
            initiative.health = self.health

    class Stopped(LedgerAggregate.Event):
        def apply(self, initiative: Initiative) -> None:
            initiative.status = STOPPED

    class Completed(LedgerAggregate.Event):
        note: str

        def apply(self, initiative: Initiative) -> None:
            initiative.status = COMPLETED

    class Prioritised(LedgerAggregate.Event):
        method: str
        moscow: str | None
        reach: Decimal | None
        impact: Decimal | None
        confidence: Decimal | None
        effort: Decimal | None
        rice_score: Decimal | None

        def apply(self, initiative: Initiative) -> None:
            initiative.priority = Priority(
                self.method,
                self.moscow,
                self.reach,
                self.impact,
                self.confidence,
                self.effort,
                self.rice_score,
            )

    class ResourcesAllocated(LedgerAggregate.Event):
        people: Decimal
        money: Decimal
        currency: str

        def apply(self, initiative: Initiative) -> None:
            initiative.allocation = Allocation(self.people, self.money, self.currency)

    class ResourcesReallocated(LedgerAggregate.Event):
        people: Decimal
        money: Decimal
        currency: str
        previous_people: Decimal
        previous_money: Decimal

        def apply(self, initiative: Initiative) -> None:
            initiative.allocation = Allocation(self.people, self.money, self.currency)

    if TYPE_CHECKING:
        team_id: UUID
        cycle_id: UUID
        title: str
        description: str
        owner: str
        status: str
        health: str | None
        key_result_ids: list[UUID]
        priority: Priority | None
        allocation: Allocation | None

    @staticmethod
    def id_for(team_id: UUID, cycle_id: UUID, key: str) -> UUID:
        """The id of the initiative with natural ``key`` in a team's cycle."""
        return natural_id("initiative", team_id, cycle_id, key)

    @classmethod
    def propose(
        cls,
        *,
        initiative_id: UUID,
        team: Team,
        cycle: Cycle,
        title: str,
        owner: str,
        description: str = "",
        meta: Meta,
    ) -> Initiative:
        cycle.guard_change("propose an initiative", meta)
        return cls._begin(
            cls.Proposed,
            initiative_id,
            meta,
            team_id=team.id,
            cycle_id=cycle.id,
            title=require_text(title, "title", max_length=300),
            description=optional_text(description, "description"),
            owner=require_text(owner, "owner", max_length=200),
        )

    @property
    def is_open(self) -> bool:
        return self.status in (PROPOSED, ACTIVE)

    def _require_open(self, act: str) -> None:
        require_status("initiative", self.status, (PROPOSED, ACTIVE), act)

    def link_to(self, key_result: KeyResult, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("link an initiative", meta)
        self._require_open("link the initiative")
        if not key_result.is_live:
            raise RuleViolation(
                "key_result_dropped",
                "cannot link to a dropped key result",
                field="key_result_id",
            )
        if key_result.cycle_id != self.cycle_id:
            raise RuleViolation(
                "cycle_mismatch",
                "an initiative links to key results of its own cycle",
                field="key_result_id",
            )
        if key_result.id in self.key_result_ids:
            raise RuleViolation(
                "already_linked",
                "the initiative already links to that key result",
                field="key_result_id",
            )
        self._record(self.LinkedToKeyResult, meta, key_result_id=key_result.id)

    def unlink_from(self, key_result_id: UUID, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("unlink an initiative", meta)
        self._require_open("unlink the initiative")
        if key_result_id not in self.key_result_ids:
            raise RuleViolation(
                "not_linked",
                "the initiative does not link to that key result",
                field="key_result_id",
            )
        self._record(self.UnlinkedFromKeyResult, meta, key_result_id=key_result_id)

    def start(self, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("start an initiative", meta)
        require_status("initiative", self.status, (PROPOSED,), "start the initiative")
        self._record(self.Started, meta)

    def change_status(self, health: str, note: str, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("change an initiative's status", meta)
        require_status("initiative", self.status, (ACTIVE,), "change the initiative's status")
        require_choice(health, HEALTH, "health")
        if health == self.health:
            raise RuleViolation("no_change", f"the initiative is already {health}", field="health")
        self._record(self.StatusChanged, meta, health=health, note=optional_text(note, "note"))

    def stop(self, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("stop an initiative", meta)
        self._require_open("stop the initiative")
        meta.require_reason("stopping an initiative")
        self._record(self.Stopped, meta)

    def complete(self, note: str, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("complete an initiative", meta)
        require_status("initiative", self.status, (ACTIVE,), "complete the initiative")
        self._record(self.Completed, meta, note=optional_text(note, "note"))

    def prioritise_moscow(self, moscow: str, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("prioritise an initiative", meta)
        self._require_open("prioritise the initiative")
        require_choice(moscow, MOSCOW, "moscow")
        self._record(
            self.Prioritised,
            meta,
            method="moscow",
            moscow=moscow,
            reach=None,
            impact=None,
            confidence=None,
            effort=None,
            rice_score=None,
        )

    def prioritise_rice(
        self,
        *,
        reach: Decimal,
        impact: Decimal,
        confidence: Decimal,
        effort: Decimal,
        cycle: Cycle,
        meta: Meta,
    ) -> None:
        cycle.guard_change("prioritise an initiative", meta)
        self._require_open("prioritise the initiative")
        require_finite(reach, "reach")
        if reach < 0:
            raise RuleViolation("must_not_be_negative", "reach cannot be negative", field="reach")
        if impact not in RICE_IMPACTS:
            raise RuleViolation(
                "rice_impact", "impact is one of 0.25, 0.5, 1, 2, 3", field="impact"
            )
        require_finite(confidence, "confidence")
        if not Decimal(0) < confidence <= Decimal(1):
            raise RuleViolation("rice_confidence", "confidence lies in (0, 1]", field="confidence")
        require_positive(effort, "effort")
        self._record(
            self.Prioritised,
            meta,
            method="rice",
            moscow=None,
            reach=reach,
            impact=impact,
            confidence=confidence,
            effort=effort,
            rice_score=rice_score(reach, impact, confidence, effort),
        )

    def allocate(
        self, *, people: Decimal, money: Decimal, currency: str, cycle: Cycle, meta: Meta
    ) -> None:
        """Set the people (FTE) and money behind the initiative.

        The first allocation needs no justification; every later change is a
        reallocation and needs a reason or the decision behind it.
        """
        cycle.guard_change("allocate resources", meta)
        self._require_open("allocate resources")
        for name, value in (("people", people), ("money", money)):
            require_finite(value, name)
            if value < 0:
                raise RuleViolation(
                    "must_not_be_negative", f"{name} cannot be negative", field=name
                )
        currency = require_text(currency, "currency", max_length=3).upper()
        if len(currency) != 3 or not currency.isalpha():
            raise RuleViolation("currency", "currency is an ISO 4217 code", field="currency")
        if self.allocation is None:
            self._record(
                self.ResourcesAllocated, meta, people=people, money=money, currency=currency
            )
            return
        if (people, money, currency) == (
            self.allocation.people,
            self.allocation.money,
            self.allocation.currency,
        ):
            raise RuleViolation("no_change", "the allocation is unchanged", field="people")
        meta.require_reason_or_decision("reallocating resources")
        self._record(
            self.ResourcesReallocated,
            meta,
            people=people,
            money=money,
            currency=currency,
            previous_people=self.allocation.people,
            previous_money=self.allocation.money,
        )
