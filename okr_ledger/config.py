"""Settings: environment variables with working local defaults, read in this one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from streams.witnesses import WitnessConfig

DEFAULT_DATABASE_URL = "sqlite:///okr-ledger.sqlite"
PREFIX = "OKR_LEDGER_"


def _witnesses(text: str | None) -> str | None:
    """``OKR_LEDGER_WITNESSES`` as given, once every entry in it has parsed."""
    from streams.witnesses import parse_witnesses

    try:
        parse_witnesses(text)
    except ValueError as error:
        raise ValueError(f"{PREFIX}WITNESSES: {error}") from None
    return text or None


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    """``sqlite:///FILE`` (the embedded default), ``postgresql://...`` or ``memory://``."""
    kafka_bootstrap_servers: str | None = None
    """``host:port[,host:port]``; without it, nothing uses Kafka."""
    kafka_topic: str = "okr-ledger.events"
    kafka_commands_topic: str = "okr-ledger.commands"
    kafka_results_topic: str = "okr-ledger.command-results"
    kafka_partitions: int = 6
    """Partitions of the topics the ledger creates."""
    kafka_views_group: str = "okr-ledger-views"
    kafka_intake_group: str = "okr-ledger-intake"
    kafka_session_timeout_ms: int = 10_000
    """How long a silent consumer-group member keeps its partitions (a crashed worker's
    partitions move to the others after this)."""
    view_wait_seconds: float = 1.0
    """How long a read waits for its view to reach a ``min_position`` the log has
    reached, before it answers 503 view_behind (0 to 30)."""
    secret_key: str | None = field(default=None, repr=False)
    """Signs the board's session cookies; without it, a key file is generated beside the
    SQLite file (or in the working directory), or a per-process key for ``memory://``."""
    metrics_token: str | None = field(default=None, repr=False)
    """When set, ``GET /metrics`` wants ``Authorization: Bearer <it>``; open without it."""
    signing_key_file: str | None = None
    """The transparency log's private key (``okr-ledger log keygen`` writes it). Unset on
    the embedded default: a key beside the SQLite file, made on first use."""
    checkpoint_interval: float = 5.0
    """Seconds between signed checkpoints while the log grows."""
    log_origin: str = "okr-ledger.localhost/ledger"
    """The origin (key name) of a key made on first use."""
    witnesses: str | None = None
    """The log's witnesses, one per line or separated by ``;``, each ``<witness verifier
    key> <URL>`` (the URL its ``/add-checkpoint`` is under); without it, nothing is
    submitted. Checked when read: a bad entry is named."""
    witness_timeout_seconds: float = 3.0
    """How long one submission to a witness may take (connect and answer)."""
    webhook_allow_private: bool = False
    """Allow webhooks to loopback and private-network addresses (tests, on-premises
    receivers); refused by default, at subscribe time and before every delivery."""
    webhook_max_attempts: int = 15
    """Attempts per notification before it becomes a dead letter."""
    webhook_backoff_seconds: float = 5.0
    """The pause after a first failed attempt; it doubles after each further one (to
    at most a day: with 15 attempts, the retries span about two days)."""
    webhook_timeout_seconds: float = 5.0
    """How long one delivery may take (connect and answer) before it counts as failed."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()

        def text(name: str, default: str) -> str:
            return env.get(f"{PREFIX}{name}") or default

        return cls(
            database_url=text("DATABASE_URL", defaults.database_url),
            kafka_bootstrap_servers=env.get(f"{PREFIX}KAFKA_BOOTSTRAP_SERVERS") or None,
            kafka_topic=text("KAFKA_TOPIC", defaults.kafka_topic),
            kafka_commands_topic=text("KAFKA_COMMANDS_TOPIC", defaults.kafka_commands_topic),
            kafka_results_topic=text("KAFKA_RESULTS_TOPIC", defaults.kafka_results_topic),
            kafka_partitions=int(text("KAFKA_PARTITIONS", str(defaults.kafka_partitions))),
            kafka_views_group=text("KAFKA_VIEWS_GROUP", defaults.kafka_views_group),
            kafka_intake_group=text("KAFKA_INTAKE_GROUP", defaults.kafka_intake_group),
            kafka_session_timeout_ms=int(
                text("KAFKA_SESSION_TIMEOUT_MS", str(defaults.kafka_session_timeout_ms))
            ),
            view_wait_seconds=min(
                max(float(text("VIEW_WAIT_SECONDS", str(defaults.view_wait_seconds))), 0.0),
                30.0,
            ),
            secret_key=env.get(f"{PREFIX}SECRET_KEY") or None,
            metrics_token=env.get(f"{PREFIX}METRICS_TOKEN") or None,
            signing_key_file=env.get(f"{PREFIX}SIGNING_KEY_FILE") or None,
            checkpoint_interval=float(
                text("CHECKPOINT_INTERVAL", str(defaults.checkpoint_interval))
            ),
            log_origin=text("LOG_ORIGIN", defaults.log_origin),
            witnesses=_witnesses(env.get(f"{PREFIX}WITNESSES")),
            witness_timeout_seconds=min(
                max(
                    float(text("WITNESS_TIMEOUT_SECONDS", str(defaults.witness_timeout_seconds))),
                    0.1,
                ),
                30.0,
            ),
            webhook_allow_private=env.get(f"{PREFIX}WEBHOOK_ALLOW_PRIVATE", "") == "1",
            webhook_max_attempts=max(
                1, int(text("WEBHOOK_MAX_ATTEMPTS", str(defaults.webhook_max_attempts)))
            ),
            webhook_backoff_seconds=max(
                0.0, float(text("WEBHOOK_BACKOFF_SECONDS", str(defaults.webhook_backoff_seconds)))
            ),
            webhook_timeout_seconds=min(
                max(
                    float(text("WEBHOOK_TIMEOUT_SECONDS", str(defaults.webhook_timeout_seconds))),
                    0.1,
                ),
                30.0,
            ),
        )

    @property
    def witness_list(self) -> list[WitnessConfig]:
        """The witnesses ``witnesses`` names (ValueError naming a bad entry)."""
        from streams.witnesses import parse_witnesses

        return parse_witnesses(self.witnesses)

    @property
    def shown_database_url(self) -> str:
        """The database URL with any password masked, for logs and banners."""
        parts = urlsplit(self.database_url)
        if not parts.password:
            return self.database_url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
