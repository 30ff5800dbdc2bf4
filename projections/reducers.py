"""How each event changes the read-side document of its aggregate.

A document is a plain dict: what the read models show of a strategy, team, cycle,
objective, key result, initiative, dependency, KPI, decision or team priorities; its
``type`` names which, its ``id`` the aggregate. Its values are in the API's vocabulary
(decimals and times as canonical text, ``eventlog.vocabulary``). These
reducers are the read side's own reading of the events (it does not reuse the
aggregates): check-ins and KPI measurements are kept in their own tables instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventlog.record import Record
from eventlog.vocabulary import time_text
from ledger.cycle import Cycle
from ledger.decision import Decision
from ledger.dependency import Dependency
from ledger.initiative import Initiative
from ledger.key_result import KeyResult
from ledger.kpi import Kpi
from ledger.objective import Objective
from ledger.priorities import Priorities
from ledger.strategy import Strategy
from ledger.team import Team

Doc = dict[str, Any]
Reducer = Callable[[Doc, Record], None]
REDUCERS: dict[str, Reducer] = {}
"""by the qualified name of the event class (``Record.event_type``)"""

AGGREGATES: dict[type, str] = {
    Strategy: "strategy",
    Team: "team",
    Cycle: "cycle",
    Objective: "objective",
    KeyResult: "key_result",
    Initiative: "initiative",
    Dependency: "dependency",
    Kpi: "kpi",
    Decision: "decision",
    Priorities: "priorities",
}
"""the aggregates that have a document, and its ``type``"""
KINDS = {cls.__name__: kind for cls, kind in AGGREGATES.items()}
"""the same, by aggregate type (``Record.aggregate_type``)"""


def event_type(event: type) -> str:
    """How records name an event class: ``Aggregate.Event``."""
    return event.__qualname__


def on(*events: type) -> Callable[[Reducer], Reducer]:
    """Register a reducer for these event classes (a misspelt one fails at import)."""

    def register(func: Reducer) -> Reducer:
        for event in events:
            if event.__qualname__.partition(".")[0] not in KINDS:
                raise TypeError(f"{event.__qualname__} is not an event of a document")
            REDUCERS[event_type(event)] = func
        return func

    return register


def fresh(value: Any) -> Any:
    """A copy of an event's value that shares no list or dict with it (documents are
    changed in place, events never); JSON values only, so far cheaper than deepcopy."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) not in CONTAINERS else fresh(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) not in CONTAINERS else fresh(v) for v in value]
    return value


CONTAINERS = (dict, list)


def copy_fields(*names: str) -> Reducer:
    def reduce(doc: Doc, r: Record) -> None:
        for name in names:
            doc[name] = fresh(r.data[name])  # documents never share the event's lists

    return reduce


def set_status(status: str) -> Reducer:
    def reduce(doc: Doc, r: Record) -> None:
        doc["status"] = status

    return reduce


def create(doc: Doc, r: Record) -> None:
    """Any creation event: its fields become the document."""
    doc.update(fresh(r.data))


# -- strategy, teams, cycles -----------------------------------------------------------

on(Strategy.Formulated)(lambda doc, r: (create(doc, r), doc.update(choices={})))
on(Strategy.VisionRestated)(copy_fields("vision"))
on(Strategy.MissionRestated)(copy_fields("mission"))


@on(Strategy.ChoiceAdded)
def _choice_added(doc: Doc, r: Record) -> None:
    doc["choices"][r.data["choice_id"]] = {
        "kind": r.data["kind"], "statement": r.data["statement"], "retired": False,
    }  # fmt: skip


@on(Strategy.ChoiceRevised)
def _choice_revised(doc: Doc, r: Record) -> None:
    doc["choices"][r.data["choice_id"]]["statement"] = r.data["statement"]


@on(Strategy.ChoiceRetired)
def _choice_retired(doc: Doc, r: Record) -> None:
    doc["choices"][r.data["choice_id"]]["retired"] = True


on(Team.Formed)(create)
on(Team.Renamed)(copy_fields("name"))
on(Team.Moved)(copy_fields("parent_id"))

on(Cycle.Opened)(lambda doc, r: (create(doc, r), doc.update(status="planning")))
on(Cycle.Started)(set_status("active"))
on(Cycle.ReviewBegun, Cycle.Reopened)(set_status("review"))
on(Cycle.Closed)(set_status("closed"))

# -- objectives ------------------------------------------------------------------------


def lineage(doc: Doc, r: Record) -> None:
    """Where a carried objective or key result came from (events written before
    carry-forward existed name nothing), and where it went: none yet."""
    doc.setdefault("carried_from", None)
    doc.setdefault("carried_from_cycle_id", None)
    doc["carried_to"] = []


@on(Objective.Drafted)
def _drafted(doc: Doc, r: Record) -> None:
    create(doc, r)
    doc.update(status="live", choices={}, parents={}, key_result_ids=[], reflection=None)
    doc.setdefault("carry_forward", "")
    lineage(doc, r)


@on(Objective.CarriedForward, KeyResult.CarriedForward)
def _carried_forward(doc: Doc, r: Record) -> None:
    new_id = r.data["key_result_id" if r.aggregate_type == "KeyResult" else "objective_id"]
    doc["carried_to"].append({"id": new_id, "cycle_id": r.data["cycle_id"]})


