"""okr-ledger witness: a C2SP tlog-witness, to be run by a third party (an audit office).

A witness keeps, per log it is told to trust (an origin and its verifier key), the
latest checkpoint it has cosigned. It cosigns a new checkpoint only when

1. the checkpoint carries a valid signature by the log's key,
2. the client's ``old`` size is the size the witness last cosigned (else 409 with
   that size, ``text/x.tlog.size``), and
3. a consistency proof leads from that checkpoint to the new one (else 422),

and it persists the new state, atomically with the checks, before it answers with a
C2SP tlog-cosignature (``cosignature/v1``, Ed25519, timestamped). It therefore never
cosigns two checkpoints of one log that contradict each other, nor a smaller tree
after a larger one, also across restarts, as long as its state directory survives.

It speaks the HTTP protocol of c2sp.org/tlog-witness (``POST /add-checkpoint``), so a
witness of another project can stand in for it, and it imports only the standard
library, ``cryptography`` and the auditor's verifier (``okr_ledger.verifier``), so an
audit office can run it from those two files.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from okr_ledger.verifier import (
    EM_DASH,
    Checkpoint,
    VerificationError,
    VerifierKey,
    cosignature_time,
    parse_vkey,
    parse_witness_vkey,
    verify_checkpoint,
    verify_consistency,
)

COSIGNATURE = 0x04
"""The signature type of Ed25519 cosignatures (c2sp.org/tlog-cosignature)."""
MAX_BODY = 64 * 1024
MAX_PROOF_LINES = 63
SIZE_TYPE = "text/x.tlog.size"


class WitnessError(Exception):
    """A request the witness refuses: an HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str, *, body: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


# -- keys ------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name ‖ 0x0A ‖ 0x04 ‖ Ed25519 public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE]) + public_key).digest()[:4]


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name) or not name.isprintable():
        raise ValueError("a key name is non-empty printable text without spaces or '+'")
    return name


@dataclass(frozen=True)
class Cosigner:
    """A witness's signing key."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        return cosigner_key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        """``<name>+<key id>+<base64(0x04 ‖ key)>``: what logs and auditors are given."""
        return f"{self.name}+{self.key_id.hex()}+{_b64(bytes([COSIGNATURE]) + self.public_key)}"

    def private_text(self) -> str:
        seed = self.private_key.private_bytes_raw()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{_b64(bytes([COSIGNATURE]) + seed)}"

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(_check_name(name), Ed25519PrivateKey.generate())

    @classmethod
    def parse(cls, text: str) -> Cosigner:
        parts = text.strip().split("+", 4)  # base64 may hold '+'; a name never does
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise ValueError("a witness key file reads PRIVATE+KEY+<name>+<key id>+<base64>")
        name, key_hex, encoded = parts[2:]
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ValueError("the witness key is not valid base64") from None
        if len(raw) != 33 or raw[0] != COSIGNATURE:
            raise ValueError("the witness key is not an Ed25519 cosignature key")
        signer = cls(_check_name(name), Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.key_id.hex() != key_hex:
            raise ValueError("the witness key's id does not match its name and key")
        return signer

    def cosign(self, body: str, timestamp: int) -> str:
        """A cosignature line over a checkpoint's note body (its text up to the blank line)."""
        message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
        signed = self.key_id + struct.pack(">Q", timestamp) + self.private_key.sign(message)
        return f"{EM_DASH}{self.name} {_b64(signed)}\n"


def parse_cosigner_vkey(text: str) -> VerifierKey:
    """A witness's verifier key (signature type 0x04)."""
    return parse_witness_vkey(text)


def verify_cosignature(line: str, body: str, key: VerifierKey) -> int:
    """Check one cosignature line by ``key`` over ``body``; return its timestamp."""
    timestamp = cosignature_time(line, body, key)
    if timestamp is None:
        raise VerificationError(f"not a valid cosignature by {key.name}")
    return timestamp


# -- the request -----------------------------------------------------------------------


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: list[bytes]
    note: str

    @property
    def body(self) -> str:
        """The checkpoint's note body: its text up to and including the last text line."""
        return self.note[: self.note.rfind("\n\n") + 1]

    @classmethod
    def parse(cls, data: bytes) -> AddCheckpoint:
        """``old N`` line, up to 63 base64 proof lines, an empty line, a signed note."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise WitnessError(400, "the body is not UTF-8") from None
        head, sep, note = text.partition("\n\n")
        if not sep:
            raise WitnessError(400, "the body has no empty line before the checkpoint")
        lines = head.split("\n")
        old = lines[0]
        size_text = old[4:]
        canonical = size_text.isdigit() and str(int(size_text)) == size_text
        if not old.startswith("old ") or not canonical:
            raise WitnessError(400, "the first line reads 'old <size>'")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise WitnessError(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
        proof = []
        for line in lines[1:]:
            try:
                digest = base64.b64decode(line, validate=True)
            except binascii.Error:
                raise WitnessError(400, "a consistency proof line is not base64") from None
            if len(digest) != 32:
                raise WitnessError(400, "a consistency proof line is not a 32-byte hash")
            proof.append(digest)
        return cls(int(size_text), proof, note)


# -- what the witness remembers --------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """The latest checkpoint a witness cosigned for one log."""

    origin: str
    size: int
    root_hash: bytes
    note: str


class State:
    """One JSON file per log in a directory, replaced atomically (write, fsync, rename)
    under a lock that also holds across processes sharing the directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "evidence").mkdir(exist_ok=True)
        self._lock = threading.Lock()

    def _path(self, origin: str) -> Path:
        return self.directory / f"{hashlib.sha256(origin.encode()).hexdigest()[:32]}.json"

    def latest(self, origin: str) -> Seen | None:
        path = self._path(origin)
        if not path.exists():
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
        return Seen(doc["origin"], doc["size"], base64.b64decode(doc["root"]), doc["note"])

    def locked(self) -> _Locked:
        return _Locked(self)

    def save(self, seen: Seen) -> None:
        path = self._path(seen.origin)
        doc = {
            "origin": seen.origin,
            "size": seen.size,
            "root": _b64(seen.root_hash),
            "note": seen.note,
            "updated": int(time.time()),
        }
        _write_atomically(path, json.dumps(doc, indent=1).encode())

    def keep_evidence(self, request: bytes, reason: str) -> None:
        """A signed checkpoint whose proof failed may prove the log misbehaved."""
        name = f"{time.time_ns()}-{hashlib.sha256(request).hexdigest()[:12]}.txt"
        _write_atomically(self.directory / "evidence" / name, f"# {reason}\n".encode() + request)


