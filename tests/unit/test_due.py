"""What is due, under the cycle's cadence, with a clock the test moves: due after one
period without a check-in, overdue after two; reminders for each once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from commands import messages as m
from commands.subscriptions import Subscribe
from deliveries import signing
from deliveries.sender import Attempt
from eventlog.vocabulary import micros_of
from okr_ledger.bootstrap import Services
from projections.due import due_report
from tests.conftest import ADMIN_PRINCIPAL, FakeClock, Org, build_org


def at(day: int, hour: int = 1, month: int = 7) -> int:
    return micros_of(datetime(2026, month, day, hour, tzinfo=UTC))


def report(services: Services, now: int, team: str | None = None) -> dict[str, Any]:
    models = services.read_models
    models.catch_up()
    with models.reading() as cursor:
        snapshot = models.snapshot(cursor, "2026-Q3")
    assert snapshot is not None
    return due_report(snapshot, now, team)


def states(found: dict[str, Any]) -> dict[str, str]:
    return {
        kr["statement"]: kr["state"] for group in found["owners"] for kr in group["key_results"]
    }


def quarter(services: Services) -> tuple[Org, Any, Any]:
    """The org's cycle (from 1 July, weekly cadence), a key result checked in on
    6 July and one never checked in."""
    org = build_org(services.bus)
    objective = org.objective()
    checked = org.key_result(objective, "Lift renewals from 40 to 60")
    silent = org.key_result(
        objective, "Cut waiting from 9 to 4 days", owner="sam.owner", kind="decrease",
        baseline=Decimal(9), target=Decimal(4), unit="days",
    )  # fmt: skip
    org.do(m.CheckIn(key_result_id=checked, value=Decimal(45), confidence="on_track"))
    return org, checked, silent


def test_nothing_is_due_within_the_first_period(services: Services) -> None:
    quarter(services)
    found = report(services, at(7, 23))
    assert (found["due"], found["overdue"], found["owners"]) == (0, 0, [])


def test_a_key_result_is_due_after_one_period_and_overdue_after_two(services: Services) -> None:
    quarter(services)
    assert states(report(services, at(8))) == {"Cut waiting from 9 to 4 days": "due"}
    assert states(report(services, at(14, 9))) == {
        "Cut waiting from 9 to 4 days": "due",
        "Lift renewals from 40 to 60": "due",
    }
    assert states(report(services, at(15))) == {
        "Cut waiting from 9 to 4 days": "overdue",
        "Lift renewals from 40 to 60": "due",
    }


def test_the_report_groups_by_owner_and_team_and_says_since_when(services: Services) -> None:
    org, _, silent = quarter(services)
    found = report(services, at(15))
    assert [o["owner"] for o in found["owners"]] == ["kim.owner", "sam.owner"]
    (team,) = found["teams"]
    assert (team["team_id"], team["team"], team["due"], team["overdue"]) == (
        str(org.team), "Contact Centre", 1, 1,
    )  # fmt: skip
    (silent_item,) = [k for k in team["key_results"] if k["id"] == str(silent)]
    assert silent_item["last_check_in_at"] is None
    assert silent_item["due_since"] == "2026-07-08T00:00:00.000000Z"
    assert silent_item["overdue_since"] == "2026-07-15T00:00:00.000000Z"
    assert report(services, at(15), team=str(org.other_team))["teams"] == []


def test_a_check_in_resets_the_clock_and_a_dropped_key_result_is_never_due(
    services: Services, clock: FakeClock
) -> None:
    org, checked, silent = quarter(services)
    clock.advance(days=9)
    org.do(m.CheckIn(key_result_id=silent, value=Decimal(8), confidence="at_risk"))
    org.do(m.DropKeyResult(key_result_id=checked, reason="no longer measured"))
    assert states(report(services, at(15))) == {}
    assert states(report(services, at(23, 10))) == {"Cut waiting from 9 to 4 days": "due"}


def test_a_cycle_that_is_not_active_expects_no_check_in(services: Services) -> None:
    org, _, _ = quarter(services)
    org.do(m.BeginCycleReview(cycle_id=org.cycle, reason="quarter over"))
    assert report(services, at(20))["owners"] == []


def test_after_the_cycle_ends_it_is_judged_at_its_last_moment(services: Services) -> None:
    quarter(services)
    found = report(services, micros_of(datetime(2027, 1, 1, tzinfo=UTC)))
    assert found["at"] == "2026-09-30T23:59:59.999999Z"
    assert found["overdue"] == 2


def test_reminders_are_queued_once_per_state_and_signed_for_each_subscriber(
    services: Services, clock: FakeClock
) -> None:
    org, _, silent = quarter(services)
    sent: list[tuple[str, bytes, dict[str, str]]] = []

    def receive(url: str, body: bytes, headers: dict[str, str], **_: Any) -> Attempt:
        sent.append((url, body, headers))
        return Attempt(204, None)

    ident = UUID(int=1)
    services.deliveries.keep_secret(str(ident), signing.new_secret())
    subscribe = Subscribe(
        subscription_id=ident,
        url="https://hooks.example.org/okr",
        kinds=["check_in_due", "check_in_overdue"],
        team_id=org.team,
    )
    services.bus.handle(subscribe, ADMIN_PRINCIPAL)
    dispatcher = services.dispatcher(send=receive)
    services.read_models.catch_up()  # reminders come from the read models
    clock.now = datetime(2026, 7, 8, 1, tzinfo=UTC)
    assert dispatcher.run_once()["attempts"] == 1
    assert dispatcher.run_once()["attempts"] == 0, "a reminder is sent once"
    clock.now = datetime(2026, 7, 15, 1, tzinfo=UTC)
    dispatcher.run_once()
    dispatcher.close()
    kinds = [json.loads(b)["data"]["kind"] for _, b, _ in sent]
    assert kinds == ["check_in_due", "check_in_overdue", "check_in_due"]
    assert all(h["webhook-signature"].startswith("v1,") for _, _, h in sent)
    assert str(silent) in sent[1][1].decode()
