"""Signed checkpoints: the log's notes verify with a verifier written here from the
C2SP signed-note and tlog-checkpoint texts, match Go's golang.org/x/mod/sumdb/note
byte for byte, and fail for one changed byte or an unknown key."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.tlog import note
from ledger.tlog.note import NoteError, SignedCheckpoint, Signer, VerifierKey
from okr_ledger import verifier
from okr_ledger.verifier import VerificationError

# The example of golang.org/x/mod/sumdb/note's documentation.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"  # noqa: E501
GO_SIGNATURE = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"  # noqa: E501

ORIGIN = "okr-ledger.example.org/ledger"
ROOT = hashlib.sha256(b"a root").digest()
AT = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)


def c2sp_verify(text: str, vkey: str) -> tuple[str, int, bytes]:
    """A verifier from the C2SP texts alone (c2sp.org/signed-note, c2sp.org/tlog-checkpoint):
    - a verifier key is name "+" hex(key ID) "+" base64(type ‖ public key), type 0x01
      for Ed25519, and the key ID is SHA-256(name ‖ "\\n" ‖ type ‖ public key)[:4];
    - a note is text ending in a newline, then a blank line, then signature lines
      "— " name " " base64(key ID ‖ signature); the signature is over the text;
    - the text of a checkpoint is the origin, the decimal tree size and the base64
      root hash, one per line.
    Base64 is read strictly, as the log's own verifiers read it (one text per value):
    a character changed only in its padding bits decodes to the same bytes, and is
    refused all the same."""
    name, hex_id, b64_key = vkey.split("+", 2)
    typed_key = base64.b64decode(b64_key)
    assert typed_key[0] == 0x01
    assert hashlib.sha256(name.encode() + b"\n" + typed_key).digest()[:4].hex() == hex_id
    assert text.endswith("\n")
    signed_text, _, signatures = text.rpartition("\n\n")
    signed_text += "\n"
    for line in signatures[:-1].split("\n"):
        assert line.startswith("\u2014 ")
        signer_name, b64_signature = line[2:].split(" ")
        raw = base64.b64decode(b64_signature, validate=True)
        assert base64.b64encode(raw).decode() == b64_signature
        if signer_name == name and raw[:4].hex() == hex_id:
            Ed25519PublicKey.from_public_bytes(typed_key[1:]).verify(raw[4:], signed_text.encode())
            break
    else:
        raise InvalidSignature("no signature by the key")
    origin, size, b64_root, *_ = signed_text.split("\n")
    return origin, int(size), base64.b64decode(b64_root)


def a_checkpoint(size: int = 7, root: bytes = ROOT) -> SignedCheckpoint:
    return Signer.from_key_text(note.generate_key(ORIGIN)).sign_checkpoint(size, root, AT)


def test_keys_and_notes_are_byte_for_byte_those_of_gos_note_package() -> None:
    signer = Signer.from_key_text(GO_SKEY)
    assert signer.vkey == GO_VKEY
    assert signer.sign_note(GO_TEXT) == GO_TEXT + "\n" + GO_SIGNATURE
    assert note.verify_note(GO_TEXT + "\n" + GO_SIGNATURE, VerifierKey.parse(GO_VKEY)) == GO_TEXT


def test_a_signed_checkpoint_verifies_with_a_verifier_written_from_the_c2sp_text() -> None:
    key = note.generate_key(ORIGIN)
    signer = Signer.from_key_text(key)
    checkpoint = signer.sign_checkpoint(42, ROOT, AT)
    assert checkpoint.note.startswith(f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n\n")
    assert c2sp_verify(checkpoint.note, signer.vkey) == (ORIGIN, 42, ROOT)
    assert note.open_checkpoint(checkpoint.note, VerifierKey.parse(signer.vkey)) == (
        ORIGIN,
        42,
        ROOT,
    )
    audited = verifier.verify_checkpoint(checkpoint.note, verifier.parse_vkey(signer.vkey))
    assert (audited.origin, audited.size, audited.root_hash) == (ORIGIN, 42, ROOT)
    assert SignedCheckpoint.from_note(checkpoint.note, AT) == checkpoint


def test_a_private_key_file_names_the_origin_and_the_key_id_of_its_verifier_key() -> None:
    key = note.generate_key(ORIGIN)
    prefix, kind, name, hex_id, _ = key.split("+", 4)
    assert (prefix, kind, name) == ("PRIVATE", "KEY", ORIGIN)
    assert Signer.from_key_text(key).vkey.startswith(f"{ORIGIN}+{hex_id}+")


def each_changed_byte(text: str) -> list[str]:
    """The note with one character changed, at every position in turn."""
    return [text[:i] + chr(ord(text[i]) ^ 1) + text[i + 1 :] for i in range(len(text))]


def test_a_note_with_any_one_byte_changed_fails_every_verifier() -> None:
    signer = Signer.from_key_text(note.generate_key(ORIGIN))
    checkpoint = signer.sign_checkpoint(1234, ROOT, AT)
    ledger_key, audit_key = VerifierKey.parse(signer.vkey), verifier.parse_vkey(signer.vkey)
    accepted = []
    for changed in each_changed_byte(checkpoint.note):
        for check, errors in (
            (lambda t: c2sp_verify(t, signer.vkey), (Exception,)),
            (lambda t: note.open_checkpoint(t, ledger_key), (NoteError,)),
            (lambda t: verifier.verify_checkpoint(t, audit_key), (VerificationError,)),
        ):
            try:
                check(changed)
            except errors:
                continue
            accepted.append(changed)
    assert accepted == []


def test_a_note_signed_by_an_unknown_key_fails() -> None:
    checkpoint = a_checkpoint()
    stranger = Signer.from_key_text(note.generate_key(ORIGIN))  # the same name, another key
    with pytest.raises(NoteError, match="no valid signature"):
        note.verify_note(checkpoint.note, stranger.verifier)
    with pytest.raises(VerificationError, match="no signature by"):
        verifier.verify_checkpoint(checkpoint.note, verifier.parse_vkey(stranger.vkey))
    with pytest.raises(InvalidSignature):
        c2sp_verify(checkpoint.note, stranger.vkey)


def test_a_signature_by_the_right_key_over_other_text_fails() -> None:
    key = note.generate_key(ORIGIN)
    signer = Signer.from_key_text(key)
    honest = signer.sign_checkpoint(10, ROOT, AT).note
    other = signer.sign_checkpoint(11, ROOT, AT).note
    spliced = honest.split("\n\n")[0] + "\n\n" + other.split("\n\n")[1]
    with pytest.raises(VerificationError, match="does not verify"):
        verifier.verify_checkpoint(spliced, verifier.parse_vkey(signer.vkey))
    with pytest.raises(NoteError):
        note.verify_note(spliced, signer.verifier)


def test_a_checkpoint_of_another_origin_fails_even_when_signed() -> None:
    signer = Signer.from_key_text(note.generate_key(ORIGIN))
    body = note.checkpoint_body("elsewhere.example/log", 3, ROOT)
    with pytest.raises(VerificationError, match="origin"):
        verifier.verify_checkpoint(signer.sign_note(body), verifier.parse_vkey(signer.vkey))
    with pytest.raises(NoteError, match="origin"):
        note.open_checkpoint(signer.sign_note(body), signer.verifier)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_a_malformed_verifier_key_is_refused(bad: str) -> None:
    with pytest.raises(NoteError):
        VerifierKey.parse(bad)
    with pytest.raises(VerificationError):
        verifier.parse_vkey(bad)


@pytest.mark.parametrize("origin", ["", "has space", "has+plus", "tab\there"])
def test_a_key_name_is_an_origin_without_spaces_or_plus_signs(origin: str) -> None:
    with pytest.raises(NoteError, match="key name"):
        note.generate_key(origin)


@pytest.mark.parametrize(
    "body",
    [
        "o\n007\nAAAA\n",
        "o\n-1\n" + base64.b64encode(ROOT).decode() + "\n",
        "o\n1\n" + base64.b64encode(ROOT[:31]).decode() + "\n",
        "o\n1\n",
        "o\n1\n" + base64.b64encode(ROOT).decode(),
    ],
)
def test_a_malformed_checkpoint_body_is_refused(body: str) -> None:
    with pytest.raises(NoteError):
        note.parse_checkpoint_body(body)
