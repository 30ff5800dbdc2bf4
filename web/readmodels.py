"""The read models over HTTP: cycles, the OKR tree (now, or as of an instant), the KPI
board, the alignment graph, the audit trail (with exports), priority history, diffs and
retrospectives (with re-scoring and charts)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import Response, current_app, stream_with_context
from marshmallow import Schema, fields
from marshmallow.validate import Length, OneOf, Range
from orjson import Fragment

from commands.schemas import MAX_INTEGER, Instant, StorableTextSchema
from eventlog.vocabulary import micros_of, time_text
from ledger.cycle import Cycle
from ledger.meta import utc_now
from projections.audit import audit_row
from projections.cells import spreadsheet_cell
from projections.retrospective import retrospective_csv
from projections.sandbagging import SANDBAGGING_CYCLES
from projections.service import PositionBeyondLog, ReadModels, ViewBehind, resolve
from projections.state import EFFECTIVE, RECORDED
from web import responses as r
from web.auth import current_principal
from web.errors import error_response
from web.retrospective_responses import RetrospectiveSchema
from web.scoring_query import ScoringPolicyQuery


def read_models() -> ReadModels:
    models: ReadModels = current_app.extensions["okr_ledger"].read_models
    models.refresh()
    return models


def now_micros() -> int:
    return micros_of(utc_now())


def to_micros(value: Any) -> int | None:
    return None if value is None else micros_of(value)


def Key(**kwargs: Any) -> fields.String:
    return fields.String(validate=Length(min=1, max=200), **kwargs)


class FreshnessSchema(StorableTextSchema):
    min_position = fields.Integer(
        validate=Range(min=0, max=MAX_INTEGER),
        metadata={
            "description": "wait (briefly, OKR_LEDGER_VIEW_WAIT_SECONDS, 1 s by default) "
            "until the read model has reached this log position, as returned by a "
            "command; 503 view_behind if it has not; 422 position_beyond_log at once if "
            "the log itself has not"
        },
    )


def SandbaggingCycles() -> fields.Integer:
    return fields.Integer(
        validate=Range(min=2, max=12),
        load_default=SANDBAGGING_CYCLES,
        metadata={
            "description": "sandbagging advice: how many scored cycles in a row of 1.0 on "
            f"every key result, committed and aspirational, flag a team ({SANDBAGGING_CYCLES} "
            "by default)"
        },
    )


class OkrQuerySchema(FreshnessSchema):
    team = Key(metadata={"description": "a team id or key"})
    as_of = Instant(metadata={"description": "the OKR set at this instant"})
    time = fields.String(
        validate=OneOf((RECORDED, EFFECTIVE)),
        load_default=RECORDED,
        metadata={
            "description": "recorded: as the ledger knew it then; "
            "effective: as it was true then, corrections applied"
        },
    )
    sandbagging_cycles = SandbaggingCycles()


class DiffQuerySchema(FreshnessSchema):
    start = Instant(required=True, data_key="from")
    end = Instant(required=True, data_key="to")


class AuditQuerySchema(FreshnessSchema):
    cycle = Key(metadata={"description": "a cycle id or key"})
    team = Key(metadata={"description": "a team id or key"})
    aggregate = fields.UUID()
    actor = Key()
    type = Key(
        metadata={
            "description": "an aggregate type (KeyResult) or an event type (KeyResult.CheckedIn)"
        }
    )
    decision = fields.UUID()
    correlation = fields.UUID()
    start = Instant(data_key="from")
    end = Instant(data_key="to")
    time = fields.String(validate=OneOf((RECORDED, EFFECTIVE)), load_default=RECORDED)
    cursor = fields.Integer(
        validate=Range(min=0, max=MAX_INTEGER),
        load_default=0,
        metadata={"description": "the next_cursor of the previous page"},
    )
    limit = fields.Integer(validate=Range(min=1, max=1000), load_default=100)
    format = fields.String(
        validate=OneOf(("json", "csv", "jsonl")),
        load_default="json",
        metadata={"description": "csv and jsonl export every match"},
    )


def guarded(view: Callable[..., Any]) -> Callable[..., Any]:
    """Authenticate, honour min_position, and say how fresh the answer is."""

    def wrapper(query: dict[str, Any], **path: Any) -> Any:
        current_principal()
        models = read_models()
        wait = current_app.extensions["okr_ledger"].settings.view_wait_seconds
        try:
            reached = models.wait_for(query.get("min_position"), wait)
        except PositionBeyondLog as beyond:
            return error_response(
                422, "position_beyond_log", str(beyond), {"min_position": [str(beyond)]}
            )
        except ViewBehind as behind:
            return error_response(
                503,
                "view_behind",
                str(behind),
                {"min_position": [str(behind)]},
                {"Retry-After": "1", "X-View-Position": str(behind.reached)},
                position=behind.reached,
            )
        result = view(models, query, **path)
        if result is None:
            return error_response(404, "not_found", "no such cycle (at that instant)")
        if isinstance(result, bytes):  # an answer kept encoded (projections.answers)
            result = Response(result + b"\n", mimetype=current_app.json.mimetype)
        elif not isinstance(result, Response):
            # Rendered as is (already in the vocabulary): the schema documents it, and
            # the tests hold the two together; a marshmallow dump would only cost time.
            result = current_app.json.response(result)
        result.headers["X-View-Position"] = str(reached)
        return result

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


OTHER_MEDIA = {
    "csv": ("text/csv", "format=csv: comma-separated values with a header row"),
    "jsonl": ("application/x-ndjson", "format=jsonl: one JSON object per line"),
    "svg": ("image/svg+xml", "an SVG document"),
}


@dataclass(frozen=True)
class ReadRoute:
    rule: str
    query: type[Schema]
    operation: str
    response: type[Schema] | None
    """documents the JSON body (None: no JSON body)"""
    media: tuple[str, ...] = ()
    """its other representations (``OTHER_MEDIA``)"""


def route(
    rule: str,
    query: type[Schema],
    operation: str,
    response: type[Schema] | None,
    *,
    media: tuple[str, ...] = (),
) -> Callable[..., Any]:
    """Mark a function as a read-model view (it registers nothing:
    ``web.read_views.blueprint`` mounts the views it is given)."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.read_route = ReadRoute(rule, query, operation, response, media)  # type: ignore[attr-defined]
        return view

    return mark


