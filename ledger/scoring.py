"""Google-style 0.0-1.0 grading, computed from the key results' events.

- increase / decrease: progress = (current - baseline) / (target - baseline), clamped
  to [0, 1]; the same formula works both ways because the signs cancel.
- band: by default the share of time the value lay inside the band (``time_in_band``):
  each current check-in holds from its effective time until the next one's, the last
  until the cycle's end (so mid-cycle the latest value is taken to hold to the end, as
  a metric's latest value is); times after the cycle's end count for nothing, nor does
  the time before the first check-in. When no time is held at all (one check-in at the
  very end, say), it scores as ``last_value`` does: 1 if the latest value is in band,
  else 0.
- milestone: 1 if a check-in of 1 (reached) is effective by the deadline, else 0.
- baseline (learning): 1 once a baseline has been measured, else 0.
- an override recorded in review replaces the final score; the computed one stays.
- objective: weighted mean of its live key results' final scores.

A ``ScoringPolicy`` holds every choice, so a cycle can be re-scored under other rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Protocol
from uuid import UUID

from ledger.aim import BAND, BASELINE, DECREASE, INCREASE, MILESTONE, Aiming, Reading, Target
from ledger.check_ins import ScoreOverride

ZERO, ONE = Decimal(0), Decimal(1)
PLACES = Decimal("0.001")


class Scorable(Aiming, Protocol):
    """What scoring reads of a key result. The aggregate (``ledger.key_result.KeyResult``)
    has it, and so do the read side's facts (``projections.facts.KeyResultFacts``), so both
    score by the same rules."""

    @property
    def aim(self) -> Target: ...
    @property
    def classification(self) -> str: ...
    @property
    def weight(self) -> Decimal: ...
    @property
    def override(self) -> ScoreOverride | None: ...
    @property
    def is_live(self) -> bool: ...
    def current_check_ins(self, *, as_of: datetime | None = None) -> Sequence[Reading]: ...
    def latest_check_in(self, *, as_of: datetime | None = None) -> Reading | None: ...


@dataclass(frozen=True)
class ScoringPolicy:
    band_mode: str = "time_in_band"
    """``time_in_band`` or ``last_value``."""
    par: dict[str, Decimal] = field(default_factory=dict)
    """Per classification, the raw progress that counts as full marks: with
    ``{"stretch": Decimal("0.7")}`` a stretch result at 0.7 scores 1.0."""
    use_overrides: bool = True
    milestone_grace_days: int = 0


DEFAULT_POLICY = ScoringPolicy()


@dataclass(frozen=True)
class KeyResultScore:
    key_result_id: UUID
    computed: Decimal | None
    """None when the key result cannot be scored (no baseline or target yet)."""
    override: Decimal | None
    final: Decimal | None
    weight: Decimal


def clamp(value: Decimal) -> Decimal:
    return min(ONE, max(ZERO, value))


def _metric_progress(kr: Scorable, as_of: datetime | None) -> Decimal | None:
    baseline, target = kr.aim.baseline, kr.aim.target
    if baseline is None or target is None or target == baseline:
        return None
    latest = kr.latest_check_in(as_of=as_of)
    current = baseline if latest is None else latest.value
    return clamp((current - baseline) / (target - baseline))


MICROSECOND = timedelta(microseconds=1)


def end_of_cycle(ends_on: date) -> datetime:
    """The instant a cycle ends: midnight UTC after its last day."""
    return datetime.combine(ends_on + timedelta(days=1), time.min, tzinfo=UTC)


def _band_progress(
    kr: Scorable, policy: ScoringPolicy, as_of: datetime | None, ends_on: date | None
) -> Decimal:
    low, high = kr.aim.band_low, kr.aim.band_high
    if low is None or high is None:
        return ZERO
    current = kr.current_check_ins(as_of=as_of)
    if not current:
        return ZERO
    inside = [low <= c.value <= high for c in current]
    if policy.band_mode == "time_in_band":
        end = end_of_cycle(ends_on) if ends_on else current[-1].effective_at
        times = [min(c.effective_at, end) for c in current] + [end]
        held = [Decimal((b - a) // MICROSECOND) for a, b in pairwise(times)]  # sorted times
        total = sum(held, ZERO)
        if total > 0:
            return sum((h for h, ok in zip(held, inside, strict=True) if ok), ZERO) / total
    return ONE if inside[-1] else ZERO


def _milestone_progress(kr: Scorable, policy: ScoringPolicy, as_of: datetime | None) -> Decimal:
    reached = [c for c in kr.current_check_ins(as_of=as_of) if c.value >= ONE]
    if not reached:
        return ZERO
    if kr.aim.deadline is None:
        return ONE
    due = datetime.combine(kr.aim.deadline, time.max, tzinfo=UTC)  # end of that day, UTC
    grace = policy.milestone_grace_days * 86400
    first = reached[0].effective_at
    return ONE if (first - due).total_seconds() <= grace else ZERO


def raw_progress(
    kr: Scorable,
    policy: ScoringPolicy = DEFAULT_POLICY,
    *,
    as_of: datetime | None = None,
    ends_on: date | None = None,
) -> Decimal | None:
    """``ends_on``: the last day of the key result's cycle (band key results need it)."""
    if kr.kind in (INCREASE, DECREASE):
        return _metric_progress(kr, as_of)
    if kr.kind == BAND:
        return _band_progress(kr, policy, as_of, ends_on)
    if kr.kind == MILESTONE:
        return _milestone_progress(kr, policy, as_of)
    if kr.kind == BASELINE:
        return ONE if kr.current_check_ins(as_of=as_of) else ZERO
    return None


def score_key_result(
    kr: Scorable,
    policy: ScoringPolicy = DEFAULT_POLICY,
    *,
    as_of: datetime | None = None,
    ends_on: date | None = None,
) -> KeyResultScore:
    progress = raw_progress(kr, policy, as_of=as_of, ends_on=ends_on)
    computed = None
    if progress is not None:
        par = policy.par.get(kr.classification, ONE)
        computed = clamp(progress / par if par > 0 else progress).quantize(PLACES)
    override = None
    known = kr.override is not None and (as_of is None or kr.override.recorded_at <= as_of)
    if policy.use_overrides and known and kr.override is not None:
        override = kr.override.score
    final = override if override is not None else computed
    return KeyResultScore(kr.id, computed, override, final, kr.weight)


def weighted_mean(scores: Iterable[KeyResultScore]) -> Decimal | None:
    scored = [s for s in scores if s.final is not None]
    total_weight = sum((s.weight for s in scored), ZERO)
    if not scored or total_weight == 0:
        return None
    total = sum((s.final * s.weight for s in scored if s.final is not None), ZERO)
    return (total / total_weight).quantize(PLACES)


def score_objective(
    key_results: Iterable[Scorable],
    policy: ScoringPolicy = DEFAULT_POLICY,
    *,
    as_of: datetime | None = None,
    ends_on: date | None = None,
) -> Decimal | None:
    """Weighted mean of the live key results' final scores (equal weights unless set)."""
    return weighted_mean(
        score_key_result(kr, policy, as_of=as_of, ends_on=ends_on)
        for kr in key_results
        if kr.is_live
    )
