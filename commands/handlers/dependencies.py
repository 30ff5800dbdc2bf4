from __future__ import annotations

from uuid import UUID, uuid4

from commands.bus import Unit, handles
from commands.errors import Forbidden
from commands.messages import (
    AcknowledgeDependency,
    DeclareDependency,
    EscalateDependency,
    ResolveDependency,
)
from ledger.dependency import Dependency
from ledger.exceptions import RuleViolation
from ledger.key_result import KeyResult
from ledger.objective import Objective
from ledger.team import Team


def _ref(unit: Unit, kind: str | None, ident: UUID, field: str) -> Objective | KeyResult:
    if kind == "objective":
        return unit.get(Objective, ident, field=field)
    if kind == "key_result":
        return unit.get(KeyResult, ident, field=field)
    raise RuleViolation(
        "not_allowed",
        f"{field.removesuffix('_id')}_kind must be objective or key_result",
        field=field.replace("_id", "_kind"),
    )


def _dependency(unit: Unit, dependency_id: UUID) -> Dependency:
    return unit.target(Dependency, dependency_id, field="dependency_id")


def _require_either_team(unit: Unit, dependency: Dependency, act: str) -> None:
    try:
        unit.require_team(dependency.from_team_id, act)
    except Forbidden:
        unit.require_team(dependency.on_team_id, act)


@handles(DeclareDependency)
def declare_dependency(cmd: DeclareDependency, unit: Unit) -> None:
    source = _ref(unit, cmd.from_kind, cmd.from_id, "from_id")
    unit.require_team(source.team_id, "declare a dependency")
    unit.get(Team, cmd.on_team_id, field="on_team_id")
    if cmd.on_id is not None:
        other = _ref(unit, cmd.on_kind, cmd.on_id, "on_id")
        if other.team_id != cmd.on_team_id:
            raise RuleViolation("wrong_team", "on_id does not belong to on_team_id", field="on_id")
    dependency = Dependency.declare(
        dependency_id=uuid4(),
        cycle=unit.cycle(source.cycle_id),
        from_team_id=source.team_id,
        from_kind=cmd.from_kind,
        from_id=cmd.from_id,
        on_team_id=cmd.on_team_id,
        on_kind=cmd.on_kind,
        on_id=cmd.on_id,
        description=cmd.description,
        needed_by=cmd.needed_by,
        meta=unit.meta,
    )
    unit.add(dependency, created=True)


@handles(AcknowledgeDependency)
def acknowledge_dependency(cmd: AcknowledgeDependency, unit: Unit) -> None:
    dependency = _dependency(unit, cmd.dependency_id)
    unit.require_team(dependency.on_team_id, "acknowledge a dependency on the team")
    dependency.acknowledge(cmd.note, unit.cycle(dependency.cycle_id), unit.meta)


@handles(EscalateDependency)
def escalate_dependency(cmd: EscalateDependency, unit: Unit) -> None:
    dependency = _dependency(unit, cmd.dependency_id)
    _require_either_team(unit, dependency, "escalate a dependency")
    dependency.escalate(unit.cycle(dependency.cycle_id), unit.meta)


@handles(ResolveDependency)
def resolve_dependency(cmd: ResolveDependency, unit: Unit) -> None:
    dependency = _dependency(unit, cmd.dependency_id)
    _require_either_team(unit, dependency, "resolve a dependency")
    dependency.resolve(cmd.note, unit.cycle(dependency.cycle_id), unit.meta)
