"""``docs/errors.md``, written from the catalogue with each code's HTTP status:
``python -m web.error_docs > docs/errors.md``."""

from __future__ import annotations

from web.error_codes import CATALOGUE, KIND_NAMES


def catalogue_markdown() -> str:
    lines = [
        "# Error codes",
        "",
        "<!-- Written by `python -m web.error_docs > docs/errors.md`; do not edit. -->",
        "",
        "Every failure answers in one shape, on HTTP and on the command topic's results:",
        "",
        "```json",
        '{"error": {"status": 422, "code": "reason_required", "message": "...",',
        '           "fields": {"reason": ["..."]}}}',
        "```",
        "",
        "`code` is stable and machine-readable; `message` is for people and may change.",
        "`fields` (when present) names each field or header to blame. Some codes carry more:",
        "`current_version` (version_conflict), `position` (view_behind), and `request_id`",
        "(the request's id, on every error). The OpenAPI document lists, for each operation",
        "and status, the codes it can answer with (the `code` property's `enum`).",
        "",
        "| code | status | applies to | meaning | what the client should do |",
        "|---|---|---|---|---|",
    ]
    for entry in sorted(CATALOGUE.values(), key=lambda e: (e.status, e.code)):
        where = ", ".join(KIND_NAMES[k] for k in entry.kinds)
        lines.append(
            f"| `{entry.code}` | {entry.status} | {where} | {entry.meaning} | {entry.action} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(catalogue_markdown(), end="")
