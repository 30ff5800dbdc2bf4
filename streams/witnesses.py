"""Cosigning: the ledger hands each new signed checkpoint to its witnesses.

``OKR_LEDGER_WITNESSES`` names them, one per line or separated by ``;``, each as
``<witness verifier key> <submission URL>``. For every witness the ledger remembers
the size it last cosigned; it sends ``old <that size>``, the consistency proof from
it and the signed checkpoint (c2sp.org/tlog-witness), keeps the cosignature line it
gets back (after checking it with the witness's key), and learns the witness's true
size from a 409 answer. A witness that is down is simply asked again next time, with
the newest checkpoint and a proof from whatever it last cosigned: cosigning is
delayed, and nothing is lost.

A witness that *refuses* (a 422: the proof from what it cosigned does not hold; a 409
without a size: the same size with another root; a size larger than this log's; a 403
or 404) has seen another history signed with this log's key, or does not know the log:
that is reported as a refusal, for an operator to look into, and asked again next round.

The checkpointer runs :meth:`Cosigning.round` after each tick, never inside an HTTP
request; a witness that failed is asked again after a pause that doubles, from one
second up to a minute, so one that is down costs the loop little.
"""

from __future__ import annotations

import http.client
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ledger.tlog.cosignature import cosignature_timestamp, parse_cosigner_vkey, witness_id
from ledger.tlog.note import NoteError, VerifierKey

log = logging.getLogger(__name__)

SIZE_TYPE = "text/x.tlog.size"
"""The content type of a witness's 409 answer: the size it last cosigned."""

Post = Callable[[str, bytes, float], tuple[int, str, str]]
"""``post(url, body, timeout) -> (status, content type, text)``."""


class WitnessUnavailable(Exception):
    """The witness could not be reached, or failed; try again later."""


class WitnessRefused(WitnessUnavailable):
    """The witness refused to cosign: it holds another history of this log, or does
    not know it. Asked again later too, but worth an operator's look."""


@dataclass(frozen=True)
class WitnessConfig:
    key: VerifierKey
    url: str

    @property
    def name(self) -> str:
        return self.key.name

    @property
    def ident(self) -> str:
        """How the store names this witness's key: ``<name>+<key id>``."""
        return witness_id(self.key.name, self.key.key_id)


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
        """The largest size this witness key cosigned for us (0 if none)."""
        ...

    def add_cosignature(self, size: int, witness: str, line: str) -> object: ...


class MemoryCosignatures:
    """A CosignatureStore in memory (tests)."""

    def __init__(self) -> None:
        self.lines: dict[tuple[int, str], str] = {}

    def cosigned_size(self, witness: str) -> int:
        return max((size for size, name in self.lines if name == witness), default=0)

    def add_cosignature(self, size: int, witness: str, line: str) -> bool:
        return self.lines.setdefault((size, witness), line) == line


@dataclass(frozen=True)
class Outcome:
    """What one witness did with one checkpoint."""

    size: int
    line: str | None = None
    """the cosignature kept (None: none this time)"""
    problem: str | None = None
    """why not: the witness is down or failed, or refused"""
    refused: bool = False


