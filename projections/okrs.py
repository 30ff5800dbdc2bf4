"""The current-state read models: the OKR tree (strategic choice → objective → key
results → initiatives) with ranks, latest values, scores, confidence, staleness and
quality advice; the KPI health board; the alignment graph with its orphans."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from eventlog.vocabulary import EPOCH, decimal_text, micros_of, time_text
from ledger.kpi import Bands
from ledger.scoring import DEFAULT_POLICY, KeyResultScore, ScoringPolicy, weighted_mean
from projections.lineage import lineage
from projections.reducers import Doc
from projections.sandbagging import sandbagging_advice
from projections.snapshot import Snapshot

TASK_VERBS = {
    "launch", "deliver", "complete", "publish", "run", "hold", "hire", "build", "ship",
    "implement", "write", "organise", "organize", "host", "introduce", "roll", "set",
    "train", "migrate", "install", "create", "finish", "start", "conduct", "prepare",
}  # fmt: skip
"""A key result that starts with one of these reads like a task, not an outcome."""
MAX_OBJECTIVES_PER_TEAM = 3
KEY_RESULTS_PER_OBJECTIVE = (2, 5)
DAY = 86_400_000_000


def end_of(day: str) -> int:
    return micros_of(datetime.combine(date.fromisoformat(day), time.max, tzinfo=EPOCH.tzinfo))


def start_of(day: str) -> int:
    return end_of(day) - DAY + 1


def advice(rule: str, message: str) -> dict[str, str]:
    return {"rule": rule, "message": message}


def key_result_advice(doc: Doc) -> list[dict[str, str]]:
    found = []
    first = (doc["statement"].split() or [""])[0].lower().strip(",.:;")
    if first in TASK_VERBS:
        found.append(
            advice(
                "task_shaped",
                f'"{first}" describes work, not an outcome; '
                "say what will be different, and by how much",
            )
        )
    kind = doc["kind"]
    if kind in ("increase", "decrease"):
        for name in ("baseline", "target"):
            if doc.get(name) is None:
                found.append(advice(f"missing_{name}", f"no {name}: progress cannot be scored"))
    if kind != "milestone" and not doc.get("unit"):
        found.append(advice("missing_unit", "no unit: say what the numbers count"))
    if not doc.get("deadline"):
        found.append(advice("missing_deadline", "no deadline"))
    return found


def objective_advice(doc: Doc, live_key_results: int) -> list[dict[str, str]]:
    found = []
    low, high = KEY_RESULTS_PER_OBJECTIVE
    if live_key_results < low:
        found.append(
            advice(
                "too_few_key_results", f"{live_key_results} key result(s); aim for {low} to {high}"
            )
        )
    elif live_key_results > high:
        found.append(
            advice(
                "too_many_key_results", f"{live_key_results} key results; aim for {low} to {high}"
            )
        )
    if not doc.get("choices") and not doc.get("parents"):
        found.append(
            advice(
                "unlinked",
                "linked to no strategic choice and aligned to nothing: "
                "is it a priority, a KPI to monitor, or an initiative?",
            )
        )
    if re.search(r"\d", doc["statement"]):
        found.append(
            advice("numbers_in_objective", "numbers belong in key results, not in the objective")
        )
    if not doc.get("owner"):
        found.append(advice("no_owner", "an objective has exactly one owner"))
    return found


def reference_time(snapshot: Snapshot, now: int) -> int:
    """Staleness is judged at the snapshot's instant, and never after the cycle ends."""
    moment = snapshot.as_of if snapshot.as_of is not None else now
    return min(moment, end_of(snapshot.cycle["ends_on"]))


def is_stale(snapshot: Snapshot, doc: Doc, latest: dict[str, Any] | None, at: int) -> bool:
    """No check-in for two cadence periods (counted from the cycle's start when none yet)."""
    if doc["status"] != "live" or snapshot.cycle["status"] == "planning":
        return False
    window = 2 * int(snapshot.cycle["cadence_days"]) * DAY
    since = latest["effective_at"] if latest else start_of(snapshot.cycle["starts_on"])
    return at - since > window


def key_result_node(
    snapshot: Snapshot, doc: Doc, at: int, card: KeyResultScore, initiatives: list[Doc]
) -> dict[str, Any]:
    latest = snapshot.latest(doc["id"])
    return {
        "id": doc["id"],
        "statement": doc["statement"],
        "kind": doc["kind"],
        "baseline": decimal_text(doc.get("baseline")),
        "target": decimal_text(doc.get("target")),
        "band": band_of(doc),
        "unit": doc.get("unit") or None,
        "deadline": doc.get("deadline"),
        "owner": doc["owner"],
        "classification": doc["classification"],
        "weight": decimal_text(doc["weight"]),
        "status": doc["status"],
        "latest": None
        if latest is None
        else {
            "value": decimal_text(latest["value"]),
            "confidence": latest["confidence"],
            "effective_at": time_text(latest["effective_at"]),
            "recorded_at": time_text(latest["recorded_at"]),
        },
        "score": score_json(card),
        "stale": is_stale(snapshot, doc, latest, at),
        "advice": key_result_advice(doc),
        "initiatives": [initiative_node(i) for i in initiatives],
        **lineage(doc, snapshot.cycle_keys),
    }


