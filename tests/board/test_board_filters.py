"""The board's template filters read numbers and times in every vocabulary the read
models speak: JSON numbers or decimal strings, ISO text or integer microseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from web.board.filters import band, local_input, number, percent, score, time_tag, when

MOMENTS = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
)


def micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


@given(MOMENTS)
def test_a_time_reads_the_same_as_iso_text_with_z_or_an_offset_or_microseconds(moment):
    z_text = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    forms = [moment, moment.isoformat(), z_text, micros(moment), str(micros(moment))]
    assert {when(form) for form in forms} == {when(moment)}
    assert {local_input(form) for form in forms} == {f"{moment:%Y-%m-%dT%H:%M}"}


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9
    )
)
def test_a_number_reads_the_same_as_a_decimal_string_or_a_decimal(value: Decimal):
    text = number(str(value))
    assert number(value) == text
    assert Decimal(text) == value
    assert "E" not in text


def test_numbers_lose_only_trailing_zeros():
    assert [number(54.0), number("0.7500"), number(40.2), number(12), number("3200.00")] == [
        "54",
        "0.75",
        "40.2",
        "12",
        "3200",
    ]
    assert number(None) == "—"
    assert number("n/a") == "n/a"


def test_scores_show_two_decimals_from_floats_and_strings_alike():
    assert score(0.953) == score("0.953") == score(Decimal("0.953")) == "0.95"
    assert score(1) == "1.00"
    assert score(None) == "—"
    assert percent("0.75") == percent(0.75) == "75%"


def test_a_band_reads_from_a_pair_or_a_mapping():
    assert band([3.0, 5.0]) == band({"low": "3", "high": "5"}) == "3\u20135"
    assert band(None) == "—"


def test_a_time_tag_escapes_what_it_cannot_read():
    assert str(time_tag("<b>")) == "&lt;b&gt;"
    assert str(time_tag(0)) == '<time datetime="1970-01-01T00:00:00Z">1 Jan 1970, 00:00 UTC</time>'


def test_times_outside_the_calendar_read_as_unknown():
    for value in ("0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00", 10**30, "soon"):
        assert local_input(value) == ""
