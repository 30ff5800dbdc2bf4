"""What a key result aims at, by kind: the value type, the rules a target or band must
keep, whether a change eases it, and what a carried key result aims at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from ledger.base import require_finite
from ledger.exceptions import RuleViolation

INCREASE, DECREASE, BAND, MILESTONE, BASELINE = (
    "increase",
    "decrease",
    "band",
    "milestone",
    "baseline",
)
KINDS = (INCREASE, DECREASE, BAND, MILESTONE, BASELINE)
"""Move a metric up or down, keep it inside a band, reach a milestone by a date,
or establish a baseline (a learning key result)."""


@dataclass(frozen=True)
class Target:
    """What a key result aims at; which fields matter depends on its kind."""

    baseline: Decimal | None
    target: Decimal | None
    band_low: Decimal | None
    band_high: Decimal | None
    deadline: date | None


def check_target(kind: str, t: Target) -> None:
    for name in ("baseline", "target", "band_low", "band_high"):
        require_finite(getattr(t, name), name)
    if kind in (INCREASE, DECREASE):
        if t.band_low is not None or t.band_high is not None:
            raise RuleViolation(
                "band_not_allowed", f"an {kind} key result has no band", field="band_low"
            )
        if t.baseline is not None and t.target is not None:
            if t.target == t.baseline:
                raise RuleViolation(
                    "target_equals_baseline",
                    "the target must differ from the baseline",
                    field="target",
                )
            if (kind == INCREASE) != (t.target > t.baseline):
                direction = "above" if kind == INCREASE else "below"
                raise RuleViolation(
                    "target_direction",
                    f"an {kind} key result needs a target {direction} its baseline",
                    field="target",
                )
    elif kind == BAND:
        if t.band_low is None or t.band_high is None:
            raise RuleViolation(
                "band_required",
                "a band key result needs band_low and band_high",
                field="band_low",
            )
        if t.band_low >= t.band_high:
            raise RuleViolation("band_order", "band_low must be below band_high", field="band_low")
        if t.target is not None:
            raise RuleViolation(
                "target_not_allowed",
                "a band key result keeps a band, not a target",
                field="target",
            )
    else:
        for name, code in (
            ("target", "target_not_allowed"),
            ("band_low", "band_low_not_allowed"),
            ("band_high", "band_high_not_allowed"),
        ):
            if getattr(t, name) is not None:
                raise RuleViolation(code, f"a {kind} key result has no {name}", field=name)
        if kind == BASELINE and t.baseline is not None:
            raise RuleViolation(
                "baseline_not_allowed",
                "a baseline key result establishes its baseline by checking in",
                field="baseline",
            )


def is_easing(kind: str, old: Target, new: Target) -> bool:
    """Whether moving from ``old`` to ``new`` makes the key result easier to hit."""
    if old.deadline and new.deadline and new.deadline > old.deadline:
        return True
    if old.deadline and new.deadline is None:
        return True
    if kind == INCREASE and old.target is not None and new.target is not None:
        return new.target < old.target
    if kind == DECREASE and old.target is not None and new.target is not None:
        return new.target > old.target
    if kind == BAND:
        wider_low = (
            old.band_low is not None and new.band_low is not None and new.band_low < old.band_low
        )
        wider_high = (
            old.band_high is not None
            and new.band_high is not None
            and new.band_high > old.band_high
        )
        return wider_low or wider_high
    return False


class Reading(Protocol):
    """What the aim and scoring rules read of a check-in: its value and the instant it
    took effect (``CheckIn`` has both, and so do the read side's lighter readings)."""

    @property
    def value(self) -> Decimal: ...
    @property
    def effective_at(self) -> datetime: ...


class Aiming(Protocol):
    """What the aim rules read of a key result: the aggregate, or a read model's facts."""

    @property
    def id(self) -> UUID: ...
    @property
    def kind(self) -> str: ...
    @property
    def aim(self) -> Target: ...
    def latest_check_in(self, *, as_of: datetime | None = None) -> Reading | None: ...


def aim_met(kr: Aiming) -> bool:
    """Whether the latest value meets the aim: a metric at or past its target, a
    milestone reached, a baseline measured (a band is kept, never met)."""
    aim, latest = kr.aim, kr.latest_check_in()
    if latest is None:
        return False
    if kr.kind == INCREASE:
        return aim.target is not None and latest.value >= aim.target
    if kr.kind == DECREASE:
        return aim.target is not None and latest.value <= aim.target
    if kr.kind == MILESTONE:
        return latest.value == 1
    return kr.kind == BASELINE


def carried_aim(kr: Aiming, ends_on: date, field: str = "key_result_id") -> Target:
    """What a carried key result aims at: the same target or band, from where the work
    got to (a metric's latest value becomes its baseline), by the end of the next cycle
    if it had a deadline. One that has met its aim is not carried (``aim_met``)."""
    if aim_met(kr):
        raise RuleViolation(
            "aim_met",
            f"key result {kr.id} has met its aim; define a new key result instead",
            field=field,
        )
    aim, latest = kr.aim, kr.latest_check_in()
    baseline = aim.baseline
    if latest is not None and kr.kind in (INCREASE, DECREASE):
        baseline = latest.value
    deadline = ends_on if aim.deadline is not None else None
    return Target(baseline, aim.target, aim.band_low, aim.band_high, deadline)