def initiative_node(doc: Doc) -> dict[str, Any]:
    return {
        "id": doc["id"],
        "title": doc["title"],
        "owner": doc["owner"],
        "status": doc["status"],
        "health": doc.get("health"),
        "priority": doc.get("priority"),
        "allocation": doc.get("allocation"),
        "key_result_ids": doc["key_result_ids"],
    }


def objective_node(
    snapshot: Snapshot,
    doc: Doc,
    rank: int | None,
    at: int,
    policy: ScoringPolicy,
    initiatives_by_kr: dict[str, list[Doc]],
) -> dict[str, Any]:
    krs = [snapshot.docs[k] for k in doc["key_result_ids"] if k in snapshot.docs]
    live = [k for k in krs if k["status"] == "live"]
    cards = {k["id"]: snapshot.score(k, policy) for k in krs}
    team = snapshot.docs.get(doc["team_id"], {})
    reflection = doc.get("reflection")
    return {
        "id": doc["id"],
        "statement": doc["statement"],
        "team": {"id": doc["team_id"], "key": team.get("key"), "name": team.get("name")},
        "owner": doc["owner"],
        "commitment": doc["commitment"],
        "status": doc["status"],
        "rank": rank,
        "score": decimal_text(weighted_mean(cards[k["id"]] for k in live)),
        "choices": sorted(doc["choices"]),
        "parents": [{"id": p, "kind": kind} for p, kind in sorted(doc["parents"].items())],
        "outcome": reflection["outcome"] if reflection else None,
        "advice": objective_advice(doc, len(live)),
        "key_results": [
            key_result_node(snapshot, k, at, cards[k["id"]], initiatives_by_kr.get(k["id"], []))
            for k in krs
        ],
        **lineage(doc, snapshot.cycle_keys),
    }


def ranks(snapshot: Snapshot) -> dict[str, int]:
    ranked = {}
    for priorities in snapshot.in_cycle("priorities"):
        for number_, objective_id in enumerate(priorities["order"], start=1):
            ranked[objective_id] = number_
    return ranked


