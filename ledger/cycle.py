"""Cycle: a time-bound period of focus, planning → active → review → closed.

Scores are overridden and objectives reflected on in review; closing seals the cycle,
and ``CLOSED_CYCLE_RULE`` says what still gets through.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.base import LedgerAggregate, natural_id, require_status, require_text
from ledger.exceptions import CycleClosed, RuleViolation
from ledger.meta import Meta

PLANNING, ACTIVE, REVIEW, CLOSED = "planning", "active", "review", "closed"
STATUSES = (PLANNING, ACTIVE, REVIEW, CLOSED)
CLOSED_CYCLE_RULE = (
    "A closed cycle is read-only: every act on it is refused with cycle_closed except a "
    "check-in correction, which always gives a reason, and carrying its work forward into "
    "a later cycle; to override a score, revise a reflection or change anything else, an "
    "admin first reopens the cycle with a reason, which returns it to review."
)
"""The one rule, as the README and the OpenAPI document state it too."""
CARRY_FORWARD_RULE = (
    "An objective or key result is carried forward from a cycle in review or closed into "
    "a later cycle in planning or active: that makes a new one there, linked to the "
    "original, and records on the original where it went, changing nothing else."
)
"""The one rule of carrying work forward, as the README and the OpenAPI document state
it too: the exception ``CLOSED_CYCLE_RULE`` names besides a check-in correction. What
the cycle scored, and how its objectives were reflected on, stay as they were."""


class Cycle(LedgerAggregate):
    class Opened(LedgerAggregate.Created):
        key: str
        name: str
        starts_on: date
        ends_on: date
        cadence_days: int

        def apply(self, cycle: Cycle) -> None:
            cycle.key = self.key
            cycle.name = self.name
            cycle.starts_on = self.starts_on
            cycle.ends_on = self.ends_on
            cycle.cadence_days = self.cadence_days
            cycle.status = PLANNING

    class Started(LedgerAggregate.Event):
        def apply(self, cycle: Cycle) -> None:
            cycle.status = ACTIVE

    class ReviewBegun(LedgerAggregate.Event):
        def apply(self, cycle: Cycle) -> None:
            cycle.status = REVIEW

    class Closed(LedgerAggregate.Event):
        def apply(self, cycle: Cycle) -> None:
            cycle.status = CLOSED

    class Reopened(LedgerAggregate.Event):
        def apply(self, cycle: Cycle) -> None:
            cycle.status = REVIEW

    if TYPE_CHECKING:
        key: str
        name: str
        starts_on: date
        ends_on: date
        cadence_days: int
        status: str

    @staticmethod
    def id_for(key: str) -> UUID:
        return natural_id("cycle", key)

    @classmethod
    def open(
        cls,
        *,
        key: str,
        name: str,
        starts_on: date,
        ends_on: date,
        cadence_days: int = 7,
        meta: Meta,
    ) -> Cycle:
        key = require_text(key, "key", max_length=80)
        if ends_on <= starts_on:
            raise RuleViolation(
                "ends_before_start", "a cycle must end after it starts", field="ends_on"
            )
        if not 1 <= cadence_days <= 31:
            raise RuleViolation(
                "cadence", "the check-in cadence is 1 to 31 days", field="cadence_days"
            )
        return cls._begin(
            cls.Opened,
            cls.id_for(key),
            meta,
            key=key,
            name=require_text(name, "name", max_length=200),
            starts_on=starts_on,
            ends_on=ends_on,
            cadence_days=cadence_days,
        )

    def start(self, meta: Meta) -> None:
        require_status("cycle", self.status, (PLANNING,), "start the cycle")
        self._record(self.Started, meta)

    def begin_review(self, meta: Meta) -> None:
        require_status("cycle", self.status, (ACTIVE,), "begin the review")
        self._record(self.ReviewBegun, meta)

    def close(self, meta: Meta) -> None:
        require_status("cycle", self.status, (REVIEW,), "close the cycle")
        self._record(self.Closed, meta)

    def reopen(self, meta: Meta) -> None:
        require_status("cycle", self.status, (CLOSED,), "reopen the cycle")
        meta.require_reason("reopening a closed cycle")
        self._record(self.Reopened, meta)

    def guard_change(self, act: str, meta: Meta, *, correction: bool = False) -> None:
        """Refuse changes to a closed cycle, except a check-in correction that gives a
        reason (``CLOSED_CYCLE_RULE``)."""
        if self.status != CLOSED:
            return
        if not correction:
            raise CycleClosed(act)
        meta.require_reason(f"{act} in a closed cycle")

    def guard_carry_into(self, target: Cycle) -> None:
        """Work is carried out of this cycle into ``target`` (``CARRY_FORWARD_RULE``)."""
        require_status("cycle", self.status, (REVIEW, CLOSED), "carry work forward")
        if target.status not in (PLANNING, ACTIVE):
            raise RuleViolation(
                "carry_target",
                f"work is carried into a cycle in planning or active; {target.key} is "
                f"{target.status}",
                field="cycle_id",
            )
        if target.starts_on <= self.starts_on:
            raise RuleViolation(
                "carry_target",
                f"work is carried into a later cycle; {target.key} does not start after "
                f"{self.key}",
                field="cycle_id",
            )

    def guard_status(self, act: str, allowed: tuple[str, ...]) -> None:
        require_status("cycle", self.status, allowed, act)

    def guard_effective_time(self, act: str, meta: Meta) -> None:
        """A measurement can be back-dated, but not to before the cycle began."""
        begins = datetime.combine(self.starts_on, time.min, tzinfo=UTC)
        if meta.effective_at < begins:
            raise RuleViolation(
                "effective_time_before_cycle",
                f"{act} cannot be effective before the cycle starts ({self.starts_on})",
                field="effective_at",
            )
