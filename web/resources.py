"""The API's resources: for each, its write routes (one per command) and its reads."""

from __future__ import annotations

import re
from typing import Any

from flask_smorest import Blueprint

from commands.declarations import declared
from commands.schemas import SCHEMAS
from ledger.application import KIND_NAMES
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
from web.readmodels import RULES as READ_MODEL_RULES
from web.reads import register_reads
from web.writes import Route, register_writes

API = "/api/v1"

CONVERTER = {"team_id": "team", "cycle_id": "cycle"}
"""Path parameters taken by id or key; the others are UUIDs."""

ALIASES = {"cycle": "cycle_id", "key_result": "key_result_id"}
"""Read-model path parameters that name the same things as these."""

AGGREGATES: list[tuple[str, str, type[Any], str]] = [
    # (blueprint name, url segment, aggregate class, path parameter)
    # (a team or a cycle is named in paths by id or key: see web.refs)
    ("strategies", "strategies", Strategy, "strategy_id"),
    ("teams", "teams", Team, "team_id"),
    ("cycles", "cycles", Cycle, "cycle_id"),
    ("objectives", "objectives", Objective, "objective_id"),
    ("key-results", "key-results", KeyResult, "key_result_id"),
    ("initiatives", "initiatives", Initiative, "initiative_id"),
    ("dependencies", "dependencies", Dependency, "dependency_id"),
    ("kpis", "kpis", Kpi, "kpi_id"),
    ("decisions", "decisions", Decision, "decision_id"),
]


def rule_of(path: str) -> str:
    """A declared path (``/teams/{team_id}/name``) as a Flask rule, with converters."""
    return re.sub(r"\{(\w+)\}", lambda p: f"<{CONVERTER.get(p[1], 'uuid')}:{p[1]}>", path)


def write_routes() -> dict[str, list[Route]]:
    """Every declared command clients send, as a route under its resource's segment."""
    segment_of = {param: segment for _, segment, _, param in AGGREGATES}
    routes: dict[str, list[Route]] = {segment: [] for _, segment, _, _ in AGGREGATES}
    for command in SCHEMAS:
        found = declared(command)
        if found is None or found.address is None:  # a schema is made for an address
            continue
        segment, _, rest = found.address.path.removeprefix("/").partition("/")
        if segment not in routes:
            raise LookupError(f"{command.__name__}: no resource at /{segment}")
        made = found.creates if isinstance(found.creates, str) else None
        routes[segment].append(
            Route(
                found.address.method,
                rule_of(f"/{rest}" if rest else ""),
                command,
                location=segment_of.get(made) if made else None,
                path_fields=dict(found.address.path_fields),
                made=made,
                notes=found.notes,
            )
        )
    return routes


WRITES = write_routes()
RESOURCES: list[tuple[str, str, type[Any], str, list[Route]]] = [
    # (blueprint name, url segment, aggregate class, path parameter, write routes)
    (name, segment, cls, param, WRITES[segment])
    for name, segment, cls, param in AGGREGATES
]


def operations() -> list[tuple[str, str]]:
    """(operationId, rule) of every operation under the API."""
    found = []
    for _, segment, cls, param, routes in RESOURCES:
        prefix = f"{API}/{segment}"
        found += [(r.command.__name__, prefix + r.rule) for r in routes]
        rule = f"{prefix}/<{CONVERTER.get(param, 'uuid')}:{param}>"
        found += [(f"get{cls.__name__}", rule), (f"get{cls.__name__}History", f"{rule}/history")]
    return found + [(name, API + rule) for name, rule in READ_MODEL_RULES]


def params(rule: str) -> list[str]:
    return [ALIASES.get(p, p) for p in re.findall(r"<(?:\w+:)?(\w+)>", rule)]


def links() -> dict[str, dict[str, Any]]:
    """OpenAPI links from each creating command's answer to the operations that take
    what it made (so that a client, or a fuzzer, can follow real ids)."""
    made: dict[str, dict[str, Any]] = {}
    every = operations()
    for *_, routes in RESOURCES:
        for route in routes:
            created = route.made
            if not route.creates or not created:
                continue
            given = params(route.rule)
            found = {}
            for operation, rule in every:
                wanted = params(rule)
                if created in wanted and set(wanted) <= {created, *given}:
                    raw = re.findall(r"<(?:\w+:)?(\w+)>", rule)
                    found[operation] = {
                        "operationId": operation,
                        "parameters": {
                            name: "$response.body#/id"
                            if ALIASES.get(name, name) == created
                            else f"$request.path.{ALIASES.get(name, name)}"
                            for name in raw
                        },
                    }
            made[route.command.__name__] = found
    return made


def blueprints() -> list[Blueprint]:
    made = []
    every_link = links()
    for name, segment, cls, param, routes in RESOURCES:
        blp = Blueprint(
            name,
            __name__,
            url_prefix=f"{API}/{segment}",
            description=(cls.__doc__ or name).split("\n")[0],
        )
        register_writes(blp, routes, every_link)
        converter = CONVERTER.get(param, "uuid")
        register_reads(blp, cls, f"/<{converter}:{param}>", KIND_NAMES[cls.__name__])
        made.append(blp)
        if cls is Team:
            teams = blp
    register_reads(
        teams,  # a team's priorities in a cycle live under /teams
        Priorities,
        "/<team:team_id>/cycles/<cycle:cycle_id>/priorities",
        "team's priorities",
        ident_of=lambda path: Priorities.id_for(path["team_id"], path["cycle_id"]),
    )
    return made