@route("/cycles", FreshnessSchema, "listCycles", r.CycleListSchema)
def cycles(models: ReadModels, query: dict[str, Any]) -> Any:
    """Every cycle, with its dates and status."""
    return {"cycles": models.cycles()}


@route("/cycles/<cycle>/okrs", OkrQuerySchema, "getCycleOkrs", r.OkrTreeSchema)
def okrs(models: ReadModels, query: dict[str, Any], cycle: str) -> Any:
    """The OKR tree of a cycle: strategic choice → objective → key results → initiatives,
    with ranks, latest values, scores, confidence, staleness and quality advice; now, or
    as of an instant (recorded or effective time)."""
    return models.okrs_json(
        cycle,
        now=now_micros(),
        team=query.get("team"),
        as_of=to_micros(query.get("as_of")),
        mode=query["time"],
        sandbagging_cycles=query["sandbagging_cycles"],
    )


@route("/cycles/<cycle>/alignment", FreshnessSchema, "getCycleAlignment", r.AlignmentSchema)
def alignment(models: ReadModels, query: dict[str, Any], cycle: str) -> Any:
    """The alignment graph of a cycle, with its orphan objectives."""
    return models.alignment(cycle)


@route(
    "/cycles/<cycle>/priorities/history",
    FreshnessSchema,
    "getPriorityHistory",
    r.PriorityHistorySchema,
)
def priorities_history(models: ReadModels, query: dict[str, Any], cycle: str) -> Any:
    """Per team, each ranking in force: when it started, who set it, why, which decision."""
    history = models.priority_history_json(cycle)
    return None if history is None else {"cycle": cycle, "teams": Fragment(history)}


@route("/cycles/<cycle>/diff", DiffQuerySchema, "getCycleDiff", r.DiffSchema)
def cycle_diff(models: ReadModels, query: dict[str, Any], cycle: str) -> Any:
    """Named changes between two instants (recorded time), each with who, when, why and
    decision, and the field changes that turn the earlier OKR set into the later."""
    start, end = to_micros(query["start"]), to_micros(query["end"])
    if start is None or end is None or end < start:
        return error_response(
            422,
            "validation_failed",
            "to must not be before from",
            {"to": ["must not be before from"]},
        )
    changes = models.diff_json(cycle, start, end)
    if changes is None:
        return None
    return {
        "cycle": cycle,
        "from": time_text(query["start"]),
        "to": time_text(query["end"]),
        "changes": Fragment(changes),
    }


class RetrospectiveQuerySchema(FreshnessSchema, ScoringPolicyQuery):
    format = fields.String(validate=OneOf(("json", "csv")), load_default="json")
    sandbagging_cycles = SandbaggingCycles()
    team = Key(
        metadata={
            "description": "a team id or key: that team's objectives and key results only "
            "(with the cycle-wide decisions)"
        }
    )


