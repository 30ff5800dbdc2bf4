"""The end-of-cycle review: scores under any policy, check-in rhythm, target changes,
drops, reprioritisations, commitments, miss causes, the CSV and the policy parameters.

Each test tells a small cycle as audit rows; the documents and check-ins the review
reads are folded from those rows by the read side's own reducers.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest

from ledger.key_result import Target, is_easing
from ledger.scoring import DEFAULT_POLICY, ScoringPolicy
from okr_ledger.bootstrap import Services
from projections.diff import record_of
from projections.facts import day, number
from projections.okrs import DAY, end_of, start_of
from projections.reducers import MEASUREMENTS, Doc, reduce
from projections.retrospective import CSV_HEADER, retrospective, retrospective_csv
from projections.snapshot import Snapshot
from web.scoring_query import policy_from

START, END = start_of("2026-07-01"), end_of("2026-09-30")


def on(day_number: float, hours: float = 9) -> int:
    """A moment ``day_number`` days into the cycle (day 0 is 1 July), at ``hours``."""
    return START + int(day_number * DAY) + int(hours * 3_600_000_000)


def ident(name: str) -> str:
    return str(uuid5(NAMESPACE_URL, name))


class Story:
    """A cycle told event by event, as the audit rows the review is given."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.versions: Counter[str] = Counter()
        self.names = (f"id-{n}" for n in range(10_000))
        self.cycle_id, self.team_id = ident("cycle"), ident("team")
        self.emit("Team.Formed", self.team_id, on(-9), key="contact", name="Contact Centre",
                  level="team", parent_id=None)  # fmt: skip
        self.emit("Cycle.Opened", self.cycle_id, on(-8), key="2026-Q3", name="Q3 2026",
                  starts_on="2026-07-01", ends_on="2026-09-30", cadence_days=7)  # fmt: skip
        self.emit("Cycle.Started", self.cycle_id, on(0, 8))

    def new_id(self) -> str:
        return ident(next(self.names))

    def emit(
        self,
        event_type: str,
        aggregate_id: str,
        at: int,
        *,
        effective: int | None = None,
        actor: str = "tess.tester",
        reason: str | None = None,
        decision_id: str | None = None,
        **data: Any,
    ) -> None:
        self.versions[aggregate_id] += 1
        kind = event_type.partition(".")[0]
        self.rows.append({
            "position": len(self.rows) + 1, "aggregate_id": aggregate_id,
            "aggregate_type": kind, "event_type": event_type,
            "version": self.versions[aggregate_id], "recorded_at": at,
            "effective_at": at if effective is None else effective, "actor": actor,
            "reason": reason, "decision_id": decision_id, "correlation_id": self.new_id(),
            "command_id": None, "cycle_id": None if kind == "Team" else self.cycle_id,
            "team_id": self.team_id, "data": json.dumps(data),
        })  # fmt: skip

    # -- acts --------------------------------------------------------------------------

    def objective(self, statement: str = "Residents get answers first time", *,
                  commitment: str = "committed") -> str:  # fmt: skip
        objective_id = self.new_id()
        self.emit("Objective.Drafted", objective_id, on(0, 10), team_id=self.team_id,
                  cycle_id=self.cycle_id, statement=statement, description="",
                  owner="olu.owner", commitment=commitment)  # fmt: skip
        return objective_id

    def key_result(
        self, objective_id: str, statement: str = "Raise resolution from 0 to 10", *,
        kind: str = "increase", classification: str = "committed", weight: str = "1",
        **aim: Any,
    ) -> str:  # fmt: skip
        kr_id = self.new_id()
        fields = {"baseline": "0", "target": "10", "band_low": None, "band_high": None,
                  "deadline": "2026-09-30", **aim}  # fmt: skip
        self.emit("KeyResult.Defined", kr_id, on(0, 11), objective_id=objective_id,
                  team_id=self.team_id, cycle_id=self.cycle_id, statement=statement,
                  kind=kind, unit="%", classification=classification, weight=weight,
                  owner="kim.owner", **fields)  # fmt: skip
        self.emit("Objective.KeyResultAdded", objective_id, on(0, 11), key_result_id=kr_id)
        return kr_id

    def check_in(self, kr_id: str, day_number: float, value: str, *,
                 confidence: str = "on_track") -> str:  # fmt: skip
        check_in_id = self.new_id()
        self.emit("KeyResult.CheckedIn", kr_id, on(day_number), check_in_id=check_in_id,
                  value=value, confidence=confidence, note="", blockers=[])  # fmt: skip
        return check_in_id

    def weekly(self, kr_id: str, values: list[str | None]) -> None:
        """A check-in on day 2 of each week, skipping the weeks given as None."""
        for week, value in enumerate(values):
            if value is not None:
                self.check_in(kr_id, 7 * week + 2, value)

    def correct(self, kr_id: str, original: str, value: str, *, day_number: float) -> str:
        effective = next(
            r["effective_at"]
            for r in self.rows
            if json.loads(r["data"]).get("check_in_id") == original
        )
        check_in_id = self.new_id()
        self.emit("KeyResult.CheckInCorrected", kr_id, on(day_number), effective=effective,
                  reason="typed in hours", check_in_id=check_in_id, supersedes=original,
                  value=value, confidence="on_track", note="", blockers=[])  # fmt: skip
        return check_in_id

    def retarget(self, kr_id: str, day_number: float, *, reason: str,
                 decision_id: str | None = None, **changes: Any) -> None:  # fmt: skip
        doc = self.snapshot().docs[kr_id]
        old = {k: doc.get(k) for k in ("target", "band_low", "band_high", "deadline")}
        new = {**old, **changes}
        eased = is_easing(
            doc["kind"], target_of(doc["baseline"], old), target_of(doc["baseline"], new)
        )
        self.emit("KeyResult.Retargeted", kr_id, on(day_number), reason=reason,
                  decision_id=decision_id, easing=eased, **new,
                  **{f"previous_{k}": v for k, v in old.items()})  # fmt: skip

    def drop(self, aggregate_id: str, day_number: float, *, reason: str,
             decision_id: str | None = None) -> None:  # fmt: skip
        kind = self.snapshot().docs[aggregate_id]["type"]
        event_type = {"objective": "Objective.Dropped", "key_result": "KeyResult.Dropped",
                      "initiative": "Initiative.Stopped"}[kind]  # fmt: skip
        self.emit(event_type, aggregate_id, on(day_number), actor="dee.director",
                  reason=reason, decision_id=decision_id)  # fmt: skip

    def initiative(self, title: str) -> str:
        initiative_id = self.new_id()
        self.emit("Initiative.Proposed", initiative_id, on(0, 12), team_id=self.team_id,
                  cycle_id=self.cycle_id, title=title, description="",
                  owner="ian.owner")  # fmt: skip
        return initiative_id

    def decision(self, summary: str, day_number: float, *, decision_type: str = "other") -> str:
        decision_id = self.new_id()
        self.emit("Decision.Recorded", decision_id, on(day_number), cycle_id=self.cycle_id,
                  forum="Quarterly review", decided_by=["Helen Marsh", "Tom Reid"],
                  decision_type=decision_type, summary=summary, rationale="Because.",
                  affects=[], strategy_id=None, choice_ids=[])  # fmt: skip
        return decision_id

    def priorities(self, order: list[str]) -> str:
        priorities_id = self.new_id()
        self.emit("Priorities.Established", priorities_id, on(0, 13), team_id=self.team_id,
                  cycle_id=self.cycle_id)  # fmt: skip
        for objective_id in order:
            self.emit("Priorities.ObjectiveEntered", priorities_id, on(0, 13),
                      objective_id=objective_id)  # fmt: skip
        return priorities_id

    def reprioritise(self, priorities_id: str, order: list[str], day_number: float, *,
                     reason: str, decision_id: str) -> None:  # fmt: skip
        previous = self.snapshot().docs[priorities_id]["order"]
        self.emit("Priorities.Reprioritised", priorities_id, on(day_number), reason=reason,
                  decision_id=decision_id, order=order, previous_order=previous)  # fmt: skip

    def override(self, kr_id: str, score: str) -> None:
        self.emit("KeyResult.ScoreOverridden", kr_id, on(93), reason="ran late", score=score)

    def reflect(self, objective_id: str, outcome: str, causes: tuple[str, ...] = ()) -> None:
        self.emit("Objective.Reflected", objective_id, on(94), outcome=outcome,
                  achieved="Some of it.", why="Reasons.", causes=list(causes),
                  carry_forward="")  # fmt: skip

    # -- reading -----------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The documents and current check-ins the rows add up to."""
        docs: dict[str, Doc] = {}
        check_ins: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self.rows:
            r = record_of(row)
            if r.event_type in MEASUREMENTS:
                rows = check_ins[r.aggregate_id]
                rows[:] = [c for c in rows if c["check_in_id"] != r.data.get("supersedes")]
                rows.append({**r.data, "kr_id": r.aggregate_id, "effective_at": r.effective_at,
                             "recorded_at": r.recorded_at, "actor": r.actor,
                             "supersedes": r.data.get("supersedes")})  # fmt: skip
                continue
            doc = reduce(docs.get(r.aggregate_id), r)
            if doc is not None:
                docs[r.aggregate_id] = doc
        return Snapshot(docs[self.cycle_id], docs, dict(check_ins))

    def report(self, policy: ScoringPolicy = DEFAULT_POLICY, now: int = END) -> dict[str, Any]:
        return retrospective(self.snapshot(), self.rows, policy=policy, now=now)


