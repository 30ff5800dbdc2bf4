from __future__ import annotations

from commands.bus import Unit, handles
from commands.messages import BeginCycleReview, CloseCycle, OpenCycle, ReopenCycle, StartCycle
from ledger.cycle import Cycle
from ledger.exceptions import AlreadyExists


@handles(OpenCycle)
def open_cycle(cmd: OpenCycle, unit: Unit) -> None:
    unit.require_admin("open a cycle")
    if unit.find(Cycle, Cycle.id_for(cmd.key)):
        raise AlreadyExists("cycle", cmd.key)
    cycle = Cycle.open(
        key=cmd.key,
        name=cmd.name,
        starts_on=cmd.starts_on,
        ends_on=cmd.ends_on,
        cadence_days=cmd.cadence_days,
        meta=unit.meta,
    )
    unit.add(cycle, created=True)


@handles(StartCycle)
def start_cycle(cmd: StartCycle, unit: Unit) -> None:
    unit.require_admin("start a cycle")
    unit.target(Cycle, cmd.cycle_id).start(unit.meta)


@handles(BeginCycleReview)
def begin_cycle_review(cmd: BeginCycleReview, unit: Unit) -> None:
    unit.require_admin("begin a cycle's review")
    unit.target(Cycle, cmd.cycle_id).begin_review(unit.meta)


@handles(CloseCycle)
def close_cycle(cmd: CloseCycle, unit: Unit) -> None:
    unit.require_admin("close a cycle")
    unit.target(Cycle, cmd.cycle_id).close(unit.meta)


@handles(ReopenCycle)
def reopen_cycle(cmd: ReopenCycle, unit: Unit) -> None:
    unit.require_admin("reopen a cycle")
    unit.target(Cycle, cmd.cycle_id).reopen(unit.meta)
