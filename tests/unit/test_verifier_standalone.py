"""The auditor's verifier stands alone: it imports only the standard library and
``cryptography``, and runs as one copied file."""

from __future__ import annotations

import ast
import base64
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import okr_ledger.verifier
from ledger.tlog import merkle
from ledger.tlog.leaf import encode_leaf
from ledger.tlog.note import Signer, generate_key

SOURCE = Path(okr_ledger.verifier.__file__)
SIBLINGS = {"verifier", "verifier_export"}
"""The verifier's two files may import each other (as package modules or copied files)."""


@pytest.mark.parametrize("name", sorted(SIBLINGS))
def test_the_verifier_imports_only_the_standard_library_and_cryptography(name: str) -> None:
    imported = set()
    source = SOURCE.with_name(f"{name}.py")
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import"
            imported.add(node.module or "")
    allowed = {f"okr_ledger.{sibling}" for sibling in SIBLINGS} | SIBLINGS
    foreign = {
        m
        for m in imported
        if m.partition(".")[0] not in sys.stdlib_module_names
        and m.partition(".")[0] != "cryptography"
        and m not in allowed
    }
    assert foreign == set()
    assert "__future__" in imported  # the walk saw the imports at all


def test_the_verifier_runs_as_a_single_copied_file(tmp_path: Path) -> None:
    copy = tmp_path / "verifier.py"
    copy.write_text(SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    signer = Signer.from_key_text(generate_key("audit.example/log"))
    root = merkle.tree_hash([merkle.leaf_hash(b"one"), merkle.leaf_hash(b"two")])
    note = signer.sign_checkpoint(2, root, datetime(2026, 7, 6, tzinfo=UTC)).note
    (tmp_path / "checkpoint.txt").write_text(note, encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", str(copy), *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )

    good = run("checkpoint", "checkpoint.txt", "--key", signer.vkey)
    assert (good.returncode, good.stderr) == (0, "")
    assert f"size 2 root {root.hex()}" in good.stdout
    (tmp_path / "checkpoint.txt").write_text(note.replace("\n2\n", "\n3\n"), encoding="utf-8")
    bad = run("checkpoint", "checkpoint.txt", "--key", signer.vkey)
    assert bad.returncode == 1
    assert "FAILED: the signature by audit.example/log does not verify" in bad.stderr


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


CORRELATION = "5f0c8d7e-1b2a-4c3d-9e8f-0a1b2c3d4e5f"


def a_receipt() -> tuple[dict[str, Any], okr_ledger.verifier.VerifierKey]:
    """A receipt of one event, as the log serves it."""
    signer = Signer.from_key_text(generate_key("audit.example/log"))
    correlation = {"_type_": "uuid_hex", "_data_": CORRELATION.replace("-", "")}
    meta = {"_type_": "okr_meta", "_data_": {"correlation_id": correlation}}
    state = json.dumps({"meta": meta}).encode()
    leaf = encode_leaf(7, UUID(int=7), 1, "ledger.team:Team.Formed", state)
    note = signer.sign_checkpoint(1, merkle.leaf_hash(leaf), datetime(2026, 7, 6, tzinfo=UTC)).note
    entry = {"index": 0, "position": 7, "leaf": base64.b64encode(leaf).decode(), "hashes": []}
    receipt = {
        "format": "okr-ledger.receipt/1",
        "correlation_id": CORRELATION,
        "checkpoint": note,
        "entries": [entry],
    }
    return receipt, okr_ledger.verifier.parse_vkey(signer.vkey)


def test_a_receipt_as_served_verifies() -> None:
    receipt, key = a_receipt()
    _, [leaf] = okr_ledger.verifier.verify_receipt(receipt, key)
    assert leaf.position == 7


@given(
    st.sampled_from(["format", "correlation_id", "checkpoint", "entries", "index", "leaf"]),
    json_values,
)
def test_any_malformed_receipt_is_refused_with_a_reason_never_a_crash(
    field: str, value: object
) -> None:
    receipt, key = a_receipt()
    target = receipt["entries"][0] if field in ("index", "leaf") else receipt
    assume(target[field] != value)
    target[field] = value
    with pytest.raises(okr_ledger.verifier.VerificationError):
        okr_ledger.verifier.verify_receipt(receipt, key)