def target_of(baseline: str | None, aim: dict[str, Any]) -> Target:
    return Target(
        number(baseline), number(aim["target"]), number(aim["band_low"]),
        number(aim["band_high"]), day(aim["deadline"]),
    )  # fmt: skip


def entry(report: dict[str, Any], kr_id: str) -> dict[str, Any]:
    return next(kr for kr in report["key_results"] if kr["id"] == kr_id)


def objective_entry(report: dict[str, Any], objective_id: str) -> dict[str, Any]:
    return next(o for o in report["objectives"] if o["id"] == objective_id)


WEEKS = 13
"""Full weeks in the cycle (1 July to 30 September; 30 September starts a 14th)."""

# -- scores ------------------------------------------------------------------------------


def late_milestone(story: Story) -> str:
    """A milestone due on 15 September, reached on the 17th."""
    kr = story.key_result(story.objective(), kind="milestone", baseline=None, target=None,
                          deadline="2026-09-15")  # fmt: skip
    story.check_in(kr, 78, "1")
    return kr


def test_a_key_result_is_scored_under_the_default_policy() -> None:
    story = Story()
    kr = story.key_result(story.objective())
    story.check_in(kr, 10, "5")

    score = entry(story.report(), kr)["score"]
    assert score == {"computed": "0.5", "override": None, "final": "0.5"}


