"""C2SP tlog-tiles: the log's tree as tiles of hashes, and its leaves as entry bundles.

A tile at level ``L`` holds up to 256 hashes, each the root of a complete subtree of
``256**L`` leaves: hash ``i`` of tile ``N`` at level ``L`` is the tree node at height
``8 * L`` with index ``N * 256 + i`` (level 0 tiles hold the leaf hashes). The
rightmost tile of a level may be partial (``.p/<W>``). An entry bundle holds the
leaves of one level-0 tile, each prefixed with its length as a big-endian uint16.

Paths: ``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]``, ``N`` written in
zero-padded groups of three digits, all but the last prefixed with ``x``
(1234067 -> ``x001/x234/067``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

WIDTH = 256
HEIGHT = 8
MAX_ENTRY = 0xFFFF
"""An entry bundle prefixes each leaf with a uint16 length."""


def index_path(n: int) -> str:
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([f"x{g}" for g in groups[:-1]] + [groups[-1]])


def tile_path(level: int, n: int, width: int = WIDTH) -> str:
    suffix = "" if width == WIDTH else f".p/{width}"
    return f"tile/{level}/{index_path(n)}{suffix}"


def bundle_path(n: int, width: int = WIDTH) -> str:
    suffix = "" if width == WIDTH else f".p/{width}"
    return f"tile/entries/{index_path(n)}{suffix}"


@dataclass(frozen=True)
class Tile:
    level: int
    index: int
    width: int

    @property
    def path(self) -> str:
        return tile_path(self.level, self.index, self.width)

    @property
    def first_node(self) -> int:
        """The index, at tree height ``8 * level``, of the tile's first hash."""
        return self.index * WIDTH

    def nodes(self) -> list[tuple[int, int]]:
        """The stored tree nodes ``(height, index)`` whose hashes the tile holds."""
        return [(HEIGHT * self.level, self.first_node + i) for i in range(self.width)]


def tiles_for(size: int, since: int = 0) -> Iterator[Tile]:
    """The tiles of the tree of ``size`` leaves that a reader who holds the tiles of
    size ``since`` lacks: at each level, from the tile that holds ``since``'s frontier
    to the rightmost (partial) one."""
    if not 0 <= since <= size:
        raise ValueError(f"cannot export from size {since} to size {size}")
    level = 0
    while size >= WIDTH**level:
        span = WIDTH**level  # leaves per hash at this level
        hashes = size // span
        first = (since // span) // WIDTH
        for n in range(first, hashes // WIDTH):
            yield Tile(level, n, WIDTH)
        if hashes % WIDTH:
            yield Tile(level, hashes // WIDTH, hashes % WIDTH)
        level += 1


def encode_bundle(leaves: Sequence[bytes]) -> bytes:
    parts = []
    for leaf in leaves:
        if len(leaf) > MAX_ENTRY:
            raise ValueError(f"a leaf of {len(leaf)} bytes does not fit an entry bundle")
        parts.append(struct.pack(">H", len(leaf)) + leaf)
    return b"".join(parts)


def decode_bundle(data: bytes) -> list[bytes]:
    leaves, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise ValueError("an entry bundle ends inside a length prefix")
        (length,) = struct.unpack_from(">H", data, at)
        at += 2
        if at + length > len(data):
            raise ValueError("an entry bundle ends inside an entry")
        leaves.append(data[at : at + length])
        at += length
    return leaves
