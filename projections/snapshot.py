"""A cycle's OKR set at one point: every document and every current check-in, now, as
the ledger knew it at an instant (recorded time), or as it was true then (effective
time, later corrections applied)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventlog.store import Cursor
from ledger.scoring import KeyResultScore, ScoringPolicy
from projections.facts import KeyResultFacts, day
from projections.reducers import Doc
from projections.state import RECORDED, StateView

FULL_HISTORY_KINDS = ("band", "milestone")


def ordering(row: dict[str, Any]) -> tuple[int, int, int]:
    """Check-ins in effective-time order; ties go to the later one in the log."""
    return row["effective_at"], row["recorded_at"], row["position"]


"""Key results scored from every check-in; the others need only the latest."""


@dataclass
class Snapshot:
    cycle: Doc
    docs: dict[str, Doc]
    check_ins: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    as_of: int | None = None
    mode: str = RECORDED
    cycles: dict[str, Doc] = field(default_factory=dict)
    """Every cycle as it is now, by id (to name the cycles carried work came from and
    went to, and to look back over earlier cycles)."""
    _scores: dict[str, tuple[ScoringPolicy, KeyResultScore]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _cycle_keys: dict[str, str] | None = field(default=None, repr=False, compare=False)
    fetch: Callable[[list[str]], dict[str, list[dict[str, Any]]]] | None = field(
        default=None, repr=False, compare=False
    )
    """reads key results' check-ins when asked (``prefetch``); None: all are read"""
    _fetched: set[str] = field(default_factory=set, repr=False, compare=False)
    _by_type: tuple[int, dict[str, list[Doc]]] | None = field(
        default=None, repr=False, compare=False
    )

    def prefetch(self, key_results: list[str]) -> None:
        """Read the check-ins of these key results, if not read yet (before scoring them,
        in a snapshot whose check-ins are read when asked)."""
        if self.fetch is None:
            return
        wanted = [k for k in dict.fromkeys(key_results) if k not in self._fetched]
        if wanted:
            self.check_ins.update(self.fetch(wanted))
            self._fetched.update(wanted)

    @property
    def cycle_keys(self) -> dict[str, str]:
        """Each cycle's key, by id (worked out once per snapshot)."""
        if self._cycle_keys is None:
            self._cycle_keys = {ident: doc["key"] for ident, doc in self.cycles.items()}
        return self._cycle_keys

    def of_type(self, kind: str) -> list[Doc]:
        """The documents of one type (grouped once per snapshot, and again only if
        documents were added since: an aggregate's type never changes)."""
        if self._by_type is None or self._by_type[0] != len(self.docs):
            grouped: dict[str, list[Doc]] = {}
            for doc in self.docs.values():
                grouped.setdefault(doc["type"], []).append(doc)
            self._by_type = (len(self.docs), grouped)
        return list(self._by_type[1].get(kind, ()))

    def in_cycle(self, kind: str) -> list[Doc]:
        cycle_id = self.cycle["id"]
        return [d for d in self.of_type(kind) if d.get("cycle_id") == cycle_id]

    def key_result(self, doc: Doc) -> KeyResultFacts:
        ends_on = day(self.cycle.get("ends_on"))
        return KeyResultFacts.of(doc, self.check_ins.get(doc["id"], []), ends_on=ends_on)

    def score(self, doc: Doc, policy: ScoringPolicy) -> KeyResultScore:
        """A key result's score under ``policy``, computed once per snapshot (the tree
        and the sandbagging advice both ask for it)."""
        kept = self._scores.get(doc["id"])
        if kept is not None and kept[0] is policy:
            return kept[1]
        score = self.key_result(doc).score(policy)
        self._scores[doc["id"]] = (policy, score)
        return score

    def latest(self, kr_id: str) -> dict[str, Any] | None:
        rows = self.check_ins.get(kr_id)
        return max(rows, key=ordering) if rows else None

    def name_of(self, ident: str | None) -> str | None:
        doc = self.docs.get(ident or "")
        if doc is None:
            return None
        return doc.get("name") or doc.get("statement") or doc.get("title") or doc.get("summary")


def load_snapshot(
    view: StateView,
    cursor: Cursor,
    cycle_id: str,
    *,
    as_of: int | None = None,
    mode: str = RECORDED,
    full_history: bool = False,
    team: str | None = None,
    kinds: tuple[str, ...] | None = None,
    check_ins_when_asked: bool = False,
) -> Snapshot | None:
    """The cycle's OKR set (of one team, if given; with the documents of ``kinds`` and
    the cycle's only, if given); None if the cycle did not exist then. With
    ``check_ins_when_asked``, key results' check-ins are read only for those named to
    ``Snapshot.prefetch`` (within this cursor's transaction)."""
    if kinds is not None and "cycle" not in kinds:
        kinds = ("cycle", *kinds)
    docs = {
        d["id"]: d
        for d in view.docs_of_cycle(
            cursor, cycle_id, as_of=as_of, mode=mode, team=team, kinds=kinds
        )
    }
    cycle = docs.get(cycle_id)
    if cycle is None or cycle["type"] != "cycle":
        return None

    def read(key_results: list[str]) -> dict[str, list[dict[str, Any]]]:
        return check_ins_of(
            view, cursor, cycle_id, docs, key_results, as_of=as_of, mode=mode,
            full_history=full_history, team=team,
        )  # fmt: skip

    cycles = {d["id"]: d for d in view.docs_of_kind(cursor, "cycle")}
    if check_ins_when_asked:
        return Snapshot(cycle, docs, {}, as_of, mode, cycles, fetch=read)
    key_results = [d["id"] for d in docs.values() if d["type"] == "key_result"]
    return Snapshot(cycle, docs, read(key_results), as_of, mode, cycles)


def check_ins_of(
    view: StateView,
    cursor: Cursor,
    cycle_id: str,
    docs: dict[str, Doc],
    key_results: list[str],
    *,
    as_of: int | None,
    mode: str,
    full_history: bool,
    team: str | None,
) -> dict[str, list[dict[str, Any]]]:
    """The current check-ins of ``key_results`` (of the cycle, among ``docs``), by key
    result: every one for those scored from all theirs (or for all, ``full_history``),
    the latest for the others."""
    history_for = None
    if not full_history:
        history_for = {
            k for k in key_results if docs[k].get("kind") in FULL_HISTORY_KINDS
        }  # fmt: skip
    check_ins: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in view.check_ins(
        cursor, cycle_id, as_of=as_of, mode=mode, history_for=history_for, latest_for=key_results,
        only=None if team is None else key_results,
    ):  # fmt: skip
        row.pop("newest", None)
        row.pop("superseded_at", None)
        if team is None or row["kr_id"] in docs:
            check_ins[row["kr_id"]].append(row)
    return dict(check_ins)
