"""Every error ``code`` a client can meet, on HTTP or on the command topic: what kind
of failure it is, what it means and what the client should do.

Statuses are the fronts' business: ``web.error_codes`` gives each code its HTTP status
and lists in the OpenAPI document, per operation and status, the codes that apply to
that kind of operation; ``python -m web.error_docs > docs/errors.md`` writes the
documentation from it. A test fails when the source raises a
code missing here or this lists a code nothing raises.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands.errors import ErrorKind

# Kinds of operation a code applies to (an operation may be of several kinds).
WRITE = "write"
"""every command route (POST, PUT, DELETE under /api/v1)"""
CREATE = "create"
"""command routes that create a resource (no id of theirs in the path)"""
UPDATE = "update"
"""command routes that act on an existing resource named in the path"""
STATE = "state"
"""an aggregate's state (``GET .../{id}``)"""
HISTORY = "history"
"""an aggregate's events (``GET .../{id}/history``)"""
VIEW = "view"
"""the read models (cycles, OKR tree, audit, ...)"""
API = "api"
"""every operation under /api/v1"""
HEALTH = "health"
"""``/readyz``"""
INTAKE = "intake"
"""the Kafka command topic only"""
ROUTING = "routing"
"""any URL, before an operation is found (not listed per operation)"""
IMPORT = "import"
"""the spreadsheet imports (``POST /api/v1/imports``, ``POST /api/v1/check-ins/bulk``)"""
LOG = "log"
"""the transparency log's routes (``/api/v1/log/...``)"""
ARCHIVE = "archive"
"""``okr-ledger export`` and ``okr-ledger import`` of an archive (the command line only)"""


@dataclass(frozen=True)
class ErrorCode:
    code: str
    failure: ErrorKind
    """what kind of failure it is (each front gives it its status: ``web.errors.STATUS``)"""
    meaning: str
    action: str
    kinds: tuple[str, ...]


def _rule(code: str, meaning: str, action: str = "") -> ErrorCode:
    """A rule of the domain: refused, on command routes and the command topic."""
    return ErrorCode(
        code,
        ErrorKind.REFUSED,
        meaning,
        action or "Change the request as the message says.",
        (WRITE, INTAKE),
    )


FIX = "Fix the named field and send again."
SAME = "Nothing to do: the ledger already holds this."

