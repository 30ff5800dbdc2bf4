"""C2SP tlog-cosignature (``cosignature/v1``, Ed25519) as the log reads its witnesses'
answers: a witness's verifier key has signature type 0x04, and a cosignature line is
``— <name> base64(key id ‖ u64 timestamp ‖ Ed25519 signature)`` over
``"cosignature/v1\\ntime <timestamp>\\n" ‖ checkpoint body``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct

from ledger.tlog.note import SIGNATURE_PREFIX, NoteError, VerifierKey, check_key_name

COSIGNATURE = 0x04


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE]) + public_key).digest()[:4]


def parse_cosigner_vkey(text: str) -> VerifierKey:
    parts = text.strip().split("+", 2)  # base64 may hold '+'; a name never does
    if len(parts) != 3:
        raise NoteError("a witness key reads <name>+<key id>+<base64 key>", field="key")
    name, hex_id, encoded = parts
    check_key_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise NoteError("the witness key is not valid base64", field="key") from None
    if len(raw) != 33 or raw[0] != COSIGNATURE:
        raise NoteError("the witness key is not an Ed25519 cosignature key", field="key")
    if cosigner_key_id(name, raw[1:]).hex() != hex_id:
        raise NoteError("the witness key's id does not match its key", field="key")
    return VerifierKey(name, bytes.fromhex(hex_id), raw[1:])


def cosignature_timestamp(line: str, body: str, key: VerifierKey) -> int | None:
    """The timestamp of ``line`` if it is a valid cosignature by ``key`` over ``body``."""
    parsed = _cosignature_line(line)
    if parsed is None:
        return None
    name, raw = parsed
    if name != key.name or raw[:4] != key.key_id:
        return None
    (timestamp,) = struct.unpack(">Q", raw[4:12])
    message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
    return int(timestamp) if key.verify(message, raw[12:]) else None


def witness_id(name: str, key_id: bytes) -> str:
    """How the store names a witness's key: ``<name>+<8 hex key id>``."""
    return f"{name}+{key_id.hex()}"


def cosignature_witness(line: str) -> str | None:
    """The witness id of a well-formed cosignature line (None if it is not one)."""
    parsed = _cosignature_line(line)
    if parsed is None or not parsed[0]:
        return None
    name, raw = parsed
    return witness_id(name, raw[:4])


def _cosignature_line(line: str) -> tuple[str, bytes] | None:
    """The name and the 76 raw bytes (key id, timestamp, signature) of a signature line
    shaped as a cosignature, or None."""
    if not line.startswith(SIGNATURE_PREFIX):
        return None
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].strip().partition(" ")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return None
    return (name, raw) if len(raw) == 76 else None


def split_cosignatures(note: str) -> tuple[str, list[str]]:
    """A signed note's own text (body and the log's signature lines) and the cosignature
    lines appended to it, each ending in a newline."""
    cut = note.rfind("\n\n")
    if cut < 0:
        return note, []
    own, cosignatures = [], []
    for line in note[cut + 2 :].splitlines():
        (cosignatures if cosignature_witness(line) else own).append(line + "\n")
    return note[: cut + 2] + "".join(own), cosignatures
