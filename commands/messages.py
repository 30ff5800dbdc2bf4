"""Commands: imperative requests for one act of the domain each.

Every command may carry a reason, the decision behind it, an effective time and the
version of its target that the caller expects. The actor and the command id come
with the envelope (the authenticated principal and the idempotency key), never
from the command's own fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True, kw_only=True)
class Command:
    """Fields every command may carry."""

    reason: str | None = None
    decision_id: UUID | None = None
    effective_at: datetime | None = None
    expected_version: int | None = None
    """Optimistic concurrency: refuse if the target moved past this version."""


# -- strategy ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FormulateStrategy(Command):
    """Formulate an organisation's strategy: vision and mission."""

    key: str
    name: str
    vision: str
    mission: str


@dataclass(frozen=True, kw_only=True)
class RestateVision(Command):
    """Restate the strategy's vision (a reason is required)."""

    strategy_id: UUID
    vision: str


@dataclass(frozen=True, kw_only=True)
class RestateMission(Command):
    """Restate the strategy's mission (a reason is required)."""

    strategy_id: UUID
    mission: str


@dataclass(frozen=True, kw_only=True)
class AddStrategicChoice(Command):
    """Add a strategic choice: where to play, how to win, what we will not do."""

    strategy_id: UUID
    kind: str
    statement: str
    key: str | None = None
    """A natural key makes the choice id deterministic."""


@dataclass(frozen=True, kw_only=True)
class ReviseStrategicChoice(Command):
    """Revise a strategic choice's statement (a reason is required)."""

    strategy_id: UUID
    choice_id: UUID
    statement: str


@dataclass(frozen=True, kw_only=True)
class RetireStrategicChoice(Command):
    """Retire a strategic choice (a reason is required)."""

    strategy_id: UUID
    choice_id: UUID


# -- teams ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FormTeam(Command):
    """Form a unit of the organisation tree (company, function or team)."""

    key: str
    name: str
    level: str
    parent_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class RenameTeam(Command):
    """Rename a team."""

    team_id: UUID
    name: str


@dataclass(frozen=True, kw_only=True)
class MoveTeam(Command):
    """Move a team under another parent unit."""

    team_id: UUID
    parent_id: UUID


# -- cycles --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OpenCycle(Command):
    """Open a cycle in planning."""

    key: str
    name: str
    starts_on: date
    ends_on: date
    cadence_days: int = 7


@dataclass(frozen=True, kw_only=True)
class StartCycle(Command):
    """Start a cycle (planning to active)."""

    cycle_id: UUID


@dataclass(frozen=True, kw_only=True)
class BeginCycleReview(Command):
    """Begin a cycle's review (active to review)."""

    cycle_id: UUID


@dataclass(frozen=True, kw_only=True)
class CloseCycle(Command):
    """Close a cycle (review to closed); it becomes read-only."""

    cycle_id: UUID


@dataclass(frozen=True, kw_only=True)
class ReopenCycle(Command):
    """Reopen a closed cycle for review (a reason is required)."""

    cycle_id: UUID


# -- objectives ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DraftObjective(Command):
    """Draft an objective for a team in a cycle; it joins the bottom of the team's priorities."""

    team_id: UUID
    cycle_id: UUID
    statement: str
    owner: str
    commitment: str = "committed"
    description: str = ""
    key: str | None = None
    """A natural key (unique in the team's cycle) makes the objective's id deterministic."""


@dataclass(frozen=True, kw_only=True)
class RewordObjective(Command):
    """Reword an objective."""

    objective_id: UUID
    statement: str
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeObjectiveOwner(Command):
    """Give an objective another owner."""

    objective_id: UUID
    owner: str


@dataclass(frozen=True, kw_only=True)
class LinkObjectiveToChoice(Command):
    """Link an objective to a strategic choice."""

    objective_id: UUID
    strategy_id: UUID
    choice_id: UUID


@dataclass(frozen=True, kw_only=True)
class UnlinkObjectiveFromChoice(Command):
    """Unlink an objective from a strategic choice."""

    objective_id: UUID
    choice_id: UUID


@dataclass(frozen=True, kw_only=True)
class AlignObjective(Command):
    """Align an objective under a parent objective or key result."""

    objective_id: UUID
    parent_kind: str
    parent_id: UUID


