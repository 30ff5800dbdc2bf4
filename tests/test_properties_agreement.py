"""The read side's reducers build what the aggregates hold, for every kind of aggregate
that has a document (hypothesis): strategies, teams, cycles, objectives, key results,
initiatives, dependencies, KPIs, decisions and priorities, after arbitrary command
sequences, followed at random moments and rebuilt from zero at the end."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, multiple, rule

from commands import messages as m
from eventlog.vocabulary import plain, time_text
from ledger.kpi import Kpi
from ledger.strategy import Strategy
from projections.rebuild import rebuild
from projections.reducers import AGGREGATES, KINDS, MEASUREMENTS, REDUCERS
from projections.service import ReadModels
from tests.test_properties_projections import (
    SETTINGS,
    ProjectionMachine,
    assert_documents_agree_with_the_aggregates,
)

amounts = st.decimals(min_value=0, max_value=500, places=1, allow_nan=False)
words = st.sampled_from(["Fix it first time", "Answer the phone", "Publish the data", " "])
notes = st.sampled_from(["", "on it", "blocked by the vendor"])


def test_every_event_of_a_kind_with_a_document_has_a_reducer_or_a_table() -> None:
    for cls in AGGREGATES:
        for name, event in vars(cls).items():
            if isinstance(event, type) and name not in ("Event", "Created"):
                qualified = f"{cls.__name__}.{name}"
                assert qualified in REDUCERS or qualified in MEASUREMENTS, qualified


def expected_document(aggregate: Any) -> dict[str, Any]:
    """What the document of an aggregate of the eight plainer kinds must hold: every
    field of the aggregate, in the API's vocabulary, as the read side names it."""
    fields = {k: plain(v) for k, v in vars(aggregate).items() if not k.startswith("_")}
    if isinstance(aggregate, Strategy):
        for choice in fields["choices"].values():
            del choice["id"]  # the document keys its choices by id
    if isinstance(aggregate, Kpi):
        fields.update(fields.pop("bands"))  # the bands sit on the document itself
        del fields["measurements"]  # kept in a table of their own
    return fields


def assert_every_kind_agrees(models: ReadModels, ledger: Any, ids: dict[str, set[str]]) -> None:
    """Each aggregate of each kind has its document, and the document holds what the
    aggregate holds; each KPI's measurements are in the measurements table."""
    with models.reading() as cursor:
        docs = {kind: models.state.docs_of_kind(cursor, kind) for kind in AGGREGATES.values()}
        measured = models.state.measurements(cursor)
    for kind, found in docs.items():
        assert {d["id"] for d in found} == ids.get(kind, set()), kind
    for kind in ("strategy", "team", "cycle", "initiative", "dependency", "kpi", "decision",
                 "priorities"):  # fmt: skip
        for doc in docs[kind]:
            aggregate = ledger.get_many([UUID(doc["id"])])[UUID(doc["id"])]
            expected = expected_document(aggregate)
            assert {k: doc.get(k) for k in expected} == expected, kind
            if kind == "decision":
                assert doc["recorded_at"] == time_text(aggregate.created_on)
    for doc in docs["kpi"]:
        kpi = ledger.get(Kpi, UUID(doc["id"]))
        rows = [r for r in measured if r["kpi_id"] == doc["id"]]
        assert sorted(
            (r["value"], time_text(r["effective_at"]), time_text(r["recorded_at"])) for r in rows
        ) == sorted(
            (plain(x.value), time_text(x.effective_at), time_text(x.recorded_at))
            for x in kpi.measurements
        )


