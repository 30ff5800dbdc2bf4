"""A realistic quarter for a city council, written through the command bus.

``load`` plays Q3 2026 at Northbridge City Council: a planning week in late June,
thirteen weekly check-ins (each Friday afternoon), a mid-cycle review in week 7 and
the review and close in early October; then Q4 opens and starts with the work the
contact centre carries forward, so the ledger is left with a cycle open for writing.
Every act is a command handled by the same ``CommandBus`` every other write uses,
under a simulated clock, so the recorded times spread across the quarter as if people
had typed them.

The scenario is deliberately mixed: strong key results sit next to weak,
task-shaped ones ("Run 5 training sessions for advisers"), one objective is an
output ("Launch a new website") linked to no strategic choice, and one key result
has neither unit nor deadline, so quality advice has something to point at.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from uuid import UUID

import click

from commands import messages as m
from commands.bus import CommandBus, Outcome
from commands.handlers.carry import carried_key_result_id
from commands.principals import ADMIN, EDITOR, Principal
from ledger.application import Ledger
from ledger.cycle import Cycle
from ledger.key_result import BAND, DECREASE, INCREASE, MILESTONE
from ledger.kpi import Kpi
from ledger.strategy import Strategy
from ledger.team import Team
from okr_ledger.bootstrap import Services

D = Decimal
ONE = Decimal(1)

CYCLE_KEY = "2026-Q3"
STRATEGY_KEY = "northbridge"
CYCLE_START, CYCLE_END = date(2026, 7, 1), date(2026, 9, 30)
NEXT_CYCLE_KEY = "2026-Q4"
"""Opened and started at the end, with carried-forward work: a cycle to write to."""
NEXT_START, NEXT_END = date(2026, 10, 1), date(2026, 12, 31)
CYCLE_KEYS = (CYCLE_KEY, NEXT_CYCLE_KEY)
WEEKS = 13
FIRST_FRIDAY = date(2026, 7, 3)
PLANNING_STARTS = datetime(2026, 6, 22, 9, 0, tzinfo=UTC)
LATEST = datetime(2026, 10, 15, tzinfo=UTC)
"""The simulated clock never runs past this instant."""
FORUM = "Quarterly performance review"
CURRENCY = "GBP"
SEED = 2026


@dataclass(frozen=True)
class Loaded:
    commands: int
    """Commands issued (0 when the demo was already there)."""
    position: int
    """The log head afterwards."""


class DemoConflict(click.ClickException):
    """The ledger already holds something the demo would create."""


class SimulatedClock:
    """The bus's clock during the demo: moved forward by the scenario, never back,
    and never past ``LATEST``."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, when: datetime) -> None:
        if when < self.now:
            raise ValueError(f"the demo clock cannot go back from {self.now} to {when}")
        if when > LATEST:
            raise ValueError(f"the demo clock cannot run past {LATEST}")
        self.now = when

    def tick(self, minutes: int = 1) -> None:
        self.at(self.now + timedelta(minutes=minutes))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def friday(week: int) -> date:
    return FIRST_FRIDAY + timedelta(weeks=week - 1)


# -- the organisation ----------------------------------------------------------------


@dataclass(frozen=True)
class OrgUnit:
    key: str
    name: str
    level: str
    parent: str | None = None
    editor: str | None = None
    """Login of the team's editor, who writes its objectives and check-ins."""
    check_in_hour: int = 15


DIRECTOR = "Helen Marsh"
ADMIN_LOGIN = "director.customer"
ORG = (
    OrgUnit("northbridge", "Northbridge City Council", "company"),
    OrgUnit("customer-digital", "Customer & Digital Services", "function", "northbridge"),
    OrgUnit("contact-centre", "Contact Centre", "team", "customer-digital", "amira.khan", 14),
    OrgUnit("digital-services", "Digital Services", "team", "customer-digital", "tom.reid", 15),
    OrgUnit("housing-repairs", "Housing Repairs", "team", "customer-digital", "grace.obi", 16),
)
TEAMS = {u.key: u for u in ORG if u.editor}
DIRECTOR_PRINCIPAL = Principal(ADMIN_LOGIN, ADMIN)
DECIDED_BY = (DIRECTOR, "Amira Khan", "Tom Reid", "Grace Obi", "Owen Hughes (Finance)")

STRATEGY = m.FormulateStrategy(
    key=STRATEGY_KEY,
    name="Northbridge Customer Strategy 2026-2030",
    vision="A Northbridge where every resident gets help from the council first time, "
    "at any hour, in the way that suits them.",
    mission="We design council services around residents' needs, resolve problems at the "
    "first contact and spend public money where it makes the most difference.",
)
CHOICES = (
    (
        "self-service-first",
        "where_to_play",
        "Simple, high-volume requests (bins, council tax, repairs) go self-service first",
    ),
    (
        "people-for-complex",
        "where_to_play",
        "Residents with complex needs or in vulnerable circumstances reach a person quickly",
    ),
    (
        "fix-first-time",
        "how_to_win",
        "Resolve requests at the first contact by joining up contact centre, web and repairs data",
    ),
    ("no-bespoke-apps", "will_not_do", "We will not build bespoke apps where a web form will do"),
    (
        "measure-weekly",
        "capability",
        "Every team measures its own service and acts on the data every week",
    ),
)


# -- objectives and key results ------------------------------------------------------


@dataclass(frozen=True)
class KeyResultPlan:
    key: str
    statement: str
    kind: str
    owner: str
    path: tuple[tuple[int, float], ...]
    """Waypoints (week, value) the weekly check-ins follow; week 0 is the start."""
    baseline: Decimal | None = None
    target: Decimal | None = None
    band: tuple[Decimal, Decimal] | None = None
    unit: str = ""
    deadline: date | None = CYCLE_END
    classification: str = "committed"
    weight: Decimal = ONE
    noise: float = 0.0
    places: int = 1
    steps: bool = False
    """Hold each waypoint's value until the next (counts, milestones)."""


