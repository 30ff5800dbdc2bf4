"""Small builders shared by the unit tests: metadata for direct aggregate calls, and
a started cycle with a live objective to hang key results on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from ledger.application import Ledger
from ledger.cycle import Cycle
from ledger.key_result import KeyResult
from ledger.meta import Meta
from ledger.objective import Objective
from ledger.team import Team

T0 = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)


def meta(
    *,
    reason: str | None = None,
    at: datetime = T0,
    effective_at: datetime | None = None,
    decision_id: UUID | None = None,
    actor: str = "tess.tester",
) -> Meta:
    return Meta(
        actor=actor,
        recorded_at=at,
        effective_at=effective_at or at,
        correlation_id=uuid4(),
        reason=reason,
        decision_id=decision_id,
    )


def started_cycle() -> Cycle:
    cycle = Cycle.open(
        key="2026-Q3",
        name="Q3 2026",
        starts_on=date(2026, 7, 1),
        ends_on=date(2026, 9, 30),
        meta=meta(),
    )
    cycle.start(meta())
    return cycle


def live_objective(cycle: Cycle) -> Objective:
    company = Team.form(key="city", name="City", level="company", parent=None, meta=meta())
    return Objective.draft(
        objective_id=uuid4(),
        team=company,
        cycle=cycle,
        statement="Residents stay",
        owner="olu.owner",
        commitment="committed",
        meta=meta(),
    )


def new_key_result(
    kind: str = "increase", *, cycle: Cycle | None = None, **fields: Any
) -> KeyResult:
    """A key result defined directly on the aggregates (no ledger, no bus)."""
    cycle = cycle or started_cycle()
    values: dict[str, Any] = {"owner": "kim.owner"}
    if kind in ("increase", "decrease"):
        values.update(baseline=Decimal(40), target=Decimal(60 if kind == "increase" else 20))
    elif kind == "band":
        values.update(band_low=Decimal(90), band_high=Decimal(95))
    values.update(fields)
    return KeyResult.define(
        key_result_id=uuid4(),
        objective=live_objective(cycle),
        cycle=cycle,
        statement=f"A {kind} key result",
        kind=kind,
        meta=meta(),
        **values,
    )


def events_after(ledger: Ledger, position: int) -> list[Any]:
    """The decoded events appended after log position ``position``."""
    return [event for _, event in ledger.read(position)]


def last_event(ledger: Ledger, ident: UUID) -> Any:
    return ledger.history(ident)[-1]
