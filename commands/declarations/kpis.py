"""KPIs: ongoing health measures with bands."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from commands.declarations.base import Command, check, choice, command, number, refused, text
from ledger.exceptions import RuleViolation
from ledger.kpi import DIRECTIONS, Bands, check_bands


@command("POST /kpis", creates="kpi_id")
class DefineKpi(Command):
    """Define a KPI with health bands."""

    key: str = text(80)
    team_id: UUID
    name: str = text(200)
    direction: str = choice(DIRECTIONS)
    healthy: Decimal = number()
    warning: Decimal = number()
    unit: str = text(40, default="")

    @check
    def bands_in_order(data: dict[str, Any]) -> None:
        if {"direction", "healthy", "warning"} <= data.keys():
            try:
                check_bands(Bands(data["direction"], data["healthy"], data["warning"]))
            except RuleViolation as violation:
                raise refused(violation) from None


@command("POST /kpis/{kpi_id}/measurements")
class MeasureKpi(Command):
    """Record a KPI measurement (may be back-dated)."""

    kpi_id: UUID
    value: Decimal = number()


@command("PUT /kpis/{kpi_id}/bands")
class ChangeKpiBands(Command):
    """Change a KPI's health bands (a reason is required)."""

    kpi_id: UUID
    healthy: Decimal = number()
    warning: Decimal = number()
