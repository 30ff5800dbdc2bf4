"""How steadily a key result was checked in on: the cycle's cadence periods up to an
instant, which of them had a check-in, and the confidence reported in each."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from eventlog.vocabulary import decimal_text
from projections.okrs import DAY, start_of
from projections.reducers import Doc

Period = tuple[int, int]
"""[start, end) in UTC microseconds."""


def cadence_periods(cycle: Doc, until: int) -> list[Period]:
    """The cadence periods from the cycle's first day up to the instant ``until``
    (inclusive); the last one is cut short at ``until``."""
    start, length, stop = start_of(cycle["starts_on"]), period_length(cycle), until + 1
    return [(lo, min(lo + length, stop)) for lo in range(start, stop, length)]


def period_length(cycle: Doc) -> int:
    return int(cycle["cadence_days"]) * DAY


def counted_periods(
    periods: list[Period], check_in_times: Iterable[int], length: int
) -> list[tuple[Period, bool]]:
    """The periods the habit is judged on, each with whether a check-in fell in it.

    Every full period counts; a period cut short (still running, or ended by the cycle's
    end or a drop) counts only if it has a check-in, so a check-in not yet due does not
    lower the share.
    """
    times = sorted(check_in_times)
    marked = [((lo, hi), any(lo <= t < hi for t in times)) for lo, hi in periods]
    return [(period, checked) for period, checked in marked if checked or _span(period) == length]


def _span(period: Period) -> int:
    return period[1] - period[0]


def rhythm(counted: list[tuple[Period, bool]]) -> dict[str, Any]:
    """How many cadence periods had at least one check-in, and what share that is."""
    checked = sum(1 for _, hit in counted if hit)
    return {
        "periods": len(counted),
        "periods_with_check_in": checked,
        "share": decimal_text(round(Decimal(checked) / len(counted), 3)) if counted else None,
    }


def confidence_trajectory(
    counted: list[tuple[Period, bool]], rows: list[dict[str, Any]]
) -> list[str | None]:
    """Per counted period, the confidence of the latest current check-in effective in
    it (``rows`` in effective-time order), or None."""
    trajectory = []
    for (lo, hi), _ in counted:
        inside = [r for r in rows if lo <= r["effective_at"] < hi]
        trajectory.append(inside[-1]["confidence"] if inside else None)
    return trajectory