@route(
    "/cycles/<cycle>/retrospective",
    RetrospectiveQuerySchema,
    "getRetrospective",
    RetrospectiveSchema,
    media=("csv",),
)
def cycle_retrospective(models: ReadModels, query: dict[str, Any], cycle: str) -> Any:
    """The end-of-cycle review: final scores (computed and overridden), committed vs
    aspirational outcomes, target changes, drops, reprioritisations and their decisions,
    check-in rhythm, confidence trajectories, time series and miss causes; as JSON or
    CSV. Scoring parameters re-score it under another policy (nothing is written).

    Every scoring rule and parameter, with its default and range, is described in
    docs/scoring.md of the source."""
    now, policy, n = now_micros(), query["policy"], query["sandbagging_cycles"]
    team = query.get("team")
    review = partial(
        models.retrospective, cycle, now=now, policy=policy, sandbagging_cycles=n, team=team
    )
    if query["format"] == "csv":
        report = review()
        if report is None:
            return None
        response = Response(retrospective_csv(report), mimetype="text/csv")
        filename = f"retrospective-{cycle}.csv"
        response.headers["Content-Disposition"] = f"attachment; filename={filename}"
        return response

    def with_charts() -> Any:
        report = review()
        for kr in report["key_results"] if report else ():
            kr["chart"] = f"/api/v1/cycles/{cycle}/retrospective/key-results/{kr['id']}/chart.svg"
        return report

    until = models.until(resolve(cycle, Cycle), now)
    return models.remembered(
        ("retrospective with charts", cycle, until, repr(policy), n, team), with_charts
    )


@route(
    "/cycles/<cycle>/retrospective/key-results/<key_result>/chart.svg",
    FreshnessSchema,
    "getKeyResultChart",
    None,
    media=("svg",),
)
def key_result_chart(
    models: ReadModels, query: dict[str, Any], cycle: str, key_result: str
) -> Any:
    """A key result's progress against the straight line from baseline to target (SVG)."""
    svg = models.chart(cycle, key_result)
    return None if svg is None else Response(svg, mimetype="image/svg+xml")


@route("/kpis/health", FreshnessSchema, "getKpiBoard", r.KpiBoardSchema)
def kpi_health(models: ReadModels, query: dict[str, Any]) -> Any:
    """The KPI health board: every KPI's latest value and health."""
    return {"kpis": models.kpis()}


@route("/audit", AuditQuerySchema, "getAuditTrail", r.AuditPageSchema, media=("csv", "jsonl"))
def audit(models: ReadModels, query: dict[str, Any]) -> Any:
    """Every event flattened, filtered, a page at a time (or exported whole as CSV or
    JSON lines). Auditors and admins see reasons, payloads and correlation ids."""
    full = current_principal().can_audit
    filters = {
        k: (str(v) if k in ("aggregate", "decision", "correlation") else v)
        for k, v in query.items()
    }
    filters["from"], filters["to"] = to_micros(query.get("start")), to_micros(query.get("end"))
    if query["format"] != "json":
        rows = (audit_row(r, full=full) for r in models.all_audit_rows(filters))
        return export(rows, query["format"])
    rows = models.audit_rows(filters, after=query["cursor"], limit=query["limit"])
    page = [audit_row(r, full=full) for r in rows]
    next_cursor = page[-1]["position"] if len(page) == query["limit"] else None
    return {"events": page, "next_cursor": next_cursor, "full_detail": full}


def export(rows: Iterator[dict[str, Any]], kind: str) -> Response:
    def lines() -> Iterator[str]:
        if kind == "jsonl":
            for row in rows:
                yield json.dumps(row) + "\n"
            return
        buffer = io.StringIO()
        writer: csv.DictWriter[str] | None = None
        for row in rows:
            flat = {
                k: spreadsheet_cell(json.dumps(v) if isinstance(v, (dict, list)) else v)
                for k, v in row.items()
            }
            if writer is None:
                writer = csv.DictWriter(buffer, fieldnames=list(flat))
                writer.writeheader()
            writer.writerow(flat)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    mimetype = "text/csv" if kind == "csv" else "application/x-ndjson"
    response = Response(stream_with_context(lines()), mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=audit.{kind}"
    return response


VIEWS = (
    cycles,
    okrs,
    alignment,
    priorities_history,
    cycle_diff,
    cycle_retrospective,
    key_result_chart,
    kpi_health,
    audit,
)
"""This module's views, in the order the document lists them."""