@dataclass(frozen=True)
class ObjectivePlan:
    key: str
    team: str
    statement: str
    owner: str
    commitment: str
    key_results: tuple[KeyResultPlan, ...]
    choices: tuple[str, ...] = ()
    aligned_to: tuple[str, str] | None = None
    """(parent kind, key of an objective or key result planned earlier)."""
    description: str = ""


OBJECTIVES = (
    ObjectivePlan(
        "cc-first-contact",
        "contact-centre",
        "Resolve residents' enquiries at the first contact in order to cut repeat calls "
        "and free advisers for complex cases",
        "Amira Khan",
        "committed",
        (
            KeyResultPlan(
                "cc-fcr",
                "Raise first-contact resolution from 62% to 75%",
                INCREASE,
                "Leon Price",
                ((0, 62), (6, 66), (13, 73.6)),
                baseline=D(62),
                target=D(75),
                unit="%",
                weight=D(2),
                noise=0.5,
            ),
            KeyResultPlan(
                "cc-escalation",
                "Reduce ticket escalation rate from 18% to 10%",
                DECREASE,
                "Jo Walsh",
                ((0, 18), (5, 15.2), (13, 10.4)),
                baseline=D(18),
                target=D(10),
                unit="%",
                noise=0.4,
            ),
            KeyResultPlan(
                "cc-answer-time",
                "Keep average time to answer between 2 and 5 minutes",
                BAND,
                "Leon Price",
                ((0, 4.1), (5, 4.8), (8, 6.2), (10, 5.3), (13, 4.3)),
                band=(D(2), D(5)),
                unit="minutes",
                noise=0.2,
            ),
        ),
        choices=("fix-first-time", "people-for-complex"),
        description="Repeat calls are a third of our volume; most are about the same request.",
    ),
    ObjectivePlan(
        "cc-coaching",
        "contact-centre",
        "Make every team leader a confident coach in order to lift the quality of advice "
        "and keep experienced advisers",
        "Amira Khan",
        "aspirational",
        (
            KeyResultPlan(
                "cc-confidence",
                "Increase manager confidence in goal-setting from 5.8 to 8.0",
                INCREASE,
                "Amira Khan",
                ((0, 5.8), (4, 5.9), (9, 6.9), (13, 7.4)),
                baseline=D("5.8"),
                target=D("8.0"),
                unit="score out of 10",
                classification="stretch",
                noise=0.1,
            ),
            KeyResultPlan(
                "cc-training",
                "Run 5 training sessions for advisers",
                INCREASE,
                "Jo Walsh",
                ((0, 0), (2, 1), (4, 2), (7, 3), (9, 4), (11, 5)),
                baseline=D(0),
                target=D(5),
                unit="sessions",
                weight=D("0.5"),
                places=0,
                steps=True,
            ),
            KeyResultPlan(
                "cc-attrition",
                "Establish the baseline adviser attrition rate",
                "baseline",
                "Jo Walsh",
                ((0, 24.5), (13, 22.8)),
                unit="% a year",
                classification="experimental",
                noise=0.6,
            ),
        ),
        choices=("measure-weekly",),
        aligned_to=("key_result", "cc-fcr"),
    ),
    ObjectivePlan(
        "ds-website",
        "digital-services",
        "Launch a new website",
        "Tom Reid",
        "committed",
        (
            KeyResultPlan(
                "ds-webinar",
                "Launch the onboarding webinar",
                MILESTONE,
                "Ellie Moore",
                ((0, 0), (10, 1)),
                deadline=date(2026, 8, 28),
                places=0,
                steps=True,
            ),
            KeyResultPlan(
                "ds-articles",
                "Publish new help center articles",
                INCREASE,
                "Ellie Moore",
                ((0, 0), (2, 1), (4, 2), (6, 4), (9, 5), (11, 6), (13, 7)),
                baseline=D(0),
                target=D(12),
                deadline=None,
                places=0,
                steps=True,
            ),
            KeyResultPlan(
                "ds-pages",
                "Cut the website from 4,200 pages to 1,500",
                DECREASE,
                "Sanjay Patel",
                ((0, 4200), (4, 4050), (8, 3480), (13, 2800)),
                baseline=D(4200),
                target=D(1500),
                unit="pages",
                noise=25,
                places=0,
            ),
        ),
        description="The content management system's support contract ends in March 2027.",
    ),
    ObjectivePlan(
        "ds-self-service",
        "digital-services",
        "Move simple transactions to self-service in order to give residents round-the-clock "
        "access and free phone time for people who need it",
        "Tom Reid",
        "committed",
        (
            KeyResultPlan(
                "ds-activation",
                "Lift 30-day activation from 41% to 55%",
                INCREASE,
                "Sanjay Patel",
                ((0, 41), (6, 44), (13, 54.2)),
                baseline=D(41),
                target=D(55),
                unit="% of new accounts",
                weight=D(2),
                noise=0.5,
            ),
            KeyResultPlan(
                "ds-bulky-waste",
                "Increase online bulky-waste bookings from 35% to 60%",
                INCREASE,
                "Sanjay Patel",
                ((0, 35), (6, 39.5)),
                baseline=D(35),
                target=D(60),
                unit="% of bookings",
                classification="stretch",
                noise=0.8,
            ),
            KeyResultPlan(
                "ds-abandonment",
                "Establish the baseline share of online forms abandoned before submission",
                "baseline",
                "Ellie Moore",
                ((0, 38), (13, 31.5)),
                unit="% of forms started",
                classification="experimental",
                noise=0.7,
            ),
        ),
        choices=("self-service-first", "no-bespoke-apps"),
    ),
    ObjectivePlan(
        "hr-right-first-time",
        "housing-repairs",
        "Fix tenants' repairs right first time in order to cut return visits and keep homes "
        "safe and warm",
        "Grace Obi",
        "committed",
        (
            KeyResultPlan(
                "hr-first-visit",
                "Increase repairs fixed on the first visit from 71% to 85%",
                INCREASE,
                "Mark Doyle",
                ((0, 71), (4, 72), (8, 77), (13, 81.6)),
                baseline=D(71),
                target=D(85),
                unit="%",
                weight=D(2),
                noise=0.6,
            ),
            KeyResultPlan(
                "hr-routine-days",
                "Reduce average days to complete a routine repair from 24 to 15",
                DECREASE,
                "Mark Doyle",
                ((0, 24), (6, 23.4), (13, 18.4)),
                baseline=D(24),
                target=D(15),
                unit="days",
                noise=0.3,
            ),
            KeyResultPlan(
                "hr-emergency",
                "Keep emergencies attended within 4 hours at 95-100% of call-outs",
                BAND,
                "Mark Doyle",
                ((0, 97), (5, 96.2), (7, 94.3), (9, 96.4), (13, 97.6)),
                band=(D(95), D(100)),
                unit="%",
                noise=0.4,
            ),
        ),
        choices=("fix-first-time", "measure-weekly"),
    ),
    ObjectivePlan(
        "hr-online-repairs",
        "housing-repairs",
        "Let tenants book and track repairs online in order to cut chasing calls and give "
        "tenants certainty about when we will come",
        "Grace Obi",
        "aspirational",
        (
            KeyResultPlan(
                "hr-online-bookings",
                "Increase repairs booked online from 12% to 30%",
                INCREASE,
                "Ruth Adeyemi",
                ((0, 12), (6, 21), (13, 33.2)),
                baseline=D(12),
                target=D(30),
                unit="% of repairs",
                classification="stretch",
                noise=0.6,
            ),
            KeyResultPlan(
                "hr-chasing-calls",
                "Reduce 'where is my repair?' calls from 2,400 to 1,500 a month",
                DECREASE,
                "Ruth Adeyemi",
                ((0, 2400), (8, 2250), (13, 1800)),
                baseline=D(2400),
                target=D(1500),
                unit="calls a month",
                noise=30,
                places=0,
            ),
            KeyResultPlan(
                "hr-tracking",
                "Launch live repair tracking for tenants",
                MILESTONE,
                "Ruth Adeyemi",
                ((0, 0), (11, 1)),
                deadline=date(2026, 9, 15),
                places=0,
                steps=True,
            ),
        ),
        choices=("self-service-first",),
        aligned_to=("objective", "ds-self-service"),
    ),
)
KEY_RESULTS = {kr.key: kr for o in OBJECTIVES for kr in o.key_results}
TEAM_OF = {kr.key: o.team for o in OBJECTIVES for kr in o.key_results}

