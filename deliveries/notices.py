"""Which events are worth a notification, and what each notification says.

A notice is derived from one stored event and what came before it in the log (the
facts the dispatcher keeps: each aggregate's team and label, each key result's last
confidence), so the same log always yields the same notices:

- ``key_result_off_track``: a check-in or correction says ``off_track`` and the key
  result's previous check-in (in recorded order) did not;
- ``target_eased``: ``KeyResult.Retargeted`` marked as easing;
- ``priorities_changed``: ``Priorities.Reprioritised``;
- ``decision_recorded``: ``Decision.Recorded`` (its team: that of the first thing it
  affects that has one);
- ``check_in_due`` and ``check_in_overdue`` come from the periodic check of what is
  due (``projections/due.py``), not from one event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from eventlog.record import Record
from eventlog.vocabulary import micros_of, time_text

OFF_TRACK = "off_track"
EVENT_TYPES = {
    "check_in_due": "check_in.due",
    "check_in_overdue": "check_in.overdue",
    "key_result_off_track": "key_result.off_track",
    "priorities_changed": "priorities.changed",
    "target_eased": "key_result.target_eased",
    "decision_recorded": "decision.recorded",
}
"""The payload's ``type`` for each kind: hierarchical and full-stop delimited, as
Standard Webhooks recommends."""


@dataclass
class Fact:
    team_id: str | None
    """the aggregate's team; for a team, the unit it sits under"""
    cycle_id: str | None
    label: str
    confidence: str | None = None


@dataclass(frozen=True)
class Notice:
    kind: str
    team_id: str | None
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    position: int = 0
    at: int = 0
    """the instant the notice is about (UTC microseconds)"""
    scope: list[str] = field(default_factory=list)
    """its team and every unit above it, as the tree stood then: a subscription scoped
    to any of them wants it"""


def scope_of(team_id: str | None, facts: dict[str, Fact]) -> list[str]:
    """A team and the units above it, nearest first."""
    scope: list[str] = []
    while team_id and team_id not in scope:
        scope.append(team_id)
        fact = facts.get(team_id)
        team_id = fact.team_id if fact else None
    return scope


def label_of(data: dict[str, Any]) -> str:
    for name in ("statement", "name", "summary", "title", "key"):
        if data.get(name):
            return str(data[name])
    return ""


def event_data(r: Record) -> dict[str, Any]:
    return {
        "position": r.position,
        "event_type": r.event_type,
        "aggregate_id": r.aggregate_id,
        "version": r.version,
        "actor": r.actor,
        "recorded_at": time_text(r.recorded_at),
        "effective_at": time_text(r.effective_at),
        "reason": r.reason,
        "decision_id": r.decision_id,
        "fields": r.data,
    }


def notices_of(r: Record, facts: dict[str, Fact]) -> list[Notice]:
    """The notices one event gives rise to; ``facts`` is brought up to date with it."""
    fact = facts.get(r.aggregate_id)
    if r.version == 1:
        team_of = r.data.get("parent_id" if r.aggregate_type == "Team" else "team_id")
        fact = Fact(team_of, r.data.get("cycle_id"), label_of(r.data))
        facts[r.aggregate_id] = fact
    elif r.event_type == "Team.Moved" and fact is not None:
        fact.team_id = r.data.get("parent_id")
    team = fact.team_id if fact else None
    label = fact.label if fact else r.aggregate_id

    def notice(kind: str, summary: str, team_id: str | None = team) -> Notice:
        return Notice(
            kind, team_id, summary, event_data(r), r.position, r.recorded_at,
            scope_of(team_id, facts),
        )  # fmt: skip

    found: list[Notice] = []
    name = r.event_type
    if name in ("KeyResult.CheckedIn", "KeyResult.CheckInCorrected") and fact is not None:
        before, fact.confidence = fact.confidence, r.data.get("confidence")
        if fact.confidence == OFF_TRACK and before != OFF_TRACK:
            was = f" (was {before.replace('_', ' ')})" if before else ""
            found.append(
                notice(
                    "key_result_off_track",
                    f'Key result "{label}" turned off track{was}: value {r.data.get("value")}, '
                    f"checked in by {r.actor}",
                )
            )
    elif name == "KeyResult.Retargeted" and r.data.get("easing"):
        found.append(
            notice(
                "target_eased",
                f'Target of "{label}" eased from {r.data.get("previous_target")} to '
                f"{r.data.get('target')} by {r.actor}: {r.reason or 'no reason given'}",
            )
        )
    elif name == "Priorities.Reprioritised":
        found.append(
            notice(
                "priorities_changed",
                f"Priorities of {facts_label(facts, team)} reordered by {r.actor}: "
                f"{r.reason or 'no reason given'}",
            )
        )
    elif name == "Decision.Recorded":
        affected = [facts[a].team_id for a in r.data.get("affects", []) if a in facts]
        owner = next((t for t in affected if t), None)
        found.append(
            notice(
                "decision_recorded",
                f"Decision recorded by {r.data.get('forum')}: {r.data.get('summary')}",
                owner,
            )
        )
    return found


def facts_label(facts: dict[str, Fact], ident: str | None) -> str:
    fact = facts.get(ident or "")
    return fact.label if fact and fact.label else "a team"


def due_notice(item: dict[str, Any], cycle_key: str, facts: dict[str, Fact]) -> Notice:
    kind = "check_in_overdue" if item["state"] == "overdue" else "check_in_due"
    when = item["overdue_since"] if kind == "check_in_overdue" else item["due_since"]
    summary = (
        f'Check-in {"overdue" if kind == "check_in_overdue" else "due"} for "{item["statement"]}" '
        f"(owner {item['owner']}, cycle {cycle_key}) since {when}"
    )
    data = {k: v for k, v in item.items() if k != "since"}
    moment = micros_of(datetime.fromisoformat(when))
    return Notice(
        kind, item["team_id"], summary, {"key_result": data, "cycle": cycle_key}, 0, moment,
        scope_of(item["team_id"], facts),
    )  # fmt: skip


def slack_text(text: str) -> str:
    """Text as Slack shows it literally: its control characters escaped, so that a
    statement cannot mention a channel or make a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(preset: str, message_id: str, notice: Notice) -> bytes:
    """The request body in the subscription's preset: the Standard Webhooks payload
    (``type``, ``timestamp`` of what happened, ``data``), a Slack message, or a Teams
    MessageCard. The same notice always has the same body."""
    if preset == "slack":
        text = slack_text(notice.summary)
        document: dict[str, Any] = {
            "text": text,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"OKR Ledger · {notice.kind}"}],
                },
            ],
        }
    elif preset == "teams":
        document = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": notice.summary[:150],
            "title": f"OKR Ledger: {notice.kind.replace('_', ' ')}",
            "text": notice.summary,
        }
    else:
        document = {
            "type": EVENT_TYPES[notice.kind],
            "timestamp": time_text(notice.at),
            "data": {
                "id": message_id,
                "kind": notice.kind,
                "team_id": notice.team_id,
                "summary": notice.summary,
                **notice.data,
            },
        }
    return orjson.dumps(document)
