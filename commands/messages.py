"""Commands: imperative requests for one act of the domain each.

Each command is declared once, in ``commands.declarations`` (its fields with their limits
and documentation, its address, its checks); this module is the one place to import them
from. Every command may carry a reason, the decision behind it, an effective time and the
version of its target that the caller expects. The actor and the command id come with the
envelope (the authenticated principal and the idempotency key), never from the command's
own fields.
"""

from __future__ import annotations

from commands.declarations import COMMANDS, declared
from commands.declarations.base import Command
from commands.declarations.cycles import (
    BeginCycleReview,
    CloseCycle,
    OpenCycle,
    ReopenCycle,
    StartCycle,
)
from commands.declarations.decisions import (
    RecordDecision,
    Reprioritise,
)
from commands.declarations.dependencies import (
    AcknowledgeDependency,
    DeclareDependency,
    EscalateDependency,
    ResolveDependency,
)
from commands.declarations.initiatives import (
    AllocateResources,
    ChangeInitiativeStatus,
    CompleteInitiative,
    LinkInitiative,
    PrioritiseInitiative,
    ProposeInitiative,
    StartInitiative,
    StopInitiative,
    UnlinkInitiative,
)
from commands.declarations.key_results import (
    ChangeKeyResultOwner,
    CheckIn,
    CorrectCheckIn,
    DefineKeyResult,
    DropKeyResult,
    OverrideScore,
    RetargetKeyResult,
    ReweightKeyResult,
    RewordKeyResult,
)
from commands.declarations.kpis import (
    ChangeKpiBands,
    DefineKpi,
    MeasureKpi,
)
from commands.declarations.objectives import (
    AlignObjective,
    CarryKeyResultForward,
    CarryObjectiveForward,
    ChangeObjectiveOwner,
    DraftObjective,
    DropObjective,
    LinkObjectiveToChoice,
    ReflectOnObjective,
    RewordObjective,
    UnalignObjective,
    UnlinkObjectiveFromChoice,
)
from commands.declarations.principals import (
    AddPrincipal,
    RevokePrincipal,
)
from commands.declarations.strategy import (
    AddStrategicChoice,
    FormTeam,
    FormulateStrategy,
    MoveTeam,
    RenameTeam,
    RestateMission,
    RestateVision,
    RetireStrategicChoice,
    ReviseStrategicChoice,
)

CREATING: frozenset[type[Command]] = frozenset(
    cls for cls in COMMANDS if (found := declared(cls)) is not None and found.creates
)
"""The commands that create something: HTTP answers them 201 Created, and so do
command results from the intake."""

__all__ = [
    "COMMANDS",
    "CREATING",
    "AcknowledgeDependency",
    "AddPrincipal",
    "AddStrategicChoice",
    "AlignObjective",
    "AllocateResources",
    "BeginCycleReview",
    "CarryKeyResultForward",
    "CarryObjectiveForward",
    "ChangeInitiativeStatus",
    "ChangeKeyResultOwner",
    "ChangeKpiBands",
    "ChangeObjectiveOwner",
    "CheckIn",
    "CloseCycle",
    "Command",
    "CompleteInitiative",
    "CorrectCheckIn",
    "DeclareDependency",
    "DefineKeyResult",
    "DefineKpi",
    "DraftObjective",
    "DropKeyResult",
    "DropObjective",
    "EscalateDependency",
    "FormTeam",
    "FormulateStrategy",
    "LinkInitiative",
    "LinkObjectiveToChoice",
    "MeasureKpi",
    "MoveTeam",
    "OpenCycle",
    "OverrideScore",
    "PrioritiseInitiative",
    "ProposeInitiative",
    "RecordDecision",
    "ReflectOnObjective",
    "RenameTeam",
    "ReopenCycle",
    "Reprioritise",
    "ResolveDependency",
    "RestateMission",
    "RestateVision",
    "RetargetKeyResult",
    "RetireStrategicChoice",
    "ReviseStrategicChoice",
    "RevokePrincipal",
    "ReweightKeyResult",
    "RewordKeyResult",
    "RewordObjective",
    "StartCycle",
    "StartInitiative",
    "StopInitiative",
    "UnalignObjective",
    "UnlinkInitiative",
    "UnlinkObjectiveFromChoice",
]