SPECIAL_NOTES: dict[tuple[str, int], tuple[str, tuple[str, ...]]] = {
    ("cc-answer-time", 7): ("Council tax reminder letters doubled calls on Monday", ()),
    ("cc-answer-time", 8): (
        "Still above band: reminder calls plus summer leave",
        ("Two advisers on long-term sick leave",),
    ),
    ("cc-training", 7): ("Third session held: complaints handling", ()),
    ("cc-confidence", 9): ("Pulse survey after the second coaching module", ()),
    ("ds-webinar", 8): ("Venue confirmed for 27 August", ()),
    ("ds-webinar", 9): (
        "Venue booking fell through; webinar moved to 3 September",
        ("No accessible venue free before 3 September",),
    ),
    ("ds-webinar", 10): ("Webinar ran on 3 September; 180 residents joined", ()),
    ("ds-pages", 9): (
        "Content work slowed: two designers moved to self-service after the review",
        (),
    ),
    ("ds-activation", 8): ("Day-3 reminder email went live on Tuesday", ()),
    ("ds-bulky-waste", 6): (
        "The waste contractor takes over bulky-waste bookings in September",
        ("Booking system moves to the contractor",),
    ),
    ("hr-first-visit", 3): (
        "Van stock data still not shared",
        ("Contractor has not signed the data-sharing agreement",),
    ),
    ("hr-routine-days", 5): (
        "Backlog growing after the contractor lost two plumbers",
        ("Contractor short of two plumbers until October",),
    ),
    ("hr-emergency", 7): ("Storm on 11 August: 3x normal emergency call-outs", ()),
    ("hr-tracking", 9): (
        "Waiting for the self-service status API",
        ("Digital Services status API not live yet",),
    ),
    ("hr-tracking", 10): ("Status API promised for 7 September", ()),
    ("hr-tracking", 11): ("Live tracking switched on for all responsive repairs", ()),
}
ROUTINE_NOTES = {
    "on_track": (
        "Moving as planned",
        "Trend holding in the right direction",
        "On the planned curve; no change to the plan",
    ),
    "at_risk": ("Behind the planned curve; watching closely", "Progress slowed this week"),
    "off_track": ("Well behind plan; needs a decision at the review", "Off the planned path"),
}
MISTYPED = {("cc-answer-time", 5): D("0.08")}
"""Check-ins typed in the wrong unit, corrected the following Monday."""
LATE = {(4, "housing-repairs")}
"""(week, team) whose Friday check-ins were recorded the next Monday, back-dated."""


# -- initiatives ---------------------------------------------------------------------


@dataclass(frozen=True)
class InitiativePlan:
    key: str
    team: str
    title: str
    owner: str
    key_results: tuple[str, ...]
    people: Decimal
    money: Decimal
    moscow: str | None = None
    rice: tuple[Decimal, Decimal, Decimal, Decimal] | None = None
    """Reach, impact, confidence, effort."""
    description: str = ""