@dataclass(frozen=True, kw_only=True)
class UnalignObjective(Command):
    """Remove one of an objective's alignments."""

    objective_id: UUID
    parent_id: UUID


@dataclass(frozen=True, kw_only=True)
class DropObjective(Command):
    """Drop an objective (a reason is required); it leaves the team's priorities."""

    objective_id: UUID


@dataclass(frozen=True, kw_only=True)
class ReflectOnObjective(Command):
    """Close an objective with its end-of-cycle reflection."""

    objective_id: UUID
    outcome: str
    achieved: str
    why: str
    causes: tuple[str, ...] = ()
    carry_forward: str = ""


@dataclass(frozen=True, kw_only=True)
class CarryObjectiveForward(Command):
    """Carry an objective and its unfinished key results into a later cycle.

    From a cycle in review or closed (``ledger.cycle.CARRY_FORWARD_RULE``)."""

    objective_id: UUID
    cycle_id: UUID
    key_result_ids: tuple[UUID, ...] | None = None
    """The key results that go with it; by default every live one that has not met its
    aim and was not carried there already."""


@dataclass(frozen=True, kw_only=True)
class CarryKeyResultForward(Command):
    """Carry a key result into a later cycle, under an objective of that cycle.

    By default under the objective its own objective was carried to there."""

    key_result_id: UUID
    cycle_id: UUID
    objective_id: UUID | None = None


# -- key results ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DefineKeyResult(Command):
    """Define a key result of an objective."""

    objective_id: UUID
    statement: str
    kind: str
    owner: str
    baseline: Decimal | None = None
    target: Decimal | None = None
    band_low: Decimal | None = None
    band_high: Decimal | None = None
    unit: str = ""
    deadline: date | None = None
    classification: str = "committed"
    weight: Decimal = Decimal(1)
    key: str | None = None
    """A natural key (unique in the team's cycle) makes the key result's id deterministic."""


@dataclass(frozen=True, kw_only=True)
class RewordKeyResult(Command):
    """Reword a key result."""

    key_result_id: UUID
    statement: str


@dataclass(frozen=True, kw_only=True)
class ChangeKeyResultOwner(Command):
    """Give a key result another owner."""

    key_result_id: UUID
    owner: str


@dataclass(frozen=True, kw_only=True)
class ReweightKeyResult(Command):
    """Change a key result's weight in its objective's score (a reason is required)."""

    key_result_id: UUID
    weight: Decimal


@dataclass(frozen=True, kw_only=True)
class RetargetKeyResult(Command):
    """Move a key result's target, band or deadline (a reason is required; easing is marked)."""

    key_result_id: UUID
    target: Decimal | None = None
    band_low: Decimal | None = None
    band_high: Decimal | None = None
    deadline: date | None = None


@dataclass(frozen=True, kw_only=True)
class CheckIn(Command):
    """Check in on a key result: value, confidence, note, blockers (may be back-dated)."""

    key_result_id: UUID
    value: Decimal
    confidence: str
    note: str = ""
    blockers: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CorrectCheckIn(Command):
    """Correct a check-in; the original stays visible, superseded (a reason is required)."""

    key_result_id: UUID
    supersedes: UUID
    value: Decimal
    confidence: str
    note: str = ""
    blockers: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class OverrideScore(Command):
    """Override a key result's score in review (a reason is required)."""

    key_result_id: UUID
    score: Decimal


@dataclass(frozen=True, kw_only=True)
class DropKeyResult(Command):
    """Drop a key result (a reason is required)."""

    key_result_id: UUID


# -- initiatives ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProposeInitiative(Command):
    """Propose an initiative, optionally linked to key results it should move."""

    team_id: UUID
    cycle_id: UUID
    title: str
    owner: str
    description: str = ""
    key_result_ids: tuple[UUID, ...] = ()
    key: str | None = None
    """A natural key (unique in the team's cycle) makes the initiative's id deterministic."""


@dataclass(frozen=True, kw_only=True)
class LinkInitiative(Command):
    """Link an initiative to a key result."""

    initiative_id: UUID
    key_result_id: UUID


