"""The leaf encoding, version 1: every stored byte of an event is in its leaf, the
encoding reads back exactly, and the worked example in docs/transparency.md is true."""

from __future__ import annotations

import json
import re
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.tlog import merkle
from ledger.tlog.leaf import Leaf, LeafFormatError, decode_leaf, encode_leaf
from okr_ledger import verifier

DOC = Path(__file__).parents[2] / "docs" / "transparency.md"

fields = st.tuples(
    st.integers(0, 2**64 - 1),
    st.uuids(),
    st.integers(0, 2**64 - 1),
    st.text(max_size=60),
    st.binary(max_size=300),
)


@given(fields)
def test_a_leaf_reads_back_as_the_fields_it_was_made_of_by_both_decoders(
    values: tuple[int, UUID, int, str, bytes],
) -> None:
    leaf = encode_leaf(*values)
    assert decode_leaf(leaf) == Leaf(*values)
    audited = verifier.decode_leaf(leaf)
    assert (
        audited.position,
        audited.aggregate_id,
        audited.version,
        audited.topic,
        audited.state,
    ) == values


@given(fields, st.data())
def test_any_changed_stored_value_changes_the_leaf_hash(
    values: tuple[int, UUID, int, str, bytes], data: st.DataObject
) -> None:
    which = data.draw(st.integers(0, 4), label="which field")
    other = data.draw(fields, label="other values")[which]
    changed = list(values)
    changed[which] = other
    if other != values[which]:
        assert merkle.leaf_hash(encode_leaf(*changed)) != merkle.leaf_hash(encode_leaf(*values))


@given(fields, st.data())
def test_a_truncated_or_padded_leaf_is_refused(
    values: tuple[int, UUID, int, str, bytes], data: st.DataObject
) -> None:
    leaf = encode_leaf(*values)
    cut = data.draw(st.integers(0, len(leaf) - 1), label="cut at")
    for broken in (leaf[:cut], leaf + b"\x00"):
        with pytest.raises(LeafFormatError):
            decode_leaf(broken)
        with pytest.raises(verifier.VerificationError):
            verifier.decode_leaf(broken)


def test_a_leaf_of_another_format_version_is_refused() -> None:
    leaf = bytearray(encode_leaf(1, UUID(int=1), 1, "t", b"{}"))
    leaf[7] = 2
    with pytest.raises(LeafFormatError, match="version 1"):
        decode_leaf(bytes(leaf))


def test_the_worked_example_in_the_docs_hashes_as_the_docs_say() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = text.split("### A worked example", 1)[1].split("## The tree", 1)[0]
    state = re.search(r"```json\n(.*?)\n```", example, re.S)
    assert state is not None
    stored = state.group(1).encode()
    leaf = encode_leaf(
        1,
        UUID("b34f4f56-744e-5834-a863-21ed3e5972df"),
        1,
        "ledger.strategy:Strategy.Formulated",
        stored,
    )
    assert f"state, {len(stored)} bytes" in example
    assert f"Its leaf is {len(leaf)} bytes" in example
    assert merkle.leaf_hash(leaf).hex() in example.replace("\n", "")
    header = " ".join(f"{b:02x}" for b in leaf[:8])
    assert header in example
    assert json.loads(stored)["meta"]["_data_"]["actor"] == "director.customer"