def test_a_par_of_0_7_for_stretch_lifts_a_stretch_result_to_full_marks() -> None:
    story = Story()
    kr = story.key_result(story.objective(), classification="stretch")
    story.check_in(kr, 80, "7")

    default = story.report()
    rescored = story.report(policy_from({"par_stretch": "0.7"}))

    assert entry(default, kr)["score"]["final"] == "0.7"
    assert entry(rescored, kr)["score"]["final"] == "1"
    assert rescored["policy"]["par"] == {"stretch": "0.7"}


def test_an_override_is_the_final_score_unless_the_policy_ignores_overrides() -> None:
    story = Story()
    kr = late_milestone(story)
    story.override(kr, "0.5")

    honoured = entry(story.report(), kr)["score"]
    ignored = entry(story.report(policy_from({"use_overrides": "false"})), kr)["score"]

    assert honoured == {"computed": "0", "override": "0.5", "final": "0.5"}
    assert ignored == {"computed": "0", "override": None, "final": "0"}


def test_a_grace_period_lets_a_late_milestone_score() -> None:
    story = Story()
    kr = late_milestone(story)

    policy = policy_from({"milestone_grace_days": "2"})

    assert entry(story.report(), kr)["score"]["computed"] == "0"
    assert entry(story.report(policy), kr)["score"]["computed"] == "1"


