from __future__ import annotations

from uuid import UUID, uuid4

from commands.bus import Unit, handles
from commands.messages import RecordDecision
from ledger.base import LedgerAggregate
from ledger.decision import Decision
from ledger.dependency import Dependency
from ledger.exceptions import RuleViolation
from ledger.strategy import Strategy
from ledger.team import Team


def _teams_of(aggregate: LedgerAggregate) -> set[UUID]:
    if isinstance(aggregate, Team):
        return {aggregate.id}
    if isinstance(aggregate, Dependency):
        return {aggregate.from_team_id, aggregate.on_team_id}
    team_id = getattr(aggregate, "team_id", None)
    return {team_id} if team_id else set()


@handles(RecordDecision)
def record_decision(cmd: RecordDecision, unit: Unit) -> None:
    """Admins record any decision; an editor only one whose every affected item
    belongs to teams it writes for."""
    affected = [unit.get(LedgerAggregate, ident, field="affects") for ident in cmd.affects]
    if not unit.principal.is_admin:
        teams = set().union(*(_teams_of(a) for a in affected)) if affected else set()
        if not teams:
            unit.require_admin("record a decision that affects no team's items")
        for team_id in teams:
            unit.require_team(team_id, "record a decision affecting this team")
    if cmd.choice_ids:
        if cmd.strategy_id is None:
            raise RuleViolation(
                "required", "name the strategy_id of the choices", field="strategy_id"
            )
        strategy = unit.get(Strategy, cmd.strategy_id, field="strategy_id")
        for choice_id in cmd.choice_ids:
            strategy.live_choice(choice_id)
    decision = Decision.record(
        decision_id=uuid4(),
        cycle=unit.cycle(cmd.cycle_id) if cmd.cycle_id else None,
        forum=cmd.forum,
        decided_by=cmd.decided_by,
        decision_type=cmd.decision_type,
        summary=cmd.summary,
        rationale=cmd.rationale,
        affects=cmd.affects,
        strategy_id=cmd.strategy_id,
        choice_ids=cmd.choice_ids,
        meta=unit.meta,
    )
    unit.add(decision, created=True)