class _Locked:
    def __init__(self, state: State) -> None:
        self.state = state
        self._file: int | None = None

    def __enter__(self) -> State:
        self.state._lock.acquire()
        self._file = os.open(self.state.directory / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._file, fcntl.LOCK_EX)
        return self.state

    def __exit__(self, *_: object) -> None:
        assert self._file is not None
        fcntl.flock(self._file, fcntl.LOCK_UN)
        os.close(self._file)
        self.state._lock.release()


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# -- the witness -----------------------------------------------------------------------


class Witness:
    def __init__(
        self,
        cosigner: Cosigner,
        logs: list[VerifierKey],
        state: State,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cosigner = cosigner
        self.logs = {key.name: key for key in logs}
        self.state = state
        self.clock = clock
        self.after_save: Callable[[int], None] = lambda _size: None
        """A hook the fault tests use: called once the new state is saved, before the
        cosignature is returned, with the checkpoint's size."""

    def add_checkpoint(self, data: bytes) -> str:
        """Check a submission and answer with the cosignature line, or raise WitnessError."""
        request = AddCheckpoint.parse(data)
        origin = request.note.split("\n", 1)[0]
        key = self.logs.get(origin)
        if key is None:
            raise WitnessError(404, f"this witness does not know the log {origin!r}")
        try:
            checkpoint = verify_checkpoint(request.note, key)
        except VerificationError as failure:
            unsigned = "does not verify" in str(failure) or "no signature" in str(failure)
            status = 403 if unsigned else 400
            raise WitnessError(status, str(failure)) from None
        if request.old_size > checkpoint.size:
            raise WitnessError(400, "the old size is beyond the checkpoint's size")
        with self.state.locked() as state:
            seen = state.latest(origin)
            self._check(request, checkpoint, seen, data)
            state.save(Seen(origin, checkpoint.size, checkpoint.root_hash, request.note))
            self.after_save(checkpoint.size)
            return self.cosigner.cosign(request.body, int(self.clock()))

    def _check(
        self, request: AddCheckpoint, checkpoint: Checkpoint, seen: Seen | None, data: bytes
    ) -> None:
        known = seen.size if seen else 0
        if request.old_size != known:
            raise WitnessError(409, f"the latest cosigned size is {known}", body=f"{known}\n")
        if seen is None:
            if request.proof:
                raise WitnessError(422, "a proof from size 0 must be empty")
            return
        try:
            verify_consistency(
                seen.size, checkpoint.size, request.proof, seen.root_hash, checkpoint.root_hash
            )
        except VerificationError as failure:
            self.state.keep_evidence(data, str(failure))
            status = 409 if seen.size == checkpoint.size else 422
            raise WitnessError(status, str(failure)) from None


# -- HTTP ------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    server_version = "okr-ledger-witness"
    timeout = 10  # seconds a slow client may hold a thread
    witness: Witness

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/add-checkpoint":
            self._answer(404, "text/plain", "no such endpoint\n")
            return
        length_text = self.headers.get("Content-Length", "")
        if not length_text.isdigit():
            self._answer(411, "text/plain", "send a Content-Length\n")
            return
        length = int(length_text)
        if length > MAX_BODY:
            self._answer(413, "text/plain", "the body is too large\n")
            return
        data = self.rfile.read(length)
        try:
            line = self.witness.add_checkpoint(data)
        except WitnessError as refusal:
            if refusal.body is not None:
                self._answer(refusal.status, SIZE_TYPE, refusal.body)
            else:
                self._answer(refusal.status, "text/plain", f"{refusal}\n")
            return
        self._answer(200, "text/plain; charset=utf-8", line)

    def do_GET(self) -> None:
        if self.path in ("/", "/key"):
            self._answer(200, "text/plain", f"{self.witness.cosigner.vkey}\n")
            return
        self._answer(404, "text/plain", "no such endpoint\n")

    def _answer(self, status: int, content_type: str, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet by default; the state directory keeps what matters


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("WitnessHandler", (Handler,), {"witness": witness})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def load_logs(values: list[str], read: Callable[[str], str]) -> list[VerifierKey]:
    """The logs to trust, each a vkey given as text or as a file holding it."""
    return [parse_vkey(read(value)) for value in values]
