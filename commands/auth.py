"""Who is calling: API tokens resolved to principals, from the ledger's own events.

A resolved token is remembered for a short time (two seconds by default) so that a busy
client does not cost two reads per request; revoking a principal therefore takes
effect within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from commands.principals import Principal
from ledger.application import Ledger
from ledger.principal import ApiToken, token_hash
from ledger.principal import Principal as PrincipalRecord


class Authenticator:
    def __init__(
        self,
        ledger: Ledger,
        *,
        ttl: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ledger = ledger
        self.ttl = ttl
        self.clock = clock
        self._seen: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def principal_for(self, token: str) -> Principal | None:
        """The active principal holding ``token``, or None."""
        return self.principal_for_hash(token_hash(token))

    def principal_for_hash(self, hashed: str) -> Principal | None:
        """The active principal holding the token of this hash (a board session keeps
        the hash, never the token), or None."""
        now = self.clock()
        with self._lock:
            seen = self._seen.get(hashed)
        if seen is not None and now - seen[0] < self.ttl:
            return seen[1]
        principal = self._resolve(hashed)
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[hashed] = (now, principal)
        return principal

    def _resolve(self, hashed: str) -> Principal | None:
        token = self.ledger.find(ApiToken, ApiToken.id_for(hashed))
        if token is None:
            return None
        record = self.ledger.find(PrincipalRecord, token.principal_id)
        if record is None or not record.is_active:
            return None
        return Principal(record.name, record.role, frozenset(record.team_ids), record.id)
