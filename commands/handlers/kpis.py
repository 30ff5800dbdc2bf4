from __future__ import annotations

from commands.bus import Unit, handles
from commands.messages import ChangeKpiBands, DefineKpi, MeasureKpi
from ledger.exceptions import AlreadyExists
from ledger.kpi import Kpi
from ledger.team import Team


@handles(DefineKpi)
def define_kpi(cmd: DefineKpi, unit: Unit) -> None:
    team = unit.get(Team, cmd.team_id, field="team_id")
    unit.require_team(team.id, "define a KPI")
    if unit.find(Kpi, Kpi.id_for(cmd.key)):
        raise AlreadyExists("KPI", cmd.key)
    kpi = Kpi.define(
        key=cmd.key,
        team=team,
        name=cmd.name,
        unit=cmd.unit,
        direction=cmd.direction,
        healthy=cmd.healthy,
        warning=cmd.warning,
        meta=unit.meta,
    )
    unit.add(kpi, created=True)


@handles(MeasureKpi)
def measure_kpi(cmd: MeasureKpi, unit: Unit) -> None:
    kpi = unit.target(Kpi, cmd.kpi_id, field="kpi_id")
    unit.require_team(kpi.team_id, "measure a KPI")
    kpi.measure(cmd.value, unit.meta)


@handles(ChangeKpiBands)
def change_kpi_bands(cmd: ChangeKpiBands, unit: Unit) -> None:
    kpi = unit.target(Kpi, cmd.kpi_id, field="kpi_id")
    unit.require_team(kpi.team_id, "change a KPI's bands")
    kpi.change_bands(cmd.healthy, cmd.warning, unit.meta)
