"""Q3 2026 at Northbridge City Council: the quarter ``okr-ledger demo`` plays.

A planning week in late June, thirteen weekly check-ins (each Friday afternoon), a
mid-cycle review in week 7 and the review and close in early October; then Q4 opens and
starts with the work the contact centre carries forward, so the ledger is left with a
cycle open for writing.

The scenario is deliberately mixed: strong key results sit next to weak,
task-shaped ones ("Run 5 training sessions for advisers"), one objective is an
output ("Launch a new website") linked to no strategic choice, and one key result
has neither unit nor deadline, so quality advice has something to point at.

This module is data only; ``okr_ledger.demo`` plays it through the command bus.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import partial

from commands import messages as m
from ledger.key_result import BAND, DECREASE, INCREASE, MILESTONE
from ledger.team import Team
from okr_ledger.scenario.plans import (
    Calendar,
    CarryForward,
    Completion,
    Correction,
    DecisionPlan,
    DependencyPlan,
    DependencyStep,
    Drop,
    Happening,
    HealthChange,
    InitiativePlan,
    KeyResultPlan,
    Launch,
    ObjectivePlan,
    OrgUnit,
    Override,
    Reallocation,
    Reflection,
    Reprioritisation,
    Retarget,
    Review,
    Stop,
)

D = Decimal

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


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


# -- the organisation ----------------------------------------------------------------

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


# -- objectives and key results ------------------------------------------------------

QuarterKeyResult = partial(KeyResultPlan, deadline=CYCLE_END)

OBJECTIVES = (
    ObjectivePlan(
        "cc-first-contact",
        "contact-centre",
        "Resolve residents' enquiries at the first contact in order to cut repeat calls "
        "and free advisers for complex cases",
        "Amira Khan",
        "committed",
        (
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
                "ds-webinar",
                "Launch the onboarding webinar",
                MILESTONE,
                "Ellie Moore",
                ((0, 0), (10, 1)),
                deadline=date(2026, 8, 28),
                places=0,
                steps=True,
            ),
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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
            QuarterKeyResult(
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

KPI_TEAM = "contact-centre"
"""Whose editor measures the KPI."""
KPI = m.DefineKpi(
    key="complaint-response-time",
    team_id=Team.id_for(KPI_TEAM),
    name="Complaint response time",
    direction="lower_is_better",
    healthy=D(35),
    warning=D(45),
    unit="minutes",
)
KPI_PATH = ((1, 30.0), (6, 34.0), (10, 44.0), (13, 52.0))

REFLECTIONS = {
    "cc-first-contact": Reflection(
        "partially_hit",
        "First-contact resolution rose to about 74% and escalations fell below 11%.",
        "The knowledge base worked, but answer times left the band for five weeks from "
        "mid-August, when council tax reminders doubled calls.",
        ("external_change", "execution"),
        "Plan reminder mailings with the contact centre; keep the knowledge base current.",
    ),
    "cc-coaching": Reflection(
        "hit",
        "All five sessions ran and manager confidence rose from 5.8 to about 7.4.",
        "Short, practical modules fitted around rotas; an aspirational 0.7+ was the aim.",
        (),
        "Track adviser attrition against the baseline we established.",
    ),
    "ds-website": Reflection(
        "missed",
        "The page count fell by a third; the webinar ran late and articles lagged.",
        "We moved people to self-service at the review, and the objective named an output, "
        "not the change residents need.",
        ("initiative_set", "wrong_metric"),
        "Restate as an outcome: residents find what they need with their first search.",
    ),
    "ds-self-service": Reflection(
        "hit",
        "30-day activation reached about 54%, and we now know how many forms are abandoned.",
        "The extra people from the review went into the account journey and reminder emails.",
        (),
        "Use the abandonment baseline to set next quarter's form targets.",
    ),
    "hr-right-first-time": Reflection(
        "partially_hit",
        "First-visit fixes rose to about 81%; routine repairs take about 18.5 days.",
        "Van stock data arrived a month late and the contractor was short of plumbers.",
        ("external_change", "authority"),
        "Write data sharing into the contractor's performance clauses.",
    ),
    "hr-online-repairs": Reflection(
        "hit",
        "A third of repairs are booked online and live tracking is on for every repair.",
        "Dropping the app for a web page, as our strategy says, got tracking live in time.",
        (),
        "Measure the drop in chasing calls now that tracking is live.",
    ),
}
OVERRIDE = Override(
    "ds-webinar",
    D("0.5"),
    "The webinar ran six days after its deadline because the venue fell through; "
    "180 residents joined, so half of the intended value landed.",
)


# -- trajectories and confidence -----------------------------------------------------


# -- the mid-cycle review (week 7) ---------------------------------------------------


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


REVIEW_REASON = "Reallocated to self-service at the quarterly performance review"
REVIEW = Review(
    forum=FORUM,
    decided_by=DECIDED_BY,
    decisions=DECISIONS,
    acts_at_hour=14,
    acts=(
        Reprioritisation(
            "digital-services",
            ("ds-self-service", "ds-website"),
            "Self-service first, as agreed at the quarterly performance review",
            "decision-reprioritise",
        ),
        Reallocation(
            "website-migration",
            "digital-services",
            D("1.5"),
            D(40000),
            REVIEW_REASON,
            "decision-reprioritise",
        ),
        Reallocation(
            "self-service",
            "digital-services",
            D("3.5"),
            D(75000),
            REVIEW_REASON,
            "decision-reprioritise",
        ),
        Stop(
            "repairs-app",
            "housing-repairs",
            "A bespoke app breaks our choice not to build apps where a web form will do; "
            "a tracking page on the website does the job",
            "decision-reprioritise",
        ),
        Launch(TRACKING_PAGE),
        Retarget(
            "hr-routine-days",
            "housing-repairs",
            D(18),
            "Contractor short of two plumbers until October",
            "decision-retarget",
        ),
        Retarget(
            "hr-online-bookings",
            "housing-repairs",
            D(35),
            "Ahead of plan since the online form went live",
            "decision-retarget",
        ),
        Drop(
            "ds-bulky-waste",
            "digital-services",
            "Bulky-waste bookings move to the waste contractor's own system in September",
            "decision-drop",
        ),
    ),
)
"""Wednesday 12 August: the forum decides in the morning, teams act after lunch."""


# -- dependencies, status changes and other happenings -------------------------------

DEPENDENCY = DependencyPlan(
    key="tracking-dependency",
    team="housing-repairs",
    from_kind="key_result",
    from_key="hr-tracking",
    on_team="digital-services",
    on_kind="objective",
    on_key="ds-self-service",
    description="Live repair tracking needs the self-service platform's status API "
    "and resident sign-in",
    needed_by=date(2026, 9, 1),
)
ACKNOWLEDGEMENT = DependencyStep(
    DEPENDENCY.key,
    "acknowledge",
    "digital-services",
    "Status API is planned for sprint 6, late August",
)
HEALTH_CHANGES = {
    (2, 2, 11): HealthChange(
        "call-back", "at_risk", "Telephony supplier has not confirmed the licence"
    ),
    (3, 1, 10): HealthChange(
        "van-stock", "blocked", "Contractor has not signed the data-sharing deal"
    ),
    (5, 3, 14): HealthChange(
        "call-back", "on_track", "Licence confirmed; call-back live from 3 August"
    ),
    (6, 2, 16): HealthChange("van-stock", "on_track", "Data-sharing agreement signed on 5 August"),
    (8, 1, 11): HealthChange(
        "website-migration", "at_risk", "Two designers moved to self-service"
    ),
}
"""(week, weekday, hour) → an initiative's change of health."""
HAPPENINGS: dict[tuple[int, int, int], Happening] = {
    (6, 0, 9): Correction(
        "cc-answer-time",
        5,
        "contact-centre",
        "Average answer time was {value} minutes",
        "value was typed in hours, not minutes",
    ),
    (7, 2, 10): REVIEW,
    (9, 2, 9): DependencyStep(
        DEPENDENCY.key,
        "escalate",
        "housing-repairs",
        "The status API slipped past the 1 September date; the tracking launch is at risk",
    ),
    (11, 1, 15): DependencyStep(
        DEPENDENCY.key,
        "resolve",
        "digital-services",
        "Status API live on 7 September; the tracking page reads from it",
    ),
    (12, 2, 12): (
        Completion("knowledge-base", "contact-centre", "Live with answers for 150 enquiry types"),
        Completion(
            "tracking-page", "housing-repairs", "Tracking page live for every responsive repair"
        ),
    ),
}
"""(week, weekday, hour) → what else happens between check-ins."""


