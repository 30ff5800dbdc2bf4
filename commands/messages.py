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
    reason: str | None = None
    decision_id: UUID | None = None
    effective_at: datetime | None = None
    expected_version: int | None = None
    """Optimistic concurrency: refuse if the target moved past this version."""


# -- strategy ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FormulateStrategy(Command):
    key: str
    name: str
    vision: str
    mission: str


@dataclass(frozen=True, kw_only=True)
class RestateVision(Command):
    strategy_id: UUID
    vision: str


@dataclass(frozen=True, kw_only=True)
class RestateMission(Command):
    strategy_id: UUID
    mission: str


@dataclass(frozen=True, kw_only=True)
class AddStrategicChoice(Command):
    strategy_id: UUID
    kind: str
    statement: str
    key: str | None = None
    """A natural key makes the choice id deterministic."""


@dataclass(frozen=True, kw_only=True)
class ReviseStrategicChoice(Command):
    strategy_id: UUID
    choice_id: UUID
    statement: str


@dataclass(frozen=True, kw_only=True)
class RetireStrategicChoice(Command):
    strategy_id: UUID
    choice_id: UUID


# -- teams ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FormTeam(Command):
    key: str
    name: str
    level: str
    parent_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class RenameTeam(Command):
    team_id: UUID
    name: str


@dataclass(frozen=True, kw_only=True)
class MoveTeam(Command):
    team_id: UUID
    parent_id: UUID


# -- cycles --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OpenCycle(Command):
    key: str
    name: str
    starts_on: date
    ends_on: date
    cadence_days: int = 7


@dataclass(frozen=True, kw_only=True)
class StartCycle(Command):
    cycle_id: UUID


@dataclass(frozen=True, kw_only=True)
class BeginCycleReview(Command):
    cycle_id: UUID


@dataclass(frozen=True, kw_only=True)
class CloseCycle(Command):
    cycle_id: UUID


@dataclass(frozen=True, kw_only=True)
class ReopenCycle(Command):
    cycle_id: UUID


# -- objectives ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DraftObjective(Command):
    team_id: UUID
    cycle_id: UUID
    statement: str
    owner: str
    commitment: str = "committed"
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class RewordObjective(Command):
    objective_id: UUID
    statement: str
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeObjectiveOwner(Command):
    objective_id: UUID
    owner: str


@dataclass(frozen=True, kw_only=True)
class LinkObjectiveToChoice(Command):
    objective_id: UUID
    strategy_id: UUID
    choice_id: UUID


@dataclass(frozen=True, kw_only=True)
class UnlinkObjectiveFromChoice(Command):
    objective_id: UUID
    choice_id: UUID


@dataclass(frozen=True, kw_only=True)
class AlignObjective(Command):
    objective_id: UUID
    parent_kind: str
    parent_id: UUID


@dataclass(frozen=True, kw_only=True)
class UnalignObjective(Command):
    objective_id: UUID
    parent_id: UUID


@dataclass(frozen=True, kw_only=True)
class DropObjective(Command):
    objective_id: UUID


@dataclass(frozen=True, kw_only=True)
class ReflectOnObjective(Command):
    objective_id: UUID
    outcome: str
    achieved: str
    why: str
    causes: tuple[str, ...] = ()
    carry_forward: str = ""


# -- key results ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DefineKeyResult(Command):
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


@dataclass(frozen=True, kw_only=True)
class RewordKeyResult(Command):
    key_result_id: UUID
    statement: str


@dataclass(frozen=True, kw_only=True)
class ChangeKeyResultOwner(Command):
    key_result_id: UUID
    owner: str


@dataclass(frozen=True, kw_only=True)
class ReweightKeyResult(Command):
    key_result_id: UUID
    weight: Decimal


@dataclass(frozen=True, kw_only=True)
class RetargetKeyResult(Command):
    key_result_id: UUID
    target: Decimal | None = None
    band_low: Decimal | None = None
    band_high: Decimal | None = None
    deadline: date | None = None


@dataclass(frozen=True, kw_only=True)
class CheckIn(Command):
    key_result_id: UUID
    value: Decimal
    confidence: str
    note: str = ""
    blockers: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CorrectCheckIn(Command):
    key_result_id: UUID
    supersedes: UUID
    value: Decimal
    confidence: str
    note: str = ""
    blockers: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class OverrideScore(Command):
    key_result_id: UUID
    score: Decimal


@dataclass(frozen=True, kw_only=True)
class DropKeyResult(Command):
    key_result_id: UUID


# -- initiatives ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProposeInitiative(Command):
    team_id: UUID
    cycle_id: UUID
    title: str
    owner: str
    description: str = ""
    key_result_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True, kw_only=True)
class LinkInitiative(Command):
    initiative_id: UUID
    key_result_id: UUID


@dataclass(frozen=True, kw_only=True)
class UnlinkInitiative(Command):
    initiative_id: UUID
    key_result_id: UUID


@dataclass(frozen=True, kw_only=True)
class StartInitiative(Command):
    initiative_id: UUID


@dataclass(frozen=True, kw_only=True)
class ChangeInitiativeStatus(Command):
    initiative_id: UUID
    health: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class StopInitiative(Command):
    initiative_id: UUID


@dataclass(frozen=True, kw_only=True)
class CompleteInitiative(Command):
    initiative_id: UUID
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class PrioritiseInitiative(Command):
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
    initiative_id: UUID
    people: Decimal
    money: Decimal
    currency: str


# -- dependencies --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DeclareDependency(Command):
    from_kind: str
    from_id: UUID
    on_team_id: UUID
    description: str
    on_kind: str | None = None
    on_id: UUID | None = None
    needed_by: date | None = None


@dataclass(frozen=True, kw_only=True)
class AcknowledgeDependency(Command):
    dependency_id: UUID
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class EscalateDependency(Command):
    dependency_id: UUID


@dataclass(frozen=True, kw_only=True)
class ResolveDependency(Command):
    dependency_id: UUID
    note: str = ""


# -- KPIs ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DefineKpi(Command):
    key: str
    team_id: UUID
    name: str
    direction: str
    healthy: Decimal
    warning: Decimal
    unit: str = ""


@dataclass(frozen=True, kw_only=True)
class MeasureKpi(Command):
    kpi_id: UUID
    value: Decimal


@dataclass(frozen=True, kw_only=True)
class ChangeKpiBands(Command):
    kpi_id: UUID
    healthy: Decimal
    warning: Decimal


# -- decisions and priorities --------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordDecision(Command):
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


@dataclass(frozen=True, kw_only=True)
class Reprioritise(Command):
    team_id: UUID
    cycle_id: UUID
    order: tuple[UUID, ...]
