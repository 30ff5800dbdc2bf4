"""The commands of webhook subscriptions (the secret travels beside them, never in
them: see ``web/webhooks.py`` and ADR 16)."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from commands.messages import Command


@dataclass(frozen=True, kw_only=True)
class Subscribe(Command):
    """Subscribe a URL to kinds of notification (an editor: for one of their teams)."""

    subscription_id: UUID
    url: str
    kinds: list[str] = field(default_factory=list)
    team_id: UUID | None = None
    preset: str = "standard"


@dataclass(frozen=True, kw_only=True)
class Unsubscribe(Command):
    """End a webhook subscription; its queued deliveries are dropped."""

    subscription_id: UUID
