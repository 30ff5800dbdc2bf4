"""The strategy and the organisation tree: strategies, their choices, and teams."""

from __future__ import annotations

from uuid import UUID

from commands.declarations.base import Command, choice, command, text
from ledger.strategy import CHOICE_KINDS
from ledger.team import LEVELS

# -- strategy ------------------------------------------------------------------------


@command("POST /strategies", creates="strategy_id")
class FormulateStrategy(Command):
    """Formulate an organisation's strategy: vision and mission."""

    key: str = text(80)
    name: str = text(200)
    vision: str = text(2000)
    mission: str = text(2000)


@command("PUT /strategies/{strategy_id}/vision")
class RestateVision(Command):
    """Restate the strategy's vision (a reason is required)."""

    strategy_id: UUID
    vision: str = text(2000)


@command("PUT /strategies/{strategy_id}/mission")
class RestateMission(Command):
    """Restate the strategy's mission (a reason is required)."""

    strategy_id: UUID
    mission: str = text(2000)


@command("POST /strategies/{strategy_id}/choices", creates="choice_id")
class AddStrategicChoice(Command):
    """Add a strategic choice: where to play, how to win, what we will not do."""

    strategy_id: UUID
    kind: str = choice(CHOICE_KINDS)
    statement: str = text(2000)
    key: str | None = text(
        80, default=None, doc="a natural key, unique in the strategy: the id derives from it"
    )


@command("PUT /strategies/{strategy_id}/choices/{choice_id}")
class ReviseStrategicChoice(Command):
    """Revise a strategic choice's statement (a reason is required)."""

    strategy_id: UUID
    choice_id: UUID
    statement: str = text(2000)


@command("POST /strategies/{strategy_id}/choices/{choice_id}/retire")
class RetireStrategicChoice(Command):
    """Retire a strategic choice (a reason is required)."""

    strategy_id: UUID
    choice_id: UUID


# -- teams ---------------------------------------------------------------------------


@command("POST /teams", creates="team_id")
class FormTeam(Command):
    """Form a unit of the organisation tree (company, function or team)."""

    key: str = text(80)
    name: str = text(200)
    level: str = choice(LEVELS)
    parent_id: UUID | None = None


@command("PUT /teams/{team_id}/name")
class RenameTeam(Command):
    """Rename a team."""

    team_id: UUID
    name: str = text(200)


@command("PUT /teams/{team_id}/parent")
class MoveTeam(Command):
    """Move a team under another parent unit."""

    team_id: UUID
    parent_id: UUID
