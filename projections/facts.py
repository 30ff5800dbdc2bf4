"""Read-side documents turned back into the values the ledger's scoring rules take, so
the read models score exactly as the ledger defines scoring."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple
from uuid import UUID

from eventlog.vocabulary import micros, moment
from ledger.key_result import ScoreOverride, Target
from ledger.scoring import DEFAULT_POLICY, KeyResultScore, ScoringPolicy, score_key_result
from projections.reducers import Doc


def number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@lru_cache(maxsize=65_536)
def uuid_of(text: str) -> UUID:
    """The id of a document's text (the same key results are scored again and again)."""
    return UUID(text)


def day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


class Measured(NamedTuple):
    """A check-in as scoring reads it (``ledger.aim.Reading``): its value and the instant
    it took effect; the rest of the row is not needed to score."""

    value: Decimal
    effective_at: datetime


def reading_of(row: dict[str, Any]) -> Measured:
    return Measured(Decimal(row["value"]), moment(row["effective_at"]))


def override_of(override: dict[str, Any] | None) -> ScoreOverride | None:
    if not override:
        return None
    return ScoreOverride(
        Decimal(str(override["score"])),
        override["reason"],
        override["actor"],
        moment(micros(override["recorded_at"])),
    )


@dataclass
class KeyResultFacts:
    """A key result as the read side knows it; scored by ``ledger.scoring``.

    Its check-ins are kept as read-side rows, in effective-time order, and turned into
    readings (``Measured``) only when scoring asks for them: a metric key result is
    scored from its latest check-in alone, so one is read, not its whole history."""

    id: UUID
    kind: str
    aim: Target
    classification: str
    weight: Decimal
    override: ScoreOverride | None
    status: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    """its current check-ins' rows, in effective-time order"""
    ends_on: date | None = None
    """the last day of its cycle"""
    _readings: list[Measured] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(
        cls, doc: Doc, check_ins: list[dict[str, Any]], *, ends_on: date | None = None
    ) -> KeyResultFacts:
        return cls(
            id=uuid_of(doc["id"]),
            kind=doc["kind"],
            aim=Target(
                number(doc.get("baseline")),
                number(doc.get("target")),
                number(doc.get("band_low")),
                number(doc.get("band_high")),
                day(doc.get("deadline")),
            ),
            classification=doc["classification"],
            weight=Decimal(str(doc["weight"])),
            override=override_of(doc.get("override")),
            status=doc["status"],
            rows=sorted(
                check_ins,
                key=lambda r: (r["effective_at"], r["recorded_at"], r.get("position", 0)),
            ),
            ends_on=ends_on,
        )

    @property
    def readings(self) -> list[Measured]:
        if self._readings is None:
            self._readings = [reading_of(row) for row in self.rows]
        return self._readings

    @property
    def is_live(self) -> bool:
        return self.status == "live"

    def current_check_ins(self, *, as_of: datetime | None = None) -> list[Measured]:
        if as_of is None:
            return list(self.readings)
        return [c for c in self.readings if c.effective_at <= as_of]

    def latest_check_in(self, *, as_of: datetime | None = None) -> Measured | None:
        if as_of is None:
            return reading_of(self.rows[-1]) if self.rows else None
        current = self.current_check_ins(as_of=as_of)
        return current[-1] if current else None

    def score(self, policy: ScoringPolicy = DEFAULT_POLICY) -> KeyResultScore:
        return score_key_result(self, policy, ends_on=self.ends_on)