INITIATIVES = (
    InitiativePlan(
        "knowledge-base",
        "contact-centre",
        "Knowledge base for advisers",
        "Jo Walsh",
        ("cc-fcr", "cc-escalation"),
        D(2),
        D(18000),
        moscow="must",
        description="One searchable answer for each of the top 150 enquiry types.",
    ),
    InitiativePlan(
        "coaching",
        "contact-centre",
        "Coaching programme for team leaders",
        "Amira Khan",
        ("cc-confidence", "cc-training"),
        D("0.5"),
        D(6500),
        rice=(D(40), D(2), D("0.8"), D(3)),
    ),
    InitiativePlan(
        "call-back",
        "contact-centre",
        "Offer a call-back instead of a queue",
        "Leon Price",
        ("cc-answer-time",),
        D(1),
        D(12000),
        moscow="should",
    ),
    InitiativePlan(
        "website-migration",
        "digital-services",
        "Migrate the website to the new content platform",
        "Sanjay Patel",
        ("ds-pages", "ds-articles", "ds-webinar"),
        D(3),
        D(85000),
        moscow="should",
    ),
    InitiativePlan(
        "self-service",
        "digital-services",
        "Resident account and online forms",
        "Sanjay Patel",
        ("ds-activation", "ds-bulky-waste", "ds-abandonment"),
        D(2),
        D(30000),
        rice=(D(12000), D(2), D("0.8"), D(6)),
    ),
    InitiativePlan(
        "van-stock",
        "housing-repairs",
        "Review van stock with the repairs contractor",
        "Mark Doyle",
        ("hr-first-visit", "hr-routine-days"),
        D(1),
        D(15000),
        moscow="must",
    ),
    InitiativePlan(
        "repairs-app",
        "housing-repairs",
        "Bespoke repairs tracking app",
        "Ruth Adeyemi",
        ("hr-tracking", "hr-online-bookings"),
        D("1.5"),
        D(45000),
        moscow="could",
    ),
)
TRACKING_PAGE = InitiativePlan(
    "tracking-page",
    "housing-repairs",
    "Repair tracking page on the council website",
    "Ruth Adeyemi",
    ("hr-tracking", "hr-chasing-calls"),
    D(1),
    D(12000),
    moscow="must",
    description="A web page fed by the self-service status API, instead of an app.",
)
REALLOCATIONS = (("website-migration", D("1.5"), D(40000)), ("self-service", D("3.5"), D(75000)))

KPI = m.DefineKpi(
    key="complaint-response-time",
    team_id=Team.id_for("contact-centre"),
    name="Complaint response time",
    direction="lower_is_better",
    healthy=D(35),
    warning=D(45),
    unit="minutes",
)
KPI_PATH = ((1, 30.0), (6, 34.0), (10, 44.0), (13, 52.0))

REFLECTIONS = {
    "cc-first-contact": (
        "partially_hit",
        "First-contact resolution rose to about 74% and escalations fell below 11%.",
        "The knowledge base worked, but answer times left the band for five weeks from "
        "mid-August, when council tax reminders doubled calls.",
        ("external_change", "execution"),
        "Plan reminder mailings with the contact centre; keep the knowledge base current.",
    ),
    "cc-coaching": (
        "hit",
        "All five sessions ran and manager confidence rose from 5.8 to about 7.4.",
        "Short, practical modules fitted around rotas; an aspirational 0.7+ was the aim.",
        (),
        "Track adviser attrition against the baseline we established.",
    ),
    "ds-website": (
        "missed",
        "The page count fell by a third; the webinar ran late and articles lagged.",
        "We moved people to self-service at the review, and the objective named an output, "
        "not the change residents need.",
        ("initiative_set", "wrong_metric"),
        "Restate as an outcome: residents find what they need with their first search.",
    ),
    "ds-self-service": (
        "hit",
        "30-day activation reached about 54%, and we now know how many forms are abandoned.",
        "The extra people from the review went into the account journey and reminder emails.",
        (),
        "Use the abandonment baseline to set next quarter's form targets.",
    ),
    "hr-right-first-time": (
        "partially_hit",
        "First-visit fixes rose to about 81%; routine repairs take about 18.5 days.",
        "Van stock data arrived a month late and the contractor was short of plumbers.",
        ("external_change", "authority"),
        "Write data sharing into the contractor's performance clauses.",
    ),
    "hr-online-repairs": (
        "hit",
        "A third of repairs are booked online and live tracking is on for every repair.",
        "Dropping the app for a web page, as our strategy says, got tracking live in time.",
        (),
        "Measure the drop in chasing calls now that tracking is live.",
    ),
}
OVERRIDE = (
    "ds-webinar",
    D("0.5"),
    "The webinar ran six days after its deadline because the venue fell through; "
    "180 residents joined, so half of the intended value landed.",
)


# -- trajectories and confidence -----------------------------------------------------


def waypoint_value(path: tuple[tuple[int, float], ...], week: int, steps: bool) -> float:
    """The value at ``week`` along ``path`` (linear between waypoints, or held)."""
    before = [p for p in path if p[0] <= week]
    after = [p for p in path if p[0] > week]
    start = before[-1] if before else path[0]
    if not after or steps:
        return start[1]
    end = after[0]
    share = (week - start[0]) / (end[0] - start[0])
    return start[1] + (end[1] - start[1]) * share


def trajectory(
    path: tuple[tuple[int, float], ...],
    rng: random.Random,
    *,
    noise: float = 0.0,
    places: int = 1,
    steps: bool = False,
) -> list[Decimal]:
    """Weekly values (weeks 1..13) along ``path`` with seeded noise."""
    values = []
    for week in range(1, WEEKS + 1):
        value = waypoint_value(path, week, steps)
        if noise:
            value += rng.uniform(-noise, noise)
        values.append(D(f"{value:.{places}f}"))
    return values


def metric_confidence(baseline: Decimal, target: Decimal, value: Decimal, week: int) -> str:
    progress = float((value - baseline) / (target - baseline))
    gap = week / WEEKS - progress
    if gap <= 0.12:
        return "on_track"
    return "at_risk" if gap <= 0.3 else "off_track"