def test_a_band_scores_its_time_in_band_or_with_last_value_where_the_band_ended() -> None:
    story = Story()
    kr = story.key_result(story.objective(), kind="band", baseline=None, target=None,
                          band_low="2", band_high="5")  # fmt: skip
    story.weekly(kr, ["9", "9", "9", "4"])  # days 2, 9, 16 out of band; 23 in it
    in_band = (92 - 23) * 24 - 9  # hours from day 23 at 09:00 to the end (day 92 at 0:00)
    held = (92 - 2) * 24 - 9  # hours from the first check-in to the end

    computed = entry(story.report(), kr)["score"]["computed"]
    assert computed == str((Decimal(in_band) / Decimal(held)).quantize(Decimal("0.001")))
    assert (
        entry(story.report(policy_from({"band_mode": "last_value"})), kr)["score"]["computed"]
        == "1"
    )


def test_an_objective_scores_the_weighted_mean_of_its_live_key_results_only() -> None:
    story = Story()
    objective = story.objective()
    heavy = story.key_result(objective, weight="3")
    light = story.key_result(objective)
    dropped = story.key_result(objective)
    story.check_in(heavy, 10, "10")
    story.check_in(light, 10, "2")
    story.check_in(dropped, 10, "0")
    story.drop(dropped, 20, reason="no longer ours")

    # (1.0 * 3 + 0.2 * 1) / 4
    assert objective_entry(story.report(), objective)["score"] == "0.8"


# -- rhythm ------------------------------------------------------------------------------


def test_checking_in_every_week_keeps_a_full_rhythm() -> None:
    story = Story()
    kr = story.key_result(story.objective())
    story.weekly(kr, [str(n) for n in range(WEEKS)])

    rhythm = entry(story.report(), kr)["rhythm"]

    assert rhythm == {"periods": WEEKS, "periods_with_check_in": WEEKS, "share": "1"}


def test_a_missed_week_lowers_the_share_and_leaves_a_gap_in_the_confidence() -> None:
    story = Story()
    kr = story.key_result(story.objective())
    story.weekly(kr, ["1", "2", None, *(str(n) for n in range(3, WEEKS))])

    found = entry(story.report(), kr)

    assert found["rhythm"] == {"periods": WEEKS, "periods_with_check_in": 12, "share": "0.923"}
    assert found["confidence_trajectory"][:4] == ["on_track", "on_track", None, "on_track"]


def test_the_trajectory_shows_the_latest_confidence_of_each_week() -> None:
    story = Story()
    kr = story.key_result(story.objective())
    story.check_in(kr, 1, "1", confidence="on_track")
    story.check_in(kr, 3, "1", confidence="off_track")
    story.check_in(kr, 9, "2", confidence="at_risk")

    trajectory = entry(story.report(now=on(13)), kr)["confidence_trajectory"]

    assert trajectory == ["off_track", "at_risk"]


def test_a_corrected_check_in_counts_once_and_shows_its_corrected_value() -> None:
    story = Story()
    kr = story.key_result(story.objective())
    original = story.check_in(kr, 2, "300")
    story.correct(kr, original, "5", day_number=16)

    found = entry(story.report(), kr)

    assert found["rhythm"]["periods_with_check_in"] == 1
    assert [p["value"] for p in found["series"]] == ["5"]
    assert found["series"][0]["effective_at"] == "2026-07-03T09:00:00.000000Z"
    assert found["series"][0]["recorded_at"] == "2026-07-17T09:00:00.000000Z"


def test_a_week_still_running_counts_only_once_it_has_a_check_in() -> None:
    story = Story()
    kr = story.key_result(story.objective())
    story.weekly(kr, ["1", "2"])
    now = on(17)  # in the third week

    before = entry(story.report(now=now), kr)["rhythm"]
    story.check_in(kr, 16, "3")
    after = entry(story.report(now=now), kr)["rhythm"]

    assert before == {"periods": 2, "periods_with_check_in": 2, "share": "1"}
    assert after == {"periods": 3, "periods_with_check_in": 3, "share": "1"}


def test_a_cycle_not_started_yet_has_no_rhythm() -> None:
    story = Story()
    kr = story.key_result(story.objective())

    assert entry(story.report(now=on(-3)), kr)["rhythm"] == {
        "periods": 0, "periods_with_check_in": 0, "share": None,
    }  # fmt: skip


