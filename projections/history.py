"""Priority history: per team, each ranking that was in force in a cycle, when it
started, who set it, why, and under which decision."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from eventlog.vocabulary import time_text
from projections.diff import decision_json

CHANGES = {
    "Priorities.Established": "established",
    "Priorities.ObjectiveEntered": "objective_entered",
    "Priorities.ObjectiveLeft": "objective_left",
    "Priorities.Reprioritised": "reprioritised",
}


def priority_history(
    versions: list[dict[str, Any]],
    audit: dict[int, dict[str, Any]],
    names: dict[str, str],
    decisions: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """``versions``: the cycle's priorities documents in log order; ``audit``: the audit
    rows at their positions; ``names``: labels of teams and objectives; ``decisions``:
    decision documents by id."""
    by_team: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for version in versions:
        doc = json.loads(version["doc"])
        row = audit.get(version["position"], {})
        decision_id = row.get("decision_id")
        rankings = by_team[doc["team_id"]]
        if rankings:
            rankings[-1]["until"] = time_text(version["recorded_at"])
        rankings.append({
            "from": time_text(version["recorded_at"]),
            "effective_from": time_text(version["effective_at"]),
            "until": None,
            "change": CHANGES.get(row.get("event_type", ""), "changed"),
            "order": [
                {"rank": n, "objective_id": o, "statement": names.get(o)}
                for n, o in enumerate(doc["order"], start=1)
            ],
            "who": row.get("actor"),
            "why": row.get("reason"),
            "decision": decision_json(decision_id, decisions),
            "position": version["position"],
        })  # fmt: skip
    return [
        {"team_id": team_id, "team": names.get(team_id), "rankings": rankings}
        for team_id, rankings in sorted(by_team.items(), key=lambda kv: names.get(kv[0]) or "")
    ]
