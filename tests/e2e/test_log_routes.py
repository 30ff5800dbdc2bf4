"""The transparency log over HTTP: checkpoints, the key and proofs open to anyone and
checked with the auditor's verifier; entries and receipts for auditors and admins; bad
input answered at once with a 4xx in the one error shape."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from commands import messages as m
from ledger.tlog import merkle
from okr_ledger import verifier
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from tests.conftest import FakeClock
from tests.e2e.conftest import ServicesSwitch, World, _world, error_of

LOG = "/api/v1/log"


class Signed:
    """A world whose log was signed twice: at ``first`` leaves, then at ``size``."""

    def __init__(self, world: World) -> None:
        self.world = world
        log = world.services.transparency
        first = log.checkpoint_now()
        assert first is not None
        world.org.do(
            m.CheckIn(key_result_id=world.key_result, value=Decimal(50), confidence="on_track")
        )
        world.org.do(
            m.CheckIn(key_result_id=world.key_result2, value=Decimal(3), confidence="at_risk")
        )
        second = log.checkpoint_now()
        assert second is not None
        self.first, self.latest = first, second
        self.size = second.size
        self.key = verifier.parse_vkey(log.verifier_key())
        self.leaf_hashes = [log.leaf_hash(i) for i in range(self.size)]
        world.services.read_models.catch_up()

    def root(self, size: int) -> bytes:
        return merkle.tree_hash(self.leaf_hashes[:size])

    def get(self, path: str, who: str | None = None) -> Any:
        if who is None:
            return self.world.api("GET", path)
        return self.world.api.get(path, who)


@pytest.fixture(scope="module")
def signed(app: tuple[Flask, ServicesSwitch]) -> Iterator[Signed]:
    services = bootstrap(Settings(database_url="memory://"), clock=FakeClock())
    yield Signed(_world(services, app))
    services.close()


def correlation_of(signed: Signed, aggregate: Any) -> str:
    [row, *_] = signed.world.services.read_models.audit_rows(
        {"aggregate": str(aggregate)}, after=0, limit=1
    )
    return str(row["correlation_id"])


# -- open to anyone --------------------------------------------------------------------


def test_the_latest_checkpoint_is_a_signed_note_that_verifies_with_the_served_key(
    signed: Signed,
) -> None:
    response = signed.get(f"{LOG}/checkpoint")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    key = signed.get(f"{LOG}/key")
    assert (key.status_code, key.mimetype) == (200, "text/plain")
    checkpoint = verifier.verify_checkpoint(
        response.get_data(as_text=True), verifier.parse_vkey(key.get_data(as_text=True))
    )
    assert (checkpoint.size, checkpoint.root_hash) == (signed.size, signed.root(signed.size))


def test_a_checkpoint_is_served_by_the_size_it_was_issued_at(signed: Signed) -> None:
    response = signed.get(f"{LOG}/checkpoint?size={signed.first.size}")
    assert response.get_data(as_text=True) == signed.first.note
    error_of(
        signed.get(f"{LOG}/checkpoint?size={signed.first.size + 1}"), 404, "not_found", "size"
    )


def test_a_log_that_never_signed_has_no_checkpoint_to_serve(world: World) -> None:
    error_of(world.api("GET", f"{LOG}/checkpoint"), 404, "not_found")


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_inclusion_proof_served_verifies_against_the_root_of_its_size(
    signed: Signed, data: st.DataObject
) -> None:
    size = data.draw(st.integers(1, signed.size), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    response = signed.get(f"{LOG}/proofs/inclusion?index={index}&size={size}")
    assert response.status_code == 200, response.get_json()
    proof = response.get_json()
    assert (proof["index"], proof["size"]) == (index, size)
    assert bytes.fromhex(proof["leaf_hash"]) == signed.leaf_hashes[index]
    hashes = [bytes.fromhex(h) for h in proof["hashes"]]
    verifier.verify_inclusion(index, size, signed.leaf_hashes[index], hashes, signed.root(size))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_consistency_proof_served_verifies_between_the_roots_of_its_sizes(
    signed: Signed, data: st.DataObject
) -> None:
    new = data.draw(st.integers(0, signed.size), label="to")
    old = data.draw(st.integers(0, new), label="from")
    response = signed.get(f"{LOG}/proofs/consistency?from={old}&to={new}")
    assert response.status_code == 200, response.get_json()
    proof = response.get_json()
    assert (proof["from"], proof["to"]) == (old, new)
    hashes = [bytes.fromhex(h) for h in proof["hashes"]]
    verifier.verify_consistency(old, new, hashes, signed.root(old), signed.root(new))


def test_the_signed_checkpoints_are_consistent_as_the_verifier_command_checks(
    signed: Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, latest = signed.first, signed.latest
    proof = signed.get(f"{LOG}/proofs/consistency?from={first.size}&to={latest.size}")
    files = {"proof": proof.get_data(as_text=True), "old": first.note, "new": latest.note}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    key = signed.world.services.transparency.verifier_key()
    args = ["consistency", str(tmp_path / "proof"), "--key", key]
    assert (
        verifier.main([*args, "--old", str(tmp_path / "old"), "--new", str(tmp_path / "new")]) == 0
    )
    assert f"extends the tree of size {first.size}" in capsys.readouterr().out
    # the newer checkpoint does not extend itself from the older one's size backwards
    assert (
        verifier.main([*args, "--old", str(tmp_path / "new"), "--new", str(tmp_path / "old")]) == 1
    )
    assert "not" in capsys.readouterr().err


def test_the_verifier_command_checks_an_inclusion_proof_against_a_checkpoint(
    signed: Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proof = signed.get(f"{LOG}/proofs/inclusion?index=3&size={signed.size}").get_json()
    files = {
        "checkpoint": signed.latest.note,
        "entry": signed.get(f"{LOG}/entries/3", "auditor").get_data(as_text=True),
        "other_entry": signed.get(f"{LOG}/entries/4", "auditor").get_data(as_text=True),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    key = signed.world.services.transparency.verifier_key()

    def verify(document: dict[str, Any], *extra: str) -> int:
        (tmp_path / "proof").write_text(json.dumps(document))
        checkpoint = str(tmp_path / "checkpoint")
        args = ["--checkpoint", checkpoint, "--key", key, *extra]
        return verifier.main(["inclusion", str(tmp_path / "proof"), *args])

    assert verify(proof) == 0
    assert verify(proof, "--entry", str(tmp_path / "entry")) == 0
    assert "leaf 3 is in the tree" in capsys.readouterr().out
    assert verify(proof, "--entry", str(tmp_path / "other_entry")) == 1
    assert "FAILED: the entry is leaf 4, not 3" in capsys.readouterr().err
    assert verify({**proof, "leaf_hash": signed.leaf_hashes[4].hex()}) == 1
    assert "FAILED: the inclusion proof of leaf 3" in capsys.readouterr().err
    forged_entry = {**json.loads(files["other_entry"]), "index": 3}
    (tmp_path / "forged").write_text(json.dumps(forged_entry))
    assert verify(proof, "--entry", str(tmp_path / "forged")) == 1
    assert "does not hash to the proof's leaf_hash" in capsys.readouterr().err


def test_checkpoints_key_and_proofs_need_no_token_while_entries_and_receipts_do(
    signed: Signed,
) -> None:
    for path in (
        f"{LOG}/checkpoint",
        f"{LOG}/key",
        f"{LOG}/proofs/inclusion?index=0&size=1",
        f"{LOG}/proofs/consistency?from=1&to=2",
    ):
        assert signed.get(path).status_code == 200, path
    error_of(signed.get(f"{LOG}/entries/0"), 401, "unauthenticated")
    error_of(signed.get(f"{LOG}/receipts/{uuid4()}"), 401, "unauthenticated")


QUERIES = [
    ("proofs/inclusion?index={size}&size={size}", "index_out_of_range", "index"),
    ("proofs/inclusion?index=0&size={beyond}", "size_beyond_checkpoint", "size"),
    ("proofs/inclusion?index=abc&size=1", "validation_failed", "index"),
    ("proofs/inclusion?index=1.5&size=2", "validation_failed", "index"),
    ("proofs/inclusion?index=-1&size=2", "validation_failed", "index"),
    ("proofs/inclusion?index=0&size=99999999999999999999999999", "validation_failed", "size"),
    ("proofs/inclusion?index=0&size=" + "9" * 5000, "validation_failed", "size"),
    ("proofs/inclusion?index=0", "validation_failed", "size"),
    ("proofs/inclusion?index=&size=1", "validation_failed", "index"),
    ("proofs/consistency?from=3&to=2", "bad_proof_range", "from"),
    ("proofs/consistency?from=0&to={beyond}", "size_beyond_checkpoint", "to"),
    ("proofs/consistency?from=x&to=2", "validation_failed", "from"),
    ("proofs/consistency?from=1", "validation_failed", "to"),
    ("checkpoint?size=ten", "validation_failed", "size"),
    ("checkpoint?size=-3", "validation_failed", "size"),
]


@pytest.mark.parametrize(("query", "code", "field"), QUERIES)
def test_bad_proof_arguments_answer_422_naming_the_argument(
    signed: Signed, query: str, code: str, field: str
) -> None:
    path = f"{LOG}/" + query.format(size=signed.size, beyond=signed.size + 1)
    error_of(signed.get(path), 422, code, field)


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(["proofs/inclusion?index={a}&size={b}", "proofs/consistency?from={a}&to={b}"]),
    st.one_of(st.integers(-(10**30), 10**30), st.text(max_size=12)),
    st.one_of(st.integers(-(10**30), 10**30), st.text(max_size=12)),
)
def test_any_proof_query_answers_200_or_a_4xx_in_the_one_error_shape(
    signed: Signed, template: str, a: object, b: object
) -> None:
    from urllib.parse import quote

    response = signed.get(f"{LOG}/" + template.format(a=quote(str(a)), b=quote(str(b))))
    assert response.status_code in (200, 404, 422), response.get_data(as_text=True)
    if response.status_code != 200:
        assert set(response.get_json()) == {"error"}


# -- auditors and admins ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_an_entry_holds_the_exact_leaf_bytes_and_the_event_as_the_audit_trail_shows_it(
    signed: Signed, who: str
) -> None:
    index = signed.size - 1
    response = signed.get(f"{LOG}/entries/{index}", who)
    assert response.status_code == 200, response.get_json()
    entry = response.get_json()
    leaf = base64.b64decode(entry["leaf"])
    assert merkle.leaf_hash(leaf) == bytes.fromhex(entry["leaf_hash"]) == signed.leaf_hashes[index]
    assert verifier.decode_leaf(leaf).position == entry["position"]
    audit = signed.get(f"/api/v1/audit?cursor={entry['position'] - 1}&limit=1", who).get_json()
    [row] = audit["events"]
    assert row["position"] == entry["position"]
    shown = {k: v for k, v in row.items() if k in entry["event"]}
    assert entry["event"] == shown
    assert entry["event"]["event_type"] == "KeyResult.CheckedIn"


@pytest.mark.parametrize("who", ["viewer", "editor"])
def test_entries_and_receipts_are_refused_to_other_roles(signed: Signed, who: str) -> None:
    error_of(signed.get(f"{LOG}/entries/0", who), 403, "forbidden")
    correlation = correlation_of(signed, signed.world.decision)
    error_of(signed.get(f"{LOG}/receipts/{correlation}", who), 403, "forbidden")


@pytest.mark.parametrize(
    ("path", "status", "code", "field"),
    [
        ("entries/{size}", 422, "index_out_of_range", "index"),
        ("entries/-1", 422, "validation_failed", "index"),
        ("entries/abc", 422, "validation_failed", "index"),
        ("entries/99999999999999999999", 422, "validation_failed", "index"),
        ("receipts/not-a-uuid", 422, "validation_failed", "correlation_id"),
        ("receipts/" + str(uuid4()), 404, "not_found", None),
    ],
)
def test_bad_entry_and_receipt_arguments_answer_a_4xx(
    signed: Signed, path: str, status: int, code: str, field: str | None
) -> None:
    response = signed.get(f"{LOG}/" + path.format(size=signed.size), "auditor")
    error_of(response, status, code, field)


def test_a_receipt_verifies_offline_and_names_each_event_of_its_command(
    signed: Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    correlation = correlation_of(signed, signed.world.decision)
    response = signed.get(f"{LOG}/receipts/{correlation}", "auditor")
    assert response.status_code == 200, response.get_json()
    receipt = response.get_json()
    assert receipt["format"] == "okr-ledger.receipt/1"
    assert receipt["correlation_id"] == correlation
    assert receipt["checkpoint"] == signed.latest.note
    rows = signed.world.services.read_models.audit_rows(
        {"correlation": correlation}, after=0, limit=None
    )
    assert [e["position"] for e in receipt["entries"]] == [r["position"] for r in rows]
    checkpoint, leaves = verifier.verify_receipt(receipt, signed.key)
    assert checkpoint.size == signed.size
    assert leaves[0].aggregate_id == signed.world.decision

    (tmp_path / "receipt.json").write_text(json.dumps(receipt))
    key = signed.world.services.transparency.verifier_key()
    assert verifier.main(["receipt", str(tmp_path / "receipt.json"), "--key", key]) == 0
    assert "receipt verified" in capsys.readouterr().out


def tampered(receipt: dict[str, Any], how: str) -> dict[str, Any]:
    changed = json.loads(json.dumps(receipt))
    entry = changed["entries"][0]
    if how == "leaf":
        leaf = bytearray(base64.b64decode(entry["leaf"]))
        leaf[-2] ^= 1
        entry["leaf"] = base64.b64encode(bytes(leaf)).decode()
    elif how == "index":
        entry["index"] += 1
    elif how == "hash":
        entry["hashes"][0] = "00" * 32
    elif how == "correlation":
        changed["correlation_id"] = str(uuid4())
    elif how == "checkpoint":
        changed["checkpoint"] = changed["checkpoint"].replace("\n", "\n\n", 1)
    return changed


@pytest.mark.parametrize(
    ("how", "named"),
    [
        ("leaf", "entry 0"),
        ("index", "entry 0"),
        ("hash", "entry 0"),
        ("correlation", "another command"),
        ("checkpoint", "signature"),
    ],
)
def test_a_tampered_receipt_fails_and_the_verifier_says_what_failed(
    signed: Signed, how: str, named: str
) -> None:
    correlation = correlation_of(signed, signed.world.decision)
    receipt = signed.get(f"{LOG}/receipts/{correlation}", "auditor").get_json()
    with pytest.raises(verifier.VerificationError, match=named):
        verifier.verify_receipt(tampered(receipt, how), signed.key)


def test_a_receipt_waits_for_a_checkpoint_that_covers_its_command(world: World) -> None:
    world.services.transparency.checkpoint_now()
    outcome = world.org.do(
        m.CheckIn(key_result_id=world.key_result, value=Decimal(51), confidence="on_track")
    )
    world.services.read_models.catch_up()
    [row] = world.services.read_models.audit_rows(
        {"aggregate": str(world.key_result)}, after=outcome.position - 1, limit=1
    )
    path = f"{LOG}/receipts/{row['correlation_id']}"
    response = world.api.get(path, "auditor")
    error_of(response, 503, "not_checkpointed")
    assert response.headers["Retry-After"]
    world.services.transparency.checkpoint_now()
    assert world.api.get(path, "auditor").status_code == 200


def test_the_auditors_twenty_lines_in_the_docs_check_a_served_receipt(
    signed: Signed, tmp_path: Path
) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "transparency.md").read_text(encoding="utf-8")
    section = doc.split("## Checking a receipt with twenty lines of Python", 1)[1]
    script = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(script.strip().splitlines()) <= 25
    (tmp_path / "check.py").write_text(script, encoding="utf-8")
    (tmp_path / "log.vkey").write_text(signed.world.services.transparency.verifier_key())
    correlation = correlation_of(signed, signed.world.decision)
    receipt = signed.get(f"{LOG}/receipts/{correlation}", "auditor").get_json()

    def check(document: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        (tmp_path / "receipt.json").write_text(json.dumps(document))
        return subprocess.run(
            [sys.executable, "-I", "check.py", "receipt.json", "log.vkey"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )

    good = check(receipt)
    assert good.returncode == 0, good.stderr
    assert f"events are in {signed.latest.origin} at size {signed.size}" in good.stdout
    for how in ("leaf", "index", "hash", "checkpoint"):
        assert check(tampered(receipt, how)).returncode != 0, how
