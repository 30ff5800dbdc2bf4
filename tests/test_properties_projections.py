"""Invariants of the read models, over arbitrary command sequences (hypothesis):

- a view rebuilt from zero equals the incrementally maintained one, and the read side
  scores every key result as the ledger does;
- the as-of view at T equals the state computed from exactly the events up to T;
- applying diff(T1, T2) to the state at T1 gives the state at T2;
- killing the follower at any point and restarting gives the same view as an
  uninterrupted run.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from commands import messages as m
from eventlog.decoder import Decoder
from eventlog.store import ReadStore
from eventlog.vocabulary import decimal_text, micros, time_text
from ledger.cycle import Cycle
from ledger.key_result import KeyResult
from ledger.objective import Objective
from ledger.priorities import Priorities
from ledger.scoring import DEFAULT_POLICY, ScoringPolicy, score_key_result
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from projections.diff import apply_diff
from projections.follower import Follower
from projections.rebuild import rebuild
from projections.service import ReadModels
from projections.state import StateView
from projections.view import View
from tests.conftest import FakeClock, build_org
from tests.test_properties_ledger import LedgerMachine

SETTINGS = settings(
    max_examples=25, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip


class Crash(Exception):
    pass


def comparable_check_ins(rows: dict[str, list[dict[str, Any]]]) -> dict[str, set[tuple]]:
    """Check-ins as view rows (times in microseconds) or diff entries (times as text)."""
    return {
        kr: {(c["check_in_id"], str(c["value"]), c["confidence"], time_text(c["effective_at"]),
              time_text(c["recorded_at"])) for c in found}
        for kr, found in rows.items() if found
    }  # fmt: skip


class ProjectionMachine(LedgerMachine):
    """The ledger machine, with read models followed at random moments."""

    def __init__(self) -> None:
        super().__init__()
        self.models = ReadModels(self.ledger, batch_size=7)

    @rule()
    def follow(self) -> None:
        self.models.catch_up()

    def times(self) -> list[int]:
        return sorted({r.recorded_at for r in self.records()})

    def records(self) -> list[Any]:
        return Decoder.of(self.ledger).notifications(
            self.ledger.recorder.select_notifications(0, 10**6)
        )

    def teardown(self) -> None:
        self.models.store.close()
        super().teardown()


class RebuildMachine(ProjectionMachine):
    def teardown(self) -> None:
        try:
            self.models.catch_up()
            for name in ("audit", "state"):
                assert rebuild(self.models, name, swap=False).identical, name
            assert_documents_agree_with_the_aggregates(self.models, self.ledger)
        finally:
            super().teardown()


POLICIES = (DEFAULT_POLICY, ScoringPolicy(band_mode="last_value"))


def text(value: Any) -> str | None:
    return None if value is None else str(value)


def assert_same_lineage(doc: dict[str, Any], aggregate: Objective | KeyResult) -> None:
    """Where carried work came from and went, on both sides."""
    came = aggregate.carried_from
    assert (doc["carried_from"], doc["carried_from_cycle_id"]) == (
        (str(came.id), str(came.cycle_id)) if came else (None, None)
    )
    if isinstance(aggregate, Objective):
        assert doc["carry_forward"] == (came.carry_forward if came else "")
    assert {t["cycle_id"]: t["id"] for t in doc["carried_to"]} == {
        str(k): str(v) for k, v in aggregate.carried_to.items()
    }


def assert_documents_agree_with_the_aggregates(models: ReadModels, ledger: Any) -> None:
    """The read side's own reading of the events gives what the domain's aggregates
    hold, field for field (so a reducer cannot drift from the aggregates silently), and
    scores every key result as the ledger does, under either band mode."""
    with models.reading() as cursor:
        docs = {
            kind: models.state.docs_of_kind(cursor, kind)
            for kind in ("objective", "key_result", "priorities", "cycle")
        }
        snapshots = {c["id"]: models.snapshot(cursor, c["id"]) for c in docs["cycle"]}
    for doc in docs["objective"]:
        o = ledger.get(Objective, UUID(doc["id"]))
        assert (doc["statement"], doc["owner"], doc["status"], doc["commitment"]) == (
            o.statement,
            o.owner,
            o.status,
            o.commitment,
        )
        assert doc["choices"] == {str(k): str(v) for k, v in o.choice_links.items()}
        assert doc["parents"] == {str(k): v for k, v in o.parents.items()}
        assert doc["key_result_ids"] == [str(k) for k in o.key_result_ids]
        assert (doc["reflection"] or {}).get("outcome") == (
            o.reflection.outcome if o.reflection else None
        )
        assert_same_lineage(doc, o)
    for doc in docs["key_result"]:
        kr = ledger.get(KeyResult, UUID(doc["id"]))
        aim = kr.aim
        assert (doc["statement"], doc["owner"], doc["status"], doc["kind"]) == (
            kr.statement,
            kr.owner,
            kr.status,
            kr.kind,
        )
        assert [doc.get(f) for f in ("baseline", "target", "band_low", "band_high")] == [
            decimal_text(getattr(aim, f)) for f in ("baseline", "target", "band_low", "band_high")
        ]  # in the API's canonical decimal text
        assert doc.get("deadline") == text(aim.deadline)
        assert Decimal(str(doc["weight"])) == kr.weight
        assert (doc["override"] or {}).get("score") == decimal_text(
            kr.override.score if kr.override else None
        )
        snapshot = snapshots[doc["cycle_id"]]
        assert snapshot is not None
        ends_on = ledger.get(Cycle, kr.cycle_id).ends_on
        for policy in POLICIES:
            read_side = snapshot.key_result(snapshot.docs[doc["id"]]).score(policy)
            assert read_side == score_key_result(kr, policy, ends_on=ends_on), (kr.kind, policy)
        assert_same_lineage(doc, kr)
    for doc in docs["priorities"]:
        assert doc["order"] == [str(o) for o in ledger.get(Priorities, UUID(doc["id"])).order]
    for doc in docs["cycle"]:
        assert doc["status"] == ledger.get(Cycle, UUID(doc["id"])).status


TestARebuiltViewEqualsTheIncrementalOne = RebuildMachine.TestCase
TestARebuiltViewEqualsTheIncrementalOne.settings = SETTINGS


class AsOfMachine(ProjectionMachine):
    @invariant()
    def the_as_of_view_equals_the_state_from_the_events_up_to_then(self) -> None:
        self.models.catch_up()
        records = self.records()
        for moment in self.times()[-3:]:
            expected = fresh_state(self.ledger, [r for r in records if r.recorded_at <= moment])
            with self.models.reading() as cursor:
                snapshot = self.models.snapshot(
                    cursor, str(self.org.cycle), as_of=moment, full_history=True
                )
            assert snapshot is not None
            assert snapshot.docs == of_cycle(expected[0], str(self.org.cycle))
            assert comparable_check_ins(snapshot.check_ins) == of_cycle_check_ins(
                expected[1], snapshot.docs
            )


def of_cycle(docs: dict[str, Any], cycle_id: str) -> dict[str, Any]:
    """The documents an as-of snapshot of one cycle holds: its own and the global ones
    (work carried into another cycle lives there, with that cycle)."""
    return {
        i: d
        for i, d in docs.items()
        if (d["id"] if d["type"] == "cycle" else d.get("cycle_id")) in (cycle_id, None)
    }


def of_cycle_check_ins(check_ins: dict[str, Any], docs: dict[str, Any]) -> dict[str, Any]:
    return {kr: rows for kr, rows in check_ins.items() if kr in docs}


def fresh_state(ledger: Any, records: list[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Docs and current check-ins of a state view built from just these records."""
    store = ReadStore(ledger)
    view = StateView(1)
    try:
        with store.transaction() as cursor:
            view.create(cursor)
            view.apply(cursor, records)
            docs = {}
            for row in cursor.execute(f"SELECT doc FROM {view.t('nodes')}").fetchall():
                doc = json.loads(row["doc"])
                docs[doc["id"]] = doc
            cycle_ids = {d["id"] for d in docs.values() if d["type"] == "cycle"}
            check_ins: dict[str, list[dict[str, Any]]] = {}
            for cycle_id in cycle_ids:
                for row in view.check_ins(cursor, cycle_id):
                    check_ins.setdefault(row["kr_id"], []).append(row)
        return docs, comparable_check_ins(check_ins)
    finally:
        store.close()