def okr_tree(
    snapshot: Snapshot,
    *,
    now: int,
    team: str | None = None,
    policy: ScoringPolicy = DEFAULT_POLICY,
    sandbagging: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The cycle's OKR set as a tree: strategic choice → objective → key results →
    initiatives, with a node for objectives linked to no choice. ``sandbagging`` names
    the teams on a streak of perfect scores (``projections.sandbagging``)."""
    at = reference_time(snapshot, now)
    ranked = ranks(snapshot)
    objectives = [o for o in snapshot.in_cycle("objective") if team in (None, o["team_id"])]
    initiatives = [i for i in snapshot.in_cycle("initiative") if team in (None, i["team_id"])]
    by_kr: dict[str, list[Doc]] = defaultdict(list)
    for initiative in initiatives:
        for kr_id in initiative["key_result_ids"]:
            by_kr[kr_id].append(initiative)
    nodes = {
        o["id"]: objective_node(snapshot, o, ranked.get(o["id"]), at, policy, by_kr)
        for o in objectives
    }

    def ordered(ids: list[str]) -> list[dict[str, Any]]:
        chosen = [nodes[i] for i in ids]
        return sorted(chosen, key=lambda n: (n["team"]["name"] or "", n["rank"] or 10**6))

    choices = []
    for strategy in snapshot.of_type("strategy"):
        for choice_id, choice in strategy["choices"].items():
            linked = [i for i, o in nodes.items() if choice_id in o["choices"]]
            choices.append({
                "id": choice_id, "strategy_id": strategy["id"], "kind": choice["kind"],
                "statement": choice["statement"], "retired": choice["retired"],
                "objectives": ordered(linked),
            })  # fmt: skip
    unlinked = [i for i, o in nodes.items() if not o["choices"]]
    choices.append(
        {
            "id": None,
            "kind": "unlinked",
            "statement": "Linked to no strategic choice",
            "objectives": ordered(unlinked),
        }
    )
    return {
        "cycle": cycle_json(snapshot.cycle),
        "as_of": time_text(snapshot.as_of),
        "time": snapshot.mode,
        "team": team,
        "choices": choices,
        "teams": team_summaries(snapshot, objectives, initiatives, sandbagging or {}),
    }


def team_summaries(
    snapshot: Snapshot,
    objectives: list[Doc],
    initiatives: list[Doc],
    sandbagging: dict[str, list[str]],
) -> list[dict[str, Any]]:
    by_team: dict[str, list[Doc]] = defaultdict(list)
    for objective in objectives:
        by_team[objective["team_id"]].append(objective)
    loose_by_team: dict[str, list[str]] = defaultdict(list)
    for initiative in initiatives:
        if not initiative["key_result_ids"]:
            loose_by_team[initiative["team_id"]].append(initiative["id"])
    summaries = []
    for team_id, owned in sorted(by_team.items()):
        team = snapshot.docs.get(team_id, {})
        counted = [o for o in owned if o["status"] != "dropped"]
        found = []
        if len(counted) > MAX_OBJECTIVES_PER_TEAM:
            found.append(
                advice(
                    "too_many_objectives",
                    f"{len(counted)} objectives; 1 to {MAX_OBJECTIVES_PER_TEAM} "
                    "per team per cycle keeps focus",
                )
            )
        if team_id in sandbagging:
            found.append(sandbagging_advice(sandbagging[team_id]))
        summaries.append(
            {
                "id": team_id,
                "key": team.get("key"),
                "name": team.get("name"),
                "objectives": len(counted),
                "advice": found,
                "initiatives_without_key_results": loose_by_team.get(team_id, []),
            }
        )
    return summaries


def band_of(doc: Doc) -> list[str | None] | None:
    """A keep-in-band key result's band, [low, high] (None for other kinds)."""
    if doc["kind"] != "band":
        return None
    return [decimal_text(doc.get("band_low")), decimal_text(doc.get("band_high"))]


def score_json(score: KeyResultScore) -> dict[str, str | None]:
    return {
        "computed": decimal_text(score.computed),
        "override": decimal_text(score.override),
        "final": decimal_text(score.final),
    }


def cycle_json(doc: Doc) -> dict[str, Any]:
    return {
        k: doc.get(k)
        for k in ("id", "key", "name", "starts_on", "ends_on", "cadence_days", "status")
    }


def kpi_board(
    kpis: list[Doc], measurements: list[dict[str, Any]], teams: dict[str, Doc]
) -> list[dict[str, Any]]:
    """Every KPI with its latest value, health under its current bands, and the first
    value seen, to show the trend."""
    by_kpi: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in measurements:
        by_kpi[row["kpi_id"]].append(row)
    board = []
    for kpi in sorted(kpis, key=lambda k: k["key"]):
        rows = by_kpi.get(kpi["id"], [])
        bands = Bands(kpi["direction"], Decimal(str(kpi["healthy"])), Decimal(str(kpi["warning"])))
        latest = rows[-1] if rows else None
        board.append({
            "id": kpi["id"], "key": kpi["key"], "name": kpi["name"], "unit": kpi.get("unit"),
            "team": teams.get(kpi["team_id"], {}).get("name"), "direction": kpi["direction"],
            "healthy": decimal_text(bands.healthy), "warning": decimal_text(bands.warning),
            "latest": decimal_text(latest["value"]) if latest else None,
            "measured_at": time_text(latest["effective_at"]) if latest else None,
            "health": bands.health(Decimal(latest["value"])) if latest else None,
            "first": decimal_text(rows[0]["value"]) if rows else None,
            "measurements": len(rows),
        })  # fmt: skip
    return board


def alignment_graph(snapshot: Snapshot) -> dict[str, Any]:
    """Objectives and key results as nodes; alignment, containment and strategy links as
    edges; orphans are objectives aligned to nothing and linked to no choice."""
    nodes, edges, orphans = [], [], []
    for objective in snapshot.in_cycle("objective"):
        nodes.append(
            {
                "id": objective["id"],
                "type": "objective",
                "label": objective["statement"],
                "team_id": objective["team_id"],
                "status": objective["status"],
            }
        )
        for parent_id, kind in objective["parents"].items():
            edges.append({"from": objective["id"], "to": parent_id, "kind": f"aligned_to_{kind}"})
        for choice_id in objective["choices"]:
            edges.append({"from": objective["id"], "to": choice_id, "kind": "serves_choice"})
        for kr_id in objective["key_result_ids"]:
            edges.append({"from": kr_id, "to": objective["id"], "kind": "measures"})
        if not objective["parents"] and not objective["choices"]:
            orphans.append(objective["id"])
    for kr in snapshot.in_cycle("key_result"):
        nodes.append(
            {
                "id": kr["id"],
                "type": "key_result",
                "label": kr["statement"],
                "team_id": kr["team_id"],
                "status": kr["status"],
            }
        )
    for strategy in snapshot.of_type("strategy"):
        for choice_id, choice in strategy["choices"].items():
            nodes.append(
                {
                    "id": choice_id,
                    "type": "strategic_choice",
                    "label": choice["statement"],
                    "status": "retired" if choice["retired"] else "live",
                }
            )
    return {
        "cycle": cycle_json(snapshot.cycle),
        "nodes": nodes,
        "edges": edges,
        "orphans": orphans,
    }
