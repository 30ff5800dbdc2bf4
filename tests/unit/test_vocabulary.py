"""The API's vocabulary: one canonical text per decimal and per instant."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventlog.vocabulary import DECIMAL_PATTERN, TIME_PATTERN, decimal_text, micros, time_text

DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, places=10).filter(
    lambda d: abs(d) < 10**15
)


@given(DECIMALS)
def test_a_decimal_is_written_exactly_and_canonically(value: Decimal) -> None:
    text = decimal_text(value)
    assert text is not None
    assert re.match(DECIMAL_PATTERN, text), text
    assert Decimal(text) == value


@given(DECIMALS, st.integers(min_value=0, max_value=6))
def test_equal_decimals_are_written_alike(value: Decimal, zeros: int) -> None:
    padded = Decimal(f"{value:f}{'' if '.' in f'{value:f}' else '.'}{'0' * zeros}")
    assert decimal_text(padded) == decimal_text(value) == decimal_text(f"{padded:f}")


@pytest.mark.parametrize(
    ("given_", "written"),
    [
        (Decimal("55.0"), "55"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0.00"), "0"),
        ("+5", "5"),
        (Decimal("2133.330"), "2133.33"),
        (Decimal("-1.5E-7"), "-0.00000015"),
        (0.1, "0.1"),
        (12, "12"),
        (None, None),
    ],
)
def test_decimals_lose_exponents_trailing_zeros_plus_signs_and_negative_zero(
    given_: object, written: str | None
) -> None:
    assert decimal_text(given_) == written  # type: ignore[arg-type]


def test_a_boolean_or_an_infinity_is_not_a_decimal() -> None:
    with pytest.raises(TypeError):
        decimal_text(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        decimal_text(Decimal("Infinity"))


@given(st.integers(min_value=-(10**15), max_value=10**17))
def test_an_instant_is_written_in_utc_to_the_microsecond_and_sorts_as_text(value: int) -> None:
    text = time_text(value)
    assert text is not None
    assert re.match(TIME_PATTERN, text), text
    assert micros(text) == value
    assert (time_text(value) or "") < (time_text(value + 1) or "")


def test_the_same_instant_is_written_alike_whatever_its_zone_or_form() -> None:
    moment = datetime(2026, 7, 6, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    written = "2026-07-06T09:00:00.000000Z"
    assert time_text(moment) == time_text(moment.astimezone(UTC)) == written
    assert time_text("2026-07-06T09:00:00+00:00") == written
    assert time_text(micros("2026-07-06T09:00:00Z")) == written


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="zone"):
        time_text(datetime(2026, 7, 6, 9, 0))


@given(st.integers(min_value=-62135596800_000_000, max_value=253402300799_999_999))
def test_microseconds_are_written_as_the_same_instant_as_a_datetime(micros: int) -> None:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)

    assert time_text(micros) == time_text(moment)
