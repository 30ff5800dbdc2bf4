"""The board's pages over a cycle: the list, the overview (now or at an instant),
priority history, changes between two instants, the retrospective and its charts,
the integrity page and the printable board pack."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, g, redirect, render_template, request, url_for
from markupsafe import Markup

from eventlog.vocabulary import micros_of
from ledger.meta import utc_now
from projections.answers import decode
from projections.service import ReadModels
from projections.state import EFFECTIVE, RECORDED
from web.board import BoardError, bp
from web.board.filters import to_datetime
from web.board.integrity import checkpoint_view
from web.board.shaping import change_details, rankings, unique_objectives


def summary_of(change: dict[str, Any]) -> str | None:
    """What a change without a name is about: a decision's summary, a title."""
    fields = change.get("set") or {}
    return fields.get("summary") or fields.get("title") or fields.get("statement")


def models() -> ReadModels:
    read_models: ReadModels = current_app.extensions["okr_ledger"].read_models
    read_models.refresh()
    return read_models


def now_micros() -> int:
    return micros_of(utc_now())


def instant(field: str) -> datetime | None:
    """A query parameter read as an instant: ISO 8601 or a date-time picker's value
    (``2026-08-01T09:30``, read as UTC)."""
    text = request.args.get(field, "").strip()
    if not text:
        return None
    moment = to_datetime(text) if not text.isdigit() else None
    if moment is None or not 1970 <= moment.year <= 9999:
        raise BoardError(
            422,
            "validation_failed",
            f"{field}: not a date and time (use 2026-08-01T09:30, read as UTC)",
            field,
        )
    return moment


def time_mode() -> str:
    mode = request.args.get("time", RECORDED)
    if mode not in (RECORDED, EFFECTIVE):
        raise BoardError(422, "validation_failed", "time: recorded or effective", "time")
    return mode


def found(result: Any, what: str = "no such cycle") -> Any:
    if result is None:
        raise BoardError(404, "not_found", what)
    return result


def kept_html(
    read: ReadModels, key: tuple[Any, ...], template: str, context: Callable[[], Any]
) -> Markup | None:
    """A page's body (``template`` rendered with ``context()``, None when that is None),
    kept by the views' position like the read models' answers. It is rendered on its
    own, its table ids counted from 1, so that it reads the same wherever it is shown;
    it depends on nothing of the request or the reader (escaped as every template is)."""

    def render() -> str | None:
        values = context()
        if values is None:
            return None
        counted = g.get("board_ids", 0)
        g.board_ids = 0
        try:
            return render_template(template, **values)
        finally:
            g.board_ids = counted

    body = decode(read.remembered(("board", template, *key), render))
    return None if body is None else Markup(body)


@bp.get("/")
def index() -> Any:
    return redirect(url_for("board.cycles"), 303)


@bp.get("/cycles")
def cycles() -> Any:
    return render_template("board/cycles.html", cycles=models().cycles())


TEAMS_AT_ONCE = 12
"""A cycle of an organisation with more teams than this opens on a team picker: one
page of hundreds of objectives serves no reader and costs seconds to compute."""