def test_a_dropped_key_result_is_marked_and_judged_only_until_it_was_dropped() -> None:
    story = Story()
    kr = story.key_result(story.objective())
    story.weekly(kr, ["1", "2", "3"])
    decision = story.decision("Drop the bookings measure", 21)
    story.drop(kr, 21, reason="the contractor takes bookings over", decision_id=decision)

    found = entry(story.report(), kr)

    assert found["status"] == "dropped"
    assert found["dropped"]["why"] == "the contractor takes bookings over"
    assert found["dropped"]["decision_id"] == decision
    assert found["rhythm"] == {"periods": 3, "periods_with_check_in": 3, "share": "1"}


# -- target changes, drops, reprioritisations ------------------------------------------------


def test_target_changes_show_what_moved_who_moved_it_why_and_whether_it_eased() -> None:
    story = Story()
    objective = story.objective()
    days = story.key_result(objective, "Cut repair days from 24 to 15", kind="decrease",
                            baseline="24", target="15")  # fmt: skip
    online = story.key_result(objective, "Raise online bookings from 12% to 30%",
                              baseline="12", target="30")  # fmt: skip
    decision = story.decision("Ease repairs; raise bookings", 40, decision_type="retarget")
    story.retarget(days, 42, target="18", reason="short of plumbers", decision_id=decision)
    story.retarget(online, 42, target="35", reason="ahead of plan", decision_id=decision)

    report = story.report()
    eased = entry(report, days)["target_changes"]

    assert eased == [{
        "when": "2026-08-12T09:00:00.000000Z", "effective": "2026-08-12T09:00:00.000000Z",
        "who": "tess.tester", "why": "short of plumbers", "decision_id": decision,
        "from": {"target": "15", "band_low": None, "band_high": None, "deadline": "2026-09-30"},
        "to": {"target": "18", "band_low": None, "band_high": None, "deadline": "2026-09-30"},
        "eased": True,
    }]  # fmt: skip
    assert entry(report, days)["target"] == "18"
    assert [(c["statement"], c["eased"]) for c in report["target_changes"]] == [
        ("Cut repair days from 24 to 15", True),
        ("Raise online bookings from 12% to 30%", False),
    ]


def test_a_later_deadline_counts_as_easing() -> None:
    story = Story()
    kr = story.key_result(story.objective(), kind="milestone", baseline=None, target=None,
                          deadline="2026-08-31")  # fmt: skip
    story.retarget(kr, 50, deadline="2026-09-15", reason="venue fell through")

    change = entry(story.report(), kr)["target_changes"][0]

    assert change["from"]["deadline"] == "2026-08-31"
    assert change["to"]["deadline"] == "2026-09-15"
    assert change["eased"] is True


def test_drops_list_objectives_key_results_and_initiatives_with_their_reasons() -> None:
    story = Story()
    objective = story.objective("Launch a new website")
    kr = story.key_result(objective, "Cut pages from 4,200 to 1,500")
    app = story.initiative("Bespoke repairs app")
    decision = story.decision("Stop the app; drop the website objective", 40)
    story.drop(app, 41, reason="a web page will do", decision_id=decision)
    story.drop(objective, 42, reason="an output, not an outcome", decision_id=decision)
    story.drop(kr, 42, reason="an output, not an outcome", decision_id=decision)

    drops = story.report()["drops"]

    assert [(d["type"], d["statement"], d["why"]) for d in drops] == [
        ("initiative", "Bespoke repairs app", "a web page will do"),
        ("objective", "Launch a new website", "an output, not an outcome"),
        ("key_result", "Cut pages from 4,200 to 1,500", "an output, not an outcome"),
    ]
    assert {d["who"] for d in drops} == {"dee.director"}
    assert {d["decision_id"] for d in drops} == {decision}
    assert drops[0]["when"] == "2026-08-11T09:00:00.000000Z"
    assert drops[0]["team"]["name"] == "Contact Centre"


