"""KPI: an ongoing health measure with health bands, not a change goal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.base import (
    LedgerAggregate,
    natural_id,
    optional_text,
    require_choice,
    require_finite,
    require_text,
)
from ledger.exceptions import RuleViolation
from ledger.meta import Meta

if TYPE_CHECKING:
    from ledger.team import Team

HIGHER_IS_BETTER, LOWER_IS_BETTER = "higher_is_better", "lower_is_better"
DIRECTIONS = (HIGHER_IS_BETTER, LOWER_IS_BETTER)
HEALTHY, WARNING, UNHEALTHY = "healthy", "warning", "unhealthy"


@dataclass(frozen=True)
class Bands:
    """``healthy`` and ``warning`` are the thresholds a value must reach (or stay
    within, when lower is better) to count as healthy or as a warning."""

    direction: str
    healthy: Decimal
    warning: Decimal

    def health(self, value: Decimal) -> str:
        if self.direction == HIGHER_IS_BETTER:
            if value >= self.healthy:
                return HEALTHY
            return WARNING if value >= self.warning else UNHEALTHY
        if value <= self.healthy:
            return HEALTHY
        return WARNING if value <= self.warning else UNHEALTHY


@dataclass(frozen=True)
class Measurement:
    value: Decimal
    effective_at: datetime
    recorded_at: datetime
    health: str


def check_bands(bands: Bands) -> Bands:
    require_choice(bands.direction, DIRECTIONS, "direction")
    require_finite(bands.healthy, "healthy")
    require_finite(bands.warning, "warning")
    ordered = (
        bands.healthy > bands.warning
        if bands.direction == HIGHER_IS_BETTER
        else bands.healthy < bands.warning
    )
    if not ordered:
        better = "above" if bands.direction == HIGHER_IS_BETTER else "below"
        raise RuleViolation(
            "band_order",
            f"the healthy threshold must lie {better} the warning threshold",
            field="healthy",
        )
    return bands


class Kpi(LedgerAggregate):
    class Defined(LedgerAggregate.Created):
        key: str
        team_id: UUID
        name: str
        unit: str
        direction: str
        healthy: Decimal
        warning: Decimal

        def apply(self, kpi: Kpi) -> None:
            kpi.key = self.key
            kpi.team_id = self.team_id
            kpi.name = self.name
            kpi.unit = self.unit
            kpi.bands = Bands(self.direction, self.healthy, self.warning)
            kpi.measurements = []

    class Measured(LedgerAggregate.Event):
        value: Decimal

        def apply(self, kpi: Kpi) -> None:
            kpi.measurements.append(
                Measurement(
                    self.value,
                    self.meta.effective_at,
                    self.timestamp,
                    kpi.bands.health(self.value),
                )
            )

    class BandsChanged(LedgerAggregate.Event):
        healthy: Decimal
        warning: Decimal

        def apply(self, kpi: Kpi) -> None:
            kpi.bands = Bands(kpi.bands.direction, self.healthy, self.warning)

    if TYPE_CHECKING:
        key: str
        team_id: UUID
        name: str
        unit: str
        bands: Bands
        measurements: list[Measurement]

    @staticmethod
    def id_for(key: str) -> UUID:
        return natural_id("kpi", key)

    @classmethod
    def define(
        cls,
        *,
        key: str,
        team: Team,
        name: str,
        unit: str,
        direction: str,
        healthy: Decimal,
        warning: Decimal,
        meta: Meta,
    ) -> Kpi:
        key = require_text(key, "key", max_length=80)
        bands = check_bands(Bands(direction, healthy, warning))
        return cls._begin(
            cls.Defined,
            cls.id_for(key),
            meta,
            key=key,
            team_id=team.id,
            name=require_text(name, "name", max_length=200),
            unit=optional_text(unit, "unit", max_length=40),
            direction=bands.direction,
            healthy=bands.healthy,
            warning=bands.warning,
        )

    def latest(self) -> Measurement | None:
        if not self.measurements:
            return None
        return max(self.measurements, key=lambda m: (m.effective_at, m.recorded_at))

    @property
    def health(self) -> str | None:
        """Health of the latest measurement under the bands in force now."""
        latest = self.latest()
        return None if latest is None else self.bands.health(latest.value)

    def measure(self, value: Decimal, meta: Meta) -> None:
        require_finite(value, "value")
        self._record(self.Measured, meta, value=value)

    def change_bands(self, healthy: Decimal, warning: Decimal, meta: Meta) -> None:
        meta.require_reason("changing health bands")
        bands = check_bands(Bands(self.bands.direction, healthy, warning))
        if bands == self.bands:
            raise RuleViolation("no_change", "the bands are unchanged", field="healthy")
        self._record(self.BandsChanged, meta, healthy=healthy, warning=warning)
