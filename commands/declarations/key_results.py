"""Key results: defined under an objective, checked in on, retargeted, scored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from marshmallow import ValidationError

from commands.declarations.base import (
    NATURAL_KEY,
    Command,
    check,
    choice,
    command,
    many,
    number,
    refused,
    text,
)
from ledger.cycle import CLOSED_CYCLE_RULE
from ledger.exceptions import RuleViolation
from ledger.key_result import CLASSIFICATIONS, CONFIDENCES, KINDS, Target, check_target


@command("POST /objectives/{objective_id}/key-results", creates="key_result_id")
class DefineKeyResult(Command):
    """Define a key result of an objective."""

    objective_id: UUID
    statement: str = text(500)
    kind: str = choice(KINDS)
    owner: str = text(200)
    baseline: Decimal | None = number(default=None)
    target: Decimal | None = number(default=None)
    band_low: Decimal | None = number(default=None)
    band_high: Decimal | None = number(default=None)
    unit: str = text(40, default="")
    deadline: date | None = None
    classification: str = choice(CLASSIFICATIONS, default="committed")
    weight: Decimal = number(default=Decimal(1), minimum=0, exclusive_minimum=True)
    key: str | None = text(80, default=None, doc=NATURAL_KEY)

    @check
    def targets_fit_the_kind(data: dict[str, Any]) -> None:
        if data.get("kind") not in KINDS:
            return
        target = Target(
            *(data.get(f) for f in ("baseline", "target", "band_low", "band_high", "deadline"))
        )
        try:
            check_target(data["kind"], target)
        except RuleViolation as violation:
            raise refused(violation) from None
        if "weight" in data and data["weight"] <= 0:
            raise ValidationError("weight must be above zero", field_name="weight")


@command("PUT /key-results/{key_result_id}/statement")
class RewordKeyResult(Command):
    """Reword a key result."""

    key_result_id: UUID
    statement: str = text(500)


@command("PUT /key-results/{key_result_id}/owner")
class ChangeKeyResultOwner(Command):
    """Give a key result another owner."""

    key_result_id: UUID
    owner: str = text(200)


@command("PUT /key-results/{key_result_id}/weight")
class ReweightKeyResult(Command):
    """Change a key result's weight in its objective's score (a reason is required)."""

    key_result_id: UUID
    weight: Decimal = number(minimum=0, exclusive_minimum=True)

    @check
    def positive(data: dict[str, Any]) -> None:
        if "weight" in data and data["weight"] <= 0:
            raise ValidationError("weight must be above zero", field_name="weight")


@command("POST /key-results/{key_result_id}/retarget")
class RetargetKeyResult(Command):
    """Move a key result's target, band or deadline (a reason is required; easing is marked)."""

    key_result_id: UUID
    target: Decimal | None = number(default=None)
    band_low: Decimal | None = number(default=None)
    band_high: Decimal | None = number(default=None)
    deadline: date | None = None

    @check
    def changes_something(data: dict[str, Any]) -> None:
        if all(data.get(f) is None for f in ("target", "band_low", "band_high", "deadline")):
            raise ValidationError(
                "give a new target, band_low, band_high or deadline", field_name="target"
            )


@command(
    "POST /key-results/{key_result_id}/check-ins",
    creates="check_in_id",
    notes=(CLOSED_CYCLE_RULE,),
)
class CheckIn(Command):
    """Check in on a key result: value, confidence, note, blockers (may be back-dated)."""

    key_result_id: UUID
    value: Decimal = number()
    confidence: str = choice(CONFIDENCES)
    note: str = text(4000, default="")
    blockers: tuple[str, ...] = many(text(500), max_items=20, default=())


@command(
    "POST /key-results/{key_result_id}/check-ins/{check_in_id}/corrections",
    path_fields={"check_in_id": "supersedes"},
    creates=True,
    notes=(CLOSED_CYCLE_RULE,),
)
class CorrectCheckIn(Command):
    """Correct a check-in; the original stays visible, superseded (a reason is required)."""

    key_result_id: UUID
    supersedes: UUID
    value: Decimal = number()
    confidence: str = choice(CONFIDENCES)
    note: str = text(4000, default="")
    blockers: tuple[str, ...] = many(text(500), max_items=20, default=())


@command("POST /key-results/{key_result_id}/score-override", notes=(CLOSED_CYCLE_RULE,))
class OverrideScore(Command):
    """Override a key result's score in review (a reason is required)."""

    key_result_id: UUID
    score: Decimal = number(
        doc="0.0 to 1.0", minimum=0, maximum=1, outside="a score lies in 0.0-1.0"
    )


@command("POST /key-results/{key_result_id}/drop")
class DropKeyResult(Command):
    """Drop a key result (a reason is required)."""

    key_result_id: UUID
