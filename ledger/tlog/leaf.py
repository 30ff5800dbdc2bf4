"""The leaf bytes of a stored event, format version 1.

    b"OKRLEAF" ‖ 0x01                      magic and format version (8 bytes)
    ‖ position           uint64, big-endian  the event's log position (notification id)
    ‖ aggregate id       16 bytes            the UUID's bytes
    ‖ aggregate version  uint64, big-endian
    ‖ len(topic)         uint32, big-endian  ‖ topic, UTF-8
    ‖ len(state)         uint32, big-endian  ‖ state, the stored bytes exactly

Every field is exactly what the store holds for the event, so a change to any stored
byte changes the leaf, and so its hash. ``docs/transparency.md`` has a worked example.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from uuid import UUID

MAGIC = b"OKRLEAF"
VERSION = 1
HEADER = MAGIC + bytes([VERSION])
_U64 = struct.Struct(">Q")
_U32 = struct.Struct(">I")
MAX_U64 = 2**64 - 1
MAX_U32 = 2**32 - 1


class LeafFormatError(ValueError):
    """Bytes that are not a version-1 leaf."""


@dataclass(frozen=True)
class Leaf:
    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes


def encode_leaf(
    position: int, aggregate_id: UUID, version: int, topic: str, state: bytes
) -> bytes:
    for name, value in (("position", position), ("version", version)):
        if not 0 <= value <= MAX_U64:
            raise ValueError(f"{name} {value} does not fit in 64 unsigned bits")
    encoded_topic = topic.encode("utf-8")
    if len(encoded_topic) > MAX_U32 or len(state) > MAX_U32:
        raise ValueError("a topic or state longer than 4 GiB does not fit a leaf")
    return b"".join(
        (
            HEADER,
            _U64.pack(position),
            aggregate_id.bytes,
            _U64.pack(version),
            _U32.pack(len(encoded_topic)),
            encoded_topic,
            _U32.pack(len(state)),
            bytes(state),
        )
    )


def decode_leaf(data: bytes) -> Leaf:
    """The fields of a version-1 leaf; every byte must be accounted for."""
    if data[:8] != HEADER:
        raise LeafFormatError("not an OKR Ledger leaf of format version 1")
    try:
        position = _U64.unpack_from(data, 8)[0]
        aggregate_id = UUID(bytes=data[16:32])
        version = _U64.unpack_from(data, 32)[0]
        topic_length = _U32.unpack_from(data, 40)[0]
        topic_end = 44 + topic_length
        topic = data[44:topic_end].decode("utf-8")
        state_length = _U32.unpack_from(data, topic_end)[0]
    except (struct.error, ValueError) as error:
        raise LeafFormatError(f"a truncated or malformed leaf: {error}") from None
    state = data[topic_end + 4 :]
    if len(topic.encode("utf-8")) != topic_length or len(state) != state_length:
        raise LeafFormatError("a leaf's lengths do not match its bytes")
    return Leaf(position, aggregate_id, version, topic, bytes(state))
