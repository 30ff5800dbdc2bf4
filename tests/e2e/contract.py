"""Responses checked against the OpenAPI document: the schema of the route's documented
status and media type, with every ``$ref`` resolved in the document itself."""

from __future__ import annotations

import re
from typing import Any

from openapi_schema_validator import OAS30Validator
from werkzeug.test import TestResponse


def operation_of(spec: dict[str, Any], path: str, method: str = "get") -> tuple[str, Any]:
    """The documented path template matching a concrete path, and its operation."""
    bare = path.split("?")[0]
    found = []
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\\{[^}/]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, bare) and method in item:
            found.append((template.count("{"), template, item[method]))
    if not found:
        raise AssertionError(f"{method.upper()} {bare} is not in the document")
    _, template, operation = min(found)  # literal segments win: /kpis/health, not /kpis/{id}
    return template, operation


def violations(spec: dict[str, Any], path: str, response: TestResponse) -> list[str]:
    """What in the response the document does not describe (empty when it conforms)."""
    template, operation = operation_of(spec, path)
    documented = operation["responses"].get(str(response.status_code))
    if documented is None:
        return [f"{template}: status {response.status_code} is not documented"]
    media = response.mimetype
    content = documented.get("content", {})
    if media not in content:
        return [f"{template}: {media} is not documented for {response.status_code}"]
    if media != "application/json":
        return []
    validator = OAS30Validator(
        {**content[media]["schema"], "components": spec["components"]},
        format_checker=OAS30Validator.FORMAT_CHECKER,
    )
    body = response.get_json()
    return [
        f"{template} at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
        for e in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path)))
    ]