def band_confidence(low: Decimal, high: Decimal, value: Decimal) -> str:
    if low <= value <= high:
        return "on_track"
    slack = (high - low) / 5
    return "at_risk" if low - slack <= value <= high + slack else "off_track"


def milestone_confidence(deadline: date | None, value: Decimal, day: date) -> str:
    if value >= 1 or deadline is None or (deadline - day).days > 14:
        return "on_track"
    return "at_risk" if day <= deadline else "off_track"


# -- running the scenario ------------------------------------------------------------


@dataclass
class Run:
    """The scenario's state: the bus, the clock, who acts, and the ids created."""

    bus: CommandBus
    clock: SimulatedClock
    values: dict[str, list[Decimal]]
    """Every key result's and the KPI's weekly values."""
    ids: dict[str, UUID] = field(default_factory=dict)
    targets: dict[str, Decimal] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)
    check_ins: dict[tuple[str, int], UUID] = field(default_factory=dict)
    commands: int = 0

    admin: Principal = DIRECTOR_PRINCIPAL

    def editor(self, team_key: str) -> Principal:
        """The team's editor, who may write for that team only."""
        login = TEAMS[team_key].editor or ""
        return Principal(login, EDITOR, frozenset({Team.id_for(team_key)}))

    def do(self, command: m.Command, principal: Principal) -> Outcome:
        outcome = self.bus.handle(command, principal)
        self.commands += 1
        self.clock.tick()
        return outcome

    def create(self, key: str, command: m.Command, principal: Principal) -> UUID:
        """Issue a command that creates something and remember its id under ``key``."""
        created = self.do(command, principal).created_id
        if created is None:
            raise RuntimeError(f"{type(command).__name__} for {key} created nothing")
        self.ids[key] = created
        return created

    @property
    def cycle_id(self) -> UUID:
        return self.ids[CYCLE_KEY]

    @property
    def strategy_id(self) -> UUID:
        return Strategy.id_for(STRATEGY_KEY)

    def choice(self, key: str) -> UUID:
        return Strategy.choice_id_for(STRATEGY_KEY, key)


# -- planning (late June) ------------------------------------------------------------


def formulate_strategy(run: Run) -> None:
    run.do(STRATEGY, run.admin)
    for key, kind, statement in CHOICES:
        command = m.AddStrategicChoice(
            strategy_id=run.strategy_id, kind=kind, statement=statement, key=key
        )
        run.do(command, run.admin)


def form_teams(run: Run) -> None:
    for unit in ORG:
        parent = Team.id_for(unit.parent) if unit.parent else None
        command = m.FormTeam(key=unit.key, name=unit.name, level=unit.level, parent_id=parent)
        run.create(unit.key, command, run.admin)


def open_cycle(run: Run) -> None:
    command = m.OpenCycle(
        key=CYCLE_KEY, name="Q3 2026", starts_on=CYCLE_START, ends_on=CYCLE_END, cadence_days=7
    )
    run.create(CYCLE_KEY, command, run.admin)


def draft_objective(run: Run, plan: ObjectivePlan) -> None:
    editor = run.editor(plan.team)
    draft = m.DraftObjective(
        team_id=Team.id_for(plan.team),
        cycle_id=run.cycle_id,
        statement=plan.statement,
        owner=plan.owner,
        commitment=plan.commitment,
        description=plan.description,
    )
    objective_id = run.create(plan.key, draft, editor)
    for choice in plan.choices:
        link = m.LinkObjectiveToChoice(
            objective_id=objective_id, strategy_id=run.strategy_id, choice_id=run.choice(choice)
        )
        run.do(link, editor)
    if plan.aligned_to:
        kind, parent = plan.aligned_to
        align = m.AlignObjective(
            objective_id=objective_id, parent_kind=kind, parent_id=run.ids[parent]
        )
        run.do(align, editor)
    for kr in plan.key_results:
        define_key_result(run, objective_id, kr, editor)


def define_key_result(run: Run, objective_id: UUID, kr: KeyResultPlan, editor: Principal) -> None:
    low, high = kr.band or (None, None)
    command = m.DefineKeyResult(
        objective_id=objective_id,
        statement=kr.statement,
        kind=kr.kind,
        owner=kr.owner,
        baseline=kr.baseline,
        target=kr.target,
        band_low=low,
        band_high=high,
        unit=kr.unit,
        deadline=kr.deadline,
        classification=kr.classification,
        weight=kr.weight,
    )
    run.create(kr.key, command, editor)
    if kr.target is not None:
        run.targets[kr.key] = kr.target


def propose_initiative(run: Run, plan: InitiativePlan) -> UUID:
    editor = run.editor(plan.team)
    command = m.ProposeInitiative(
        team_id=Team.id_for(plan.team),
        cycle_id=run.cycle_id,
        title=plan.title,
        owner=plan.owner,
        description=plan.description,
        key_result_ids=tuple(run.ids[k] for k in plan.key_results),
    )
    initiative_id = run.create(plan.key, command, editor)
    run.do(prioritise(initiative_id, plan), editor)
    allocate = m.AllocateResources(
        initiative_id=initiative_id, people=plan.people, money=plan.money, currency=CURRENCY
    )
    run.do(allocate, editor)
    return initiative_id


def prioritise(initiative_id: UUID, plan: InitiativePlan) -> m.PrioritiseInitiative:
    if plan.rice is not None:
        reach, impact, confidence, effort = plan.rice
        return m.PrioritiseInitiative(
            initiative_id=initiative_id,
            method="rice",
            reach=reach,
            impact=impact,
            confidence=confidence,
            effort=effort,
        )
    return m.PrioritiseInitiative(initiative_id=initiative_id, method="moscow", moscow=plan.moscow)


