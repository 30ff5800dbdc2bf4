"""Cosigning: the ledger hands each new signed checkpoint to its witnesses.

``OKR_LEDGER_WITNESSES`` names them, one per line or separated by ``;``, each as
``<witness verifier key> <submission URL>``. For every witness the ledger remembers
the size it last cosigned; it sends ``old <that size>``, the consistency proof from
it and the signed checkpoint (c2sp.org/tlog-witness), keeps the cosignature line it
gets back (after checking it with the witness's key), and learns the witness's true
size from a 409 answer. A witness that is down is simply asked again next time, with
the newest checkpoint and a proof from whatever it last cosigned: cosigning is
delayed, and nothing is lost.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ledger.tlog.cosignature import cosignature_timestamp, parse_cosigner_vkey
from ledger.tlog.note import NoteError, VerifierKey

log = logging.getLogger(__name__)

SIZE_TYPE = "text/x.tlog.size"
"""The content type of a witness's 409 answer: the size it last cosigned."""

Post = Callable[[str, bytes, float], tuple[int, str, str]]
"""``post(url, body, timeout) -> (status, content type, text)``."""


class WitnessUnavailable(Exception):
    """The witness could not be reached, or refused; try again later."""


@dataclass(frozen=True)
class WitnessConfig:
    key: VerifierKey
    url: str

    @property
    def name(self) -> str:
        return self.key.name


def parse_witnesses(text: str | None) -> list[WitnessConfig]:
    """The witnesses ``OKR_LEDGER_WITNESSES`` names (ValueError naming a bad entry)."""
    found = []
    for entry in (text or "").replace(";", "\n").splitlines():
        if not entry.strip():
            continue
        parts = entry.split()
        if len(parts) != 2 or not parts[1].startswith(("http://", "https://")):
            raise ValueError(f"a witness reads '<verifier key> <http(s) URL>': {entry.strip()!r}")
        try:
            key = parse_cosigner_vkey(parts[0])
        except NoteError as error:
            raise ValueError(f"witness {parts[0][:40]!r}: {error}") from None
        found.append(WitnessConfig(key, parts[1].rstrip("/")))
    return found


class Checkpointish(Protocol):
    size: int
    note: str


class Proofs(Protocol):
    def consistency_proof(self, m: int, n: int) -> list[bytes]: ...


class CosignatureStore(Protocol):
    def cosigned_size(self, witness: str) -> int:
        """The largest size this witness cosigned for us (0 if none)."""
        ...

    def add_cosignature(self, size: int, witness: str, line: str) -> None: ...


class MemoryCosignatures:
    """A CosignatureStore in memory (tests, and a ledger on ``memory://``)."""

    def __init__(self) -> None:
        self.lines: dict[tuple[int, str], str] = {}

    def cosigned_size(self, witness: str) -> int:
        return max((size for size, name in self.lines if name == witness), default=0)

    def add_cosignature(self, size: int, witness: str, line: str) -> None:
        self.lines[(size, witness)] = line


def http_post(url: str, body: bytes, timeout: float) -> tuple[int, str, str]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.headers.get_content_type(), answer.read(65536).decode()
    except urllib.error.HTTPError as refusal:
        return refusal.code, refusal.headers.get_content_type(), refusal.read(65536).decode()
    except (OSError, ValueError) as error:
        raise WitnessUnavailable(f"{url}: {error}") from None


def submission(old: int, proof: list[bytes], note: str) -> bytes:
    import base64

    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


class Cosigning:
    def __init__(
        self,
        proofs: Proofs,
        witnesses: list[WitnessConfig],
        store: CosignatureStore,
        *,
        timeout: float = 5.0,
        post: Post = http_post,
    ) -> None:
        self.proofs = proofs
        self.witnesses = witnesses
        self.store = store
        self.timeout = timeout
        self.post = post

    def submit(self, checkpoint: Checkpointish) -> dict[str, str | None]:
        """Ask every witness to cosign ``checkpoint``: its line, or None for now."""
        results: dict[str, str | None] = {}
        for witness in self.witnesses:
            try:
                results[witness.name] = self._submit(witness, checkpoint)
            except WitnessUnavailable as error:
                log.warning("witness %s: %s; will try again", witness.name, error)
                results[witness.name] = None
        return results

    def _submit(self, witness: WitnessConfig, checkpoint: Checkpointish) -> str | None:
        old = self.store.cosigned_size(witness.name)
        for _ in range(3):
            if old > checkpoint.size:
                return None  # it already cosigned a larger tree of ours
            proof = self.proofs.consistency_proof(old, checkpoint.size) if old else []
            status, kind, text = self.post(
                f"{witness.url}/add-checkpoint",
                submission(old, proof, checkpoint.note),
                self.timeout,
            )
            if status == 409 and kind == SIZE_TYPE and text.strip().isdigit():
                old = int(text.strip())  # it knows a size we did not record: start from there
                continue
            if status != 200:
                raise WitnessUnavailable(f"answered {status}: {text.strip()[:200]}")
            return self._keep(witness, checkpoint, text)
        raise WitnessUnavailable("its size kept changing under us")

    def _keep(self, witness: WitnessConfig, checkpoint: Checkpointish, text: str) -> str:
        body = checkpoint.note[: checkpoint.note.rfind("\n\n") + 1]
        for line in text.splitlines():
            if cosignature_timestamp(line, body, witness.key) is None:
                continue  # not by the key we were told of: ignore it
            kept = line if line.endswith("\n") else line + "\n"
            self.store.add_cosignature(checkpoint.size, witness.name, kept)
            return kept
        raise WitnessUnavailable("its answer holds no valid cosignature by its key")
