"""okr-ledger-verify: an auditor's offline verifier for OKR Ledger's transparency log.

This one file imports only the Python standard library and ``cryptography``, never
the rest of OKR Ledger, so that it can be read in an hour and run on its own
(``python verifier.py receipt receipt.json --key KEY``). It checks, with no network:

- ``checkpoint NOTE --key VKEY``: a C2SP signed note carries a valid Ed25519
  signature by the log's key, and holds a C2SP tlog-checkpoint (origin, size, root);
- ``inclusion PROOF --checkpoint NOTE --key VKEY`` (or ``--root HEX``): an inclusion
  proof (``GET /api/v1/log/proofs/inclusion``) leads to the checkpoint's root; with
  ``--entry ENTRY`` (``GET /api/v1/log/entries/{index}``), for that entry's leaf bytes;
- ``consistency PROOF --old NOTE --new NOTE --key VKEY`` (or ``--old-root/--new-root``):
  a consistency proof (``GET /api/v1/log/proofs/consistency``) shows that the newer
  tree extends the older one;
- ``receipt FILE --key VKEY``: a receipt (``GET /api/v1/log/receipts/{id}``): its
  checkpoint is signed, every entry's leaf is in the tree it names, and every event
  in it carries the receipt's correlation id.

VKEY and NOTE may be given as text or as the name of a file holding it. Exit status:
0 verified, 1 a check failed (the message says which), 2 unusable input.

The proof checks are RFC 9162 sections 2.1.3.2 and 2.1.4.2, step by step; both
consume the proof exactly, so a proof with extra, missing or forged middle hashes
fails even where its first and last hashes are right.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

RECEIPT_FORMAT = "okr-ledger.receipt/1"
EM_DASH = "\u2014 "


class VerificationError(Exception):
    """A check failed; the message names which."""


# -- RFC 9162 hashing ----------------------------------------------------------------


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hashes(proof: list[bytes]) -> None:
    for i, h in enumerate(proof):
        if len(h) != 32:
            raise VerificationError(f"proof hash {i} is {len(h)} bytes, not 32")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root that ``proof`` leads to from the leaf hash ``leaf``."""
    if index < 0 or index >= size:
        raise VerificationError(f"index {index} is not below the tree size {size}")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerificationError("the inclusion proof has more hashes than the tree is high")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("the inclusion proof has fewer hashes than the tree is high")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> None:
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise VerificationError(
            f"the inclusion proof of leaf {index} does not lead to the root of tree size {size}"
        )


def verify_consistency(
    m: int, n: int, proof: list[bytes], old_root: bytes, new_root: bytes
) -> None:
    """RFC 9162 §2.1.4.2: the tree of size ``n`` (``new_root``) extends the tree of
    size ``m`` (``old_root``)."""
    if m < 0 or m > n:
        raise VerificationError(f"the old size {m} is beyond the new size {n}")
    _check_hashes(proof)
    if m == n or m == 0:
        if proof:
            raise VerificationError(f"a consistency proof from {m} to {n} is empty")
        if m == n and old_root != new_root:
            raise VerificationError(f"two different roots for the same size {m}")
        return
    if not proof:
        raise VerificationError("the consistency proof is empty")
    path = list(proof)
    if m & (m - 1) == 0:  # m is a power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("the consistency proof has more hashes than it needs")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("the consistency proof has fewer hashes than it needs")
    if fr != old_root:
        raise VerificationError(f"the consistency proof does not rebuild the root of size {m}")
    if sr != new_root:
        raise VerificationError(f"the consistency proof does not rebuild the root of size {n}")


# -- C2SP signed notes and checkpoints -------------------------------------------------


def _b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise VerificationError(f"the {what} is not valid base64") from None
    if base64.b64encode(raw).decode() != text:  # one text per value: no stray padding bits
        raise VerificationError(f"the {what} is not canonical base64")
    return raw


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: bytes


def key_id(name: str, public_key: bytes) -> bytes:
    """C2SP signed-note: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4] for Ed25519."""
    return hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]


