"""The composition root: wires the ledger, the command bus and (later) the read side
from settings. Tests build it with ``memory://`` or a throwaway database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commands import handlers
from commands.auth import Authenticator
from commands.bus import CommandBus
from deliveries.dispatcher import Dispatcher
from deliveries.store import DeliveryStore
from ledger.application import Ledger
from ledger.meta import utc_now
from ledger.tlog.note import SignedCheckpoint
from ledger.tlog.service import TransparencyLog
from okr_ledger.config import Settings
from okr_ledger.keys import LogKey, load_key
from projections.service import ReadModels
from streams.witnesses import Cosigning, Outcome


@dataclass
class Services:
    settings: Settings
    ledger: Ledger
    bus: CommandBus
    authenticator: Authenticator
    clock: Callable[[], datetime] = utc_now
    _read_models: ReadModels | None = None
    newest_checkpoint: Callable[[], datetime | None] = lambda: None
    """When the newest signed checkpoint was made (None: none yet); ``/metrics`` shows
    its age as ``okr_ledger_checkpoint_age_seconds``."""
    _transparency: TransparencyLog | None = None
    log_key: LogKey | None = None

    @property
    def transparency(self) -> TransparencyLog:
        """The transparency log: checkpoints, entries and proofs (its key is read, or on
        the embedded default made, on first use)."""
        if self._transparency is None:
            self.log_key = load_key(self.settings)
            self._transparency = TransparencyLog(
                self.ledger.chained_recorder,
                self.log_key.signer,
                interval=self.settings.checkpoint_interval,
                clock=self.clock,
            )
        return self._transparency

    @transparency.setter
    def transparency(self, log: TransparencyLog) -> None:
        """Stand another log in (tests: a fake with the same reading interface)."""
        self._transparency = log

    @transparency.deleter
    def transparency(self) -> None:
        self._transparency = None

    _cosigning: Cosigning | None = None

    @property
    def cosigning(self) -> Cosigning | None:
        """Submission of new checkpoints to ``OKR_LEDGER_WITNESSES`` (None without any);
        the checkpointer runs its rounds, never a request."""
        if self._cosigning is None and self.settings.witnesses:
            log = self.transparency
            self._cosigning = Cosigning(
                log,
                self.settings.witness_list,
                log.store,
                timeout=self.settings.witness_timeout_seconds,
            )
        return self._cosigning

    def checkpoint_tick(self) -> tuple[SignedCheckpoint | None, dict[str, Outcome]]:
        """The checkpointer's tick: sign a checkpoint if one is due, then submit the
        newest to the witnesses that lack it. The checkpoint signed now (if any), and
        what each witness did, by name."""
        log = self.transparency
        signed = log.maybe_checkpoint()
        cosigning = self.cosigning
        if cosigning is None:
            return signed, {}
        return signed, cosigning.round(signed or log.latest_checkpoint())

    _deliveries: DeliveryStore | None = None

    @property
    def read_models(self) -> ReadModels:
        """The read side, built on first use (it creates its tables if need be)."""
        if self._read_models is None:
            self._read_models = ReadModels(self.ledger)
        return self._read_models

    @property
    def deliveries(self) -> DeliveryStore:
        """The webhook deliveries' tables (next to the read models)."""
        if self._deliveries is None:
            self._deliveries = DeliveryStore(self.read_models.store)
        return self._deliveries

    def dispatcher(self, **overrides: Any) -> Dispatcher:
        """The webhook dispatcher, configured from the settings."""
        settings = self.settings
        options: dict[str, Any] = {
            "read_models": self.read_models,
            "allow_private": settings.webhook_allow_private,
            "max_attempts": settings.webhook_max_attempts,
            "backoff_seconds": settings.webhook_backoff_seconds,
            "timeout": settings.webhook_timeout_seconds,
            "clock": self.bus.clock,
            "bus": self.bus,
            **overrides,
        }
        return Dispatcher(self.ledger, self.deliveries, **options)

    def close(self) -> None:
        if self._read_models is not None:
            self._read_models.store.close()
        self.ledger.close()


def bootstrap(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> Services:
    settings = settings or Settings.from_env()
    ledger = Ledger.from_url(settings.database_url)

    def newest_checkpoint() -> datetime | None:
        kept = ledger.chained_recorder.select_checkpoint(None)
        return kept.issued_at if kept else None

    return Services(
        settings=settings,
        ledger=ledger,
        bus=CommandBus(ledger, handlers.table(), clock=clock),
        authenticator=Authenticator(ledger),
        clock=clock,
        newest_checkpoint=newest_checkpoint,
    )
