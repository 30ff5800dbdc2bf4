"""Planning bulk check-ins from a metrics export.

Each row names a key result (its id, or ``cycle/team/key`` with the key the spreadsheet
import gave it), a value, a confidence and the date the value is true. The natural key
of a row is (key result, effective time): a row whose key result already holds a live
check-in at that time with the same value, confidence and note plans nothing, so a file
acts once however often it is sent; a row that differs plans a correction of that
check-in (which needs the row's ``reason``).
"""

from __future__ import annotations

from uuid import UUID

from commands import messages as m
from commands.imports.cells import RowReader
from commands.imports.planner import Change, Planner
from commands.imports.problems import Problem, SpreadsheetRefused
from commands.imports.sheets import Sheet
from ledger.application import Ledger
from ledger.cycle import Cycle
from ledger.key_result import CONFIDENCES, KeyResult
from ledger.team import Team

COLUMNS = ("key_result", "value", "confidence", "effective_date", "note", "reason")
REQUIRED = ("key_result", "value", "confidence", "effective_date")
EXAMPLE = ("2026-Q4/contact-centre/fcr", "66.5", "on_track", "2026-10-12", "", "")


def key_result_id(text: str) -> UUID | None:
    """A key result's id from its id or ``cycle-key/team-key/key-result-key``."""
    try:
        return UUID(text)
    except ValueError:
        pass
    parts = text.split("/")
    if len(parts) != 3 or not all(parts):
        return None
    cycle, team, key = parts
    return KeyResult.id_for(Team.id_for(team), Cycle.id_for(cycle), key)


def plan_check_ins(ledger: Ledger, sheet: Sheet) -> Planner:
    missing = [c for c in REQUIRED if c not in sheet.columns]
    if missing:
        raise SpreadsheetRefused(
            [Problem("missing_column", f"the header lacks column {c}", 1, c) for c in missing]
        )
    plan = Planner(ledger, sheet)
    ids = [key_result_id(row.cells.get("key_result", "")) for row in sheet.rows]
    plan.lookup(i for i in ids if i is not None)
    seen: dict[tuple[UUID, object], int] = {}
    for row, kr_id in zip(sheet.rows, ids, strict=True):
        r = RowReader(row, plan.problems)
        text = r.text("key_result", required=True, max_length=200)
        value = r.number("value")
        if value is None and r.text("value") == "":
            r.problem("required", "value", "value must not be blank")
        confidence = r.choice("confidence", CONFIDENCES, None)
        if confidence is None and not r.text("confidence"):
            r.problem("required", "confidence", "confidence must not be blank")
        effective_at = r.instant("effective_date")
        note = r.text("note", max_length=4000)
        reason = r.text("reason", max_length=2000) or None
        kr = plan.find(KeyResult, kr_id) if kr_id else None
        if text and kr is None:
            r.problem("unknown_key_result", "key_result",
                      f"no key result {text!r} (give its id or cycle/team/key)")  # fmt: skip
        if kr is None or value is None or confidence is None or effective_at is None:
            continue
        natural = (kr.id, effective_at)
        if natural in seen:
            r.problem("duplicate_row", "effective_date", f"row {seen[natural]} already "
                      "checks this key result in at this time")  # fmt: skip
            continue
        seen[natural] = row.number
        held = next((c for c in kr.current_check_ins() if c.effective_at == effective_at), None)
        if held is None:
            command: m.Command = m.CheckIn(
                key_result_id=kr.id, value=value, confidence=confidence, note=note,
                effective_at=effective_at, reason=reason,
            )  # fmt: skip
            change, summary = "key_result_checked_in", f"check in {value} ({confidence})"
        elif (held.value, held.confidence, held.note) == (value, confidence, note):
            continue
        else:
            command = m.CorrectCheckIn(
                key_result_id=kr.id, supersedes=held.id, value=value, confidence=confidence,
                note=note, effective_at=effective_at, reason=reason,
            )  # fmt: skip
            change = "check_in_corrected"
            summary = f"correct check-in {held.value} → {value} ({confidence})"
        plan.add(row.number, change, f"{summary} on {kr.statement!r}", kr.id, command)
    if plan.problems:
        raise SpreadsheetRefused(plan.problems)
    return plan


__all__ = ["COLUMNS", "EXAMPLE", "Change", "key_result_id", "plan_check_ins"]