on(Objective.Reworded)(copy_fields("statement", "description"))
on(Objective.OwnerChanged, KeyResult.OwnerChanged)(copy_fields("owner"))


def put(mapping: str, key: str, value: str) -> Reducer:
    """Set ``doc[mapping][data[key]] = data[value]``."""

    def reduce(doc: Doc, r: Record) -> None:
        doc[mapping][r.data[key]] = r.data[value]

    return reduce


def remove(mapping: str, key: str) -> Reducer:
    """Remove ``data[key]`` from the list or dict ``doc[mapping]``."""

    def reduce(doc: Doc, r: Record) -> None:
        container = doc[mapping]
        if isinstance(container, dict):
            container.pop(r.data[key], None)
        elif r.data[key] in container:
            container.remove(r.data[key])

    return reduce


def append(mapping: str, key: str) -> Reducer:
    def reduce(doc: Doc, r: Record) -> None:
        doc[mapping].append(r.data[key])

    return reduce


on(Objective.KeyResultAdded)(append("key_result_ids", "key_result_id"))
on(Objective.LinkedToChoice)(put("choices", "choice_id", "strategy_id"))
on(Objective.UnlinkedFromChoice)(remove("choices", "choice_id"))
on(Objective.Aligned)(put("parents", "parent_id", "parent_kind"))
on(Objective.Unaligned)(remove("parents", "parent_id"))
on(Objective.Dropped, KeyResult.Dropped)(set_status("dropped"))


@on(Objective.Reflected)
def _reflected(doc: Doc, r: Record) -> None:
    doc["status"] = "closed"
    doc["reflection"] = fresh(r.data)


# -- key results -----------------------------------------------------------------------


@on(KeyResult.Defined)
def _defined(doc: Doc, r: Record) -> None:
    create(doc, r)
    doc.update(status="live", override=None)
    lineage(doc, r)


on(KeyResult.Reworded)(copy_fields("statement"))
on(KeyResult.Reweighted)(copy_fields("weight"))
on(KeyResult.Retargeted)(copy_fields("target", "band_low", "band_high", "deadline"))


@on(KeyResult.ScoreOverridden)
def _overridden(doc: Doc, r: Record) -> None:
    doc["override"] = {
        "score": r.data["score"], "reason": r.reason or "", "actor": r.actor,
        "recorded_at": time_text(r.recorded_at),
    }  # fmt: skip


# -- initiatives -----------------------------------------------------------------------


@on(Initiative.Proposed)
def _proposed(doc: Doc, r: Record) -> None:
    create(doc, r)
    doc.update(status="proposed", health=None, key_result_ids=[], priority=None, allocation=None)


on(Initiative.LinkedToKeyResult)(append("key_result_ids", "key_result_id"))
on(Initiative.UnlinkedFromKeyResult)(remove("key_result_ids", "key_result_id"))
on(Initiative.Started)(lambda doc, r: doc.update(status="active", health="on_track"))
on(Initiative.StatusChanged)(copy_fields("health"))
on(Initiative.Stopped)(set_status("stopped"))
on(Initiative.Completed)(set_status("completed"))


@on(Initiative.Prioritised)
def _prioritised(doc: Doc, r: Record) -> None:
    doc["priority"] = fresh(r.data)


@on(Initiative.ResourcesAllocated, Initiative.ResourcesReallocated)
def _allocated(doc: Doc, r: Record) -> None:
    doc["allocation"] = {k: r.data[k] for k in ("people", "money", "currency")}


# -- dependencies, KPIs, decisions, priorities -------------------------------------------

on(Dependency.Declared)(lambda doc, r: (create(doc, r), doc.update(status="declared")))
on(Dependency.Acknowledged)(set_status("acknowledged"))
on(Dependency.Escalated)(set_status("escalated"))
on(Dependency.Resolved)(set_status("resolved"))

on(Kpi.Defined)(create)
on(Kpi.BandsChanged)(copy_fields("healthy", "warning"))

on(Decision.Recorded)(
    lambda doc, r: (create(doc, r), doc.update(recorded_at=time_text(r.recorded_at)))
)

on(Priorities.Established)(lambda doc, r: (create(doc, r), doc.update(order=[])))
on(Priorities.ObjectiveEntered)(append("order", "objective_id"))
on(Priorities.ObjectiveLeft)(remove("order", "objective_id"))
on(Priorities.Reprioritised)(copy_fields("order"))

MEASUREMENTS = {
    event_type(e) for e in (KeyResult.CheckedIn, KeyResult.CheckInCorrected, Kpi.Measured)
}
"""Events kept in their own tables rather than in a document."""


def reduce(doc: Doc | None, record: Record) -> Doc | None:
    """The document after ``record`` (None for events the state view does not keep)."""
    reducer = REDUCERS.get(record.event_type)
    if reducer is None:
        return doc
    if record.version == 1:
        doc = {"type": KINDS[record.aggregate_type], "id": record.aggregate_id}
    if doc is None:
        return None
    reducer(doc, record)
    return doc