# -- the cycles and the calendar -----------------------------------------------------

CYCLE = m.OpenCycle(
    key=CYCLE_KEY, name="Q3 2026", starts_on=CYCLE_START, ends_on=CYCLE_END, cadence_days=7
)
NEXT_CYCLE = m.OpenCycle(
    key=NEXT_CYCLE_KEY, name="Q4 2026", starts_on=NEXT_START, ends_on=NEXT_END, cadence_days=7
)
CARRY_FORWARD = CarryForward(
    key="cc-reminder-season",
    objective="cc-first-contact",
    team="contact-centre",
    key_results=(("cc-q4-fcr", "cc-fcr"), ("cc-q4-answer-time", "cc-answer-time")),
    rewordings=(("cc-q4-fcr", "Raise first-contact resolution from 74% to 75%"),),
)
"""Q4 opens with what the contact centre carries forward: its first-contact objective, with
the resolution rate (from where Q3 left it) and the answer-time band; escalations stay
behind, close enough to their target."""

CALENDAR = Calendar(
    planning_starts=PLANNING_STARTS,
    teams_formed=at(date(2026, 6, 22), 11),
    cycle_opened=at(date(2026, 6, 23), 9, 30),
    objectives_from=date(2026, 6, 24),
    initiatives_proposed=at(date(2026, 6, 29), 10),
    kpi_defined=at(date(2026, 6, 30), 9),
    dependency_declared=at(date(2026, 6, 30), 14),
    cycle_started=at(CYCLE_START, 9),
    initiatives_started=at(CYCLE_START, 10),
    dependency_acknowledged=at(date(2026, 7, 2), 11),
    review_begins=at(date(2026, 10, 1), 9),
    score_overridden=at(date(2026, 10, 1), 11),
    reflections=at(date(2026, 10, 2), 10),
    cycle_closed=at(date(2026, 10, 5), 16),
    next_cycle_opened=at(date(2026, 10, 5), 17),
    latest=LATEST,
)
"""Strategy and teams on Monday 22 June, the cycle on Tuesday, one team's objectives a day
from Wednesday to Friday, the initiatives on Monday 29 June and the KPI and the dependency
on Tuesday 30 June; the cycle and its initiatives start on Wednesday 1 July; the review
begins on 1 October and the cycle closes on Monday 5 October."""
