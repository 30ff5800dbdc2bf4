"""The auditor's verifier stands alone: it imports only the standard library and
``cryptography``, and runs as one copied file."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import okr_ledger.verifier
from ledger.tlog import merkle
from ledger.tlog.note import Signer, generate_key

SOURCE = Path(okr_ledger.verifier.__file__)


def test_the_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    imported = set()
    for node in ast.walk(ast.parse(SOURCE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import"
            imported.add((node.module or "").partition(".")[0])
    foreign = {m for m in imported if m not in sys.stdlib_module_names and m != "cryptography"}
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