TestTheAsOfViewEqualsTheStateFromTheEventsUpToThen = AsOfMachine.TestCase
TestTheAsOfViewEqualsTheStateFromTheEventsUpToThen.settings = settings(
    SETTINGS, max_examples=15, stateful_step_count=20
)


class DiffMachine(ProjectionMachine):
    @invariant()
    def applying_the_diff_to_the_earlier_state_gives_the_later_state(self) -> None:
        self.models.catch_up()
        times = self.times()
        cycle = str(self.org.cycle)
        for start, end in zip(times[-4:], times[-3:], strict=False):
            with self.models.reading() as cursor:
                first = self.models.snapshot(cursor, cycle, as_of=start, full_history=True)
                later = self.models.snapshot(cursor, cycle, as_of=end, full_history=True)
            assert first is not None
            assert later is not None
            changes = self.models.diff(cycle, start, end)
            docs = json.loads(json.dumps(first.docs))
            check_ins = {k: list(v) for k, v in first.check_ins.items()}
            apply_diff(docs, check_ins, changes)
            assert docs == later.docs
            assert comparable_check_ins(check_ins) == comparable_check_ins(later.check_ins)


TestApplyingADiffGivesTheLaterState = DiffMachine.TestCase
TestApplyingADiffGivesTheLaterState.settings = settings(
    SETTINGS, max_examples=15, stateful_step_count=20
)