class EveryKindMachine(ProjectionMachine):
    strategies = Bundle("strategies")
    choices = Bundle("choices")
    teams = Bundle("teams")
    initiatives = Bundle("initiatives")
    dependencies = Bundle("dependencies")
    kpis = Bundle("kpis")

    def __init__(self) -> None:
        super().__init__()  # then one aggregate of every kind, so every example has them all
        objective = self.draft_objective(team=True, commitment="committed")
        kr = self.define_key_result(objective, "increase", Decimal(10), Decimal(20))
        self.add_choice(self.formulate("west"), "where_to_play")
        self.define_kpi("queue", "lower_is_better", Decimal(5), Decimal(9))
        self.propose([kr])
        self.declare(kr, False)
        self.decide([objective], "drop", None)

    # the rules below act on what these start with, and on what other rules add

    @initialize(target=ProjectionMachine.key_results)
    def a_key_result(self) -> Any:
        objective = self.draft_objective(team=True, commitment="aspirational")
        return self.define_key_result(objective, "increase", Decimal(10), Decimal(20))

    @initialize(target=strategies)
    def a_strategy(self) -> Any:
        return self.formulate("east")

    @initialize(target=teams)
    def a_team(self) -> Any:
        return self.form_team("libraries")

    @initialize(target=kpis)
    def a_kpi(self) -> Any:
        return self.define_kpi("calls", "higher_is_better", Decimal(90), Decimal(80))

    def _milestone(self) -> UUID:
        objective = self.draft_objective(team=False, commitment="committed")
        return self.define_key_result(objective, "milestone", Decimal(0), Decimal(1))

    @initialize(target=initiatives)
    def an_initiative(self) -> Any:
        return self.propose([self._milestone()])

    @initialize(target=dependencies)
    def a_dependency(self) -> Any:
        return self.declare(self._milestone(), True)

    def created(self, command: m.Command) -> Any:
        outcome = self.do(command)
        return outcome.created_id if outcome and outcome.created_id else multiple()

    @initialize(target=ProjectionMachine.objectives)
    def an_objective(self) -> Any:
        return self.draft_objective(team=True, commitment="committed")

    @initialize(target=choices)
    def a_choice(self) -> Any:
        return self.add_choice(self.formulate("south"), "how_to_win")

    @initialize()
    def a_decision(self) -> None:
        objective = self.draft_objective(team=True, commitment="committed")
        self.decide([objective], "reprioritise", None)

    # -- strategy ----------------------------------------------------------------------

    @rule(target=strategies, key=st.sampled_from(["north", "south", "east"]))
    def formulate(self, key: str) -> Any:
        return self.created(
            m.FormulateStrategy(key=key, name=f"{key} strategy", vision="v", mission="m")
        )

    @rule(strategy=strategies, vision=words, mission=words)
    def restate(self, strategy: UUID, vision: str, mission: str) -> None:
        self.do(m.RestateVision(strategy_id=strategy, vision=vision, reason="new board"))
        self.do(m.RestateMission(strategy_id=strategy, mission=mission, reason="new board"))

    @rule(
        target=choices,
        strategy=strategies,
        kind=st.sampled_from(["where_to_play", "how_to_win", "will_not_do", "capability"]),
    )
    def add_choice(self, strategy: UUID, kind: str) -> Any:
        outcome = self.do(m.AddStrategicChoice(strategy_id=strategy, kind=kind, statement="s"))
        return (strategy, outcome.created_id) if outcome else multiple()

    @rule(choice=choices, text=words, retire=st.booleans())
    def revise_or_retire(self, choice: tuple[UUID, UUID], text: str, retire: bool) -> None:
        strategy, ident = choice
        if retire:
            self.do(m.RetireStrategicChoice(strategy_id=strategy, choice_id=ident, reason="done"))
        else:
            self.do(
                m.ReviseStrategicChoice(
                    strategy_id=strategy, choice_id=ident, statement=text, reason="sharper"
                )
            )

    @rule(objective=ProjectionMachine.objectives, choice=choices, unlink=st.booleans())
    def link(self, objective: UUID, choice: tuple[UUID, UUID], unlink: bool) -> None:
        strategy, ident = choice
        if unlink:
            self.do(m.UnlinkObjectiveFromChoice(objective_id=objective, choice_id=ident))
        else:
            self.do(
                m.LinkObjectiveToChoice(
                    objective_id=objective, strategy_id=strategy, choice_id=ident
                )
            )

    @rule(child=ProjectionMachine.objectives, parent=ProjectionMachine.objectives)
    def align(self, child: UUID, parent: UUID) -> None:
        if self.do(
            m.AlignObjective(objective_id=child, parent_kind="objective", parent_id=parent)
        ):
            self.do(m.UnalignObjective(objective_id=child, parent_id=parent))

    # -- teams -------------------------------------------------------------------------

    @rule(target=teams, key=st.sampled_from(["bins", "parks", "roads"]))
    def form_team(self, key: str) -> Any:
        return self.created(
            m.FormTeam(key=key, name=key.title(), level="team", parent_id=self.org.function)
        )

    @rule(team=teams, name=words, move=st.booleans())
    def rename_or_move(self, team: UUID, name: str, move: bool) -> None:
        if move:
            self.do(m.MoveTeam(team_id=team, parent_id=self.org.company))
        else:
            self.do(m.RenameTeam(team_id=team, name=name))

    # -- initiatives -------------------------------------------------------------------

    @rule(target=initiatives, krs=st.lists(ProjectionMachine.key_results, max_size=2))
    def propose(self, krs: list[UUID]) -> Any:
        return self.created(
            m.ProposeInitiative(
                team_id=self.org.team,
                cycle_id=self.org.cycle,
                title="Self-service repair booking",
                owner="ola",
                key_result_ids=tuple(dict.fromkeys(krs)),
            )
        )

    @rule(initiative=initiatives, kr=ProjectionMachine.key_results, unlink=st.booleans())
    def link_initiative(self, initiative: UUID, kr: UUID, unlink: bool) -> None:
        cls = m.UnlinkInitiative if unlink else m.LinkInitiative
        self.do(cls(initiative_id=initiative, key_result_id=kr))

    @rule(
        initiative=initiatives,
        step=st.sampled_from(["start", "start", "status", "stop", "complete"]),
        health=st.sampled_from(["on_track", "at_risk", "blocked", "paused", "lost"]),
        note=notes,
    )
    def run_initiative(self, initiative: UUID, step: str, health: str, note: str) -> None:
        command = {
            "start": lambda: m.StartInitiative(initiative_id=initiative),
            "status": lambda: m.ChangeInitiativeStatus(
                initiative_id=initiative, health=health, note=note
            ),
            "stop": lambda: m.StopInitiative(initiative_id=initiative, reason="not working"),
            "complete": lambda: m.CompleteInitiative(initiative_id=initiative, note=note),
        }[step]()
        if step == "status":  # only an active initiative has a health to change
            self.do(m.StartInitiative(initiative_id=initiative))
        self.do(command)

    @rule(
        initiative=initiatives,
        moscow=st.sampled_from([None, "must", "could", "wont"]),
        reach=amounts,
        impact=st.sampled_from([Decimal("0.5"), Decimal(2), Decimal(7)]),
        effort=amounts,
    )
    def prioritise(
        self,
        initiative: UUID,
        moscow: str | None,
        reach: Decimal,
        impact: Decimal,
        effort: Decimal,
    ) -> None:
        if moscow is not None:
            self.do(
                m.PrioritiseInitiative(initiative_id=initiative, method="moscow", moscow=moscow)
            )
        else:
            self.do(
                m.PrioritiseInitiative(
                    initiative_id=initiative, method="rice", reach=reach, impact=impact,
                    confidence=Decimal("0.8"), effort=effort,
                )
            )  # fmt: skip

    @rule(initiative=initiatives, people=amounts, money=amounts)
    def allocate(self, initiative: UUID, people: Decimal, money: Decimal) -> None:
        self.do(
            m.AllocateResources(
                initiative_id=initiative, people=people, money=money, currency="GBP",
                reason="the board moved money",
            )
        )  # fmt: skip

    # -- dependencies, KPIs, decisions -------------------------------------------------

    @rule(target=dependencies, kr=ProjectionMachine.key_results, by=st.booleans())
    def declare(self, kr: UUID, by: bool) -> Any:
        for team in (self.org.other_team, self.org.team):  # the one the key result is not in
            outcome = self.do(
                m.DeclareDependency(
                    from_kind="key_result", from_id=kr, on_team_id=team,
                    description="needs the booking API",
                    needed_by=date(2026, 9, 1) if by else None,
                )
            )  # fmt: skip
            if outcome:
                return outcome.created_id
        return multiple()

    @rule(
        dependency=dependencies,
        step=st.sampled_from(["acknowledge", "escalate", "resolve"]),
        note=notes,
    )
    def follow_up(self, dependency: UUID, step: str, note: str) -> None:
        if step == "acknowledge":
            self.do(m.AcknowledgeDependency(dependency_id=dependency, note=note))
        elif step == "escalate":
            self.do(m.EscalateDependency(dependency_id=dependency, reason="late"))
        else:
            self.do(m.ResolveDependency(dependency_id=dependency, note=note))

    @rule(
        target=kpis,
        key=st.sampled_from(["calls", "waits"]),
        direction=st.sampled_from(["higher_is_better", "lower_is_better"]),
        healthy=amounts,
        warning=amounts,
    )
    def define_kpi(self, key: str, direction: str, healthy: Decimal, warning: Decimal) -> Any:
        return self.created(
            m.DefineKpi(
                key=key, team_id=self.org.team, name=key.title(), direction=direction,
                healthy=healthy, warning=warning, unit="min",
            )
        )  # fmt: skip

    @rule(kpi=kpis, value=amounts)
    def measure(self, kpi: UUID, value: Decimal) -> None:
        self.do(m.MeasureKpi(kpi_id=kpi, value=value))

    @rule(kpi=kpis, one=amounts, other=amounts)
    def change_bands(self, kpi: UUID, one: Decimal, other: Decimal) -> None:
        """(the healthy threshold lies above the warning one, or below: one order fits)"""
        if self.do(m.ChangeKpiBands(kpi_id=kpi, healthy=one, warning=other, reason="r")) is None:
            self.do(m.ChangeKpiBands(kpi_id=kpi, healthy=other, warning=one, reason="r"))

    @rule(
        affects=st.lists(ProjectionMachine.objectives, max_size=2),
        kind=st.sampled_from(["reprioritise", "drop", "other", "nonsense"]),
        choice=st.none() | choices,
    )
    def decide(self, affects: list[UUID], kind: str, choice: tuple[UUID, UUID] | None) -> None:
        self.do(
            m.RecordDecision(
                forum="Quarterly review", decided_by=("Helen", "Amira"), decision_type=kind,
                summary="Refocus", rationale="The data says so", cycle_id=self.org.cycle,
                affects=tuple(dict.fromkeys(affects)),
                strategy_id=choice[0] if choice else None,
                choice_ids=(choice[1],) if choice else (),
            )
        )  # fmt: skip

    # -- the property ------------------------------------------------------------------

    def teardown(self) -> None:
        try:
            self.models.catch_up()
            for name in ("audit", "state"):
                assert rebuild(self.models, name, swap=False).identical, name
            ids: dict[str, set[str]] = {}
            for r in self.records():
                if r.version == 1 and r.aggregate_type in KINDS:
                    ids.setdefault(KINDS[r.aggregate_type], set()).add(r.aggregate_id)
            assert_every_kind_agrees(self.models, self.ledger, ids)
            assert len(ids) == len(AGGREGATES), ids
            assert_documents_agree_with_the_aggregates(self.models, self.ledger)
        finally:
            super().teardown()


TestReducersAgreeWithTheAggregatesOverEveryKind = EveryKindMachine.TestCase
TestReducersAgreeWithTheAggregatesOverEveryKind.settings = settings(
    SETTINGS, stateful_step_count=60
)
