"""Webhook subscriptions: who asked to hear of which kinds of change, where, and in
which payload shape. The signing secret is never part of an event (ADR 16): events are
shown in histories, audit rows and on the events topic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from uuid import UUID

from ledger.base import LedgerAggregate, require_choice, require_status, unique
from ledger.exceptions import RuleViolation
from ledger.meta import Meta

KINDS = (
    "check_in_due",
    "check_in_overdue",
    "key_result_off_track",
    "priorities_changed",
    "target_eased",
    "decision_recorded",
)
PRESETS = ("standard", "slack", "teams")
ACTIVE, CANCELLED = "active", "cancelled"
MAX_URL = 2000


def require_url(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials in it."""
    url = (url or "").strip()
    if not url:
        raise RuleViolation("required", "url must not be blank", field="url")
    if len(url) > MAX_URL:
        raise RuleViolation("too_long", f"url is longer than {MAX_URL} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RuleViolation("bad_url", "url is not a valid URL", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RuleViolation("bad_url", "url must be an absolute http or https URL", field="url")
    if parts.username or parts.password:
        raise RuleViolation("bad_url", "url must not carry credentials", field="url")
    if port == 0:
        raise RuleViolation("bad_url", "url names port 0", field="url")
    return url


class Subscription(LedgerAggregate):
    """A webhook subscription: a URL, the kinds wanted, an optional team scope."""

    class Subscribed(LedgerAggregate.Created):
        url: str
        kinds: list[str]
        team_id: UUID | None
        preset: str

        def apply(self, subscription: Subscription) -> None:
            subscription.url = self.url
            subscription.kinds = tuple(self.kinds)
            subscription.team_id = self.team_id
            subscription.preset = self.preset
            subscription.status = ACTIVE

    class Unsubscribed(LedgerAggregate.Event):
        def apply(self, subscription: Subscription) -> None:
            subscription.status = CANCELLED

    if TYPE_CHECKING:
        url: str
        kinds: tuple[str, ...]
        team_id: UUID | None
        preset: str
        status: str

    @classmethod
    def subscribe(
        cls,
        *,
        ident: UUID,
        url: str,
        kinds: Sequence[str],
        team_id: UUID | None,
        preset: str,
        meta: Meta,
    ) -> Subscription:
        if not kinds:
            raise RuleViolation("required", "name at least one kind", field="kinds")
        for kind in kinds:
            require_choice(kind, KINDS, "kinds")
        require_choice(preset, PRESETS, "preset")
        return cls._begin(
            cls.Subscribed,
            ident,
            meta,
            url=require_url(url),
            kinds=unique(kinds, "kinds"),
            team_id=team_id,
            preset=preset,
        )

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    def unsubscribe(self, meta: Meta) -> None:
        require_status("subscription", self.status, (ACTIVE,), "unsubscribe")
        self._record(self.Unsubscribed, meta)