def natural(text: str) -> list[Any]:
    """``Team 2`` before ``Team 10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def tree_order(teams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The organisation tree depth first (each unit before the units below it), siblings
    by name; each team carries its ``depth``."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    ids = {t["id"] for t in teams}
    for t in teams:
        parent = t.get("parent_id") if t.get("parent_id") in ids else None
        children.setdefault(parent, []).append(t)
    ordered: list[dict[str, Any]] = []

    def visit(parent: str | None, depth: int) -> None:
        for t in sorted(children.get(parent, []), key=lambda t: natural(t["name"])):
            ordered.append(dict(t, depth=depth))
            visit(t["id"], depth + 1)

    visit(None, 0)
    return ordered


def asked_team(read: ReadModels) -> tuple[str | None, list[dict[str, Any]], Any]:
    """``?team=`` as asked, every team in tree order, and the team it names (if any)."""
    team = request.args.get("team") or None
    teams = tree_order(read.teams())
    return team, teams, next((t for t in teams if team in (t["key"], t["id"])), None)


def too_many_teams(teams: list[dict[str, Any]]) -> bool:
    return sum(t.get("level") == "team" for t in teams) > TEAMS_AT_ONCE


@bp.get("/cycles/<cycle>")
def overview(cycle: str) -> Any:
    as_of, mode = instant("as_of"), time_mode()
    read = models()
    team, teams, chosen = asked_team(read)
    shown = {
        "as_of": as_of,
        "mode": mode,
        "team": team,
        "team_name": chosen["name"] if chosen else team,
        "all_teams": teams,
    }
    if team is None and too_many_teams(teams):
        return render_template(
            "board/overview_teams.html", cycle=found(read.cycle(cycle)), **shown
        )
    tree = found(
        read.okrs(
            cycle,
            now=now_micros(),
            team=team,
            as_of=None if as_of is None else micros_of(as_of),
            mode=mode,
        ),
        "no such cycle (or team) at that instant",
    )
    return render_template(
        "board/overview.html",
        cycle=tree["cycle"],
        tree=tree,
        rankings=rankings(tree),
        teams=tree["teams"],
        **shown,
    )


@bp.get("/cycles/<cycle>/priorities")
def priorities(cycle: str) -> Any:
    read = models()
    found_cycle = found(read.cycle(cycle))
    team, picker = chosen_team(
        read, "board.priorities", "priority history", found_cycle, "board/priorities_teams.html"
    )
    if picker is not None:
        return picker
    team_id = team["id"] if team else None

    def context() -> dict[str, Any] | None:
        history = history_of(read, cycle, team_id)
        return None if history is None else {"history": history}

    body = kept_html(read, (found_cycle["id"], team_id), "board/priorities_body.html", context)
    return render_template("board/priorities.html", cycle=found_cycle, body=found(body), team=team)


def history_of(read: ReadModels, cycle: str, team_id: str | None) -> list[Any] | None:
    """The cycle's priority history, of one team's rankings if given (None: no cycle)."""
    history = read.priority_history(cycle)
    if history is None:
        return None
    return [h for h in history if team_id in (None, h["team_id"])]


CHANGES_AT_ONCE = 200
"""How many named changes one page of the changes between two dates lists."""


def page_number() -> int:
    text = request.args.get("page", "1").strip()
    if not text.isdigit() or not 1 <= int(text) <= 10**6:
        raise BoardError(422, "validation_failed", "page: a whole number from 1", "page")
    return int(text)


@bp.get("/cycles/<cycle>/changes")
def changes(cycle: str) -> Any:
    read = models()
    found_cycle = found(read.cycle(cycle))
    start = instant("from") or to_datetime(found_cycle["starts_on"])
    end = instant("to") or datetime.now(UTC).replace(second=0, microsecond=0)
    if start is None or end < start:
        raise BoardError(422, "validation_failed", "to: must not be before from", "to")
    first, last, page = micros_of(start), micros_of(end), page_number()

    def context() -> Any:
        found_changes = read.diff(cycle, first, last)
        if found_changes is None:
            return None
        skip = (page - 1) * CHANGES_AT_ONCE
        shown = found_changes[skip : skip + CHANGES_AT_ONCE]
        names = read.names(cycle, {c["id"] for c in shown if not c.get("label")})
        rows = [
            dict(
                c,
                subject=c.get("label") or names.get(c["id"]) or summary_of(c),
                details=change_details(c),
            )
            for c in shown
        ]
        return {
            "cycle": found_cycle,
            "changes": rows,
            "total": len(found_changes),
            "first_shown": skip + 1,
            "page": page,
            "pages": max(1, -(-len(found_changes) // CHANGES_AT_ONCE)),
            "start": start,
            "end": end,
        }

    body = kept_html(
        read, (found_cycle["id"], first, last, page), "board/changes_body.html", context
    )
    return render_template(
        "board/changes.html", cycle=found_cycle, body=found(body), start=start, end=end
    )


def chosen_team(
    read: ReadModels,
    endpoint: str,
    what: str,
    cycle: dict[str, Any],
    picker_template: str = "board/retrospective_teams.html",
) -> tuple[dict[str, Any] | None, str | None]:
    """The team of ``?team=`` (None for all), and, for an organisation of more teams
    than ``TEAMS_AT_ONCE`` asked for no team, the page that picks one instead (its
    ``picker_template`` says what one team's page shows)."""
    team, teams, chosen = asked_team(read)
    if team is not None and chosen is None:
        raise BoardError(404, "not_found", "no such team")
    if chosen is None and too_many_teams(teams):
        picker = render_template(
            picker_template,
            cycle=cycle,
            all_teams=teams,
            endpoint=endpoint,
            what=what,
        )
        return None, picker
    return chosen, None


@bp.get("/cycles/<cycle>/retrospective")
def retrospective(cycle: str) -> Any:
    read, now = models(), now_micros()
    found_cycle = found(read.cycle(cycle))
    team, picker = chosen_team(read, "board.retrospective", "retrospective", found_cycle)
    if picker is not None:
        return picker
    until = read.until(found_cycle["id"], now)
    team_id = team["id"] if team else None
    body = kept_html(
        read,
        (found_cycle["id"], until, team_id),
        "board/retro_body.html",
        lambda: report_of(read, cycle, now, team_id),
    )
    return render_template(
        "board/retrospective.html",
        cycle=found_cycle,
        reviewed_at=until,
        body=found(body),
        team=team,
    )


def report_of(
    read: ReadModels, cycle: str, now: int, team: str | None = None
) -> dict[str, Any] | None:
    report = read.retrospective(cycle, now=now, team=team)
    return None if report is None else {"cycle": report["cycle"], "report": report}


@bp.get("/cycles/<cycle>/retrospective/key-results/<key_result>/chart.svg")
def chart(cycle: str, key_result: str) -> Any:
    svg = found(models().chart(cycle, key_result), "no such key result in that cycle")
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/integrity")
def integrity() -> Any:
    read = models()
    return render_template(
        "board/integrity.html",
        checkpoint=checkpoint_view(read.position()),
        position=read.position(),
    )


@bp.get("/cycles/<cycle>/pack")
def pack(cycle: str) -> Any:
    read = models()
    now = now_micros()
    found_cycle = found(read.cycle(cycle))
    team, picker = chosen_team(read, "board.pack", "board pack", found_cycle)
    if picker is not None:
        return picker
    team_id = team["id"] if team else None

    def context() -> Any:
        tree = read.okrs(cycle, now=now, team=team_id)
        if tree is None:
            return None
        return {
            "cycle": tree["cycle"],
            "objectives": unique_objectives(tree),
            "rankings": rankings(tree),
            "history": history_of(read, cycle, team_id) or [],
            "report": read.retrospective(cycle, now=now, team=team_id),
        }

    until = read.until(found_cycle["id"], now)
    body = kept_html(read, (found_cycle["id"], until, team_id), "board/pack_body.html", context)
    return render_template(
        "board/pack.html",
        cycle=found_cycle,
        body=found(body),
        checkpoint=checkpoint_view(read.position()),
        position=read.position(),
        computed_at=datetime.now(UTC),
        team=team,
    )
