"""Spreadsheet imports: an OKR set from a planning sheet, check-ins from a metrics export.

``import_file`` reads the file, plans every row against the ledger, runs the plan's
commands through their handlers in one batch (``commands.batch``) and, unless it is a dry
run, saves everything in one transaction. Any problem, with the file or with a rule of
the domain, refuses the whole file naming its row and column, and nothing is written.
The CLI and the HTTP route share this module and answer with the same report.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from commands.batch import BatchOutcome, StepFailed, run_batch
from commands.bus import CommandBus
from commands.imports import checkins, okrs
from commands.imports.planner import Change
from commands.imports.problems import Problem, SpreadsheetRefused
from commands.imports.sheets import CSV_TYPE, MAX_ROWS, XLSX_TYPE, Sheet, read_sheet
from commands.principals import Principal
from ledger.exceptions import VersionConflict

OKRS, CHECK_INS = "okrs", "check-ins"
KINDS = (OKRS, CHECK_INS)
TEMPLATES = {OKRS: (okrs.COLUMNS, okrs.EXAMPLE), CHECK_INS: (checkins.COLUMNS, checkins.EXAMPLE)}
ATTEMPTS = 3
"""Plans re-made from fresh state when a concurrent writer got to an aggregate first."""

__all__ = ["CHECK_INS", "CSV_TYPE", "KINDS", "OKRS", "XLSX_TYPE", "Report", "import_file"]


def template(kind: str) -> str:
    """The CSV template of ``kind``: its header and one example row."""
    columns, example = TEMPLATES[kind]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerow(example)
    return out.getvalue()


def kind_of(sheet: Sheet) -> str:
    """Which template a sheet follows, by its header."""
    if "objective" in sheet.columns:
        return OKRS
    if {"value", "confidence"} <= set(sheet.columns):
        return CHECK_INS
    raise SpreadsheetRefused(
        [
            Problem(
                "unknown_layout",
                "the header follows neither template (okrs: cycle, team, objective, ...; "
                "check-ins: key_result, value, confidence, effective_date)",
                1,
            )
        ]
    )


@dataclass(frozen=True)
class Report:
    kind: str
    dry_run: bool
    rows: int
    batch: BatchOutcome

    def to_json(self) -> dict[str, Any]:
        changes = []
        for result in self.batch.results:
            source = result.step.source
            if not isinstance(source, Change):
                continue
            changes.append(
                {
                    "row": source.row,
                    "change": source.change,
                    "id": str(source.target_id),
                    "summary": source.summary,
                    "command": type(result.step.command).__name__,
                    "events": list(result.events),
                }
            )
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "changes": changes,
            "events": self.batch.event_count,
            "position": self.batch.position,
        }

    def lines(self) -> list[str]:
        """The report as text, one named change a line."""
        body = self.to_json()
        verb = "would write" if self.dry_run else "wrote"
        lines = [f"row {c['row']}: {c['change']}: {c['summary']}" for c in body["changes"]]
        where = f"; log at position {self.batch.position}" if self.batch.position else ""
        lines.append(
            f"{self.rows} rows, {len(body['changes'])} changes: {verb} "
            f"{self.batch.event_count} events{where}"
        )
        return lines


def import_file(
    bus: CommandBus,
    principal: Principal,
    data: bytes,
    *,
    dry_run: bool = False,
    kind: str | None = None,
    max_rows: int = MAX_ROWS,
) -> Report:
    """Import a CSV or XLSX file (of ``kind``, or the kind its header shows)."""
    sheet = read_sheet(data, max_rows=max_rows)
    found = kind_of(sheet)
    if kind is not None and found != kind:
        raise SpreadsheetRefused(
            [Problem("unknown_layout", f"the header does not follow the {kind} template", 1)]
        )
    plan = okrs.plan_okrs if found == OKRS else checkins.plan_check_ins
    for attempt in range(1, ATTEMPTS + 1):
        planned = plan(bus.ledger, sheet)
        try:
            batch = run_batch(
                bus, planned.steps, principal, write=not dry_run, absent=planned.absent
            )
        except StepFailed as failed:
            raise _refusal(failed) from None
        except VersionConflict:
            if attempt == ATTEMPTS:
                raise
            continue
        return Report(found, dry_run, len(sheet.rows), batch)
    raise AssertionError("unreachable")  # pragma: no cover


def _refusal(failed: StepFailed) -> Exception:
    """A refused step as a refusal of its row (a permission refusal stays one)."""
    source = failed.step.source
    if not isinstance(source, Change) or failed.error.rule in ("forbidden", "unauthenticated"):
        return failed.error
    column = source.column_of(failed.step.command, failed.error.field)
    if failed.error.rule in ("reason_required", "reason_or_decision_required"):
        column = "reason"
    elif failed.error.rule in ("cycle_closed", "invalid_transition") and column in (
        None,
        "status",
    ):
        column = "cycle" if failed.error.rule == "cycle_closed" else column
    elif failed.error.rule == "effective_time_before_cycle":
        column = "effective_date"
    return SpreadsheetRefused(
        [Problem(failed.error.rule, failed.error.message, source.row, column)]
    )
