"""A large, realistic ledger, written fast (for the benchmarks, and small for the tests):
years of quarterly cycles for many teams, each with objectives, key results,
initiatives, weekly check-ins (some corrected), KPI measurements, retargets, drops,
decisions and reprioritisations.

The events are made by the domain aggregates themselves (every rule is checked) and
saved many per transaction, so a million events take about a minute rather than the
hours a command-per-request load would. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from ledger.application import Ledger
from ledger.base import LedgerAggregate
from ledger.cycle import Cycle
from ledger.decision import Decision
from ledger.initiative import Initiative
from ledger.key_result import KeyResult
from ledger.kpi import Kpi
from ledger.meta import Meta
from ledger.objective import Objective
from ledger.priorities import Priorities
from ledger.strategy import Strategy
from ledger.team import Team

WEEK = timedelta(days=7)


@dataclass
class Clock:
    now: datetime

    def meta(
        self,
        actor: str,
        *,
        reason: str | None = None,
        decision: UUID | None = None,
        effective: datetime | None = None,
        step: timedelta = timedelta(seconds=1),
    ) -> Meta:
        self.now += step
        return Meta(
            actor, self.now, effective or self.now, uuid4(), reason=reason, decision_id=decision
        )


@dataclass
class Batch:
    """Aggregates with pending events, saved together once big enough."""

    ledger: Ledger
    size: int = 5000
    pending: dict[UUID, LedgerAggregate] = field(default_factory=dict)
    written: int = 0

    def add(self, *aggregates: LedgerAggregate) -> None:
        for aggregate in aggregates:
            self.pending[aggregate.id] = aggregate
        if sum(len(a.pending_events) for a in self.pending.values()) >= self.size:
            self.flush()

    def flush(self) -> None:
        events = sum(len(a.pending_events) for a in self.pending.values())
        if events:
            self.ledger.save(*self.pending.values())
            self.written += events
        self.pending.clear()


def generate(
    ledger: Ledger, *, cycles: int, teams: int, seed: int = 7, batch: int = 5000
) -> Iterator[int]:
    """Write the ledger; yields the number of events written after each cycle."""
    rng = random.Random(seed)
    clock = Clock(datetime(2017, 1, 1, tzinfo=UTC))
    out = Batch(ledger, batch)
    admin = "director"
    strategy = Strategy.formulate(
        key="bench",
        name="Bench strategy",
        vision="A vision",
        mission="A mission",
        meta=clock.meta(admin),
    )
    choices = [uuid4() for _ in range(6)]
    for n, choice_id in enumerate(choices):
        strategy.add_choice(
            choice_id=choice_id,
            kind=["where_to_play", "how_to_win", "will_not_do"][n % 3],
            statement=f"Choice {n}",
            meta=clock.meta(admin),
        )
    company = Team.form(
        key="co", name="Company", level="company", parent=None, meta=clock.meta(admin)
    )
    functions = [
        Team.form(
            key=f"f{i}",
            name=f"Function {i}",
            level="function",
            parent=company,
            meta=clock.meta(admin),
        )
        for i in range(max(1, teams // 20))
    ]
    units = [
        Team.form(
            key=f"t{i}",
            name=f"Team {i}",
            level="team",
            parent=functions[i % len(functions)],
            meta=clock.meta(admin),
        )
        for i in range(teams)
    ]
    kpis = [
        Kpi.define(
            key=f"kpi{i}",
            team=units[i],
            name=f"KPI {i}",
            unit="min",
            direction="lower_is_better",
            healthy=Decimal(30),
            warning=Decimal(45),
            meta=clock.meta(admin),
        )
        for i in range(min(50, teams))
    ]
    out.add(strategy, company, *functions, *units, *kpis)
    start = date(2017, 1, 2)
    for number in range(cycles):
        starts = start + timedelta(weeks=13 * number)
        write_cycle(out, clock, rng, number, starts, strategy, choices, units, kpis)
        out.flush()
        yield out.written


def write_cycle(
    out: Batch,
    clock: Clock,
    rng: random.Random,
    number: int,
    starts: date,
    strategy: Strategy,
    choices: list[UUID],
    units: list[Team],
    kpis: list[Kpi],
) -> None:
    admin = "director"
    clock.now = max(clock.now, datetime.combine(starts, datetime.min.time(), UTC) - WEEK)
    cycle = Cycle.open(
        key=f"c{number}",
        name=f"Cycle {number}",
        starts_on=starts,
        ends_on=starts + timedelta(weeks=13) - timedelta(days=1),
        meta=clock.meta(admin),
    )
    plans = []
    for team in units:
        actor = f"lead-{team.key}"
        priorities = Priorities.establish(
            team_id=team.id, cycle_id=cycle.id, meta=clock.meta(actor)
        )
        for o in range(3):
            objective = Objective.draft(
                objective_id=uuid4(),
                team=team,
                cycle=cycle,
                owner=actor,
                statement=f"Objective {o} of {team.key} in cycle {number}",
                commitment="committed" if o else "aspirational",
                meta=clock.meta(actor),
            )
            priorities.enter(objective.id, clock.meta(actor))
            objective.link_to_choice(
                strategy, choices[rng.randrange(len(choices))], cycle, clock.meta(actor)
            )
            krs = []
            for k in range(3):
                baseline = Decimal(rng.randrange(10, 60))
                kr = KeyResult.define(
                    key_result_id=uuid4(),
                    objective=objective,
                    cycle=cycle,
                    statement=f"Lift metric {k} from {baseline} to {baseline + 20}",
                    kind="increase",
                    baseline=baseline,
                    target=baseline + 20,
                    unit="%",
                    deadline=cycle.ends_on,
                    owner=actor,
                    meta=clock.meta(actor),
                )
                objective.add_key_result(kr, clock.meta(actor))
                krs.append(kr)
            initiative = Initiative.propose(
                initiative_id=uuid4(),
                team=team,
                cycle=cycle,
                title=f"Initiative {o}",
                owner=actor,
                meta=clock.meta(actor),
            )
            initiative.link_to(krs[0], cycle, clock.meta(actor))
            plans.append((team, priorities, objective, krs, initiative))
            out.add(objective, *krs, initiative)
        out.add(priorities)
    cycle.start(clock.meta(admin))
    out.add(cycle)
    for week in range(13):
        friday = datetime.combine(
            starts + timedelta(days=4 + 7 * week), datetime.min.time(), UTC
        ) + timedelta(hours=15)
        clock.now = max(clock.now, friday)
        for team, _priorities, _objective, krs, initiative in plans:
            actor = f"lead-{team.key}"
            if week == 0:
                initiative.start(cycle, clock.meta(actor))
            for kr in krs:
                if not kr.is_live:
                    continue
                value = kr.aim.baseline + Decimal(rng.randrange(0, 22)) * (week + 1) / 13
                confidence = rng.choice(["on_track", "on_track", "at_risk", "off_track"])
                kr.check_in(
                    check_in_id=uuid4(),
                    value=value.quantize(Decimal("0.1")),
                    confidence=confidence,
                    note="weekly",
                    cycle=cycle,
                    meta=clock.meta(actor, step=timedelta(milliseconds=50)),
                )
                if rng.random() < 0.01:
                    original = kr.latest_check_in()
                    assert original is not None
                    kr.correct_check_in(
                        check_in_id=uuid4(),
                        supersedes=original.id,
                        value=original.value + 1,
                        confidence=confidence,
                        cycle=cycle,
                        meta=clock.meta(actor, reason="typo"),
                    )
            out.add(*krs, initiative)
        for kpi in kpis:
            kpi.measure(Decimal(rng.randrange(20, 60)), clock.meta("analyst"))
        out.add(*kpis)
        if week == 6:
            mid_cycle_review(out, clock, rng, cycle, plans)
    cycle.begin_review(clock.meta(admin))
    out.add(cycle)


def mid_cycle_review(
    out: Batch, clock: Clock, rng: random.Random, cycle: Cycle, plans: list
) -> None:  # type: ignore[type-arg]
    chosen = rng.sample(plans, k=max(1, len(plans) // 10))
    decision = Decision.record(
        decision_id=uuid4(),
        cycle=cycle,
        forum="Quarterly review",
        decided_by=["Board"],
        decision_type="reprioritise",
        summary="Mid-cycle reprioritisation",
        rationale="Demand shifted",
        affects=[p[2].id for p in chosen],
        meta=clock.meta("director"),
    )
    out.add(decision)
    for team, priorities, _objective, krs, initiative in chosen:
        actor = f"lead-{team.key}"
        order = list(priorities.order)
        if len(order) > 1:
            order.reverse()
            priorities.reprioritise(
                order, cycle, clock.meta(actor, reason="review", decision=decision.id)
            )
        kr = krs[1]
        kr.retarget(
            target=kr.aim.target - 5,
            cycle=cycle,
            meta=clock.meta(actor, reason="too ambitious", decision=decision.id),
        )
        if rng.random() < 0.3:
            krs[2].drop(cycle, clock.meta(actor, reason="wrong metric", decision=decision.id))
            initiative.stop(cycle, clock.meta(actor, reason="not working", decision=decision.id))
        out.add(priorities, *krs, initiative)