PROTOCOL = [
    ErrorCode(
        "unauthenticated",
        ErrorKind.UNAUTHENTICATED,
        "No bearer token, or a token that is unknown or revoked.",
        "Send `Authorization: Bearer <token>` with a live token.",
        (API, INTAKE),
    ),
    ErrorCode(
        "forbidden",
        ErrorKind.FORBIDDEN,
        "The principal's role or teams do not allow the act (a reader writing, an editor "
        "outside their teams, a non-auditor asking for full history).",
        "Use a principal with the needed role or team; do not retry as is.",
        (WRITE, HISTORY, INTAKE, IMPORT),
    ),
    ErrorCode(
        "not_found",
        ErrorKind.NOT_FOUND,
        "The resource named in the path does not exist (at that version or instant), or "
        "no route has this URL.",
        "Check the id or key; for a version or `as_of`, pick one the history holds.",
        (WRITE, STATE, HISTORY, VIEW, INTAKE, ROUTING),
    ),
    ErrorCode(
        "method_not_allowed",
        ErrorKind.NOT_OFFERED,
        "The URL exists but not with this method.",
        "Use one of the methods in the `Allow` header.",
        (ROUTING,),
    ),
    ErrorCode(
        "bad_request",
        ErrorKind.MALFORMED,
        "The request is malformed at the HTTP level.",
        "Fix the request; the message says what is wrong.",
        (ROUTING,),
    ),
    ErrorCode(
        "malformed_json",
        ErrorKind.MALFORMED,
        "The body is not JSON (or nests deeper than a parser should follow).",
        "Send a JSON object.",
        (WRITE,),
    ),
    ErrorCode(
        "payload_too_large",
        ErrorKind.TOO_LARGE,
        "The body is larger than 1 MiB (a spreadsheet import: 5 MiB, or an XLSX that "
        "unpacks to over 50 MiB).",
        "Send a smaller body; no command needs that much (split a large spreadsheet).",
        (WRITE, IMPORT),
    ),
    ErrorCode(
        "unsupported_media_type",
        ErrorKind.UNSUPPORTED,
        "A body came without `Content-Type: application/json` (a spreadsheet import: "
        "without `text/csv` or the XLSX type).",
        "Send the body with the content type the operation documents.",
        (WRITE, IMPORT),
    ),
    ErrorCode(
        "validation_failed",
        ErrorKind.REFUSED,
        "The body or query does not match its schema (types, enums, lengths, bounds, "
        "unknown fields); `fields` names each field with its messages.",
        FIX,
        (WRITE, STATE, VIEW, INTAKE, IMPORT),
    ),
    ErrorCode(
        "unknown_reference",
        ErrorKind.REFUSED,
        "The body names something that does not exist (`fields` names it); the path's own "
        "target would be a 404.",
        "Create the referenced thing first, or fix its id.",
        (WRITE,),
    ),
    ErrorCode(
        "bad_if_match",
        ErrorKind.MALFORMED,
        '`If-Match` is not one strong ETag such as `"3"` (or `*`).',
        "Send the ETag a GET returned, unchanged.",
        (UPDATE,),
    ),
    ErrorCode(
        "if_match_not_applicable",
        ErrorKind.MALFORMED,
        "`If-Match` with a version on a route that creates: there is no version to match.",
        "Leave `If-Match` out (or send `*`).",
        (CREATE,),
    ),
    ErrorCode(
        "version_conflict",
        ErrorKind.CONFLICT,
        "The resource moved on since the client read it (`If-Match`, or a concurrent "
        "write); `current_version` and the `ETag` header give its version now.",
        "Read the resource again, decide again, and send with the new ETag.",
        (WRITE, INTAKE, IMPORT),
    ),
    ErrorCode(
        "already_exists",
        ErrorKind.CONFLICT,
        "A resource with that natural key (and so that id) already exists, or the objective "
        "or key result was already carried into that cycle (the message names the carried one).",
        "Use the existing one, or choose another key.",
        (WRITE, INTAKE),
    ),
    ErrorCode(
        "idempotency_key_reused",
        ErrorKind.REFUSED,
        "The idempotency key came back with a different command. Keys are per principal.",
        "Use a new key for a new command; reuse a key only to retry the same command.",
        (WRITE, INTAKE),
    ),
    ErrorCode(
        "invalid_spreadsheet",
        ErrorKind.REFUSED,
        "A spreadsheet import was refused and nothing was written: the file is not CSV or "
        "XLSX, follows neither template, or has problems in its rows. `problems` lists "
        "each (up to 50) with its `row` (the header is row 1), `column` and its own `code` "
        "(`bad_date`, `unknown_team`, `formula_cell`, a rule of the domain such as "
        "`reason_required`...); `fields` names them as `row N, column C`.",
        "Fix the named cells and send the whole file again (rows already in the ledger "
        "write nothing).",
        (IMPORT,),
    ),
    ErrorCode(
        "conflicting_query",
        ErrorKind.MALFORMED,
        "Both `version` and `as_of` were given.",
        "Give one of them.",
        (STATE,),
    ),
    ErrorCode(
        "position_beyond_log",
        ErrorKind.REFUSED,
        "`min_position` lies beyond the end of the log: no command has reached it.",
        "Pass the `position` a command returned, not a guess.",
        (VIEW,),
    ),
    ErrorCode(
        "view_behind",
        ErrorKind.UNAVAILABLE,
        "The read model has not yet reached `min_position` within the wait the server "
        "allows; `position` (and `X-View-Position`) says how far it is.",
        "Retry after the `Retry-After` seconds.",
        (VIEW,),
    ),
    ErrorCode(
        "database_unavailable",
        ErrorKind.UNAVAILABLE,
        "The readiness check cannot reach the database.",
        "Route traffic elsewhere; retry later.",
        (HEALTH,),
    ),
    ErrorCode(
        "internal_error",
        ErrorKind.INTERNAL,
        "A bug: the server failed unexpectedly. Nothing was written unless the answer to a "
        "retry says so.",
        "Retry with the same idempotency key; report it if it persists.",
        (ROUTING, INTAKE),
    ),
    ErrorCode(
        "malformed_message",
        ErrorKind.MALFORMED,
        "A command message on the command topic is not JSON.",
        "Publish a JSON command message.",
        (INTAKE,),
    ),
    ErrorCode(
        "unknown_command",
        ErrorKind.MALFORMED,
        "A command message names no known command.",
        "Use a command name from the API (e.g. `CheckIn`).",
        (INTAKE,),
    ),
    ErrorCode(
        "index_out_of_range",
        ErrorKind.REFUSED,
        "A leaf index at or beyond the tree size (or not a whole number in range).",
        "Ask for an index below the size; the latest checkpoint gives the size.",
        (LOG,),
    ),
    ErrorCode(
        "size_beyond_checkpoint",
        ErrorKind.REFUSED,
        "A tree size beyond the latest signed checkpoint: nothing vouches for it yet.",
        "Use a size no larger than the latest checkpoint's, or wait for the next one.",
        (LOG,),
    ),
    ErrorCode(
        "bad_proof_range",
        ErrorKind.REFUSED,
        "A consistency proof asked from a size beyond the one it proves to.",
        "Send `from` no larger than `to`.",
        (LOG,),
    ),
    ErrorCode(
        "not_checkpointed",
        ErrorKind.UNAVAILABLE,
        "No signed checkpoint covers every event of this command yet.",
        "Retry after the seconds `Retry-After` gives.",
        (LOG,),
    ),
    ErrorCode(
        "no_signing_key",
        ErrorKind.UNAVAILABLE,
        "The log has no signing key configured, so it cannot sign or name its key.",
        "The operator sets `OKR_LEDGER_SIGNING_KEY_FILE` (`okr-ledger log keygen`).",
        (LOG,),
    ),
    ErrorCode(
        "bad_note",
        ErrorKind.REFUSED,
        "A key, signed note or checkpoint that is malformed or does not verify.",
        "Send the note or key exactly as the log issued it.",
        (LOG,),
    ),
    ErrorCode(
        "log_corrupted",
        ErrorKind.UNAVAILABLE,
        "The stored tree no longer matches what the log signed; it refuses to go on.",
        "Report it: the operator runs `okr-ledger verify`, which names the position.",
        (LOG,),
    ),
    ErrorCode(
        "export_refused",
        ErrorKind.CONFLICT,
        "An export cannot be written: its directory exists, no checkpoint of that size was "
        "signed, the tree is not built to it, or a stored entry no longer matches its leaf.",
        "Pick a new directory or a signed size; run `okr-ledger verify` if an entry is named.",
        (ARCHIVE,),
    ),
    ErrorCode(
        "archive_refused",
        ErrorKind.REFUSED,
        "An archive to import does not verify (the first bad entry, tile, checkpoint or file "
        "is named) or is an increment; nothing was imported.",
        "Import a whole, intact export; check it with `okr-ledger-verify export`.",
        (ARCHIVE,),
    ),
    ErrorCode(
        "store_not_empty",
        ErrorKind.CONFLICT,
        "An import goes into an empty store only; this one holds events, leaves or "
        "checkpoints. Nothing was imported.",
        "Point `--database-url` at a new, empty database or file.",
        (ARCHIVE,),
    ),
]

