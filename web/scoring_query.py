"""The scoring policy a retrospective is re-scored under, read from its query string by
a marshmallow schema: ``band_mode`` (time_in_band | last_value), ``par_committed``,
``par_stretch``, ``par_experimental`` (decimals in (0, 1]), ``use_overrides`` (true |
false) and ``milestone_grace_days`` (0..60). Absent or blank parameters keep the
default (docs/scoring.md)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load
from marshmallow.validate import OneOf, Range

from ledger.key_result import CLASSIFICATIONS
from ledger.scoring import DEFAULT_POLICY, ScoringPolicy

PAR_PARAMETERS = {f"par_{name}": name for name in CLASSIFICATIONS}
BAND_MODES = ("time_in_band", "last_value")
FLAGS = {"true": True, "1": True, "yes": True, "on": True,
         "false": False, "0": False, "no": False, "off": False}  # fmt: skip
MAX_GRACE_DAYS = 60
POLICY_PARAMETERS = ("band_mode", "use_overrides", "milestone_grace_days", *PAR_PARAMETERS)


class Par(fields.String):
    """A decimal in (0, 1], given (and documented) as its text."""

    def __init__(self, description: str) -> None:
        super().__init__(metadata={"description": description})

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        try:
            par = Decimal(super()._deserialize(value, attr, data, **kwargs))
        except InvalidOperation:
            raise ValidationError("expected a decimal in (0, 1]") from None
        if not par.is_finite() or not Decimal(0) < par <= Decimal(1):
            raise ValidationError("expected a decimal in (0, 1]")
        return par


class Flag(fields.Field):
    """true | false (also 1/0, yes/no, on/off, in any case)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        try:
            return FLAGS[str(value).lower()]
        except KeyError:
            raise ValidationError("expected true or false") from None


class GraceDays(fields.Integer):
    """A whole number of days, written with digits only."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        text = str(value)
        if not text.isascii() or not text.isdigit():
            raise ValidationError(f"expected a whole number of days from 0 to {MAX_GRACE_DAYS}")
        return int(super()._deserialize(text, attr, data, **kwargs))


class ScoringPolicyQuery(Schema):
    """The re-scoring parameters of a query; loading gives ``{"policy": ScoringPolicy}``
    (with any other fields the schema that includes these declares)."""

    band_mode = fields.String(
        validate=OneOf(BAND_MODES), metadata={"description": "re-score: how band results score"}
    )
    par_committed = Par(
        "re-score: the progress that earns full marks for committed results, in (0, 1]"
    )
    par_stretch = Par("likewise for stretch results")
    par_experimental = Par("likewise for experimental")
    use_overrides = Flag(metadata={"description": "re-score: true or false"})
    milestone_grace_days = GraceDays(
        validate=Range(min=0, max=MAX_GRACE_DAYS),
        metadata={"description": f"re-score: 0 to {MAX_GRACE_DAYS}"},
    )

    @pre_load
    def blank_is_absent(self, data: Any, **_: Any) -> Any:
        """A blank parameter (``?band_mode=``, as a form sends it) keeps the default."""
        if not isinstance(data, Mapping):
            return data
        kept = {}
        for key, value in data.items():
            if key not in POLICY_PARAMETERS:
                kept[key] = value
            elif text := str(value).strip():
                kept[key] = text
        return kept

    @post_load
    def to_policy(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        given = {name: data.pop(name) for name in POLICY_PARAMETERS if name in data}
        data["policy"] = ScoringPolicy(
            band_mode=given.get("band_mode", DEFAULT_POLICY.band_mode),
            par={
                classification: given[name]
                for name, classification in PAR_PARAMETERS.items()
                if name in given
            },
            use_overrides=given.get("use_overrides", DEFAULT_POLICY.use_overrides),
            milestone_grace_days=given.get(
                "milestone_grace_days", DEFAULT_POLICY.milestone_grace_days
            ),
        )
        return data


class _PolicyOnly(ScoringPolicyQuery):
    class Meta:
        unknown = EXCLUDE


def policy_from(params: Mapping[str, str]) -> ScoringPolicy:
    """A scoring policy from query parameters (others are ignored); raises
    ``ValueError`` naming the first bad parameter (``par_stretch: ...``)."""
    try:
        loaded = _PolicyOnly().load(dict(params))
    except ValidationError as error:
        name, messages = next(iter(error.normalized_messages().items()))
        raise ValueError(f"{name}: {messages[0]}") from None
    policy: ScoringPolicy = loaded["policy"]
    return policy
