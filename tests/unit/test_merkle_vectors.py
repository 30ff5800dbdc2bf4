"""The tree and the auditor's verifier against the RFC 9162 / Certificate Transparency
test vectors (the eight leaves, roots and proofs that CT, Trillian and
transparency-dev/merkle all test against), and the corruptions those suites try."""

from __future__ import annotations

import pytest

from ledger.tlog import merkle
from okr_ledger import verifier
from okr_ledger.verifier import VerificationError

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
EMPTY = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def h(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes]


# (leaf index, tree size, proof)
INCLUSION = [
    (0, 1, []),
    (0, 8, h(
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    )),
    (5, 8, h(
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    )),
    (2, 3, h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (1, 5, h(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    )),
]  # fmt: skip

# (old size, new size, proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, h(
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    )),
    (6, 8, h(
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    )),
    (2, 5, h(
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    )),
    (6, 7, h(
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    )),
]  # fmt: skip

LEAF_HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
STORE = {(0, i): lh for i, lh in enumerate(LEAF_HASHES)}


def node(level: int, index: int) -> bytes:
    return STORE[(level, index)]


STORE.update({(lv, i): v for lv, i, v in merkle.new_nodes(0, LEAF_HASHES, node)})


def subtree(start: int, end: int) -> bytes:
    return merkle.range_hash(start, end, node)


def test_the_empty_tree_hashes_as_sha256_of_nothing() -> None:
    assert merkle.EMPTY_ROOT == EMPTY
    assert merkle.root_hash(0, node) == EMPTY
    assert merkle.tree_hash([]) == EMPTY


@pytest.mark.parametrize("size", range(1, 9))
def test_the_root_of_every_prefix_is_the_published_one(size: int) -> None:
    assert merkle.root_hash(size, node) == ROOTS[size - 1]
    assert merkle.tree_hash(LEAF_HASHES[:size]) == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_are_the_published_ones_and_verify(
    index: int, size: int, proof: list[bytes]
) -> None:
    assert merkle.inclusion_proof(index, size, subtree) == proof
    verifier.verify_inclusion(index, size, LEAF_HASHES[index], proof, ROOTS[size - 1])


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY)
def test_consistency_proofs_are_the_published_ones_and_verify(
    m: int, n: int, proof: list[bytes]
) -> None:
    assert merkle.consistency_proof(m, n, subtree) == proof
    verifier.verify_consistency(m, n, proof, ROOTS[m - 1], ROOTS[n - 1])


def inclusion_corruptions(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, tuple[int, int, bytes, list[bytes], bytes]]]:
    probes = [
        ("index - 1", (index - 1, size, leaf, proof, root)),
        ("index + 1", (index + 1, size, leaf, proof, root)),
        ("index ^ 2", (index ^ 2, size, leaf, proof, root)),
        ("size * 2", (index, size * 2, leaf, proof, root)),
        ("size // 2", (index, size // 2, leaf, proof, root)),
        ("wrong leaf", (index, size, SOME_HASH, proof, root)),
        ("empty root", (index, size, leaf, proof, EMPTY)),
        ("random root", (index, size, leaf, proof, SOME_HASH)),
        ("trailing root", (index, size, leaf, [*proof, root], root)),
        ("preceding root", (index, size, leaf, [root, *proof], root)),
        ("trailing garbage", (index, size, leaf, [*proof, b""], root)),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((f"proof[{i}] flipped", (index, size, leaf, flipped, root)))
    if proof:
        probes.append(("removed component", (index, size, leaf, proof[:-1], root)))
    if len(proof) > 1:
        inserted = [proof[0], SOME_HASH, *proof[1:]]
        probes.append(("inserted component", (index, size, leaf, inserted, root)))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_every_corruption_of_a_published_inclusion_proof_fails(
    index: int, size: int, proof: list[bytes]
) -> None:
    accepted = []
    for name, args in inclusion_corruptions(
        index, size, proof, ROOTS[size - 1], LEAF_HASHES[index]
    ):
        try:
            verifier.verify_inclusion(*args)
        except VerificationError:
            continue
        accepted.append(name)
    assert accepted == []


@pytest.mark.parametrize(("m", "n", "proof"), [c for c in CONSISTENCY if c[2]])
def test_every_corruption_of_a_published_consistency_proof_fails(
    m: int, n: int, proof: list[bytes]
) -> None:
    old, new = ROOTS[m - 1], ROOTS[n - 1]
    probes = [
        ("m - 1", (m - 1, n, proof, old, new)),
        ("m + 1", (m + 1, n, proof, old, new)),
        ("m ^ 2", (m ^ 2, n, proof, old, new)),
        ("n * 2", (m, n * 2, proof, old, new)),
        ("n // 2", (m, n // 2, proof, old, new)),
        ("wrong old root", (m, n, proof, SOME_HASH, new)),
        ("wrong new root", (m, n, proof, old, SOME_HASH)),
        ("swapped roots", (m, n, proof, new, old)),
        ("empty proof", (m, n, [], old, new)),
        ("trailing old root", (m, n, [*proof, old], old, new)),
        ("trailing new root", (m, n, [*proof, new], old, new)),
        ("preceding old root", (m, n, [old, *proof], old, new)),
        ("preceding new root", (m, n, [new, *proof], old, new)),
        ("preceding proof[0]", (m, n, [proof[0], *proof], old, new)),
        ("truncated", (m, n, proof[:-1], old, new)),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((f"proof[{i}] flipped", (m, n, flipped, old, new)))
    accepted = []
    for name, args in probes:
        try:
            verifier.verify_consistency(*args)
        except VerificationError:
            continue
        accepted.append(name)
    assert accepted == []


@pytest.mark.parametrize(
    ("m", "n", "old", "new", "proof", "valid"),
    [
        (0, 0, EMPTY, EMPTY, [], True),
        (0, 1, SOME_HASH, ROOTS[0], [], True),
        (1, 1, ROOTS[0], ROOTS[0], [], True),
        (0, 0, EMPTY, SOME_HASH, [], False),
        (1, 1, ROOTS[0], ROOTS[1], [], False),
        (1, 0, ROOTS[0], EMPTY, [], False),
        (2, 1, ROOTS[1], ROOTS[0], [], False),
        (1, 2, ROOTS[0], ROOTS[1], [], False),
        (0, 1, EMPTY, ROOTS[0], [EMPTY], False),
        (1, 1, ROOTS[0], ROOTS[0], [EMPTY], False),
    ],
)
def test_trivial_consistency_needs_an_empty_proof_and_equal_roots_at_equal_sizes(
    m: int, n: int, old: bytes, new: bytes, proof: list[bytes], valid: bool
) -> None:
    if valid:
        verifier.verify_consistency(m, n, proof, old, new)
    else:
        with pytest.raises(VerificationError):
            verifier.verify_consistency(m, n, proof, old, new)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (1, 1)])
def test_an_index_outside_the_tree_has_no_inclusion(index: int, size: int) -> None:
    with pytest.raises(VerificationError, match="not below"):
        verifier.verify_inclusion(index, size, SOME_HASH, [], EMPTY)
    with pytest.raises(ValueError, match="not below"):
        merkle.needed_ranges_for_inclusion(index, size)