RULES = [
    _rule("actor_required", "An act came without an actor (a principal with no name)."),
    _rule("alignment_loop", "The alignment would put an objective under itself."),
    _rule("already_aligned", "The objective is already aligned there.", SAME),
    _rule("already_linked", "The link already exists.", SAME),
    _rule("already_ranked", "The objective is already ranked in the priorities.", SAME),
    _rule(
        "already_superseded",
        "The check-in was already corrected.",
        "Correct the latest correction instead.",
    ),
    _rule(
        "aim_met",
        "The key result has met its aim (a metric at its target, a milestone reached, a "
        "baseline measured), so there is nothing to carry forward.",
        "Leave it out of `key_result_ids`, or define a new key result in the next cycle.",
    ),
    _rule(
        "bad_url",
        "A webhook URL is not an absolute http(s) URL, or carries credentials.",
        FIX,
    ),
    _rule("band_not_allowed", "This kind of key result has no band.", FIX),
    _rule("band_order", "Band or KPI thresholds are in the wrong order.", FIX),
    _rule("band_required", "A band key result needs band_low and band_high.", FIX),
    _rule("band_low_not_allowed", "This kind of key result has no band_low.", FIX),
    _rule("band_high_not_allowed", "This kind of key result has no band_high.", FIX),
    _rule(
        "baseline_not_allowed", "A baseline key result learns its baseline by checking in.", FIX
    ),
    _rule("cadence", "The check-in cadence is 1 to 31 days.", FIX),
    _rule(
        "carry_target",
        "Work is carried into a later cycle in planning or active, under an objective of "
        "that cycle; the named cycle or objective is not one.",
        "Name a later cycle that is in planning or active (open one first if needed).",
    ),
    _rule("cause_required", "A missed or partly hit objective names at least one cause.", FIX),
    _rule("choice_retired", "The strategic choice is retired.", "Link to a live choice."),
    _rule("company_has_no_parent", "A company sits at the top of the tree.", FIX),
    _rule("currency", "The currency is not an ISO 4217 code.", FIX),
    _rule(
        "cycle_closed",
        "The cycle is closed: it changes only through a reasoned correction or by reopening it.",
        "Reopen the cycle with a reason, or act in an open cycle.",
    ),
    _rule("cycle_mismatch", "An initiative links only to key results of its own cycle.", FIX),
    _rule("decided_by_required", "A decision names who decided.", FIX),
    _rule("duplicate", "The same item is named twice, or the id is already used.", FIX),
    _rule(
        "effective_time_before_cycle",
        "`effective_at` lies before the cycle starts.",
        "Give an effective time inside the cycle.",
    ),
    _rule(
        "effective_time_in_future",
        "`effective_at` lies after the time the act is recorded.",
        "Record the act when it happens; back-dating is allowed, forward-dating is not.",
    ),
    _rule("ends_before_start", "A cycle must end after it starts.", FIX),
    _rule(
        "invalid_transition",
        "The act is not allowed in the resource's current status (e.g. starting a closed cycle).",
        "Read the resource's status; take the step that status allows.",
    ),
    _rule("key_result_dropped", "The key result is dropped.", "Link to a live key result."),
    _rule("milestone_value", "A milestone checks in 0 (not reached) or 1 (reached).", FIX),
    _rule("must_be_positive", "The number must be above zero.", FIX),
    _rule("must_not_be_negative", "The number cannot be negative.", FIX),
    _rule("naive_datetime", "A time came without a time zone.", "Send ISO 8601 with a zone."),
    _rule("no_change", "The command would change nothing.", SAME),
    _rule("not_a_number", "The number is not finite.", FIX),
    _rule(
        "not_a_permutation",
        "A new ordering must rank every live objective of the team in the cycle exactly once.",
        "Read the current priorities and send a full ordering.",
    ),
    _rule("not_aligned", "The objective is not aligned there.", SAME),
    _rule("not_allowed", "The value is not one of the allowed choices.", FIX),
    _rule("not_linked", "There is no such link to remove.", SAME),
    _rule(
        "objective_not_carried",
        "A key result carried alone goes under its objective's carried objective in that "
        "cycle, and its objective was not carried there.",
        "Carry the objective first, or name an objective of that cycle in `objective_id`.",
    ),
    _rule("on_ref_incomplete", "Name both on_kind and on_id, or neither.", FIX),
    _rule("out_of_range", "The number must be below 10^15 in size.", FIX),
    _rule("parent_dropped", "The parent is dropped.", "Align under a live parent."),
    _rule("parent_level", "That level of unit cannot sit under that parent.", FIX),
    _rule("parent_required", "A function or team needs a parent unit.", FIX),
    _rule(
        "private_target",
        "A webhook URL resolves to a loopback or private-network address.",
        "Use a public receiver, or set OKR_LEDGER_WEBHOOK_ALLOW_PRIVATE=1 on premises.",
    ),
    _rule(
        "reason_or_decision_required",
        "The act needs a reason or the decision behind it.",
        "Send `reason` or `decision_id`.",
    ),
    _rule(
        "reason_required",
        "The act needs a reason (retarget, easing, drop, ...).",
        "Send `reason`.",
    ),
    _rule("required", "A required value is blank or missing.", FIX),
    _rule("rice_confidence", "RICE confidence lies in (0, 1].", FIX),
    _rule("rice_impact", "RICE impact is one of 0.25, 0.5, 1, 2, 3.", FIX),
    _rule("same_team", "A dependency is on another team.", FIX),
    _rule("score_range", "A score lies in 0.0-1.0.", FIX),
    _rule("target_direction", "The target lies on the wrong side of the baseline.", FIX),
    _rule("target_equals_baseline", "The target must differ from the baseline.", FIX),
    _rule("target_not_allowed", "This kind of key result has no target.", FIX),
    _rule("teams_not_allowed", "Only editors are scoped to teams.", FIX),
    _rule("teams_required", "An editor writes for at least one team.", FIX),
    _rule("token_hash", "A token hash is 64 hex digits.", FIX),
    _rule("too_long", "The text is longer than allowed.", FIX),
    _rule("too_many", "Too many items (e.g. blockers).", FIX),
    _rule("too_precise", "The number has more than ten decimal places.", FIX),
    _rule("tree_loop", "A unit cannot move under itself or its descendant.", FIX),
    _rule(
        "unresolvable_target",
        "A webhook URL's host does not resolve (in time).",
        "Check the host name; send again once it resolves.",
    ),
    _rule("wrong_objective", "The key result does not belong to this objective.", FIX),
    _rule("wrong_team", "`on_id` does not belong to `on_team_id`.", FIX),
]

CATALOGUE: dict[str, ErrorCode] = {e.code: e for e in [*PROTOCOL, *RULES]}


KIND_NAMES = {
    WRITE: "commands",
    CREATE: "creating commands",
    UPDATE: "commands on an existing resource",
    STATE: "state reads",
    HISTORY: "history reads",
    VIEW: "read models",
    API: "every API route",
    HEALTH: "/readyz",
    INTAKE: "command topic",
    ROUTING: "any URL",
    IMPORT: "spreadsheet imports",
    LOG: "transparency log",
    ARCHIVE: "export and import (command line)",
}


if __name__ == "__main__":
    raise SystemExit("docs/errors.md is written by: python -m web.error_docs > docs/errors.md")
