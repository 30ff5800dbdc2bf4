"""An objective's end-of-cycle reflection: what was achieved, why it was hit or missed,
and what carries forward."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.base import require_choice, unique
from ledger.exceptions import RuleViolation

OUTCOMES = ("hit", "partially_hit", "missed")
MISS_CAUSES = (
    "execution",
    "hypothesis",
    "initiative_set",
    "authority",
    "wrong_metric",
    "external_change",
)
"""Causes of a miss."""


@dataclass(frozen=True)
class Reflection:
    outcome: str
    achieved: str
    why: str
    causes: tuple[str, ...]
    carry_forward: str


def check_causes(outcome: str, causes: Sequence[str]) -> list[str]:
    """The outcome checked, and the causes, once each: anything short of a hit names at
    least one cause."""
    require_choice(outcome, OUTCOMES, "outcome")
    named = unique(causes, "causes")
    for cause in named:
        require_choice(cause, MISS_CAUSES, "causes")
    if outcome != "hit" and not named:
        raise RuleViolation(
            "cause_required",
            "a missed or partly hit objective names at least one cause",
            field="causes",
        )
    return named