@dataclass(frozen=True, kw_only=True)
class UnlinkInitiative(Command):
    """Unlink an initiative from a key result."""

    initiative_id: UUID
    key_result_id: UUID


@dataclass(frozen=True, kw_only=True)
class StartInitiative(Command):
    """Start an initiative."""

    initiative_id: UUID


@dataclass(frozen=True, kw_only=True)
class ChangeInitiativeStatus(Command):
    """Change a running initiative's health."""

    initiative_id: UUID
    health: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class StopInitiative(Command):
    """Stop an initiative (a reason is required)."""

    initiative_id: UUID


@dataclass(frozen=True, kw_only=True)
class CompleteInitiative(Command):
    """Complete an initiative."""

    initiative_id: UUID
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class PrioritiseInitiative(Command):
    """Give an initiative a MoSCoW priority or a RICE score."""

    initiative_id: UUID
    method: str
    """``moscow`` (give ``moscow``) or ``rice`` (give reach, impact, confidence, effort)."""
    moscow: str | None = None
    reach: Decimal | None = None
    impact: Decimal | None = None
    confidence: Decimal | None = None
    effort: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class AllocateResources(Command):
    """Allocate people and money to an initiative; a change needs a reason or decision."""

    initiative_id: UUID
    people: Decimal
    money: Decimal
    currency: str


# -- dependencies --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DeclareDependency(Command):
    """Declare that an objective or key result depends on another team."""

    from_kind: str
    from_id: UUID
    on_team_id: UUID
    description: str
    on_kind: str | None = None
    on_id: UUID | None = None
    needed_by: date | None = None


@dataclass(frozen=True, kw_only=True)
class AcknowledgeDependency(Command):
    """Acknowledge a dependency on one's team."""

    dependency_id: UUID
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class EscalateDependency(Command):
    """Escalate a dependency (a reason is required)."""

    dependency_id: UUID


@dataclass(frozen=True, kw_only=True)
class ResolveDependency(Command):
    """Resolve a dependency."""

    dependency_id: UUID
    note: str = ""


# -- KPIs ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DefineKpi(Command):
    """Define a KPI with health bands."""

    key: str
    team_id: UUID
    name: str
    direction: str
    healthy: Decimal
    warning: Decimal
    unit: str = ""


@dataclass(frozen=True, kw_only=True)
class MeasureKpi(Command):
    """Record a KPI measurement (may be back-dated)."""

    kpi_id: UUID
    value: Decimal


@dataclass(frozen=True, kw_only=True)
class ChangeKpiBands(Command):
    """Change a KPI's health bands (a reason is required)."""

    kpi_id: UUID
    healthy: Decimal
    warning: Decimal


# -- decisions and priorities --------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordDecision(Command):
    """Record what a review forum decided."""

    forum: str
    decided_by: tuple[str, ...]
    decision_type: str
    summary: str
    rationale: str
    cycle_id: UUID | None = None
    affects: tuple[UUID, ...] = ()
    """Ids of what the decision affects (objectives, key results, initiatives, teams...)."""
    strategy_id: UUID | None = None
    choice_ids: tuple[UUID, ...] = ()
    """Strategic choices (of ``strategy_id``) the decision serves."""


# -- principals ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddPrincipal(Command):
    """Add a principal with a role (and teams, for editors) and its token's hash."""

    name: str
    role: str
    token_hash: str
    """SHA-256 hex of the new API token; the token itself never enters the ledger."""
    team_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RevokePrincipal(Command):
    """Revoke a principal."""

    principal_id: UUID


@dataclass(frozen=True, kw_only=True)
class Reprioritise(Command):
    """Set a new full ranking of a team's objectives in a cycle (a rationale is required)."""

    team_id: UUID
    cycle_id: UUID
    order: tuple[UUID, ...]


CREATING: frozenset[type[Command]] = frozenset(
    {
        FormulateStrategy, AddStrategicChoice, FormTeam, OpenCycle, DraftObjective,
        DefineKeyResult, CheckIn, CorrectCheckIn, ProposeInitiative, DeclareDependency,
        DefineKpi, RecordDecision, CarryObjectiveForward, CarryKeyResultForward,
    }
)  # fmt: skip
"""The commands that create something: HTTP answers them 201 Created, and so do
command results from the intake."""
