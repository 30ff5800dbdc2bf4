"""Reading a record's offset, timestamp, key and value, and skipping its headers.

kafka-python reads every record of a fetched batch in Python, header by header: for the
events topic, with its nine headers per message, that is about 25 varints a record and
most of what the fetching process spends (``streams.fetching``). The projection worker
needs each message's offset and value only. ``skim_headers`` replaces the client's
record reader, in the process that calls it, with one that reads the record's length,
timestamp, offset, key and value, then moves to the record's end: its headers come back
empty. Everything else stays the client's: the batch's checksum (``check_crcs``), the
decompression, control batches, the count of records and the check that a batch's
records fill it exactly.

The reader is installed only after it has read a batch built by the client itself
exactly as the client's own reader does (headers aside); a kafka-python whose records
differ from the ones it was written against (the v2 format of KIP-98) keeps its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kafka.errors import CorruptRecordError
from kafka.record.default_records import (
    ControlRecord,
    DefaultRecord,
    DefaultRecordBatch,
    DefaultRecordBatchBuilder,
)
from kafka.record.util import decode_varint

Reader = Callable[[Any], Any]


def read_skimming(batch: Any) -> Any:
    """The batch's next record, headers skipped (``DefaultRecordBatch._read_msg``)."""
    buffer = batch._buffer
    length, pos = decode_varint(buffer, batch._pos)
    end = pos + length
    if length < 0 or end > len(buffer):
        raise CorruptRecordError(f"a record of {length} bytes overruns its batch")
    _, pos = decode_varint(buffer, pos)  # attributes: none are defined for records
    timestamp_delta, pos = decode_varint(buffer, pos)
    offset_delta, pos = decode_varint(buffer, pos)
    key_length, pos = decode_varint(buffer, pos)
    key = None
    if key_length >= 0:
        key, pos = bytes(buffer[pos : pos + key_length]), pos + key_length
    value_length, pos = decode_varint(buffer, pos)
    value = None
    if value_length >= 0:
        value, pos = bytes(buffer[pos : pos + value_length]), pos + value_length
    if pos > end:
        raise CorruptRecordError(f"a record's key and value overrun its {length} bytes")
    batch._pos = end
    kind = batch.timestamp_type
    if kind == batch.LOG_APPEND_TIME:
        timestamp = batch.max_timestamp
    else:
        timestamp = batch.first_timestamp + timestamp_delta
    made = ControlRecord if batch.is_control_batch else DefaultRecord
    return made(length, batch.base_offset + offset_delta, timestamp, kind, key, value, [])


SAMPLE = [
    (0, 1_700_000_000_000, b"k", b"value", [("okr-kind", b"event"), ("okr-position", b"1")]),
    (1, 1_700_000_000_123, None, b"x" * 300, []),
    (2, 1_700_000_000_001, b"\x00" * 40, None, [("empty", None), ("h" * 200, b"v" * 200)]),
]
"""records of every shape the reader meets: with and without key, value and headers,
with varints of more than one byte"""


def sample_batch(records: list[tuple[int, int, Any, Any, list[Any]]] = SAMPLE) -> bytes:
    """A record batch as a broker serves it, built by the client's own builder."""
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=0, is_transactional=False, producer_id=-1,
        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20,
    )  # fmt: skip
    for offset, timestamp, key, value, headers in records:
        builder.append(offset, timestamp, key, value, headers)
    return bytes(builder.build())


def read_all(buffer: bytes, reader: Reader | None = None) -> list[tuple[Any, ...]]:
    """(offset, timestamp, key, value) of each record of a batch, read by the client's
    reader or by ``reader``."""
    kind = DefaultRecordBatch
    if reader is not None:  # a batch that reads with it, the client's class untouched
        kind = type("Reading", (DefaultRecordBatch,), {"__slots__": (), "_read_msg": reader})
    return [(r.offset, r.timestamp, r.key, r.value) for r in kind(bytearray(buffer))]


def skim_headers(reader: Reader = read_skimming) -> bool:
    """Read records with ``reader`` in this process from now on, if it reads what the
    client's reader reads; whether it was installed."""
    buffer = sample_batch()
    try:
        agrees = read_all(buffer, reader) == read_all(buffer)
    except Exception:
        agrees = False
    if agrees:
        DefaultRecordBatch._read_msg = reader
    return agrees
