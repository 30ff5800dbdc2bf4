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


def body_violations(
    spec: dict[str, Any], path: str, status: int, body: Any, *, method: str = "get"
) -> list[str]:
    """What in a JSON body the document does not describe for this route and status."""
    template, operation = operation_of(spec, path, method)
    documented = operation["responses"].get(str(status))
    if documented is None:
        return [f"{template}: status {status} is not documented"]
    content = documented.get("content", {})
    if "application/json" not in content:
        return [f"{template}: no JSON is documented for {status}"]
    validator = OAS30Validator(
        {**content["application/json"]["schema"], "components": spec["components"]},
        format_checker=OAS30Validator.FORMAT_CHECKER,
    )
    return [
        f"{method.upper()} {template} at /{'/'.join(map(str, e.absolute_path))}: "
        + e.message[:300]
        for e in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path)))
    ]


def violations(
    spec: dict[str, Any], path: str, response: TestResponse, *, method: str = "get"
) -> list[str]:
    """What in a response the document does not describe (empty when it conforms)."""
    if response.mimetype == "application/json":
        return body_violations(
            spec, path, response.status_code, response.get_json(), method=method
        )
    template, operation = operation_of(spec, path, method)
    documented = operation["responses"].get(str(response.status_code), {})
    if response.mimetype not in documented.get("content", {}):
        return [f"{template}: {response.mimetype} is not documented"]
    return []
