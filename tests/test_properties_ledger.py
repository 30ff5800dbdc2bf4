"""Invariants of the ledger, checked with hypothesis over arbitrary command sequences:

- replaying the stored events rebuilds exactly the live aggregates (the objects the
  write path mutated before saving them), through the JSON round trip;
- a refused command leaves the log byte-for-byte unchanged;
- any single-byte change to a stored event is caught by verify at its position.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from commands import messages as m
from ledger.application import Ledger
from ledger.exceptions import LedgerError
from ledger.replay import replay
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from tests.conftest import FakeClock, build_org

values = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False)
confidences = st.sampled_from(["on_track", "at_risk", "off_track", "shaky"])
reasons = st.sampled_from([None, "board asked for it", "typo in the first entry", "scope cut"])


def raw_log(ledger: Ledger) -> tuple[list[Any], list[Any]]:
    recorder = ledger.chained_recorder
    return list(recorder.select_raw_events(0, 10**6)), list(recorder.select_leaves(0, 10**6))


class LedgerMachine(RuleBasedStateMachine):
    objectives = Bundle("objectives")
    key_results = Bundle("key_results")
    check_ins = Bundle("check_ins")
    carried_objectives = Bundle("carried_objectives")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.services = bootstrap(Settings(database_url="memory://"), clock=self.clock)
        self.ledger = self.services.ledger
        self.live: dict[UUID, Any] = {}
        self.refused = 0
        original_save = self.ledger.save

        def recording_save(*objs: Any, **kwargs: Any) -> Any:
            recordings = original_save(*objs, **kwargs)
            for aggregate in objs:
                if aggregate is not None:  # saved: its state is the live state
                    self.live[aggregate.id] = copy.deepcopy(aggregate)
            return recordings

        self.ledger.save = recording_save  # type: ignore[method-assign]
        self.org = build_org(self.services.bus)
        self.next_cycle = self.org.do(
            m.OpenCycle(
                key="2026-Q4", name="Q4", starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31)
            )
        ).created_id

    def do(self, command: m.Command) -> Any:
        before = raw_log(self.ledger)
        self.clock.advance(hours=7)
        try:
            return self.org.do(command)
        except LedgerError:
            self.refused += 1
            assert raw_log(self.ledger) == before, "a refused command changed the log"
            return None

    def teardown(self) -> None:
        self.services.close()

    @rule(
        target=objectives,
        team=st.booleans(),
        commitment=st.sampled_from(["committed", "aspirational", "committed", "bogus"]),
    )
    def draft_objective(self, team: bool, commitment: str) -> Any:
        outcome = self.do(
            m.DraftObjective(
                team_id=self.org.team if team else self.org.other_team,
                cycle_id=self.org.cycle,
                statement="Make repairs right first time so residents trust us",
                owner="olu",
                commitment=commitment,
            )
        )
        return outcome.created_id if outcome else multiple()

    @rule(
        target=key_results,
        objective=objectives,
        kind=st.sampled_from(["increase", "decrease", "band", "milestone", "baseline"]),
        baseline=values,
        goal=values,
    )
    def define_key_result(
        self, objective: UUID, kind: str, baseline: Decimal, goal: Decimal
    ) -> Any:
        fields: dict[str, Any] = {}
        if kind in ("increase", "decrease"):
            fields = {"baseline": baseline, "target": goal}
        elif kind == "band":
            fields = {"band_low": min(baseline, goal), "band_high": max(baseline, goal)}
        outcome = self.do(
            m.DefineKeyResult(
                objective_id=objective,
                statement="Lift first-visit fixes",
                kind=kind,
                owner="kim",
                unit="%",
                **fields,
            )
        )
        return outcome.created_id if outcome else multiple()

    @rule(
        target=check_ins,
        kr=key_results,
        value=values,
        confidence=confidences,
        back=st.integers(min_value=0, max_value=30),
    )
    def check_in(self, kr: UUID, value: Decimal, confidence: str, back: int) -> Any:
        outcome = self.do(
            m.CheckIn(
                key_result_id=kr,
                value=value,
                confidence=confidence,
                note="weekly",
                blockers=("supplier",) if back % 3 == 0 else (),
                effective_at=self.clock.now + timedelta(hours=7) - timedelta(days=back),
            )
        )
        return (kr, outcome.created_id) if outcome else multiple()

    @rule(entry=check_ins, value=values, reason=reasons)
    def correct(self, entry: tuple[UUID, UUID], value: Decimal, reason: str | None) -> None:
        kr, check_in_id = entry
        self.do(
            m.CorrectCheckIn(
                key_result_id=kr,
                supersedes=check_in_id,
                value=value,
                confidence="at_risk",
                reason=reason,
            )
        )

    @rule(kr=key_results, goal=values, reason=reasons)
    def retarget(self, kr: UUID, goal: Decimal, reason: str | None) -> None:
        self.do(m.RetargetKeyResult(key_result_id=kr, target=goal, reason=reason))

    @rule(kr=key_results, reason=reasons)
    def drop_key_result(self, kr: UUID, reason: str | None) -> None:
        self.do(m.DropKeyResult(key_result_id=kr, reason=reason))

    @rule(objective=objectives, reason=reasons)
    def drop_objective(self, objective: UUID, reason: str | None) -> None:
        self.do(m.DropObjective(objective_id=objective, reason=reason))

    @rule(data=st.data(), reason=reasons)
    def reprioritise(self, data: st.DataObject, reason: str | None) -> None:
        from ledger.priorities import Priorities

        current = self.ledger.find(Priorities, Priorities.id_for(self.org.team, self.org.cycle))
        order = list(current.order) if current else []
        order = data.draw(
            st.one_of(
                st.permutations(order),
                st.lists(st.sampled_from([*order, self.org.team]), max_size=4),
            )
        )
        self.do(
            m.Reprioritise(
                team_id=self.org.team, cycle_id=self.org.cycle, order=tuple(order), reason=reason
            )
        )

    @rule(kr=key_results, score=st.decimals(min_value=-1, max_value=2, places=2))
    def override(self, kr: UUID, score: Decimal) -> None:
        self.do(m.OverrideScore(key_result_id=kr, score=score, reason="accepted late"))

    @rule(objective=objectives, outcome=st.sampled_from(["hit", "missed"]))
    def reflect(self, objective: UUID, outcome: str) -> None:
        self.do(
            m.ReflectOnObjective(
                objective_id=objective,
                outcome=outcome,
                achieved="a",
                why="b",
                causes=("execution",) if outcome != "hit" else (),
            )
        )

    @initialize(review=st.booleans())
    def start_some_runs_in_review(self, review: bool) -> None:
        """Half the runs begin with the cycle in review, where work can be carried forward
        from the start (the others reach review, or not, by ``move_cycle``)."""
        if review:
            self.do(m.BeginCycleReview(cycle_id=self.org.cycle))

    @rule(
        targets=(objectives, carried_objectives),
        objective=objectives,
        alone=st.booleans(),
        cycle=st.sampled_from(["next", "same"]),
    )
    def carry_objective(self, objective: UUID, alone: bool, cycle: str) -> Any:
        outcome = self.do(
            m.CarryObjectiveForward(
                objective_id=objective,
                cycle_id=self.next_cycle if cycle == "next" else self.org.cycle,
                key_result_ids=() if alone else None,
            )
        )
        return outcome.created_id if outcome else multiple()

    @rule(target=key_results, kr=key_results)
    def carry_key_result(self, kr: UUID) -> Any:
        return self.carry_key_result_under(kr, None)

    @rule(target=key_results, kr=key_results, under=carried_objectives)
    def carry_key_result_under(self, kr: UUID, under: UUID | None) -> Any:
        outcome = self.do(
            m.CarryKeyResultForward(key_result_id=kr, cycle_id=self.next_cycle, objective_id=under)
        )
        return outcome.created_id if outcome else multiple()

    @rule(step=st.sampled_from(["review", "close", "reopen", "reopen"]), reason=reasons)
    def move_cycle(self, step: str, reason: str | None) -> None:
        command = {"review": m.BeginCycleReview, "close": m.CloseCycle, "reopen": m.ReopenCycle}[
            step
        ]
        self.do(command(cycle_id=self.org.cycle, reason=reason))

    @invariant()
    def log_is_intact(self) -> None:
        assert self.ledger.verify().intact

    def check_replay_equals_live(self) -> None:
        world = replay(self.ledger)
        assert set(world.aggregates) == set(self.live)
        for ident, aggregate in self.live.items():
            assert world.aggregates[ident] == aggregate, ident
            assert self.ledger.repository.get(ident) == aggregate, ident


class ReplayMachine(LedgerMachine):
    @invariant()
    def replay_equals_live(self) -> None:
        self.check_replay_equals_live()


TestReplayEqualsLiveAndRefusalsWriteNothing = ReplayMachine.TestCase
TestReplayEqualsLiveAndRefusalsWriteNothing.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_single_byte_change_to_a_stored_event_is_caught_at_its_position(
    data: st.DataObject,
) -> None:
    services = bootstrap(Settings(database_url="memory://"), clock=FakeClock())
    try:
        org = build_org(services.bus)
        objective = org.objective()
        org.key_result(objective)
        recorder = services.ledger.recorder
        stored = recorder._stored_events  # type: ignore[attr-defined]
        index = data.draw(st.integers(0, len(stored) - 1), label="event index")
        event = stored[index]
        field = data.draw(st.sampled_from(["state", "topic"]), label="field")
        original = event.state if field == "state" else event.topic.encode()
        offset = data.draw(st.integers(0, len(original) - 1), label="byte offset")
        new_byte = data.draw(st.integers(0, 255).filter(lambda b: b != original[offset]))
        forged = original[:offset] + bytes([new_byte]) + original[offset + 1 :]
        if field == "state":
            stored[index] = replace(event, state=forged)
        else:
            stored[index] = replace(event, topic=forged.decode("utf-8", "surrogateescape"))
        result = services.ledger.verify()
        assert not result.intact
        assert result.failed_at == index + 1
    finally:
        services.close()
