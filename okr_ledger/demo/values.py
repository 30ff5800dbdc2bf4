"""The demo's simulated numbers: weekly values along a key result's path, drawn with
seeded noise, and the confidence an owner would report for them."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from ledger.key_result import BAND, DECREASE, INCREASE, MILESTONE
from okr_ledger.scenario import northbridge as scenario
from okr_ledger.scenario.northbridge import KEY_RESULTS, WEEKS
from okr_ledger.scenario.plans import KeyResultPlan

D = Decimal


def friday(week: int) -> date:
    return scenario.FIRST_FRIDAY + timedelta(weeks=week - 1)


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


def confidence_of(
    targets: dict[str, Decimal], plan: KeyResultPlan, value: Decimal, week: int
) -> str:
    """How confident the owner says they are, given where ``value`` stands in ``week``."""
    if plan.kind in (INCREASE, DECREASE) and plan.baseline is not None:
        return metric_confidence(plan.baseline, targets[plan.key], value, week)
    if plan.kind == BAND and plan.band is not None:
        return band_confidence(*plan.band, value)
    if plan.kind == MILESTONE:
        return milestone_confidence(plan.deadline, value, friday(week))
    return "on_track"


def simulate_values(rng: random.Random) -> dict[str, list[Decimal]]:
    """Every key result's and the KPI's weekly values, drawn in a fixed order."""
    values = {
        kr.key: trajectory(kr.path, rng, noise=kr.noise, places=kr.places, steps=kr.steps)
        for kr in KEY_RESULTS.values()
    }
    values[scenario.KPI.key] = trajectory(scenario.KPI_PATH, rng, noise=1.2, places=1)
    return values
