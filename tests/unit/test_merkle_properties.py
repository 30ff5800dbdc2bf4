"""Properties of the tree and the auditor's verifier, for any tree size and any
index/size pair, against a reference written here straight from RFC 9162's recursive
definitions (MTH, PATH, PROOF/SUBPROOF, section 2.1)."""

from __future__ import annotations

import hashlib

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.tlog import merkle
from okr_ledger import verifier
from okr_ledger.verifier import VerificationError

# -- the reference: RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1, word for word ---------------


def mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def leaves(n: int) -> list[bytes]:
    return [f"event {i}".encode() for i in range(n)]


class Store:
    """Leaf hashes and complete-subtree nodes in a dict, built batch by batch."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0

    def append(self, batch: list[bytes]) -> None:
        hashes = [merkle.leaf_hash(x) for x in batch]
        made = merkle.new_nodes(self.size, hashes, self.get)
        for i, lh in enumerate(hashes):
            self.nodes[(0, self.size + i)] = lh
        self.nodes.update({(level, index): value for level, index, value in made})
        self.size += len(batch)

    def get(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def subtree(self, start: int, end: int) -> bytes:
        return merkle.range_hash(start, end, self.get)


def store_of(n: int) -> Store:
    store = Store()
    store.append(leaves(n))
    return store


SIZES = st.integers(min_value=1, max_value=300)


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(SIZES)
    return draw(st.integers(0, size - 1)), size


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(SIZES)
    return draw(st.integers(1, n)), n


def flip(proof: list[bytes], i: int) -> list[bytes]:
    changed = list(proof)
    changed[i] = bytes([changed[i][0] ^ 1]) + changed[i][1:]
    return changed


def inclusion_fails(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    try:
        verifier.verify_inclusion(index, size, leaf, proof, root)
    except VerificationError:
        return True
    return False


def consistency_fails(m: int, n: int, proof: list[bytes], old: bytes, new: bytes) -> bool:
    try:
        verifier.verify_consistency(m, n, proof, old, new)
    except VerificationError:
        return True
    return False


# -- the tree agrees with the reference ------------------------------------------------


@given(st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_a_tree_built_batch_by_batch_has_the_reference_root_at_every_size(
    batches: list[int],
) -> None:
    store = Store()
    data = leaves(sum(batches))
    for count in batches:
        store.append(data[store.size : store.size + count])
        assert merkle.root_hash(store.size, store.get) == mth(data[: store.size])


@given(SIZES, st.data())
def test_any_range_hashes_as_the_reference_defines_it(size: int, data: st.DataObject) -> None:
    store, d = store_of(size), leaves(size)
    start = data.draw(st.integers(0, size - 1))
    end = data.draw(st.integers(start + 1, size))
    assert store.subtree(start, end) == mth(d[start:end])


@given(st.integers(0, 2**20), st.integers(0, 2**12))
def test_perfect_subtrees_tile_a_range_with_aligned_complete_subtrees(
    start: int, length: int
) -> None:
    covered = start
    for level, index in merkle.perfect_subtrees(start, start + length):
        assert index << level == covered
        covered += 1 << level
    assert covered == start + length


@given(index_and_size())
def test_inclusion_proofs_are_the_references_and_verify(case: tuple[int, int]) -> None:
    index, size = case
    store, d = store_of(size), leaves(size)
    proof = merkle.inclusion_proof(index, size, store.subtree)
    assert proof == path(index, d)
    verifier.verify_inclusion(index, size, merkle.leaf_hash(d[index]), proof, mth(d))


@given(two_sizes())
def test_consistency_proofs_are_the_references_and_verify(case: tuple[int, int]) -> None:
    m, n = case
    store, d = store_of(n), leaves(n)
    proof = merkle.consistency_proof(m, n, store.subtree)
    assert proof == subproof(m, d, True)
    verifier.verify_consistency(m, n, proof, mth(d[:m]), mth(d))


@given(two_sizes())
def test_a_proof_reads_only_the_nodes_its_ranges_name(case: tuple[int, int]) -> None:
    m, n = case
    store = store_of(n)
    ranges = merkle.needed_ranges_for_consistency(m, n) + merkle.needed_ranges_for_inclusion(
        m - 1, n
    )
    fetched = {node: store.nodes[node] for node in merkle.nodes_for(ranges)}
    assert [merkle.range_hash(a, b, lambda lv, i: fetched[(lv, i)]) for a, b in ranges] == [
        store.subtree(a, b) for a, b in ranges
    ]


# -- and every change is caught --------------------------------------------------------


@given(index_and_size(), st.data())
def test_an_inclusion_proof_fails_for_any_changed_hash_index_size_or_root(
    case: tuple[int, int], data: st.DataObject
) -> None:
    index, size = case
    d = leaves(size)
    proof, root, leaf = path(index, d), mth(d), merkle.leaf_hash(d[index])
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1), label="changed hash")
        assert inclusion_fails(index, size, leaf, flip(proof, i), root)
    other_index = data.draw(st.integers(0, size), label="other index")
    assume(other_index != index)
    assert inclusion_fails(other_index, size, leaf, proof, root)
    other_size = data.draw(st.integers(index + 1, size + 40), label="other size")
    if other_size != size:
        assert inclusion_fails(index, other_size, leaf, proof, mth(leaves(other_size)))
    assert inclusion_fails(index, size, leaf, proof, flip([root], 0)[0])
    assert inclusion_fails(index, size, flip([leaf], 0)[0], proof, root)


@given(two_sizes(), st.data())
def test_a_consistency_proof_fails_for_any_changed_hash_size_or_root(
    case: tuple[int, int], data: st.DataObject
) -> None:
    m, n = case
    assume(m < n)
    d = leaves(n + 40)
    proof, old, new = subproof(m, d[:n], True), mth(d[:m]), mth(d[:n])
    i = data.draw(st.integers(0, len(proof) - 1), label="changed hash")
    assert consistency_fails(m, n, flip(proof, i), old, new)
    assert consistency_fails(m, n, proof, flip([old], 0)[0], new)
    assert consistency_fails(m, n, proof, old, flip([new], 0)[0])
    other_m = data.draw(st.integers(1, n), label="other old size")
    if other_m != m:
        assert consistency_fails(other_m, n, proof, mth(d[:other_m]), new)
    other_n = data.draw(st.integers(m, n + 40), label="other new size")
    if other_n != n:
        assert consistency_fails(m, other_n, proof, old, mth(d[:other_n]))


@given(two_sizes(), st.data())
def test_a_consistency_proof_with_the_right_ends_and_a_forged_middle_is_refused(
    case: tuple[int, int], data: st.DataObject
) -> None:
    """The class of immudb's GHSA-672p-m5jq-mrh8: the first and last hashes are the
    honest ones, while what lies between is replaced, dropped or padded."""
    m, n = case
    d = leaves(n)
    proof, old, new = subproof(m, d, True), mth(d[:m]), mth(d)
    assume(len(proof) >= 3)
    first, middle, last = proof[0], proof[1:-1], proof[-1]
    forged_hash = data.draw(st.binary(min_size=32, max_size=32), label="forged hash")
    assume(forged_hash not in middle)
    at = data.draw(st.integers(0, len(middle) - 1), label="position in the middle")
    replaced = [*middle[:at], forged_hash, *middle[at + 1 :]]
    dropped = middle[:at] + middle[at + 1 :]
    padded = [*middle[:at], forged_hash, *middle[at:]]
    for forged_middle in (replaced, dropped, padded):
        assert consistency_fails(m, n, [first, *forged_middle, last], old, new)


@given(index_and_size(), st.binary(min_size=32, max_size=32))
def test_an_inclusion_proof_must_be_consumed_exactly(case: tuple[int, int], extra: bytes) -> None:
    index, size = case
    d = leaves(size)
    proof, root, leaf = path(index, d), mth(d), merkle.leaf_hash(d[index])
    assert inclusion_fails(index, size, leaf, [*proof, extra], root)
    if proof:
        assert inclusion_fails(index, size, leaf, proof[:-1], root)


@settings(max_examples=50)
@given(two_sizes(), st.binary(min_size=32, max_size=32))
def test_a_consistency_proof_must_be_consumed_exactly(case: tuple[int, int], extra: bytes) -> None:
    m, n = case
    assume(m < n)
    d = leaves(n)
    proof, old, new = subproof(m, d, True), mth(d[:m]), mth(d)
    assert consistency_fails(m, n, [*proof, extra], old, new)
    assert consistency_fails(m, n, proof[:-1], old, new)