def declare_dependency(run: Run) -> None:
    command = m.DeclareDependency(
        from_kind="key_result",
        from_id=run.ids["hr-tracking"],
        on_team_id=Team.id_for("digital-services"),
        on_kind="objective",
        on_id=run.ids["ds-self-service"],
        description="Live repair tracking needs the self-service platform's status API "
        "and resident sign-in",
        needed_by=date(2026, 9, 1),
    )
    run.create("tracking-dependency", command, run.editor("housing-repairs"))


def plan_quarter(run: Run) -> None:
    """Strategy and teams on Monday 22 June, the cycle on Tuesday, one team's
    objectives a day from Wednesday to Friday, the initiatives on Monday 29 June and
    the KPI and the dependency on Tuesday 30 June."""
    formulate_strategy(run)
    run.clock.at(at(date(2026, 6, 22), 11))
    form_teams(run)
    run.clock.at(at(date(2026, 6, 23), 9, 30))
    open_cycle(run)
    for day, team in enumerate(TEAMS.values(), start=24):
        run.clock.at(at(date(2026, 6, day), 10))
        for plan in OBJECTIVES:
            if plan.team == team.key:
                draft_objective(run, plan)
    run.clock.at(at(date(2026, 6, 29), 10))
    for initiative in INITIATIVES:
        propose_initiative(run, initiative)
    run.clock.at(at(date(2026, 6, 30), 9))
    run.create(KPI.key, KPI, run.admin)
    run.clock.at(at(date(2026, 6, 30), 14))
    declare_dependency(run)


def start_quarter(run: Run) -> None:
    """The cycle starts on Wednesday 1 July and the initiatives with it."""
    run.clock.at(at(CYCLE_START, 9))
    run.do(m.StartCycle(cycle_id=run.cycle_id), run.admin)
    run.clock.at(at(CYCLE_START, 10))
    for plan in INITIATIVES:
        run.do(m.StartInitiative(initiative_id=run.ids[plan.key]), run.editor(plan.team))
    run.clock.at(at(date(2026, 7, 2), 11))
    acknowledge = m.AcknowledgeDependency(
        dependency_id=run.ids["tracking-dependency"],
        note="Status API is planned for sprint 6, late August",
    )
    run.do(acknowledge, run.editor("digital-services"))


# -- the weekly rhythm ---------------------------------------------------------------


def check_in(run: Run, kr_key: str, week: int, effective_at: datetime | None = None) -> None:
    plan = KEY_RESULTS[kr_key]
    value = run.values[kr_key][week - 1]
    confidence = confidence_of(run, plan, value, week)
    note, blockers = SPECIAL_NOTES.get((kr_key, week), (routine_note(confidence, week), ()))
    if effective_at is not None:
        note += " (figures as at Friday, recorded Monday)"
    command = m.CheckIn(
        key_result_id=run.ids[kr_key],
        value=MISTYPED.get((kr_key, week), value),
        confidence=confidence,
        note=note,
        blockers=blockers,
        effective_at=effective_at,
    )
    created = run.do(command, run.editor(TEAM_OF[kr_key])).created_id
    if created is not None:
        run.check_ins[kr_key, week] = created


def confidence_of(run: Run, plan: KeyResultPlan, value: Decimal, week: int) -> str:
    if plan.kind in (INCREASE, DECREASE) and plan.baseline is not None:
        return metric_confidence(plan.baseline, run.targets[plan.key], value, week)
    if plan.kind == BAND and plan.band is not None:
        return band_confidence(*plan.band, value)
    if plan.kind == MILESTONE:
        return milestone_confidence(plan.deadline, value, friday(week))
    return "on_track"


def routine_note(confidence: str, week: int) -> str:
    notes = ROUTINE_NOTES[confidence]
    return notes[week % len(notes)]


def team_check_ins(run: Run, team: str, week: int, *, late: bool = False) -> None:
    """One check-in per live key result of the team; late ones are back-dated."""
    if (week, team) in LATE and not late:
        return
    effective_at = at(friday(week), TEAMS[team].check_in_hour) if late else None
    for kr_key, kr_team in TEAM_OF.items():
        if kr_team == team and kr_key not in run.dropped:
            check_in(run, kr_key, week, effective_at)


def measure_kpi(run: Run, value: Decimal) -> None:
    command = m.MeasureKpi(kpi_id=run.ids[KPI.key], value=value)
    run.do(command, run.editor("contact-centre"))


def change_health(run: Run, initiative: str, health: str, note: str) -> None:
    plan = next(p for p in (*INITIATIVES, TRACKING_PAGE) if p.key == initiative)
    command = m.ChangeInitiativeStatus(initiative_id=run.ids[initiative], health=health, note=note)
    run.do(command, run.editor(plan.team))


def correct_answer_time(run: Run) -> None:
    """Monday of week 6: the week-5 answer time was typed in hours (see ``MISTYPED``)."""
    value = run.values["cc-answer-time"][5 - 1]
    command = m.CorrectCheckIn(
        key_result_id=run.ids["cc-answer-time"],
        supersedes=run.check_ins["cc-answer-time", 5],
        value=value,
        confidence=confidence_of(run, KEY_RESULTS["cc-answer-time"], value, 5),
        note=f"Average answer time was {value} minutes",
        reason="value was typed in hours, not minutes",
    )
    run.do(command, run.editor("contact-centre"))


def escalate_dependency(run: Run) -> None:
    command = m.EscalateDependency(
        dependency_id=run.ids["tracking-dependency"],
        reason="The status API slipped past the 1 September date; the tracking launch is at risk",
    )
    run.do(command, run.editor("housing-repairs"))


def resolve_dependency(run: Run) -> None:
    command = m.ResolveDependency(
        dependency_id=run.ids["tracking-dependency"],
        note="Status API live on 7 September; the tracking page reads from it",
    )
    run.do(command, run.editor("digital-services"))