def test_a_reprioritisation_shows_both_orders_and_the_decision_behind_it() -> None:
    story = Story()
    website = story.objective("Launch a new website")
    self_service = story.objective("Move transactions to self-service")
    priorities = story.priorities([website, self_service])
    decision = story.decision("Self-service first", 40, decision_type="reprioritise")
    story.reprioritise(priorities, [self_service, website], 41, reason="frees phone time",
                       decision_id=decision)  # fmt: skip

    report = story.report()
    (moved,) = report["reprioritisations"]

    assert moved["team"] == {"id": story.team_id, "name": "Contact Centre"}
    assert moved["why"] == "frees phone time"
    assert moved["decision_id"] == decision
    assert [o["statement"] for o in moved["previous_order"]] == [
        "Launch a new website", "Move transactions to self-service",
    ]  # fmt: skip
    assert [o["statement"] for o in moved["order"]] == [
        "Move transactions to self-service", "Launch a new website",
    ]  # fmt: skip
    assert report["decisions"] == [{
        "id": decision, "forum": "Quarterly review", "decision_type": "reprioritise",
        "summary": "Self-service first", "rationale": "Because.",
        "decided_by": ["Helen Marsh", "Tom Reid"], "recorded_at": "2026-08-10T09:00:00.000000Z",
    }]  # fmt: skip


def test_objectives_follow_the_teams_priority_order() -> None:
    story = Story()
    second = story.objective("B comes second")
    first = story.objective("A comes first")
    story.priorities([first, second])

    assert [o["id"] for o in story.report()["objectives"]] == [first, second]


# -- commitments and reflections -----------------------------------------------------------


def scored_objective(story: Story, commitment: str, value: str) -> str:
    objective = story.objective(f"{commitment} at {value}", commitment=commitment)
    story.check_in(story.key_result(objective), 10, value)
    return objective


def test_commitments_count_how_many_objectives_landed_at_their_bar() -> None:
    story = Story()
    scored_objective(story, "committed", "10")
    scored_objective(story, "committed", "9")
    scored_objective(story, "aspirational", "7")
    scored_objective(story, "aspirational", "5")
    story.drop(scored_objective(story, "committed", "10"), 30, reason="moved on")
    story.objective("Nothing to score yet")

    summary = story.report()["commitments"]

    assert summary == {
        "committed": {"scored": 2, "mean": "0.95", "landed": 1, "bar": "1"},
        "aspirational": {"scored": 2, "mean": "0.6", "landed": 1, "bar": "0.7"},
    }


def test_reflections_are_shown_and_miss_causes_counted_over_the_misses() -> None:
    story = Story()
    missed = story.objective("Missed")
    partly = story.objective("Partly")
    hit = story.objective("Hit")
    story.reflect(missed, "missed", ("execution", "wrong_metric"))
    story.reflect(partly, "partially_hit", ("execution",))
    story.reflect(hit, "hit")

    report = story.report()

    assert report["miss_causes"] == {
        "execution": 2, "hypothesis": 0, "initiative_set": 0, "authority": 0,
        "wrong_metric": 1, "external_change": 0,
    }  # fmt: skip
    shown = objective_entry(report, missed)
    assert (shown["status"], shown["outcome"], shown["causes"]) == (
        "closed", "missed", ["execution", "wrong_metric"],
    )  # fmt: skip
    assert objective_entry(report, hit)["why"] == "Reasons."


# -- the report as data -------------------------------------------------------------------


def test_the_report_is_plain_json() -> None:
    story = Story()
    kr = story.key_result(story.objective())
    story.weekly(kr, ["1", "2"])
    story.retarget(kr, 20, target="12", reason="more demand")

    report = story.report()

    assert json.loads(json.dumps(report)) == report
    assert set(report) == {
        "cycle", "policy", "reviewed_at", "key_results", "objectives", "commitments",
        "target_changes", "drops", "reprioritisations", "decisions", "miss_causes",
    }  # fmt: skip
    assert report["cycle"]["key"] == "2026-Q3"
    assert entry(report, kr)["chart"] is None


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_a_header_and_one_row_per_key_result() -> None:
    story = Story()
    objective = story.objective("Answer first time")
    metric = story.key_result(objective, "Raise resolution from 0 to 10")
    band = story.key_result(objective, "Keep answer times in band", kind="band",
                            baseline=None, target=None, band_low="2", band_high="5")  # fmt: skip
    story.weekly(metric, ["4", None, "6"])
    story.retarget(metric, 20, target="8", reason="demand fell")

    header, *rows = read_csv(retrospective_csv(story.report(now=on(21))))
    by_id = {row[3]: dict(zip(header, row, strict=True)) for row in rows}

    assert tuple(header) == CSV_HEADER
    assert len(rows) == 2
    assert by_id[metric] == {
        "cycle": "2026-Q3", "team": "Contact Centre", "objective": "Answer first time",
        "key_result_id": metric, "statement": "Raise resolution from 0 to 10",
        "kind": "increase", "classification": "committed", "weight": "1", "status": "live",
        "baseline": "0", "target": "8", "unit": "%", "computed": "0.75", "override": "",
        "final": "0.75", "rhythm_share": "0.667", "periods": "3", "periods_with_check_in": "2",
        "latest_value": "6", "latest_confidence": "on_track", "target_changes": "1",
        "eased": "1",
    }  # fmt: skip
    assert (by_id[band]["baseline"], by_id[band]["target"], by_id[band]["latest_value"]) == (
        "", "", "",
    )  # fmt: skip


