"""The audit trail page: every event, filtered, a page at a time, with CSV and JSON
Lines downloads of every match. Viewers see what the API shows them: no reasons,
payloads or correlation ids."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import render_template, request

from eventlog.vocabulary import micros_of
from projections.audit import audit_row
from projections.state import EFFECTIVE, RECORDED
from web.board import BoardError, bp
from web.board.pages import instant, models
from web.board.session import signed_in_principal
from web.readmodels import export

PAGE_SIZE = 50
TEXT_FILTERS = ("cycle", "team", "actor", "type")
ID_FILTERS = ("aggregate", "decision", "correlation")


def audit_filters() -> tuple[dict[str, Any], dict[str, str]]:
    """The filters for the read model, and the same as the form shows them."""
    shown: dict[str, str] = {}
    filters: dict[str, Any] = {}
    for name in (*TEXT_FILTERS, *ID_FILTERS):
        value = request.args.get(name, "").strip()
        if not value:
            continue
        if name in ID_FILTERS:
            try:
                value = str(UUID(value))
            except ValueError:
                raise BoardError(
                    422, "validation_failed", f"{name}: not an id (a UUID)", name
                ) from None
        shown[name] = filters[name] = value
    mode = request.args.get("time", RECORDED)
    if mode not in (RECORDED, EFFECTIVE):
        raise BoardError(422, "validation_failed", "time: recorded or effective", "time")
    filters["time"] = shown["time"] = mode
    for name in ("from", "to"):
        moment = instant(name)
        if moment is not None:
            filters[name] = micros_of(moment)
            shown[name] = request.args[name]
    return filters, shown


LARGEST_POSITION = 2**63 - 1
"""what both databases store as a log position"""


def cursor() -> int:
    text = request.args.get("after", "0")
    if not (text.isascii() and text.isdigit()) or int(text) > LARGEST_POSITION:
        raise BoardError(422, "validation_failed", "after: a log position", "after")
    return int(text)


@bp.get("/audit")
def audit() -> Any:
    filters, shown = audit_filters()
    after = cursor()
    principal = signed_in_principal()
    full = bool(principal and principal.can_audit)
    rows = models().audit_rows(filters, after=after, limit=PAGE_SIZE + 1)
    events = [audit_row(r, full=full) for r in rows[:PAGE_SIZE]]
    next_after = events[-1]["position"] if len(rows) > PAGE_SIZE else None
    return render_template(
        "board/audit.html",
        events=events,
        filters=shown,
        full=full,
        after=after,
        next_after=next_after,
        page_size=PAGE_SIZE,
    )


@bp.get("/audit/export.<kind>")
def audit_export(kind: str) -> Any:
    if kind not in ("csv", "jsonl"):
        raise BoardError(404, "not_found", "downloads are audit/export.csv or .jsonl")
    filters, _ = audit_filters()
    principal = signed_in_principal()
    full = bool(principal and principal.can_audit)
    rows = (audit_row(r, full=full) for r in models().all_audit_rows(filters))
    return export(rows, kind)