def complete_initiatives(run: Run) -> None:
    for key, team, note in (
        ("knowledge-base", "contact-centre", "Live with answers for 150 enquiry types"),
        ("tracking-page", "housing-repairs", "Tracking page live for every responsive repair"),
    ):
        command = m.CompleteInitiative(initiative_id=run.ids[key], note=note)
        run.do(command, run.editor(team))


# -- the mid-cycle review (week 7) ---------------------------------------------------


@dataclass(frozen=True)
class DecisionPlan:
    key: str
    decision_type: str
    summary: str
    rationale: str
    affects: tuple[str, ...]
    choices: tuple[str, ...]


DECISIONS = (
    DecisionPlan(
        "decision-reprioritise",
        "reprioritise",
        "Put self-service ahead of the website relaunch; move people and money to it; "
        "stop the bespoke repairs app",
        "Self-service frees phone time for residents who need a person; the relaunch is an "
        "output with no resident outcome yet; an app breaks our choice not to build bespoke "
        "apps where a web form will do.",
        ("ds-self-service", "ds-website", "self-service", "website-migration", "repairs-app"),
        ("self-service-first", "no-bespoke-apps"),
    ),
    DecisionPlan(
        "decision-retarget",
        "retarget",
        "Ease routine repairs to 18 days; raise online repair bookings to 35%",
        "The contractor is short of two plumbers until October; online bookings are ahead "
        "of plan since the new form went live.",
        ("hr-routine-days", "hr-online-bookings"),
        ("fix-first-time",),
    ),
    DecisionPlan(
        "decision-drop",
        "drop",
        "Drop the online bulky-waste bookings key result",
        "The waste contractor takes bulky-waste bookings onto its own system in September; "
        "we will no longer control the measure.",
        ("ds-bulky-waste",),
        ("self-service-first",),
    ),
)


def record_review_decisions(run: Run) -> None:
    for plan in DECISIONS:
        command = m.RecordDecision(
            forum=FORUM,
            decided_by=DECIDED_BY,
            decision_type=plan.decision_type,
            summary=plan.summary,
            rationale=plan.rationale,
            cycle_id=run.cycle_id,
            affects=tuple(run.ids[key] for key in plan.affects),
            strategy_id=run.strategy_id,
            choice_ids=tuple(run.choice(key) for key in plan.choices),
        )
        run.create(plan.key, command, run.admin)


def reprioritise_digital(run: Run) -> None:
    decision = run.ids["decision-reprioritise"]
    editor = run.editor("digital-services")
    order = (run.ids["ds-self-service"], run.ids["ds-website"])
    command = m.Reprioritise(
        team_id=Team.id_for("digital-services"),
        cycle_id=run.cycle_id,
        order=order,
        reason="Self-service first, as agreed at the quarterly performance review",
        decision_id=decision,
    )
    run.do(command, editor)
    for key, people, money in REALLOCATIONS:
        allocate = m.AllocateResources(
            initiative_id=run.ids[key],
            people=people,
            money=money,
            currency=CURRENCY,
            reason="Reallocated to self-service at the quarterly performance review",
            decision_id=decision,
        )
        run.do(allocate, editor)


def replace_repairs_app(run: Run) -> None:
    editor = run.editor("housing-repairs")
    stop = m.StopInitiative(
        initiative_id=run.ids["repairs-app"],
        reason="A bespoke app breaks our choice not to build apps where a web form will do; "
        "a tracking page on the website does the job",
        decision_id=run.ids["decision-reprioritise"],
    )
    run.do(stop, editor)
    page_id = propose_initiative(run, TRACKING_PAGE)
    run.do(m.StartInitiative(initiative_id=page_id), editor)


def retarget_repairs(run: Run) -> None:
    decision = run.ids["decision-retarget"]
    editor = run.editor("housing-repairs")
    for key, target, reason in (
        ("hr-routine-days", D(18), "Contractor short of two plumbers until October"),
        ("hr-online-bookings", D(35), "Ahead of plan since the online form went live"),
    ):
        command = m.RetargetKeyResult(
            key_result_id=run.ids[key], target=target, reason=reason, decision_id=decision
        )
        run.do(command, editor)
        run.targets[key] = target


def drop_bulky_waste(run: Run) -> None:
    command = m.DropKeyResult(
        key_result_id=run.ids["ds-bulky-waste"],
        reason="Bulky-waste bookings move to the waste contractor's own system in September",
        decision_id=run.ids["decision-drop"],
    )
    run.do(command, run.editor("digital-services"))
    run.dropped.add("ds-bulky-waste")


def mid_cycle_review(run: Run) -> None:
    """Wednesday 12 August: the forum decides in the morning, teams act after lunch."""
    record_review_decisions(run)
    run.clock.at(at(run.clock.now.date(), 14))
    reprioritise_digital(run)
    replace_repairs_app(run)
    retarget_repairs(run)
    drop_bulky_waste(run)


Action = Callable[[Run], None]
HEALTH_CHANGES = {
    (2, 2, 11): ("call-back", "at_risk", "Telephony supplier has not confirmed the licence"),
    (3, 1, 10): ("van-stock", "blocked", "Contractor has not signed the data-sharing deal"),
    (5, 3, 14): ("call-back", "on_track", "Licence confirmed; call-back live from 3 August"),
    (6, 2, 16): ("van-stock", "on_track", "Data-sharing agreement signed on 5 August"),
    (8, 1, 11): ("website-migration", "at_risk", "Two designers moved to self-service"),
}
"""(week, weekday, hour) → (initiative, health, note)."""
EVENTS: dict[tuple[int, int, int], Action] = {
    (6, 0, 9): correct_answer_time,
    (7, 2, 10): mid_cycle_review,
    (9, 2, 9): escalate_dependency,
    (11, 1, 15): resolve_dependency,
    (12, 2, 12): complete_initiatives,
}
"""(week, weekday, hour) → what else happens between check-ins."""


