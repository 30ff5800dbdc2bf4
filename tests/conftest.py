"""Shared fixtures: a ledger on the in-memory store, a controllable clock, and a small
organisation (company → function → team, a started cycle) to act in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from commands import messages as m
from commands.bus import CommandBus, Outcome
from commands.principals import ADMIN, EDITOR, Principal
from ledger.application import Ledger
from ledger.principal import token_hash
from okr_ledger import demo
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(clock: FakeClock) -> Iterator[Services]:
    services = bootstrap(Settings(database_url="memory://"), clock=clock)
    yield services
    services.close()


@pytest.fixture
def ledger(services: Services) -> Ledger:
    return services.ledger


@pytest.fixture
def bus(services: Services) -> CommandBus:
    return services.bus


ADMIN_PRINCIPAL = Principal("ada.admin", ADMIN)


def grant_token(
    bus: CommandBus, token: str, name: str = "amira", role: str = ADMIN, teams: tuple = ()
) -> None:
    """Add a principal whose API token is ``token`` (as the CLI's ``principal add`` does)."""
    bus.handle(
        m.AddPrincipal(name=name, role=role, token_hash=token_hash(token), team_ids=teams),
        ADMIN_PRINCIPAL,
    )


@dataclass
class Org:
    """A company with one function and two teams, and a started cycle."""

    bus: CommandBus
    company: UUID
    function: UUID
    team: UUID
    other_team: UUID
    cycle: UUID
    admin: Principal

    def do(
        self, command: m.Command, principal: Principal | None = None, **kwargs: object
    ) -> Outcome:
        return self.bus.handle(command, principal or self.admin, **kwargs)  # type: ignore[arg-type]

    def editor(self, name: str = "erin.editor", *teams: UUID) -> Principal:
        return Principal(name, EDITOR, frozenset(teams or (self.team,)))

    def objective(
        self,
        statement: str = "Make renewals effortless so residents stay",
        team: UUID | None = None,
        **fields: object,
    ) -> UUID:
        outcome = self.do(
            m.DraftObjective(
                team_id=team or self.team,
                cycle_id=self.cycle,
                statement=statement,
                owner="olu.owner",
                **fields,
            )
        )  # type: ignore[arg-type]
        assert outcome.created_id is not None
        return outcome.created_id

    def key_result(
        self, objective_id: UUID, statement: str = "Lift renewals from 40 to 60", **fields: object
    ) -> UUID:
        values: dict[str, object] = {
            "kind": "increase",
            "baseline": Decimal(40),
            "target": Decimal(60),
            "unit": "%",
            "owner": "kim.owner",
            "deadline": date(2026, 9, 30),
        }
        values.update(fields)
        outcome = self.do(
            m.DefineKeyResult(objective_id=objective_id, statement=statement, **values)
        )  # type: ignore[arg-type]
        assert outcome.created_id is not None
        return outcome.created_id


def build_org(bus: CommandBus, *, start: bool = True) -> Org:
    admin = ADMIN_PRINCIPAL
    company = bus.handle(m.FormTeam(key="city", name="City Council", level="company"), admin)
    function = bus.handle(
        m.FormTeam(
            key="customer",
            name="Customer Services",
            level="function",
            parent_id=company.created_id,
        ),
        admin,
    )
    team = bus.handle(
        m.FormTeam(
            key="contact", name="Contact Centre", level="team", parent_id=function.created_id
        ),
        admin,
    )
    other = bus.handle(
        m.FormTeam(
            key="repairs", name="Housing Repairs", level="team", parent_id=function.created_id
        ),
        admin,
    )
    cycle = bus.handle(
        m.OpenCycle(
            key="2026-Q3", name="Q3 2026", starts_on=date(2026, 7, 1), ends_on=date(2026, 9, 30)
        ),
        admin,
    )
    if start:
        bus.handle(m.StartCycle(cycle_id=cycle.created_id), admin)  # type: ignore[arg-type]
    ids = [o.created_id for o in (company, function, team, other, cycle)]
    assert all(ids)
    return Org(bus, *ids, admin=admin)  # type: ignore[arg-type]


@pytest.fixture
def org(bus: CommandBus) -> Org:
    return build_org(bus)


@pytest.fixture(scope="module")
def demo_services() -> Iterator[Services]:
    """The demo quarter on the in-memory store, read models caught up (shared by a module)."""
    services = bootstrap(Settings(database_url="memory://"))
    demo.load(services)
    services.read_models.catch_up()
    yield services
    services.close()