def http_post(url: str, body: bytes, timeout: float) -> tuple[int, str, str]:
    """One submission; any failure to get an answer (refused, reset, timed out, not
    HTTP) is WitnessUnavailable. ``timeout`` bounds each connect and read."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            text = answer.read(65536).decode("utf-8", "replace")
            return answer.status, answer.headers.get_content_type(), text
    except urllib.error.HTTPError as refusal:
        try:
            text = refusal.read(65536).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            text = ""
        return refusal.code, refusal.headers.get_content_type(), text
    except (OSError, ValueError, http.client.HTTPException) as error:
        raise WitnessUnavailable(f"{url}: {error}") from None


def submission(old: int, proof: list[bytes], note: str) -> bytes:
    import base64

    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


REFUSALS = (403, 404, 409, 422)
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 60.0


class Cosigning:
    def __init__(
        self,
        proofs: Proofs,
        witnesses: list[WitnessConfig],
        store: CosignatureStore,
        *,
        timeout: float = 5.0,
        post: Post = http_post,
        clock: Callable[[], float] = time.monotonic,
        pause: float = FIRST_PAUSE,
    ) -> None:
        self.proofs = proofs
        self.witnesses = witnesses
        self.store = store
        self.timeout = timeout
        self.post = post
        self.clock = clock
        self.pause = pause
        """the first pause after a failure (it doubles, to at most a minute; 0: none)"""
        self._cosigned: dict[str, int] = {}
        self._failures: dict[str, int] = {}
        self._retry_at: dict[str, float] = {}

    def cosigned_size(self, witness: WitnessConfig) -> int:
        if witness.ident not in self._cosigned:
            self._cosigned[witness.ident] = self.store.cosigned_size(witness.ident)
        return self._cosigned[witness.ident]

    def round(self, latest: Checkpointish | None) -> dict[str, Outcome]:
        """Submit ``latest`` (the newest checkpoint) to every witness that has not
        cosigned it yet and is not pausing after a failure: the checkpointer's tick."""
        if latest is None:
            return {}
        now = self.clock()
        due = [
            w
            for w in self.witnesses
            if self.cosigned_size(w) < latest.size and self._retry_at.get(w.ident, now) <= now
        ]
        return self._submit_to(due, latest)

    def submit(self, checkpoint: Checkpointish) -> dict[str, Outcome]:
        """Ask every witness to cosign ``checkpoint`` now."""
        return self._submit_to(self.witnesses, checkpoint)

    def _submit_to(
        self, witnesses: list[WitnessConfig], checkpoint: Checkpointish
    ) -> dict[str, Outcome]:
        results: dict[str, Outcome] = {}
        for witness in witnesses:
            try:
                line = self._submit(witness, checkpoint)
            except WitnessUnavailable as error:
                refused = isinstance(error, WitnessRefused)
                (log.error if refused else log.warning)(
                    "witness %s: %s; will try again", witness.name, error
                )
                failures = self._failures[witness.ident] = self._failures.get(witness.ident, 0) + 1
                wait = min(self.pause * 2 ** (failures - 1), LONGEST_PAUSE) if self.pause else 0
                self._retry_at[witness.ident] = self.clock() + wait
                results[witness.name] = Outcome(checkpoint.size, None, str(error), refused)
                continue
            self._failures.pop(witness.ident, None)
            self._retry_at.pop(witness.ident, None)
            results[witness.name] = Outcome(checkpoint.size, line)
        return results

    def _submit(self, witness: WitnessConfig, checkpoint: Checkpointish) -> str | None:
        old = min(self.cosigned_size(witness), checkpoint.size)
        for _ in range(3):
            proof = self.proofs.consistency_proof(old, checkpoint.size) if old else []
            status, kind, text = self.post(
                f"{witness.url}/add-checkpoint",
                submission(old, proof, checkpoint.note),
                self.timeout,
            )
            if status == 409 and kind == SIZE_TYPE and text.strip().isdigit():
                known = int(text.strip())  # it knows a size we did not record
                if known > checkpoint.size:
                    raise WitnessRefused(
                        f"it cosigned a tree of size {known} of this log, larger than this "
                        f"log's {checkpoint.size}: another history is signed with this key"
                    )
                old = known
                continue
            if status in REFUSALS:
                raise WitnessRefused(f"refused ({status}): {text.strip()[:200]}")
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
            self.store.add_cosignature(checkpoint.size, witness.ident, kept)
            known = self._cosigned.get(witness.ident, 0)
            self._cosigned[witness.ident] = max(known, checkpoint.size)
            return kept
        raise WitnessUnavailable("its answer holds no valid cosignature by its key")
