"""Signed checkpoints: C2SP ``tlog-checkpoint`` bodies signed as C2SP ``signed-note``s
with an Ed25519 key, in the text forms Go's golang.org/x/mod/sumdb/note uses.

- key id: the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key);
- verifier key: ``<name>+<8 hex key id>+<base64(0x01 ‖ public key)>``;
- private key: ``PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 ‖ 32-byte seed)>``;
- checkpoint body: ``<origin>\\n<decimal size>\\n<base64 root hash>\\n``;
- signed note: body ‖ ``\\n`` ‖ ``— <name> <base64(key id ‖ signature)>\\n`` per signature.

The key's name is the log's origin.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.exceptions import LedgerError

ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


class NoteError(LedgerError):
    """A key, note or checkpoint that is malformed, or whose signature does not verify."""

    rule = "bad_note"


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise NoteError(f"the {what} is not valid base64") from None
    if base64.b64encode(raw).decode() != text:  # one text per value: no stray padding bits
        raise NoteError(f"the {what} is not canonical base64")
    return raw


def check_key_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name) or not name.isprintable():
        raise NoteError(
            f"a key name (the log's origin) must be non-empty, without spaces or '+': {name!r}",
            field="origin",
        )
    return name


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key).digest()[
        :4
    ]


def _public_bytes(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def vkey_text(name: str, public_key: bytes) -> str:
    encoded = base64.b64encode(bytes([ED25519]) + public_key).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key reads <name>+<key id>+<base64 key>", field="key")
        name, hex_id, encoded = parts
        check_key_name(name)
        raw = _b64decode(encoded, "verifier key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("the verifier key is not an Ed25519 key", field="key")
        public = raw[1:]
        if hex_id != key_id(name, public).hex():
            raise NoteError("the verifier key's id does not match its key", field="key")
        return cls(name, key_id(name, public), public)

    @property
    def text(self) -> str:
        return vkey_text(self.name, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def generate_key(name: str) -> str:
    """A new private key's text (keep it in a file of mode 0600)."""
    check_key_name(name)
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    return private_key_text(name, seed)


def private_key_text(name: str, seed: bytes) -> str:
    public = _public_bytes(Ed25519PrivateKey.from_private_bytes(seed).public_key())
    encoded = base64.b64encode(bytes([ED25519]) + seed).decode()
    return f"PRIVATE+KEY+{name}+{key_id(name, public).hex()}+{encoded}"


def checkpoint_body(origin: str, size: int, root_hash: bytes) -> str:
    check_key_name(origin)
    return f"{origin}\n{size}\n{base64.b64encode(root_hash).decode()}\n"


@dataclass(frozen=True)
class SignedCheckpoint:
    origin: str
    size: int
    root_hash: bytes
    note: str
    """the full signed note text"""
    issued_at: datetime
    """UTC, aware"""

    @classmethod
    def from_note(cls, note: str, issued_at: datetime) -> SignedCheckpoint:
        """Rebuild a stored checkpoint from its note (the signature is not checked)."""
        body, _ = split_note(note)
        origin, size, root = parse_checkpoint_body(body)
        return cls(origin, size, root, note, issued_at)


class Signer:
    """Signs notes with one Ed25519 key; the key's name is the log's origin."""

    def __init__(self, name: str, seed: bytes) -> None:
        self.name = check_key_name(name)
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        public = _public_bytes(self._private.public_key())
        self.verifier = VerifierKey(name, key_id(name, public), public)

    @classmethod
    def from_key_text(cls, text: str) -> Signer:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a private key reads PRIVATE+KEY+<name>+<key id>+<base64 seed>")
        _, _, name, hex_id, encoded = parts
        raw = _b64decode(encoded, "private key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("the private key is not an Ed25519 key")
        signer = cls(name, raw[1:])
        if hex_id != signer.verifier.key_id.hex():
            raise NoteError("the private key's id does not match its key")
        return signer

    @property
    def vkey(self) -> str:
        return self.verifier.text

    def sign_note(self, body: str) -> str:
        if not body.endswith("\n"):
            raise NoteError("a note's text ends with a newline")
        signature = self._private.sign(body.encode("utf-8"))
        encoded = base64.b64encode(self.verifier.key_id + signature).decode()
        return f"{body}\n{SIGNATURE_PREFIX}{self.name} {encoded}\n"

    def sign_checkpoint(
        self, size: int, root_hash: bytes, issued_at: datetime
    ) -> SignedCheckpoint:
        note = self.sign_note(checkpoint_body(self.name, size, root_hash))
        return SignedCheckpoint(self.name, size, root_hash, note, issued_at)


def split_note(note: str) -> tuple[str, list[str]]:
    """A note's body (ending in a newline) and its signature lines."""
    if not note.endswith("\n"):
        raise NoteError("a signed note ends with a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("a signed note has a blank line before its signatures")
    body, signatures = note[: cut + 1], note[cut + 2 :].splitlines()
    if not signatures or not all(line.startswith(SIGNATURE_PREFIX) for line in signatures):
        raise NoteError("every line after the blank line is a signature (— name base64)")
    return body, signatures


def verify_note(note: str, key: VerifierKey) -> str:
    """The body of ``note`` if ``key`` signed it; NoteError otherwise."""
    body, lines = split_note(note)
    for line in lines:
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if name != key.name:
            continue
        raw = _b64decode(encoded, "signature")
        if len(raw) == 68 and raw[:4] == key.key_id and key.verify(body.encode(), raw[4:]):
            return body
    raise NoteError(f"the note carries no valid signature by {key.name}+{key.key_id.hex()}")


def parse_checkpoint_body(body: str) -> tuple[str, int, bytes]:
    """(origin, size, root hash) of a C2SP checkpoint body; extension lines are allowed."""
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint reads origin, size and root hash, one per line")
    origin, size_text, root_text = lines[:3]
    if not origin:
        raise NoteError("a checkpoint's origin line is empty")
    if not _SIZE.fullmatch(size_text) or int(size_text) >= 2**64:
        raise NoteError("a checkpoint's size is a decimal without leading zeros")
    root = _b64decode(root_text, "root hash")
    if len(root) != 32:
        raise NoteError("a checkpoint's root hash is 32 bytes")
    return origin, int(size_text), root


def open_checkpoint(note: str, key: VerifierKey) -> tuple[str, int, bytes]:
    """Verify the note's signature, then read its checkpoint; the origin must be the
    key's name."""
    origin, size, root = parse_checkpoint_body(verify_note(note, key))
    if origin != key.name:
        raise NoteError(f"the checkpoint's origin {origin!r} is not the key's {key.name!r}")
    return origin, size, root
