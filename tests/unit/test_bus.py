"""The command bus: metadata of every event, idempotent retries, optimistic concurrency
and permissions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from commands import messages as m
from commands.bus import CommandBus, Outcome
from commands.errors import Forbidden, IdempotencyKeyReused, UnknownCommand
from commands.principals import AUDITOR, VIEWER, Principal
from ledger.exceptions import RuleViolation, VersionConflict
from ledger.key_result import KeyResult
from ledger.objective import Objective
from ledger.priorities import Priorities
from ledger.receipt import Receipt
from tests.conftest import FakeClock, Org
from tests.unit.support import events_after

D = Decimal


def draft(org: Org, statement: str = "Renewals are effortless") -> m.DraftObjective:
    return m.DraftObjective(
        team_id=org.team, cycle_id=org.cycle, statement=statement, owner="olu.owner"
    )


# -- metadata --------------------------------------------------------------------------


def test_every_event_of_one_command_shares_correlation_actor_and_command_id(org: Org) -> None:
    head = org.bus.ledger.head_position()
    editor = org.editor("erin.editor")

    outcome = org.do(draft(org), editor, command_id="draft-1")

    events = events_after(org.bus.ledger, head)
    kinds = {type(e).__qualname__ for e in events}
    assert kinds == {
        "Objective.Drafted",
        "Priorities.Established",
        "Priorities.ObjectiveEntered",
        "Receipt.Issued",
    }
    assert {e.meta.correlation_id for e in events} == {outcome.correlation_id}
    assert {e.meta.actor for e in events} == {"erin.editor"}
    assert {e.meta.command_id for e in events} == {"draft-1"}
    assert outcome.position == org.bus.ledger.head_position()


def test_each_command_gets_its_own_correlation_id(org: Org) -> None:
    first = org.do(draft(org, "First"))
    second = org.do(draft(org, "Second"))

    assert first.correlation_id != second.correlation_id


def test_the_actor_is_the_principal_and_a_command_cannot_name_one(org: Org) -> None:
    objective = org.objective()

    org.do(m.ChangeObjectiveOwner(objective_id=objective, owner="nia"), org.editor("ed.it"))

    assert org.bus.ledger.history(objective)[-1].meta.actor == "ed.it"
    with pytest.raises(TypeError):
        m.ChangeObjectiveOwner(objective_id=objective, owner="nia", actor="mallory")  # type: ignore[call-arg]


def test_recorded_time_is_the_clock_and_effective_time_defaults_to_it(
    org: Org, clock: FakeClock
) -> None:
    now = clock.advance(hours=5)
    head = org.bus.ledger.head_position()

    org.do(draft(org))

    events = events_after(org.bus.ledger, head)
    assert events
    for event in events:
        assert event.meta.recorded_at == event.meta.effective_at == now
        assert event.timestamp == now


def test_a_back_dated_command_keeps_its_effective_time(org: Org, clock: FakeClock) -> None:
    kr = org.key_result(org.objective())
    then = clock.now - timedelta(days=3)
    head = org.bus.ledger.head_position()

    org.do(m.CheckIn(key_result_id=kr, value=D(45), confidence="on_track", effective_at=then))

    (event,) = events_after(org.bus.ledger, head)
    assert (event.meta.effective_at, event.meta.recorded_at) == (then, clock.now)


def test_a_naive_effective_time_is_refused(org: Org) -> None:
    kr = org.key_result(org.objective())

    with pytest.raises(RuleViolation) as refused:
        org.do(
            m.CheckIn(
                key_result_id=kr,
                value=D(45),
                confidence="on_track",
                effective_at=datetime(2026, 7, 1, 9, 0),
            )
        )

    assert (refused.value.rule, refused.value.field) == ("naive_datetime", "effective_at")


def test_the_reason_is_trimmed_and_a_blank_reason_is_no_reason(org: Org) -> None:
    objective = org.objective()

    with pytest.raises(RuleViolation) as refused:
        org.do(m.DropObjective(objective_id=objective, reason="   "))
    assert refused.value.rule == "reason_required"

    org.do(m.DropObjective(objective_id=objective, reason="  Out of scope \n"))
    assert org.bus.ledger.history(objective)[-1].meta.reason == "Out of scope"


def test_an_unknown_command_is_refused(org: Org) -> None:
    @dataclass(frozen=True, kw_only=True)
    class Dance(m.Command):
        pass

    with pytest.raises(UnknownCommand):
        org.do(Dance())


# -- idempotency -----------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_original_outcome_and_writes_nothing(
    org: Org, clock: FakeClock
) -> None:
    original = org.do(draft(org), command_id="draft-1")
    head = org.bus.ledger.head_position()
    clock.advance(minutes=5)

    retry = org.do(draft(org), command_id="draft-1")

    assert retry.replayed
    assert not original.replayed
    assert (retry.position, retry.correlation_id, retry.created_id, retry.versions) == (
        original.position,
        original.correlation_id,
        original.created_id,
        original.versions,
    )
    assert retry.command_id == "draft-1"
    assert org.bus.ledger.head_position() == head
    priorities = org.bus.ledger.get(Priorities, Priorities.id_for(org.team, org.cycle))
    assert priorities.order == [original.created_id]


def test_the_receipt_is_written_with_the_commands_events(org: Org) -> None:
    outcome = org.do(draft(org), command_id="draft-1")

    receipt = org.bus.ledger.get(Receipt, Receipt.id_for("ada.admin", "draft-1"))
    assert (receipt.command_type, receipt.created_id, receipt.versions) == (
        "DraftObjective",
        outcome.created_id,
        outcome.versions,
    )
    assert org.bus.ledger.position_of(receipt.id, 1) == outcome.position


def test_reusing_a_key_for_a_different_command_is_refused(org: Org) -> None:
    org.do(draft(org, "First"), command_id="draft-1")
    head = org.bus.ledger.head_position()

    with pytest.raises(IdempotencyKeyReused) as refused:
        org.do(draft(org, "Second"), command_id="draft-1")

    assert refused.value.rule == "idempotency_key_reused"
    assert org.bus.ledger.head_position() == head


def test_idempotency_keys_belong_to_the_principal_that_sent_them(org: Org) -> None:
    first = org.do(draft(org), command_id="draft-1")

    second = org.do(draft(org), org.editor("erin.editor"), command_id="draft-1")

    assert not second.replayed
    assert second.created_id != first.created_id


def test_a_refused_command_does_not_use_up_its_key(org: Org) -> None:
    objective = org.objective()

    with pytest.raises(RuleViolation):
        org.do(m.DropObjective(objective_id=objective), command_id="drop-1")
    outcome = org.do(m.DropObjective(objective_id=objective, reason="r"), command_id="drop-1")

    assert not outcome.replayed
    assert org.bus.ledger.get(Objective, objective).status == "dropped"


# -- optimistic concurrency ------------------------------------------------------------


def test_a_stale_expected_version_raises_a_conflict_and_writes_nothing(org: Org) -> None:
    objective = org.objective()
    version = org.bus.ledger.get(Objective, objective).version
    org.do(m.RewordObjective(objective_id=objective, statement="Second", expected_version=version))
    head = org.bus.ledger.head_position()

    with pytest.raises(VersionConflict) as conflict:
        org.do(
            m.RewordObjective(objective_id=objective, statement="Third", expected_version=version)
        )

    assert (conflict.value.expected, conflict.value.current) == (version, version + 1)
    assert conflict.value.rule == "version_conflict"
    assert org.bus.ledger.head_position() == head
    assert org.bus.ledger.get(Objective, objective).statement == "Second"


def test_the_outcome_reports_the_new_versions(org: Org) -> None:
    objective = org.objective()
    version = org.bus.ledger.get(Objective, objective).version

    outcome = org.do(
        m.RewordObjective(objective_id=objective, statement="New", expected_version=version)
    )

    assert outcome.versions == {objective: version + 1}


def test_a_command_that_lost_a_race_is_rerun_on_fresh_state(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    objective = org.objective()
    ledger = org.bus.ledger
    rival = CommandBus(ledger, org.bus.handlers, clock=org.bus.clock)
    original_save = ledger.save
    raced = []

    def save_after_a_rival(*objs: object, **kwargs: object) -> object:
        if not raced:
            raced.append(True)
            rival.handle(m.ChangeObjectiveOwner(objective_id=objective, owner="rival"), org.admin)
        return original_save(*objs, **kwargs)

    monkeypatch.setattr(ledger, "save", save_after_a_rival)

    org.do(m.RewordObjective(objective_id=objective, statement="Mine"))

    final = ledger.get(Objective, objective)
    assert (final.statement, final.owner) == ("Mine", "rival")


def test_a_duplicate_delivered_concurrently_is_answered_with_the_first_outcome(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    kr = org.key_result(org.objective())
    ledger = org.bus.ledger
    twin = CommandBus(ledger, org.bus.handlers, clock=org.bus.clock)
    command = m.CheckIn(key_result_id=kr, value=D(50), confidence="on_track")
    original_save = ledger.save
    first: list[Outcome] = []
    raced: list[bool] = []

    def save_after_the_twin(*objs: object, **kwargs: object) -> object:
        if not raced:
            raced.append(True)
            first.append(twin.handle(command, org.admin, command_id="check-1"))
        return original_save(*objs, **kwargs)

    monkeypatch.setattr(ledger, "save", save_after_the_twin)

    outcome = org.do(command, command_id="check-1")

    assert outcome.replayed
    assert (outcome.position, outcome.created_id) == (first[0].position, first[0].created_id)
    assert len(ledger.get(KeyResult, kr).check_ins) == 1


# -- permissions -----------------------------------------------------------------------

Make = Callable[[Org, UUID], m.Command]

TEAM_WRITES: list[Make] = [
    lambda org, team: m.DraftObjective(team_id=team, cycle_id=org.cycle, statement="S", owner="o"),
    lambda org, team: m.DefineKpi(
        key="k", team_id=team, name="K", direction="higher_is_better", healthy=D(2), warning=D(1)
    ),
    lambda org, team: m.ProposeInitiative(team_id=team, cycle_id=org.cycle, title="T", owner="o"),
]


@pytest.mark.parametrize("role", [VIEWER, AUDITOR])
@pytest.mark.parametrize("make", TEAM_WRITES, ids=["objective", "kpi", "initiative"])
def test_viewers_and_auditors_cannot_write(org: Org, role: str, make: Make) -> None:
    reader = Principal("rae.reader", role, frozenset({org.team}))
    head = org.bus.ledger.head_position()

    with pytest.raises(Forbidden) as refused:
        org.do(make(org, org.team), reader)

    assert refused.value.rule == "forbidden"
    assert org.bus.ledger.head_position() == head


@pytest.mark.parametrize("make", TEAM_WRITES, ids=["objective", "kpi", "initiative"])
def test_an_editor_writes_for_its_own_team(org: Org, make: Make) -> None:
    outcome = org.do(make(org, org.team), org.editor("erin.editor", org.team))

    assert outcome.created_id is not None


@pytest.mark.parametrize("make", TEAM_WRITES, ids=["objective", "kpi", "initiative"])
def test_an_editor_writes_for_the_teams_below_its_own(org: Org, make: Make) -> None:
    outcome = org.do(make(org, org.other_team), org.editor("fay.function", org.function))

    assert outcome.created_id is not None


@pytest.mark.parametrize("make", TEAM_WRITES, ids=["objective", "kpi", "initiative"])
@pytest.mark.parametrize("where", ["sibling", "parent"])
def test_an_editor_cannot_write_for_a_sibling_or_a_team_above(
    org: Org, make: Make, where: str
) -> None:
    team = org.other_team if where == "sibling" else org.function
    head = org.bus.ledger.head_position()

    with pytest.raises(Forbidden):
        org.do(make(org, team), org.editor("erin.editor", org.team))

    assert org.bus.ledger.head_position() == head


def test_an_editor_cannot_change_a_sibling_teams_key_result(org: Org) -> None:
    kr = org.key_result(org.objective(team=org.other_team))
    head = org.bus.ledger.head_position()

    with pytest.raises(Forbidden):
        org.do(
            m.CheckIn(key_result_id=kr, value=D(50), confidence="on_track"),
            org.editor("erin.editor", org.team),
        )

    assert org.bus.ledger.head_position() == head
    assert org.bus.ledger.get(KeyResult, kr).check_ins == {}


ADMIN_ONLY: list[Make] = [
    lambda org, _: m.StartCycle(cycle_id=org.cycle),
    lambda org, _: m.BeginCycleReview(cycle_id=org.cycle),
    lambda org, _: m.OpenCycle(
        key="q4", name="Q4", starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31)
    ),
    lambda org, team: m.RenameTeam(team_id=team, name="Renamed"),
    lambda org, _: m.FormTeam(key="new", name="New", level="team", parent_id=org.function),
    lambda org, _: m.FormulateStrategy(key="s", name="S", vision="V", mission="M"),
]


@pytest.mark.parametrize(
    "make",
    ADMIN_ONLY,
    ids=["start-cycle", "review-cycle", "open-cycle", "rename-team", "form-team", "strategy"],
)
def test_admin_only_acts_are_refused_to_editors(org: Org, make: Make) -> None:
    editor = org.editor("erin.editor", org.company)  # even an editor of the whole company
    head = org.bus.ledger.head_position()

    with pytest.raises(Forbidden):
        org.do(make(org, org.team), editor)

    assert org.bus.ledger.head_position() == head


@pytest.mark.parametrize(
    "command",
    [
        lambda org, obj: m.DropObjective(objective_id=obj),
        lambda org, obj: m.RewordObjective(objective_id=obj, statement="Residents stay"),
        lambda org, obj: m.AlignObjective(
            objective_id=obj, parent_kind="objective", parent_id=obj
        ),
        lambda org, obj: m.DefineKeyResult(
            objective_id=obj, statement="K", kind="increase", owner="o", baseline=D(1), target=D(1)
        ),
    ],
    ids=["reason", "no-change", "loop", "target-equals-baseline"],
)
def test_a_refused_command_leaves_the_log_head_where_it_was(
    org: Org, command: Callable[[Org, UUID], m.Command]
) -> None:
    objective = org.objective("Residents stay")
    head = org.bus.ledger.head_position()

    with pytest.raises(RuleViolation):
        org.do(command(org, objective))

    assert org.bus.ledger.head_position() == head