def parse_vkey(text: str) -> VerifierKey:
    """``<name>+<8 hex key id>+<base64(0x01 ‖ 32-byte Ed25519 key)>``."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise VerificationError("a verifier key reads <name>+<key id>+<base64 key>")
    name, hex_id, encoded = parts
    raw = _b64(encoded, "verifier key")
    if len(raw) != 33 or raw[0] != 1:
        raise VerificationError("the verifier key is not an Ed25519 key")
    if key_id(name, raw[1:]).hex() != hex_id:
        raise VerificationError("the verifier key's id does not match its name and key")
    return VerifierKey(name, bytes.fromhex(hex_id), raw[1:])


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes


def verify_checkpoint(note: str, key: VerifierKey) -> Checkpoint:
    """A signed note by ``key`` holding a checkpoint of the log named by the key."""
    if not note.endswith("\n") or "\n\n" not in note:
        raise VerificationError("a signed note is text, a blank line, then signature lines")
    cut = note.rfind("\n\n")
    body, signature_lines = note[: cut + 1], note[cut + 2 :].splitlines()
    signed = False
    for line in signature_lines:
        if not line.startswith(EM_DASH):
            raise VerificationError(f"not a signature line: {line[:40]!r}")
        name, _, encoded = line[len(EM_DASH) :].partition(" ")
        raw = _b64(encoded, "signature")
        if name != key.name or len(raw) != 68 or raw[:4] != key.key_id:
            continue  # a signature by another key (a witness's, say) is not ours to check
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[4:], body.encode())
        except InvalidSignature:
            raise VerificationError(f"the signature by {key.name} does not verify") from None
        signed = True
    if not signed:
        raise VerificationError(f"the note carries no signature by {key.name}")
    lines = body.split("\n")
    if len(lines) < 4:
        raise VerificationError("a checkpoint reads origin, size and root hash, one per line")
    origin, size_text, root_text = lines[:3]
    if origin != key.name:
        raise VerificationError(f"the checkpoint's origin {origin!r} is not {key.name!r}")
    if not size_text.isascii() or not size_text.isdigit() or size_text != str(int(size_text)):
        raise VerificationError(f"the checkpoint's size {size_text!r} is not a decimal")
    root = _b64(root_text, "checkpoint's root hash")
    if len(root) != 32:
        raise VerificationError("the checkpoint's root hash is not 32 bytes")
    return Checkpoint(origin, int(size_text), root)


# -- witnesses' cosignatures (c2sp.org/tlog-cosignature, cosignature/v1) ---------------

COSIGNATURE = 0x04


def parse_witness_vkey(text: str) -> VerifierKey:
    """A witness's verifier key: ``<name>+<key id>+<base64(0x04 ‖ Ed25519 key)>``."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise VerificationError("a witness key reads <name>+<key id>+<base64 key>")
    name, hex_id, encoded = parts
    raw = _b64(encoded, "witness key")
    if len(raw) != 33 or raw[0] != COSIGNATURE:
        raise VerificationError("the witness key is not an Ed25519 cosignature key")
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + raw[1:]).digest()[:4]
    if key_id.hex() != hex_id:
        raise VerificationError("the witness key's id does not match its name and key")
    return VerifierKey(name, key_id, raw[1:])


def cosignature_time(line: str, body: str, key: VerifierKey) -> int | None:
    """The timestamp of a valid cosignature by ``key`` over a note's ``body``, or None."""
    name, _, encoded = line.removeprefix(EM_DASH).strip().partition(" ")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not line.startswith(EM_DASH) or name != key.name or len(raw) != 76:
        return None
    if raw[:4] != key.key_id:
        return None
    timestamp = struct.unpack(">Q", raw[4:12])[0]
    message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[12:], message)
    except InvalidSignature:
        return None
    return int(timestamp)


def cosigners(note: str, witnesses: list[VerifierKey]) -> set[str]:
    """The named witnesses that validly cosigned the checkpoint in ``note``."""
    cut = note.rfind("\n\n")
    body, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    return {
        key.name
        for key in witnesses
        if any(cosignature_time(line, body, key) is not None for line in lines)
    }


# -- leaves and receipts ---------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes


def decode_leaf(data: bytes) -> Leaf:
    """Leaf format 1, big-endian: b"OKRLEAF" 0x01, position (u64), aggregate id (16
    bytes), version (u64), topic (u32 length, UTF-8), state (u32 length, stored bytes)."""
    try:
        magic, position, aggregate_id, version, topic_length = struct.unpack_from(
            ">8sQ16sQI", data
        )
        topic_end = 44 + topic_length
        topic, (state_length,) = data[44:topic_end], struct.unpack_from(">I", data, topic_end)
        state = data[topic_end + 4 :]
        if magic != b"OKRLEAF\x01":
            raise ValueError("not a leaf of format 1")
        if len(state) != state_length:
            raise ValueError("its state's length does not match its bytes")
        return Leaf(position, UUID(bytes=aggregate_id), version, topic.decode(), state)
    except (struct.error, ValueError) as error:
        raise VerificationError(f"a malformed leaf: {error}") from None