def between_check_ins(week: int) -> list[tuple[int, int, Action]]:
    """(weekday, hour, act) of the week's status changes and other events."""
    changes = [
        (day, hour, partial(change_health, initiative=key, health=health, note=note))
        for (when, day, hour), (key, health, note) in HEALTH_CHANGES.items()
        if when == week
    ]
    others = [(day, hour, act) for (when, day, hour), act in EVENTS.items() if when == week]
    return changes + others


def week_agenda(run: Run, week: int) -> Iterator[tuple[datetime, Action]]:
    """Everything that happens in ``week``, in time order."""
    monday = friday(week) - timedelta(days=4)
    agenda: list[tuple[datetime, Action]] = [
        (at(monday + timedelta(days=day), hour), act) for day, hour, act in between_check_ins(week)
    ]
    for late_week, team in LATE:
        if late_week == week - 1:
            act = partial(team_check_ins, team=team, week=late_week, late=True)
            agenda.append((at(monday, 9, 30), act))
    kpi_value = run.values[KPI.key][week - 1]
    agenda.append((at(friday(week), 12), partial(measure_kpi, value=kpi_value)))
    for unit in TEAMS.values():
        act = partial(team_check_ins, team=unit.key, week=week)
        agenda.append((at(friday(week), unit.check_in_hour), act))
    yield from sorted(agenda, key=lambda item: item[0])


def run_weeks(run: Run) -> None:
    for week in range(1, WEEKS + 1):
        for when, act in week_agenda(run, week):
            run.clock.at(when)
            act(run)


# -- review and close (early October) ------------------------------------------------


def review_and_close(run: Run) -> None:
    run.clock.at(at(date(2026, 10, 1), 9))
    run.do(m.BeginCycleReview(cycle_id=run.cycle_id), run.admin)
    kr_key, score, reason = OVERRIDE
    run.clock.at(at(date(2026, 10, 1), 11))
    override = m.OverrideScore(key_result_id=run.ids[kr_key], score=score, reason=reason)
    run.do(override, run.admin)
    run.clock.at(at(date(2026, 10, 2), 10))
    for plan in OBJECTIVES:
        outcome, achieved, why, causes, carry_forward = REFLECTIONS[plan.key]
        reflect = m.ReflectOnObjective(
            objective_id=run.ids[plan.key],
            outcome=outcome,
            achieved=achieved,
            why=why,
            causes=causes,
            carry_forward=carry_forward,
        )
        run.do(reflect, run.editor(plan.team))
    run.clock.at(at(date(2026, 10, 5), 16))
    run.do(m.CloseCycle(cycle_id=run.cycle_id), run.admin)


def start_next_cycle(run: Run) -> None:
    """Q4 opens with what the contact centre carries forward, and starts: its first-contact
    objective, with the resolution rate (from where Q3 left it) and the answer-time band;
    escalations stay behind, close enough to their target."""
    run.clock.at(at(date(2026, 10, 5), 17))
    command = m.OpenCycle(
        key=NEXT_CYCLE_KEY, name="Q4 2026", starts_on=NEXT_START, ends_on=NEXT_END,
        cadence_days=7,
    )  # fmt: skip
    cycle_id = run.create(NEXT_CYCLE_KEY, command, run.admin)
    editor = run.editor("contact-centre")
    carry = m.CarryObjectiveForward(
        objective_id=run.ids["cc-first-contact"],
        cycle_id=cycle_id,
        key_result_ids=(run.ids["cc-fcr"], run.ids["cc-answer-time"]),
    )
    run.create("cc-reminder-season", carry, editor)
    for key, q3_key in (("cc-q4-fcr", "cc-fcr"), ("cc-q4-answer-time", "cc-answer-time")):
        run.ids[key] = carried_key_result_id(run.ids[q3_key], cycle_id)
    reword = m.RewordKeyResult(
        key_result_id=run.ids["cc-q4-fcr"],
        statement="Raise first-contact resolution from 74% to 75%",
    )
    run.do(reword, editor)
    run.do(m.StartCycle(cycle_id=cycle_id), run.admin)


# -- entry point ---------------------------------------------------------------------


def simulate_values(rng: random.Random) -> dict[str, list[Decimal]]:
    """Every key result's and the KPI's weekly values, drawn in a fixed order."""
    values = {
        kr.key: trajectory(kr.path, rng, noise=kr.noise, places=kr.places, steps=kr.steps)
        for kr in KEY_RESULTS.values()
    }
    values[KPI.key] = trajectory(KPI_PATH, rng, noise=1.2, places=1)
    return values


def check_room(ledger: Ledger) -> None:
    """Refuse to start when the cycle, a team or the KPI the demo creates already
    exists: the demo would otherwise stop half-way through."""
    taken = [
        what
        for what, found in (
            *((f"cycle {k}", ledger.find(Cycle, Cycle.id_for(k))) for k in CYCLE_KEYS),
            (f"KPI {KPI.key}", ledger.find(Kpi, Kpi.id_for(KPI.key))),
            *((f"team {u.key}", ledger.find(Team, Team.id_for(u.key))) for u in ORG),
        )
        if found is not None
    ]
    if taken:
        raise DemoConflict(f"cannot load the demo: the ledger already has {', '.join(taken)}")


def load(services: Services) -> Loaded:
    """Write the demo quarter, unless its strategy is already in the ledger."""
    ledger = services.ledger
    if ledger.find(Strategy, Strategy.id_for(STRATEGY_KEY)) is not None:
        return Loaded(0, ledger.head_position())
    check_room(ledger)
    clock = SimulatedClock(PLANNING_STARTS)
    run = Run(
        CommandBus(ledger, services.bus.handlers, clock=clock),
        clock,
        simulate_values(random.Random(SEED)),
    )
    plan_quarter(run)
    start_quarter(run)
    run_weeks(run)
    review_and_close(run)
    start_next_cycle(run)
    return Loaded(run.commands, ledger.head_position())
