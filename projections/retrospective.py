"""The end-of-cycle review of one cycle: how every key result scored (under any scoring
policy), how steadily it was checked in on, how its targets moved and why, what was
dropped or reprioritised under which decisions, how committed and aspirational
objectives landed, and the causes named for misses.

Re-scoring is ``retrospective(..., policy=policy)``, the policy read from the query
string by the API (``web.scoring_query``): nothing is written, the same events are read
under other rules.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from eventlog.record import Record
from eventlog.vocabulary import decimal_text, time_text
from ledger.objective import MISS_CAUSES
from ledger.scoring import DEFAULT_POLICY, KeyResultScore, ScoringPolicy, weighted_mean
from projections.cells import spreadsheet_cell
from projections.diff import record_of
from projections.lineage import lineage
from projections.okrs import (
    band_of,
    cycle_json,
    ranks,
    reference_time,
    score_json,
)
from projections.reducers import Doc
from projections.rhythm import (
    cadence_periods,
    confidence_trajectory,
    counted_periods,
    period_length,
    rhythm,
)
from projections.snapshot import Snapshot
from projections.state import EFFECTIVE

LANDING_BARS = {"committed": Decimal(1), "aspirational": Decimal("0.7")}
"""The final score at which an objective of each commitment counts as landed."""
STOPS = {
    "Objective.Dropped": "objective",
    "KeyResult.Dropped": "key_result",
    "Initiative.Stopped": "initiative",
}
AIM_FIELDS = ("target", "band_low", "band_high", "deadline")

# -- the report ------------------------------------------------------------------------


def retrospective(
    snapshot: Snapshot,
    audit_rows: list[dict[str, Any]],
    *,
    policy: ScoringPolicy = DEFAULT_POLICY,
    now: int,
) -> dict[str, Any]:
    """The review of the snapshot's cycle (load it with full check-in history);
    ``audit_rows`` are every audit row of the cycle, in log order. Check-in rhythm is
    measured up to ``now`` (or the snapshot's instant), never past the cycle's end."""
    records = _visible(snapshot, [record_of(row) for row in audit_rows])
    context = _Context(snapshot, records, policy, reference_time(snapshot, now))
    key_results = [_key_result_entry(context, doc) for doc in context.key_results]
    objectives = [_objective_entry(context, doc) for doc in context.objectives]
    return {
        "cycle": cycle_json(snapshot.cycle),
        "policy": policy_json(policy),
        "reviewed_at": time_text(context.until),
        "key_results": key_results,
        "objectives": objectives,
        "commitments": commitments(objectives),
        "target_changes": [
            {"key_result_id": kr["id"], "statement": kr["statement"], **change}
            for kr in key_results
            for change in kr["target_changes"]
        ],
        "drops": [_drop_entry(snapshot, r) for r in records if r.event_type in STOPS],
        "reprioritisations": [
            _reprioritisation(snapshot, r)
            for r in records
            if r.event_type == "Priorities.Reprioritised"
        ],
        "decisions": _decisions(snapshot, records),
        "miss_causes": miss_causes(snapshot.in_cycle("objective")),
    }


class _Context:
    """What every entry of one report is built from."""

    def __init__(
        self, snapshot: Snapshot, records: list[Record], policy: ScoringPolicy, until: int
    ) -> None:
        self.snapshot = snapshot
        self.until = until
        self.objectives = _ordered_objectives(snapshot)
        self.key_results = _ordered_key_results(snapshot, self.objectives)
        self.scores: dict[str, KeyResultScore] = {
            doc["id"]: snapshot.score(doc, policy) for doc in self.key_results
        }
        self.check_in_times: dict[str, list[int]] = defaultdict(list)
        self.retargets: dict[str, list[Record]] = defaultdict(list)
        self.stops: dict[str, Record] = {}
        for r in records:
            if r.event_type == "KeyResult.CheckedIn":
                self.check_in_times[r.aggregate_id].append(r.effective_at)
            elif r.event_type == "KeyResult.Retargeted":
                self.retargets[r.aggregate_id].append(r)
            elif r.event_type in STOPS:
                self.stops[r.aggregate_id] = r


def _visible(snapshot: Snapshot, records: list[Record]) -> list[Record]:
    """The records the snapshot knew of (all of them for a snapshot of now)."""
    if snapshot.as_of is None:
        return records
    if snapshot.mode == EFFECTIVE:
        return [r for r in records if r.effective_at <= snapshot.as_of]
    return [r for r in records if r.recorded_at <= snapshot.as_of]


def _ordered_objectives(snapshot: Snapshot) -> list[Doc]:
    """By team name, then the team's priority order, then statement."""
    ranked = ranks(snapshot)
    return sorted(
        snapshot.in_cycle("objective"),
        key=lambda o: (
            team_ref(snapshot, o["team_id"])["name"] or "",
            ranked.get(o["id"], math.inf),
            o["statement"],
        ),
    )


def _ordered_key_results(snapshot: Snapshot, objectives: list[Doc]) -> list[Doc]:
    """Each objective's key results in the order they were added, then any others."""
    left = {d["id"]: d for d in snapshot.in_cycle("key_result")}
    ordered = []
    for objective in objectives:
        for kr_id in objective["key_result_ids"]:
            if kr_id in left:
                ordered.append(left.pop(kr_id))
    return ordered + sorted(left.values(), key=lambda d: d["statement"])


def team_ref(snapshot: Snapshot, team_id: str | None) -> dict[str, Any]:
    return {"id": team_id, "name": snapshot.docs.get(team_id or "", {}).get("name")}


# -- key results -----------------------------------------------------------------------


def _key_result_entry(context: _Context, doc: Doc) -> dict[str, Any]:
    snapshot = context.snapshot
    stop = context.stops.get(doc["id"])
    rows = sorted(
        snapshot.check_ins.get(doc["id"], []),
        key=lambda r: (r["effective_at"], r["recorded_at"]),
    )
    until = context.until if stop is None else min(context.until, stop.effective_at)
    periods = cadence_periods(snapshot.cycle, until)
    times = context.check_in_times.get(doc["id"], [])
    counted = counted_periods(periods, times, period_length(snapshot.cycle))
    return {
        "id": doc["id"],
        "statement": doc["statement"],
        "objective_id": doc["objective_id"],
        "team": team_ref(snapshot, doc["team_id"]),
        "kind": doc["kind"],
        "classification": doc["classification"],
        "weight": decimal_text(doc["weight"]),
        "status": doc["status"],
        "dropped": None if stop is None else _who_when_why(stop),
        "baseline": decimal_text(doc.get("baseline")),
        "target": decimal_text(doc.get("target")),
        "band": band_of(doc),
        "unit": doc.get("unit") or None,
        "deadline": doc.get("deadline"),
        "score": score_json(context.scores[doc["id"]]),
        "rhythm": rhythm(counted),
        "confidence_trajectory": confidence_trajectory(counted, rows),
        "series": [_point(row) for row in rows],
        "target_changes": [target_change(r) for r in context.retargets.get(doc["id"], [])],
        "chart": None,
        **lineage(doc, snapshot.cycle_keys),
    }


def _point(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "effective_at": time_text(row["effective_at"]),
        "recorded_at": time_text(row["recorded_at"]),
        "value": decimal_text(row["value"]),
        "confidence": row["confidence"],
    }


def _who_when_why(r: Record) -> dict[str, Any]:
    return {
        "when": time_text(r.recorded_at),
        "effective": time_text(r.effective_at),
        "who": r.actor,
        "why": r.reason,
        "decision_id": r.decision_id,
    }


def target_change(r: Record) -> dict[str, Any]:
    """One ``KeyResult.Retargeted`` event: what the aim was, what it became, and why."""
    return {
        **_who_when_why(r),
        "from": _aim(r.data, "previous_"),
        "to": _aim(r.data, ""),
        "eased": bool(r.data.get("easing")),
    }


def _aim(data: dict[str, Any], prefix: str) -> dict[str, Any]:
    aim: dict[str, Any] = {name: decimal_text(data.get(prefix + name)) for name in AIM_FIELDS[:3]}
    aim["deadline"] = data.get(prefix + "deadline")
    return aim


# -- objectives and commitments ----------------------------------------------------------


def _objective_entry(context: _Context, doc: Doc) -> dict[str, Any]:
    live = [
        context.scores[kr_id]
        for kr_id in doc["key_result_ids"]
        if kr_id in context.scores and context.snapshot.docs[kr_id]["status"] == "live"
    ]
    reflection = doc.get("reflection") or {}
    return {
        "id": doc["id"],
        "statement": doc["statement"],
        "team": team_ref(context.snapshot, doc["team_id"]),
        "commitment": doc["commitment"],
        "status": doc["status"],
        "score": decimal_text(weighted_mean(live)),
        "outcome": reflection.get("outcome"),
        "achieved": reflection.get("achieved"),
        "why": reflection.get("why"),
        "causes": list(reflection.get("causes", [])),
        "carry_forward": reflection.get("carry_forward"),
        **lineage(doc, context.snapshot.cycle_keys),
    }


def commitments(objectives: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For committed and aspirational objectives (dropped ones left out): how many were
    scored, their mean score, and how many landed at their bar."""
    summary = {}
    for commitment, bar in LANDING_BARS.items():
        scores = [
            Decimal(o["score"])
            for o in objectives
            if o["commitment"] == commitment
            and o["status"] != "dropped"
            and o["score"] is not None
        ]
        summary[commitment] = {
            "scored": len(scores),
            "mean": decimal_text(round(sum(scores) / len(scores), 3)) if scores else None,
            "landed": sum(1 for s in scores if s >= bar),
            "bar": decimal_text(bar),
        }
    return summary


def miss_causes(objectives: Iterable[Doc]) -> dict[str, int]:
    """How often each cause was named in reflections that were not a hit."""
    counts: Counter[str] = Counter()
    for objective in objectives:
        reflection = objective.get("reflection")
        if reflection and reflection["outcome"] != "hit":
            counts.update(reflection.get("causes", []))
    known = {cause: counts.pop(cause, 0) for cause in MISS_CAUSES}
    return {**known, **dict(sorted(counts.items()))}


# -- drops, reprioritisations, decisions -------------------------------------------------


def _drop_entry(snapshot: Snapshot, r: Record) -> dict[str, Any]:
    doc = snapshot.docs.get(r.aggregate_id, {})
    return {
        "type": STOPS[r.event_type],
        "id": r.aggregate_id,
        "statement": snapshot.name_of(r.aggregate_id),
        "team": team_ref(snapshot, doc.get("team_id")),
        **_who_when_why(r),
    }


def _reprioritisation(snapshot: Snapshot, r: Record) -> dict[str, Any]:
    doc = snapshot.docs.get(r.aggregate_id, {})

    def named(ids: list[str]) -> list[dict[str, Any]]:
        return [{"id": i, "statement": snapshot.name_of(i)} for i in ids]

    return {
        "team": team_ref(snapshot, doc.get("team_id")),
        **_who_when_why(r),
        "previous_order": named(r.data.get("previous_order", [])),
        "order": named(r.data.get("order", [])),
    }


def _decisions(snapshot: Snapshot, records: list[Record]) -> list[dict[str, Any]]:
    """The cycle's decisions, and any other decision one of its events acted under."""
    named = {r.decision_id for r in records if r.decision_id}
    chosen = [
        d
        for d in snapshot.of_type("decision")
        if d.get("cycle_id") == snapshot.cycle["id"] or d["id"] in named
    ]
    return [
        {
            "id": d["id"],
            "forum": d.get("forum"),
            "decision_type": d.get("decision_type"),
            "summary": d.get("summary"),
            "rationale": d.get("rationale"),
            "decided_by": list(d.get("decided_by", [])),
            "recorded_at": d.get("recorded_at"),
        }
        for d in sorted(chosen, key=lambda d: (d.get("recorded_at") or "", d["id"]))
    ]


def policy_json(policy: ScoringPolicy) -> dict[str, Any]:
    return {
        "band_mode": policy.band_mode,
        "par": {name: decimal_text(value) for name, value in policy.par.items()},
        "use_overrides": policy.use_overrides,
        "milestone_grace_days": policy.milestone_grace_days,
    }


# -- CSV -------------------------------------------------------------------------------

CSV_HEADER = (
    "cycle", "team", "objective", "key_result_id", "statement", "kind", "classification",
    "weight", "status", "baseline", "target", "unit", "computed", "override", "final",
    "rhythm_share", "periods", "periods_with_check_in", "latest_value", "latest_confidence",
    "target_changes", "eased",
)  # fmt: skip


def retrospective_csv(report: dict[str, Any]) -> str:
    """One row per key result of the report, after a header row."""
    objectives = {o["id"]: o["statement"] for o in report["objectives"]}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for kr in report["key_results"]:
        writer.writerow([spreadsheet_cell(v) for v in _csv_row(report, kr, objectives)])
    return out.getvalue()


def _csv_row(report: dict[str, Any], kr: dict[str, Any], objectives: dict[str, str]) -> list[Any]:
    latest = kr["series"][-1] if kr["series"] else {}
    return [
        report["cycle"]["key"], kr["team"]["name"], objectives.get(kr["objective_id"]),
        kr["id"], kr["statement"], kr["kind"], kr["classification"], kr["weight"],
        kr["status"], kr["baseline"], kr["target"], kr["unit"], kr["score"]["computed"],
        kr["score"]["override"], kr["score"]["final"], kr["rhythm"]["share"],
        kr["rhythm"]["periods"], kr["rhythm"]["periods_with_check_in"], latest.get("value"),
        latest.get("confidence"), len(kr["target_changes"]),
        sum(1 for change in kr["target_changes"] if change["eased"]),
    ]  # fmt: skip