def correlation_of(leaf: Leaf) -> UUID:
    """The correlation id in an event's stored state: meta.correlation_id."""
    try:
        meta = json.loads(leaf.state)["meta"]["_data_"]
        return UUID(meta["correlation_id"]["_data_"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise VerificationError(
            f"the event at position {leaf.position} has no readable correlation id"
        ) from None


def _hex(text: object, what: str) -> bytes:
    try:
        return bytes.fromhex(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise VerificationError(f"{what} is not hex") from None


def verify_receipt(receipt: dict, key: VerifierKey) -> tuple[Checkpoint, list[Leaf]]:
    """A receipt: its checkpoint is signed by ``key``; each entry's leaf, at its index,
    is in that tree; each event belongs to the receipt's command."""
    if not isinstance(receipt, dict) or receipt.get("format") != RECEIPT_FORMAT:
        raise VerificationError(f"not a receipt of format {RECEIPT_FORMAT}")
    checkpoint = verify_checkpoint(str(receipt.get("checkpoint")), key)
    try:
        correlation = UUID(str(receipt["correlation_id"]))
        entries = list(receipt["entries"])
    except (KeyError, ValueError, TypeError):
        raise VerificationError("the receipt names no correlation id or entries") from None
    if not entries:
        raise VerificationError("the receipt holds no entries")
    leaves: list[Leaf] = []
    for n, entry in enumerate(entries):
        try:
            index, position = entry["index"], entry["position"]
            leaf_bytes = _b64(entry["leaf"], f"entry {n}'s leaf")
            proof = [_hex(h, f"a hash of entry {n}") for h in entry["hashes"]]
        except (KeyError, TypeError):
            raise VerificationError(f"entry {n} lacks index, position, leaf or hashes") from None
        if not all(type(x) is int for x in (index, position)):
            raise VerificationError(f"entry {n}'s index and position must be integers")
        leaf = decode_leaf(leaf_bytes)
        if leaf.position != position:
            raise VerificationError(
                f"entry {n}'s leaf is of position {leaf.position}, not {position}"
            )
        try:
            verify_inclusion(
                index, checkpoint.size, leaf_hash(leaf_bytes), proof, checkpoint.root_hash
            )
        except VerificationError as error:
            raise VerificationError(f"entry {n} (position {position}): {error}") from None
        if correlation_of(leaf) != correlation:
            raise VerificationError(f"the event at position {position} is of another command")
        leaves.append(leaf)
    return checkpoint, leaves


# -- the command line ------------------------------------------------------------------


def _text(value: str) -> str:
    """The argument itself, or the text of the file it names ('-': standard input)."""
    if value == "-":
        return sys.stdin.read()
    try:
        is_file = len(value) < 4096 and "\n" not in value and Path(value).is_file()
    except (OSError, ValueError):  # not a name a file could have
        is_file = False
    return Path(value).read_text(encoding="utf-8") if is_file else value


def _json(value: str) -> dict:
    try:
        document = json.loads(_text(value))
    except json.JSONDecodeError as error:
        raise VerificationError(f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise VerificationError("expected a JSON object")
    return document


def _int(document: dict, name: str) -> int:
    value = document.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise VerificationError(f"the proof's {name!r} is not an integer")
    return value


def _hashes(document: dict) -> list[bytes]:
    hashes = document.get("hashes")
    if not isinstance(hashes, list):
        raise VerificationError("the proof's 'hashes' is not a list")
    return [_hex(h, "a proof hash") for h in hashes]


def _leaf_of(entry_file: str, index: int) -> bytes:
    """The leaf hash of an entry (``GET /api/v1/log/entries/{index}``), from its bytes."""
    entry = _json(entry_file)
    if entry.get("index") != index:
        raise VerificationError(f"the entry is leaf {entry.get('index')!r}, not {index}")
    leaf = _b64(entry.get("leaf"), "entry's leaf")
    decode_leaf(leaf)
    return leaf_hash(leaf)


def _root(args: argparse.Namespace, note: str | None, root: str | None, size: int) -> bytes:
    if root is not None:
        return _hex(root, "the root")
    if note is None or args.key is None:
        raise VerificationError("give a checkpoint and --key, or a root hash")
    checkpoint = verify_checkpoint(_text(note), parse_vkey(_text(args.key)))
    if checkpoint.size != size:
        raise VerificationError(f"the checkpoint is of size {checkpoint.size}, not {size}")
    return checkpoint.root_hash


def _witnesses(keys: list[str], quorum: int) -> list[VerifierKey]:
    witnesses = [parse_witness_vkey(_text(w)) for w in keys]
    if quorum < 0 or quorum > len(witnesses):
        raise VerificationError(f"a quorum of {quorum} needs as many --witness keys")
    return witnesses


def _check_quorum(note: str, keys: list[str], quorum: int) -> None:
    """At least ``quorum`` of the named witnesses validly cosigned the note."""
    found = cosigners(note, _witnesses(keys, quorum))
    if len(found) < quorum:
        names = ", ".join(sorted(found)) or "none"
        raise VerificationError(
            f"{len(found)} of the named witnesses cosigned it ({names}), fewer than the "
            f"quorum of {quorum}"
        )


def run(args: argparse.Namespace) -> str:
    if args.command == "checkpoint":
        note = _text(args.note)
        c = verify_checkpoint(note, parse_vkey(_text(args.key)))
        _check_quorum(note, args.witness, args.quorum)
        return f"checkpoint verified: {c.origin} size {c.size} root {c.root_hash.hex()}" + (
            f", cosigned by {args.quorum}+ witnesses" if args.quorum else ""
        )
    if args.command == "inclusion":
        proof = _json(args.proof)
        index, size = _int(proof, "index"), _int(proof, "size")
        root = _root(args, args.checkpoint, args.root, size)
        leaf = _hex(proof.get("leaf_hash"), "leaf_hash")
        if args.entry is not None and _leaf_of(args.entry, index) != leaf:
            raise VerificationError("the entry's leaf does not hash to the proof's leaf_hash")
        verify_inclusion(index, size, leaf, _hashes(proof), root)
        return f"inclusion verified: leaf {index} is in the tree of size {size}"
    if args.command == "consistency":
        proof = _json(args.proof)
        m, n = _int(proof, "from"), _int(proof, "to")
        old, new = _root(args, args.old, args.old_root, m), _root(args, args.new, args.new_root, n)
        verify_consistency(m, n, _hashes(proof), old, new)
        return f"consistency verified: the tree of size {n} extends the tree of size {m}"
    if args.command == "export":
        try:  # the file beside this one, as a package module or as copied files
            from okr_ledger.verifier_export import verify_export
        except ImportError:
            from verifier_export import verify_export  # type: ignore[no-redef]

        witnesses = _witnesses(args.witness, args.quorum)
        c, checked = verify_export(
            Path(args.path),
            parse_vkey(_text(args.key)),
            cosigned=lambda note: len(cosigners(note, witnesses)),
            quorum=args.quorum,
        )
        return (
            f"export verified: {checked} entries of {c.origin}, tree size {c.size}, root "
            f"{c.root_hash.hex()}"
            + (f", cosigned by {args.quorum}+ witnesses" if args.quorum else "")
        )
    checkpoint, leaves = verify_receipt(_json(args.file), parse_vkey(_text(args.key)))
    return (
        f"receipt verified: {len(leaves)} event(s) at positions "
        f"{', '.join(str(leaf.position) for leaf in leaves)} are in {checkpoint.origin} "
        f"of size {checkpoint.size}"
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="okr-ledger-verify", description=__doc__.split("\n")[0])
    commands = top.add_subparsers(dest="command", required=True)
    c = commands.add_parser("checkpoint", help="a signed checkpoint, against the log's key")
    c.add_argument("note")
    c.add_argument("--key", required=True, help="the verifier key (vkey)")
    c.add_argument("--witness", action="append", default=[], help="a witness's key (repeat)")
    c.add_argument("--quorum", type=int, default=0, help="how many of them must have cosigned")
    i = commands.add_parser("inclusion", help="an inclusion proof (the route's JSON)")
    i.add_argument("proof")
    i.add_argument("--checkpoint", help="a signed checkpoint of the proof's size")
    i.add_argument("--root", help="or the root hash, hex")
    i.add_argument("--key")
    i.add_argument("--entry", help="the entry (its JSON) whose leaf the proof is for")
    k = commands.add_parser("consistency", help="a consistency proof (the route's JSON)")
    k.add_argument("proof")
    k.add_argument("--old", help="the signed checkpoint of the older size")
    k.add_argument("--new", help="the signed checkpoint of the newer size")
    k.add_argument("--old-root")
    k.add_argument("--new-root")
    k.add_argument("--key")
    r = commands.add_parser("receipt", help="a receipt of one command")
    r.add_argument("file")
    r.add_argument("--key", required=True)
    e = commands.add_parser("export", help="an export of the whole log (okr-ledger export)")
    e.add_argument("path")
    e.add_argument("--key", required=True)
    e.add_argument("--witness", action="append", default=[], help="a witness's key (repeat)")
    e.add_argument("--quorum", type=int, default=0, help="how many of them must have cosigned")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(run(args))
    except VerificationError as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    except (OSError, UnicodeError) as error:
        print(f"cannot read: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
