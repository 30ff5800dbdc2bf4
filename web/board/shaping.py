"""Read-model answers reshaped for pages: rankings per team and the details of a named
change in a few words."""

from __future__ import annotations

from typing import Any

from web.board.filters import label, number

HIDDEN_FIELDS = {"id", "type", "cycle_id", "team_id", "objective_id", "strategy_id"}


def unique_objectives(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """Each objective once (an objective serving two choices shows under both)."""
    seen: dict[str, dict[str, Any]] = {}
    for choice in tree["choices"]:
        for objective in choice["objectives"]:
            seen.setdefault(objective["id"], objective)
    return list(seen.values())


def rankings(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """Per team, its objectives in rank order (unranked ones last)."""
    teams: dict[str, dict[str, Any]] = {}
    for objective in unique_objectives(tree):
        team = objective["team"]
        entry = teams.setdefault(team["id"], {"team": team, "objectives": []})
        entry["objectives"].append(objective)
    for entry in teams.values():
        entry["objectives"].sort(key=lambda o: (o["rank"] is None, o["rank"] or 0, o["statement"]))
    return sorted(teams.values(), key=lambda e: e["team"]["name"])


def _value(value: Any) -> str:
    if isinstance(value, dict):
        parts = [f"{k} {_value(v)}" for k, v in value.items() if v not in (None, [], {})]
        return ", ".join(parts)
    if isinstance(value, list):
        return f"{len(value)} item(s)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) or (isinstance(value, str) and _numeric(value)):
        return number(value)
    return str(value)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def change_details(change: dict[str, Any], limit: int = 200) -> str:
    """What a named change did, in a line: a check-in's value, or the fields it set."""
    check_in = change.get("check_in")
    if check_in:
        parts = [f"value {number(check_in.get('value'))}", label(check_in.get("confidence"))]
        if check_in.get("note"):
            parts.append(str(check_in["note"]))
        text = "; ".join(parts)
    else:
        fields = change.get("set") or {}
        text = "; ".join(
            f"{label(k)}: {_value(v)}"
            for k, v in fields.items()
            if k not in HIDDEN_FIELDS and v not in (None, [], {})
        )
    return text if len(text) <= limit else text[: limit - 1] + "…"
