"""The fetching process's record reader reads what kafka-python's own reader reads, its
headers aside, refuses a record that overruns its batch, and is installed only when it
agrees with the client's reader."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kafka.errors import CorruptRecordError
from kafka.record.default_records import DefaultRecord, DefaultRecordBatch

from streams.skimming import SAMPLE, read_all, read_skimming, sample_batch, skim_headers

blobs = st.one_of(st.none(), st.binary(max_size=300))
headers = st.lists(
    st.tuples(st.text(max_size=40), blobs), max_size=12
)  # keys are strings, values nullable bytes


@st.composite
def batches(draw: st.DrawFn) -> list[tuple[int, int, Any, Any, list[Any]]]:
    """Records as a producer appends them: offsets and timestamps that move on."""
    count = draw(st.integers(min_value=1, max_value=20))
    offset, timestamp, found = 0, draw(st.integers(0, 2**41)), []
    for _ in range(count):
        found.append((offset, timestamp, draw(blobs), draw(blobs), draw(headers)))
        offset += draw(st.integers(1, 5000))
        timestamp += draw(st.integers(0, 10**6))
    return found


@given(batches())
def test_the_skimming_reader_reads_each_records_offset_timestamp_key_and_value(
    records: list[tuple[int, int, Any, Any, list[Any]]],
) -> None:
    buffer = sample_batch(records)
    assert read_all(buffer, read_skimming) == read_all(buffer)
    assert [r[:4] for r in read_all(buffer, read_skimming)] == [
        (offset, timestamp, key, value) for offset, timestamp, key, value, _ in records
    ]


@pytest.mark.parametrize(
    "length", [0x7E, 0x02], ids=["longer than its batch", "shorter than its key and value"]
)
def test_a_record_whose_length_is_wrong_is_refused_before_it_is_read(length: int) -> None:
    buffer = bytearray(sample_batch([(0, 1, None, b"x", []), (1, 2, b"key", b"value", [])]))
    first_record = DefaultRecordBatch.HEADER_STRUCT.size
    assert buffer[first_record] < 0x7E  # a length of one byte, in a record of a few
    buffer[first_record] = length  # 63 bytes, or 1
    reading = type("Reading", (DefaultRecordBatch,), {"__slots__": (), "_read_msg": read_skimming})
    records = iter(reading(buffer))
    with pytest.raises(CorruptRecordError):  # at once: not read as some other record first
        next(records)


@pytest.fixture
def clients_reader() -> Iterator[Any]:
    """The client's own reader, put back after the test."""
    own = DefaultRecordBatch._read_msg
    yield own
    DefaultRecordBatch._read_msg = own


def without_keys(batch: Any) -> Any:
    record = read_skimming(batch)
    return DefaultRecord(
        record.size_in_bytes, record.offset, record.timestamp, record.timestamp_type,
        None, record.value, [],
    )  # fmt: skip


def failing(batch: Any) -> Any:
    raise ValueError("not the format it was written for")


@pytest.mark.parametrize("reader", [without_keys, failing], ids=["reads otherwise", "fails"])
def test_a_reader_that_does_not_agree_with_the_clients_is_not_installed(
    clients_reader: Any, reader: Any
) -> None:
    assert skim_headers(reader) is False
    assert DefaultRecordBatch._read_msg is clients_reader


def test_once_installed_the_process_reads_records_without_their_headers(
    clients_reader: Any,
) -> None:
    buffer = sample_batch()
    assert skim_headers() is True
    assert DefaultRecordBatch._read_msg is read_skimming
    read = list(DefaultRecordBatch(bytearray(buffer)))
    assert [(r.offset, r.timestamp, r.key, r.value) for r in read] == [r[:4] for r in SAMPLE]
    assert all(record.headers == [] for record in read)
