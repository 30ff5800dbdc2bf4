"""RFC 9162 Merkle trees (Certificate Transparency v2, section 2.1), over any store.

Hashing: a leaf hashes as SHA-256(0x00 ‖ leaf), an inner node as
SHA-256(0x01 ‖ left ‖ right), the empty tree as SHA-256(""). ``MTH(D[a:b])`` is the
RFC's tree hash of the leaves with indexes ``a <= i < b``: for ``n = b - a > 1`` it
splits at ``k``, the largest power of two below ``n``.

Storage keeps the hashes of complete, aligned subtrees: node ``(level, index)`` covers
leaves ``[index << level, (index + 1) << level)``; level 0 is the leaf hashes. Every
range the RFC's proofs ask for starts on a multiple of its largest piece, so its hash
is a right fold over at most ``log2(n)`` stored nodes (``perfect_subtrees``). Proofs
are written against a callback ``subtree_hash(start, end)``; ``needed_ranges_*`` say
which ranges a proof will ask for, so that a store can fetch them all at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

SubtreeHash = Callable[[int, int], bytes]
"""``subtree_hash(start, end)``: MTH(D[start:end])."""
GetNode = Callable[[int, int], bytes]
"""``get_node(level, index)``: the stored hash of a complete subtree (level 0: a leaf hash)."""
Range = tuple[int, int]
Node = tuple[int, int]


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_size(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, not {value!r}")


# -- which ranges a proof needs -------------------------------------------------------


def needed_ranges_for_inclusion(index: int, size: int) -> list[Range]:
    """The ranges ``[start, end)`` whose hashes form PATH(index, D[size]), in proof order
    (nearest the leaf first)."""
    _check_size("index", index)
    _check_size("size", size)
    if index >= size:
        raise ValueError(f"index {index} is not below the tree size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start = start + k
    ranges.reverse()
    return ranges


def needed_ranges_for_consistency(m: int, n: int) -> list[Range]:
    """The ranges whose hashes form PROOF(m, D[n]), in proof order. Empty when
    ``m == 0`` or ``m == n`` (nothing to prove beyond the roots themselves)."""
    _check_size("m", m)
    _check_size("n", n)
    if m > n:
        raise ValueError(f"the first size {m} is beyond the second {n}")
    if m in (0, n):
        return []
    ranges: list[Range] = []
    start, end, whole = 0, n, True
    # SUBPROOF(m, D[start:end], whole), m counted from ``start``
    while True:
        if m == end:
            if not whole:
                ranges.append((start, end))
            break
        k = split_point(end - start)
        if m - start <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, whole = start + k, False
    ranges.reverse()
    return ranges


# -- proofs over a store --------------------------------------------------------------


def inclusion_proof(index: int, size: int, subtree_hash: SubtreeHash) -> list[bytes]:
    return [subtree_hash(a, b) for a, b in needed_ranges_for_inclusion(index, size)]


def consistency_proof(m: int, n: int, subtree_hash: SubtreeHash) -> list[bytes]:
    return [subtree_hash(a, b) for a, b in needed_ranges_for_consistency(m, n)]


# -- complete subtrees ----------------------------------------------------------------


def perfect_subtrees(start: int, end: int) -> list[Node]:
    """The aligned complete subtrees ``(level, index)`` covering ``[start, end)``, left
    to right, each as large as its alignment allows."""
    _check_size("start", start)
    _check_size("end", end)
    if start > end:
        raise ValueError(f"the range [{start}, {end}) is reversed")
    nodes: list[Node] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while (1 << level) > end - start:
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def nodes_for(ranges: Iterable[Range]) -> list[Node]:
    """Every stored node the given ranges are built from, once each (for one query)."""
    seen: dict[Node, None] = {}
    for start, end in ranges:
        for node in perfect_subtrees(start, end):
            seen[node] = None
    return list(seen)


def range_hash(start: int, end: int, get_node: GetNode) -> bytes:
    """MTH(D[start:end]) from stored complete subtrees.

    Where ``start`` is a multiple of the range's largest power of two (every range a
    proof or a root asks for), this reads ``perfect_subtrees(start, end)`` and folds
    them from the right; otherwise it recurses down as the RFC defines it."""
    if start >= end:
        if start == end == 0:
            return EMPTY_ROOT
        raise ValueError(f"the range [{start}, {end}) is empty")
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return get_node(level, start >> level)
    k = split_point(n)
    return node_hash(range_hash(start, start + k, get_node), range_hash(start + k, end, get_node))


def root_hash(size: int, get_node: GetNode) -> bytes:
    """The root of the tree of the first ``size`` leaves (the empty root for 0)."""
    _check_size("size", size)
    return EMPTY_ROOT if size == 0 else range_hash(0, size, get_node)


def new_nodes(
    first_index: int, leaf_hashes: Sequence[bytes], get_node: GetNode
) -> list[tuple[int, int, bytes]]:
    """Every complete-subtree node (level >= 1) that appending ``leaf_hashes`` at
    ``first_index`` completes, as ``(level, index, hash)``, children before parents.

    ``get_node`` answers for nodes that were complete before (leaves below
    ``first_index`` at level 0, and stored nodes above); nodes made here are not
    asked for."""
    _check_size("first_index", first_index)
    made: dict[Node, bytes] = {}

    def node(level: int, index: int) -> bytes:
        if level == 0 and index >= first_index:
            return leaf_hashes[index - first_index]
        found = made.get((level, index))
        return found if found is not None else get_node(level, index)

    out: list[tuple[int, int, bytes]] = []
    for i in range(first_index, first_index + len(leaf_hashes)):
        level, count = 1, i + 1
        while count % (1 << level) == 0:
            index = (count >> level) - 1
            value = node_hash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1))
            made[(level, index)] = value
            out.append((level, index, value))
            level += 1
    return out


def tree_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over a list of leaf hashes held in memory (tests, small trees)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]