def test_csv_text_a_spreadsheet_would_run_as_a_formula_is_quoted() -> None:
    story = Story()
    story.key_result(story.objective('=HYPERLINK("http://x")'), "+1 resolution")

    _, row = read_csv(retrospective_csv(story.report()))

    assert row[2] == '\'=HYPERLINK("http://x")'
    assert row[4] == "'+1 resolution"


# -- policy from query parameters -------------------------------------------------------------


def test_policy_from_reads_every_parameter_and_defaults_the_rest() -> None:
    policy = policy_from({
        "band_mode": "last_value", "par_committed": "1", "par_stretch": "0.7",
        "par_experimental": "0.5", "use_overrides": "False", "milestone_grace_days": "7",
        "format": "csv",
    })  # fmt: skip

    assert policy.band_mode == "last_value"
    assert {k: str(v) for k, v in policy.par.items()} == {
        "committed": "1", "stretch": "0.7", "experimental": "0.5",
    }  # fmt: skip
    assert policy.use_overrides is False
    assert policy.milestone_grace_days == 7
    assert policy_from({}) == DEFAULT_POLICY
    assert policy_from({"band_mode": "", "par_stretch": " "}) == DEFAULT_POLICY


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("band_mode", "median"),
        ("par_committed", "0"),
        ("par_stretch", "1.5"),
        ("par_stretch", "seventy"),
        ("par_experimental", "NaN"),
        ("par_experimental", "-0.5"),
        ("use_overrides", "maybe"),
        ("milestone_grace_days", "61"),
        ("milestone_grace_days", "-1"),
        ("milestone_grace_days", "2.5"),
    ],
)
def test_policy_from_rejects_a_bad_value_naming_the_parameter(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"^{name}: "):
        policy_from({name: value})


# -- the demo cycle ---------------------------------------------------------------------------


def test_the_demo_cycle_is_reviewed_from_the_memory_store(demo_services: Services) -> None:
    rm = demo_services.read_models
    with rm.reading() as cursor:
        snapshot = rm.snapshot(cursor, "2026-Q3", full_history=True)
    assert snapshot is not None
    rows = rm.audit_rows({"cycle": "2026-Q3"}, limit=None)

    report = retrospective(snapshot, rows, now=END + 30 * DAY)
    rescored = retrospective(snapshot, rows, now=END, policy=policy_from({"use_overrides": "0"}))

    assert len(report["key_results"]) == len(snapshot.in_cycle("key_result")) == 18
    dropped = [kr for kr in report["key_results"] if kr["status"] == "dropped"]
    assert len(dropped) == 1
    assert dropped[0]["dropped"]["why"]
    assert sorted(c["eased"] for c in report["target_changes"]) == [False, True]
    assert {d["type"] for d in report["drops"]} == {"key_result", "initiative"}
    (moved,) = report["reprioritisations"]
    assert moved["decision_id"] in {d["id"] for d in report["decisions"]}
    assert sum(report["miss_causes"].values()) > 0
    overridden = [kr for kr in report["key_results"] if kr["score"]["override"] is not None]
    assert [entry(rescored, kr["id"])["score"]["final"] for kr in overridden] == [
        kr["score"]["computed"] for kr in overridden
    ]
    assert all(kr["rhythm"]["share"] == "1" for kr in report["key_results"])
    assert json.loads(json.dumps(report)) == report
    assert len(read_csv(retrospective_csv(report))) == 1 + 18
