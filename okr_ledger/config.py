"""Settings: environment variables with working local defaults, read in this one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

DEFAULT_DATABASE_URL = "sqlite:///okr-ledger.sqlite"
PREFIX = "OKR_LEDGER_"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    """``sqlite:///FILE`` (the embedded default), ``postgresql://...`` or ``memory://``."""
    kafka_bootstrap_servers: str | None = None
    kafka_topic: str = "okr-ledger.events"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            database_url=env.get(f"{PREFIX}DATABASE_URL") or defaults.database_url,
            kafka_bootstrap_servers=env.get(f"{PREFIX}KAFKA_BOOTSTRAP_SERVERS") or None,
            kafka_topic=env.get(f"{PREFIX}KAFKA_TOPIC") or defaults.kafka_topic,
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
