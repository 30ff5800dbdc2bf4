"""``GET /api/v1/cycles/{cycle}/due``: the key results whose check-in is due or overdue,
per owner and per team (the rule: ``projections/due.py``)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from eventlog.vocabulary import micros_of
from ledger.team import Team
from projections.due import DUE, OVERDUE, due_report
from projections.service import ReadModels, resolve
from web.readmodels import FreshnessSchema, Key, route
from web.vocabulary import Count, Id, Many, One, Response, Text, Time


class DueQuerySchema(FreshnessSchema):
    team = Key(metadata={"description": "a team id or key"})


class DueKeyResultSchema(Response):
    id = Id()
    statement = Text()
    owner = Text()
    team_id = Id(null=True)
    team = Text("the team's name", null=True)
    objective_id = Id(null=True)
    state = Text(
        "due: more than one cadence period since the last check-in (or the cycle's "
        "start); overdue: more than two",
        enum=(DUE, OVERDUE),
    )
    last_check_in_at = Time("effective time of the latest check-in", null=True)
    due_since = Time()
    overdue_since = Time()


class DueGroupSchema(Response):
    due = Count()
    overdue = Count()
    key_results = Many(DueKeyResultSchema)


class OwnerDueSchema(DueGroupSchema):
    owner = Text()


class TeamDueSchema(DueGroupSchema):
    team_id = Id(null=True)
    team = Text(null=True)


class DueCycleSchema(Response):
    id = Id()
    key = Text()
    status = Text()


class DueSchema(Response):
    cycle = One(DueCycleSchema)
    at = Time("the instant judged: now, or the cycle's last moment if it has ended")
    cadence_days = Count()
    due = Count()
    overdue = Count()
    owners = Many(OwnerDueSchema)
    teams = Many(TeamDueSchema)


@route("/cycles/<cycle>/due", DueQuerySchema, "getCycleDue", DueSchema)
def due(models: ReadModels, query: dict[str, Any], cycle: str) -> Any:
    """What is due: per owner and team, the live key results of the cycle whose
    check-in is due (one cadence period without one) or overdue (two periods)."""
    team = query.get("team")
    with models.reading() as cursor:
        snapshot = models.snapshot(cursor, cycle, team=team)
    if snapshot is None:
        return None
    now = micros_of(current_app.extensions["okr_ledger"].bus.clock())
    return due_report(snapshot, now, resolve(team, Team) if team else None)
