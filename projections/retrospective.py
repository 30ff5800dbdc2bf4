"""The end-of-cycle review of one cycle: how every key result scored (under any scoring
policy), how steadily it was checked in on, how its targets moved and why, what was
dropped or reprioritised under which decisions, how committed and aspirational
objectives landed, and the causes named for misses.

Re-scoring is ``retrospective(..., policy=policy_from(request_args))``: nothing is
written, the same events are read under other rules.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from eventlog.record import Record
from eventlog.vocabulary import decimal_text, time_text
from ledger.key_result import CLASSIFICATIONS
from ledger.objective import MISS_CAUSES
from ledger.scoring import DEFAULT_POLICY, KeyResultScore, ScoringPolicy, weighted_mean
from projections.cells import spreadsheet_cell
from projections.diff import record_of
from projections.lineage import lineage
from projections.okrs import (
    DAY,
    band_of,
    cycle_json,
    ranks,
    reference_time,
    score_json,
    start_of,
)
from projections.reducers import Doc
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
            doc["id"]: snapshot.key_result(doc).score(policy) for doc in self.key_results
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


# -- rhythm ----------------------------------------------------------------------------

Period = tuple[int, int]
"""[start, end) in UTC microseconds."""


def cadence_periods(cycle: Doc, until: int) -> list[Period]:
    """The cadence periods from the cycle's first day up to the instant ``until``
    (inclusive); the last one is cut short at ``until``."""
    start, length, stop = start_of(cycle["starts_on"]), period_length(cycle), until + 1
    return [(lo, min(lo + length, stop)) for lo in range(start, stop, length)]


def period_length(cycle: Doc) -> int:
    return int(cycle["cadence_days"]) * DAY


def counted_periods(
    periods: list[Period], check_in_times: Iterable[int], length: int
) -> list[tuple[Period, bool]]:
    """The periods the habit is judged on, each with whether a check-in fell in it.

    Every full period counts; a period cut short (still running, or ended by the cycle's
    end or a drop) counts only if it has a check-in, so a check-in not yet due does not
    lower the share.
    """
    times = sorted(check_in_times)
    marked = [((lo, hi), any(lo <= t < hi for t in times)) for lo, hi in periods]
    return [(period, checked) for period, checked in marked if checked or _span(period) == length]


def _span(period: Period) -> int:
    return period[1] - period[0]


def rhythm(counted: list[tuple[Period, bool]]) -> dict[str, Any]:
    """How many cadence periods had at least one check-in, and what share that is."""
    checked = sum(1 for _, hit in counted if hit)
    return {
        "periods": len(counted),
        "periods_with_check_in": checked,
        "share": decimal_text(round(Decimal(checked) / len(counted), 3)) if counted else None,
    }


def confidence_trajectory(
    counted: list[tuple[Period, bool]], rows: list[dict[str, Any]]
) -> list[str | None]:
    """Per counted period, the confidence of the latest current check-in effective in
    it (``rows`` in effective-time order), or None."""
    trajectory = []
    for (lo, hi), _ in counted:
        inside = [r for r in rows if lo <= r["effective_at"] < hi]
        trajectory.append(inside[-1]["confidence"] if inside else None)
    return trajectory


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


# -- policy from query parameters --------------------------------------------------------

PAR_PARAMETERS = {f"par_{name}": name for name in CLASSIFICATIONS}
BAND_MODES = ("time_in_band", "last_value")
FLAGS = {"true": True, "1": True, "yes": True, "on": True,
         "false": False, "0": False, "no": False, "off": False}  # fmt: skip
MAX_GRACE_DAYS = 60


def policy_from(params: Mapping[str, str]) -> ScoringPolicy:
    """A scoring policy from query parameters; absent or empty ones keep the default.

    ``band_mode`` (time_in_band | last_value), ``par_committed``, ``par_stretch``,
    ``par_experimental`` (decimals in (0, 1]), ``use_overrides`` (true | false) and
    ``milestone_grace_days`` (0..60). Raises ``ValueError`` naming the bad parameter.
    """
    given = {
        name: str(params.get(name)).strip()
        for name in ("band_mode", "use_overrides", "milestone_grace_days", *PAR_PARAMETERS)
        if params.get(name) is not None and str(params.get(name)).strip()
    }
    return ScoringPolicy(
        band_mode=_band_mode(given.get("band_mode", DEFAULT_POLICY.band_mode)),
        par={
            classification: _par(name, given[name])
            for name, classification in PAR_PARAMETERS.items()
            if name in given
        },
        use_overrides=_flag("use_overrides", given.get("use_overrides", "true")),
        milestone_grace_days=_grace_days(given.get("milestone_grace_days", "0")),
    )


def _bad(name: str, value: str, wanted: str) -> ValueError:
    shown = value if len(value) <= 40 else value[:40] + "…"
    return ValueError(f"{name}: expected {wanted}, got {shown!r}")


def _band_mode(value: str) -> str:
    if value not in BAND_MODES:
        raise _bad("band_mode", value, " or ".join(BAND_MODES))
    return value


def _par(name: str, value: str) -> Decimal:
    try:
        par = Decimal(value)
    except InvalidOperation:
        raise _bad(name, value, "a decimal in (0, 1]") from None
    if not par.is_finite() or not Decimal(0) < par <= Decimal(1):
        raise _bad(name, value, "a decimal in (0, 1]")
    return par


def _flag(name: str, value: str) -> bool:
    try:
        return FLAGS[value.lower()]
    except KeyError:
        raise _bad(name, value, "true or false") from None


def _grace_days(value: str) -> int:
    wanted = f"a whole number of days from 0 to {MAX_GRACE_DAYS}"
    if not value.isascii() or not value.isdigit():
        raise _bad("milestone_grace_days", value, wanted)
    days = int(value)
    if days > MAX_GRACE_DAYS:
        raise _bad("milestone_grace_days", value, wanted)
    return days
