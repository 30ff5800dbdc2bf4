"""The read side as the API and the command line use it: the live generation of each
view, the follower that feeds them, and every query the read models answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from eventlog.store import Cursor, ReadStore
from ledger.application import Ledger
from ledger.cycle import Cycle
from ledger.scoring import DEFAULT_POLICY, ScoringPolicy
from ledger.team import Team
from projections.answers import ANSWER_BYTES, Answers, Remembering, decode
from projections.audit import AuditView
from projections.audit_queries import AuditQueries, resolve
from projections.chart import key_result_chart
from projections.diff import diff
from projections.follower import Follower
from projections.history import priority_history
from projections.okrs import alignment_graph, cycle_json, kpi_board, okr_tree
from projections.reducers import MEASUREMENTS
from projections.retrospective import retrospective, team_ref
from projections.sandbagging import SANDBAGGING_CYCLES, sandbagging_advice, sandbagging_streaks
from projections.snapshot import Snapshot, load_snapshot
from projections.state import RECORDED, StateView
from projections.view import View

VIEWS: dict[str, type[View]] = {"audit": AuditView, "state": StateView}
V = TypeVar("V", bound=View)


class PositionBeyondLog(Exception):
    def __init__(self, wanted: int, head: int) -> None:
        super().__init__(f"position {wanted} lies beyond the end of the log ({head})")
        self.wanted = wanted
        self.head = head


class ViewBehind(Exception):
    def __init__(self, wanted: int, reached: int) -> None:
        super().__init__(f"the read model has reached position {reached}, not yet {wanted}")
        self.wanted = wanted
        self.reached = reached


class ReadModels(Remembering, AuditQueries):
    def __init__(
        self, ledger: Ledger, *, batch_size: int = 5000, answer_bytes: int = ANSWER_BYTES
    ) -> None:
        self.ledger = ledger
        self.store = ReadStore(ledger)
        self.batch_size = batch_size
        self.answers = Answers(answer_bytes)
        """answers kept by the views' position (``projections.answers``)"""
        self._ends: tuple[Any, dict[str, int]] = (None, {})
        self.sleep: Callable[[float], None] = time.sleep
        """how a read waits between looks at its views (tests take control of it)"""
        self.audit: AuditView
        self.state: StateView
        self.refresh()

    def refresh(self) -> None:
        """Pick up the live generation of each view (a rebuild may have swapped it)."""
        with self.reading() as cursor:
            rows = cursor.execute("SELECT view, generation FROM rm_generations").fetchall()
        live = {row["view"]: int(row["generation"]) for row in rows}
        held = {n: getattr(getattr(self, n, None), "generation", None) for n in VIEWS}
        if all(n in live and held[n] == live[n] for n in VIEWS):
            return
        with self.store.transaction() as cursor:
            audit = self._live(cursor, "audit", AuditView)
            state = self._live(cursor, "state", StateView)
        self.audit, self.state = audit, state

    def _live(self, cursor: Cursor, name: str, cls: type[V]) -> V:
        """The view ``name`` at its live generation (created at 1 when there is none),
        keeping the object this service already holds when its generation is still live."""
        generation = self.store.live_generation(name, cursor)
        if generation is None:
            generation = 1
            cls(generation).create(cursor)
            self.store.set_generation(cursor, name, generation)
        current = getattr(self, name, None)
        if isinstance(current, cls) and current.generation == generation:
            return current
        return cls(generation)

    def follower(self) -> Follower:
        return Follower(
            self.ledger, self.store, [self.audit, self.state], batch_size=self.batch_size
        )

    def catch_up(self) -> int:
        return self.follower().catch_up()

    def position(self) -> int:
        return min(self.seen_from()[2:])

    def wait_for(self, position: int | None, timeout: float = 1.0) -> int:
        """Block until both views reached ``position``, at most ``timeout`` seconds:
        ``PositionBeyondLog`` at once if the log itself has not reached it, else
        ``ViewBehind`` when the time is up."""
        reached = self.position()
        if position is None or reached >= position:
            return reached
        head = int(self.ledger.head_position() or 0)
        if position > head:
            raise PositionBeyondLog(position, head)
        deadline = time.monotonic() + timeout
        while reached < position and time.monotonic() < deadline:
            self.sleep(0.02)
            reached = self.position()
        if reached < position:
            raise ViewBehind(position, reached)
        return reached

    def reading(self) -> Any:
        return self.store.transaction(commit=False)

    # -- current state -------------------------------------------------------------------

    def cycles(self) -> list[dict[str, Any]]:
        with self.reading() as cursor:
            docs = self.state.docs_of_kind(cursor, "cycle")
        return sorted(map(cycle_json, docs), key=lambda c: (c["starts_on"], c["key"]))

    def snapshot(
        self,
        cursor: Cursor,
        cycle: str,
        *,
        as_of: int | None = None,
        mode: str = RECORDED,
        full_history: bool = False,
        team: str | None = None,
        kinds: tuple[str, ...] | None = None,
        check_ins_when_asked: bool = False,
    ) -> Snapshot | None:
        return load_snapshot(
            self.state,
            cursor,
            resolve(cycle, Cycle),
            as_of=as_of,
            mode=mode,
            full_history=full_history,
            team=resolve(team, Team) if team else None,
            kinds=kinds,
            check_ins_when_asked=check_ins_when_asked,
        )

    def okrs(
        self,
        cycle: str,
        *,
        now: int,
        team: str | None = None,
        as_of: int | None = None,
        mode: str = RECORDED,
        policy: ScoringPolicy = DEFAULT_POLICY,
        sandbagging_cycles: int = SANDBAGGING_CYCLES,
    ) -> Any:
        return decode(
            self.okrs_json(
                cycle, now=now, team=team, as_of=as_of, mode=mode, policy=policy,
                sandbagging_cycles=sandbagging_cycles,
            )
        )  # fmt: skip

    def okrs_json(
        self,
        cycle: str,
        *,
        now: int,
        team: str | None = None,
        as_of: int | None = None,
        mode: str = RECORDED,
        policy: ScoringPolicy = DEFAULT_POLICY,
        sandbagging_cycles: int = SANDBAGGING_CYCLES,
    ) -> bytes | None:
        """The OKR tree (``okrs``) as JSON, kept by position."""
        cycle_id, team_id = resolve(cycle, Cycle), resolve(team, Team) if team else None
        at = as_of if as_of is not None else ("now", self.until(cycle_id, now))
        return self.remembered(
            ("okrs", cycle_id, team_id, at, mode, repr(policy), sandbagging_cycles),
            lambda: self._okrs(cycle_id, now, team_id, as_of, mode, policy, sandbagging_cycles),
        )

    def _okrs(
        self,
        cycle: str,
        now: int,
        team: str | None,
        as_of: int | None,
        mode: str,
        policy: ScoringPolicy,
        sandbagging_cycles: int,
    ) -> Any:
        with self.reading() as cursor:
            snapshot = self.snapshot(cursor, cycle, as_of=as_of, mode=mode, team=team)
            if snapshot is None:
                return None
            streaks = self.streaks(cursor, snapshot, sandbagging_cycles, policy, team=team)
        return okr_tree(snapshot, now=now, team=team, policy=policy, sandbagging=streaks)

    def streaks(
        self,
        cursor: Cursor,
        snapshot: Snapshot,
        n: int,
        policy: ScoringPolicy,
        *,
        team: str | None = None,
    ) -> dict[str, list[str]]:
        """The teams on a streak of perfect scores up to the snapshot's cycle (seen at
        the snapshot's instant), with the cycles of the streak."""

        def load(cycle_id: str) -> Snapshot | None:  # its key results are all it needs,
            return self.snapshot(  # and the check-ins of those scored
                cursor, cycle_id, as_of=snapshot.as_of, mode=snapshot.mode, team=team,
                kinds=("key_result",), check_ins_when_asked=True,
            )  # fmt: skip

        return sandbagging_streaks(snapshot, snapshot.cycles.values(), load, n=n, policy=policy)

    def teams(self) -> list[dict[str, Any]]:
        """Every team of the organisation tree (company, functions, teams), by name."""
        with self.reading() as cursor:
            docs = self.state.docs_of_kind(cursor, "team")
        return sorted(docs, key=lambda d: (d["name"], d["key"]))

    def cycle(self, cycle: str) -> dict[str, Any] | None:
        """One cycle, by id or key, with its dates and status."""
        cycle_id = resolve(cycle, Cycle)
        return next((c for c in self.cycles() if c["id"] == cycle_id), None)

    def names(self, cycle: str, idents: set[str] | None = None) -> dict[str, str]:
        """The name, statement, title or summary of everything in a cycle (of only
        ``idents``, if given, read by their ids), by id."""
        with self.reading() as cursor:
            if idents is None:
                docs = self.state.docs_of_cycle(cursor, resolve(cycle, Cycle))
            else:
                docs = self.state.docs_now(cursor, resolve(cycle, Cycle), idents)
        names = {}
        for doc in docs:
            name = (
                doc.get("name") or doc.get("statement") or doc.get("title") or doc.get("summary")
            )
            if name:
                names[doc["id"]] = str(name)
        return names

    def kpis(self) -> list[dict[str, Any]]:
        with self.reading() as cursor:
            kpis = self.state.docs_of_kind(cursor, "kpi")
            teams = {d["id"]: d for d in self.state.docs_of_kind(cursor, "team")}
            measurements = self.state.measurements(cursor)
        return kpi_board(kpis, measurements, teams)

    def alignment(self, cycle: str) -> Any:
        with self.reading() as cursor:
            snapshot = self.snapshot(cursor, cycle)
        return None if snapshot is None else alignment_graph(snapshot)

    # -- history -------------------------------------------------------------------------

    def priority_history(self, cycle: str) -> Any:
        return decode(self.priority_history_json(cycle))

    def priority_history_json(self, cycle: str) -> bytes | None:
        cycle_id = resolve(cycle, Cycle)
        return self.remembered(("priorities", cycle_id), lambda: self._priority_history(cycle_id))

    def _priority_history(self, cycle_id: str) -> Any:
        with self.reading() as cursor:
            named = ("cycle", "team", "objective", "decision")  # what the history names
            docs = {d["id"]: d for d in self.state.docs_of_cycle(cursor, cycle_id, kinds=named)}
            if docs.get(cycle_id, {}).get("type") != "cycle":
                return None
            versions = self.state.versions_of(cursor, cycle_id, "priorities")
            audit = self.audit_at(cursor, [v["position"] for v in versions])
        snapshot = Snapshot(docs[cycle_id], docs)  # the documents only: no check-ins
        names = {i: snapshot.name_of(i) or i for i in snapshot.docs}
        decisions = {d["id"]: d for d in snapshot.of_type("decision")}
        return priority_history(versions, audit, names, decisions)

    def audit_at(self, cursor: Cursor, positions: list[int]) -> dict[int, dict[str, Any]]:
        rows = cursor.select_in(
            f"SELECT * FROM {self.audit.t('events')} WHERE position IN", positions
        )
        return {row["position"]: row for row in rows}

    def diff(self, cycle: str, start: int, end: int) -> Any:
        return decode(self.diff_json(cycle, start, end))

    def diff_json(self, cycle: str, start: int, end: int) -> bytes | None:
        """The named changes (``diff``) as JSON, kept by position."""
        cycle_id = resolve(cycle, Cycle)
        return self.remembered(
            ("diff", cycle_id, start, end), lambda: self._diff(cycle_id, start, end)
        )

    def _diff(self, cycle_id: str, start: int, end: int) -> Any:
        """The changes of the window, from the documents at ``start`` of only the
        aggregates the window's events touch: the cost grows with the changes, not with
        the cycle."""
        with self.reading() as cursor:
            state = self.state
            if cycle_id not in state.docs_at(cursor, cycle_id, [cycle_id], end):
                return None
            rows = cursor.execute(
                f"SELECT * FROM {self.audit.t('events')} WHERE (cycle_id = %s OR cycle_id IS "
                "NULL) AND recorded_at > %s AND recorded_at <= %s ORDER BY position",
                (cycle_id, start, end),
            ).fetchall()
            touched = {  # a check-in changes no document: its key result's is not read
                row["aggregate_id"] for row in rows if row["event_type"] not in MEASUREMENTS
            } - {row["aggregate_id"] for row in rows if row["version"] == 1}  # nor a new one's
            named = {row["decision_id"] for row in rows if row["decision_id"]}
            first = Snapshot(
                {"id": cycle_id}, state.docs_at(cursor, cycle_id, touched, start), as_of=start
            )
            decisions = {
                ident: doc
                for ident, doc in state.docs_at(cursor, cycle_id, named, end).items()
                if doc["type"] == "decision"
            }
        return diff(first, rows, decisions)

    def retrospective(
        self,
        cycle: str,
        *,
        now: int,
        policy: ScoringPolicy = DEFAULT_POLICY,
        sandbagging_cycles: int = SANDBAGGING_CYCLES,
        team: str | None = None,
    ) -> Any:
        """The cycle's review; of one team's objectives and key results only, if given
        (with the cycle-wide events: decisions, the cycle's own changes)."""
        cycle_id = resolve(cycle, Cycle)
        team_id = resolve(team, Team) if team else None
        until = self.until(cycle_id, now)
        return decode(
            self.remembered(
                ("retrospective", cycle_id, until, repr(policy), sandbagging_cycles, team_id),
                lambda: self._retrospective(cycle_id, until, policy, sandbagging_cycles, team_id),
            )
        )

    def _retrospective(
        self,
        cycle_id: str,
        now: int,
        policy: ScoringPolicy,
        sandbagging_cycles: int,
        team: str | None = None,
    ) -> Any:
        with self.reading() as cursor:
            snapshot = self.snapshot(cursor, cycle_id, full_history=True, team=team)
            if snapshot is None:
                return None
            scope, params = "cycle_id = %s", [cycle_id]
            if team is not None:
                scope += " AND (team_id = %s OR team_id IS NULL)"
                params.append(team)
            rows = cursor.execute(
                f"SELECT * FROM {self.audit.t('events')} WHERE {scope} ORDER BY position",
                params,
            ).fetchall()
            streaks = self.streaks(cursor, snapshot, sandbagging_cycles, policy, team=team)
        report = retrospective(snapshot, rows, policy=policy, now=now)
        report["advice"] = [
            {"team": team_ref(snapshot, team_id), **sandbagging_advice(keys)}
            for team_id, keys in streaks.items()
        ]
        return report

    def chart(self, cycle: str, key_result: str) -> str | None:
        with self.reading() as cursor:
            snapshot = self.snapshot(cursor, cycle, full_history=True)
        if snapshot is None:
            return None
        try:
            return key_result_chart(snapshot, key_result)
        except KeyError:
            return None