class CrashMachine(ProjectionMachine):
    def teardown(self) -> None:
        try:
            self.check_a_crashed_follower_resumes_to_the_same_view()
        finally:
            super().teardown()

    def check_a_crashed_follower_resumes_to_the_same_view(self) -> None:
        self.models.catch_up()
        batches = -(-self.ledger.head_position() // 3)
        for crash_at in sorted({1, batches // 2, batches}):
            views: list[View] = [
                type(v)(v.generation + 10 + crash_at)
                for v in (self.models.audit, self.models.state)
            ]
            follower = Follower(self.ledger, self.models.store, views, batch_size=3)
            follower.create_tables()
            calls = {"n": 0}

            def crash(
                view: View,
                records: list[Any],
                calls: dict[str, int] = calls,
                crash_at: int = crash_at,
            ) -> None:
                calls["n"] += 1
                if calls["n"] == crash_at * 2:
                    raise Crash

            follower.before_commit = crash
            with pytest.raises(Crash):
                follower.catch_up()
            restarted = [type(v)(v.generation) for v in views]  # a new process: no memory
            Follower(self.ledger, self.models.store, restarted, batch_size=3).catch_up()
            with self.models.reading() as cursor:
                for resumed, live in zip(
                    restarted, (self.models.audit, self.models.state), strict=True
                ):
                    assert resumed.fingerprint(cursor) == live.fingerprint(cursor)


TestAFollowerKilledAnywhereResumesToTheSameView = CrashMachine.TestCase
TestAFollowerKilledAnywhereResumesToTheSameView.settings = settings(
    SETTINGS, max_examples=15, stateful_step_count=25
)


@given(st.integers(min_value=0, max_value=10**6))
@settings(max_examples=20, deadline=None)
def test_times_survive_the_micros_round_trip(offset: int) -> None:
    moment = micros("2026-07-01T00:00:00+00:00") + offset * 1_000_003
    assert micros(time_text(moment)) == moment  # type: ignore[arg-type]


check_in_plans = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=24 * 120),  # hours after the clock's start
        st.integers(min_value=0, max_value=24 * 10),  # hours back-dated
        st.sampled_from(["92", "89", "95", "96", "90"]),  # band 90-95: in, out, edge...
        st.booleans(),  # then corrected
    ),
    max_size=8,
)


@settings(max_examples=40, deadline=None)
@given(plans=check_in_plans)
def test_the_read_side_weighs_time_in_band_exactly_as_the_ledger_does(
    plans: list[tuple[int, int, str, bool]],
) -> None:
    clock = FakeClock()
    services = bootstrap(Settings(database_url="memory://"), clock=clock)
    try:
        org = build_org(services.bus)
        kr = org.key_result(
            org.objective(), kind="band", baseline=None, target=None,
            band_low=Decimal(90), band_high=Decimal(95),
        )  # fmt: skip
        start = clock.now
        for after, back, value, corrected in sorted(plans):
            clock.now = max(clock.now, start + timedelta(hours=after))
            if clock.now.date() > date(2026, 9, 30) and status(org) == "active":
                org.do(m.BeginCycleReview(cycle_id=org.cycle))  # check-ins go on in review
            done = org.do(m.CheckIn(
                key_result_id=kr, value=Decimal(value), confidence="on_track",
                effective_at=max(clock.now - timedelta(hours=back), start),
            ))  # fmt: skip
            if corrected:
                clock.now += timedelta(hours=1)
                org.do(m.CorrectCheckIn(
                    key_result_id=kr, supersedes=done.created_id, value=Decimal("93"),
                    confidence="on_track", reason="misread",
                ))  # fmt: skip
        models = services.read_models
        models.catch_up()
        with models.reading() as cursor:
            snapshot = models.snapshot(cursor, str(org.cycle))
        assert snapshot is not None
        aggregate = services.ledger.get(KeyResult, kr)
        for policy in POLICIES:
            read_side = snapshot.key_result(snapshot.docs[str(kr)]).score(policy)
            ledger_side = score_key_result(aggregate, policy, ends_on=date(2026, 9, 30))
            assert read_side == ledger_side
    finally:
        services.close()


def status(org: Any) -> str:
    return str(org.bus.ledger.get(Cycle, org.cycle).status)
