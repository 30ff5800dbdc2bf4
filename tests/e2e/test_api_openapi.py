"""The OpenAPI document at /openapi.json describes every route a client can call."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from commands.catalogue import API as API_KIND
from commands.catalogue import CREATE, UPDATE, WRITE
from tests.e2e.conftest import ServicesSwitch
from web.error_codes import codes_for
from web.resources import API, RESOURCES
from web.writes import Route

WRITES = {"POST", "PUT", "DELETE", "PATCH"}
WEBHOOK_WRITES = ("Subscribe", "Unsubscribe", "replayDeadLetters")
"""write operations of their own (the secret is made beside the command)"""
ERRORS = ("400", "401", "403", "404", "409", "422")
ROUTES: dict[str, Route] = {
    route.command.__name__: route for _, _, _, _, routes in RESOURCES for route in routes
}


@pytest.fixture(scope="module")
def spec(app: tuple[Flask, ServicesSwitch]) -> dict[str, Any]:
    response = app[0].test_client().get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


@pytest.fixture(scope="module")
def operations(app: tuple[Flask, ServicesSwitch]) -> list[tuple[str, str, str]]:
    """(OpenAPI path, method, endpoint) of every route under /api/v1."""
    return [
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower(), rule.endpoint)
        for rule in app[0].url_map.iter_rules()
        if rule.rule.startswith(f"{API}/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = spec["components"][section][name]
    return node


def parameters(spec: dict[str, Any], path: str, method: str) -> dict[tuple[str, str], Any]:
    item = spec["paths"][path]
    listed = [*item.get("parameters", []), *item[method].get("parameters", [])]
    return {(p["in"], p["name"]): p for p in (resolve(spec, p) for p in listed)}


def test_the_document_is_openapi_3_and_needs_no_token(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "OKR Ledger"
    assert spec["paths"]


def test_every_route_under_the_api_appears_with_its_methods(
    spec: dict[str, Any], operations: list[tuple[str, str, str]]
) -> None:
    read_models = 10  # cycles, okrs, alignment, priorities, diff, retrospective, chart, KPIs,
    # audit, due
    imports = 2  # spreadsheet imports, bulk check-ins
    log = 6  # checkpoint, key, inclusion and consistency proofs, entries, receipts
    webhooks = 5  # subscribe, list, read, end, replay dead letters
    assert len(operations) == len(ROUTES) + 2 * 10 + read_models + imports + log + webhooks
    missing = [(p, m) for p, m, _ in operations if m not in spec["paths"].get(p, {})]
    assert missing == []


def test_every_write_operation_is_identified_by_its_command(
    spec: dict[str, Any], operations: list[tuple[str, str, str]]
) -> None:
    writes = [(p, m, e) for p, m, e in operations if m.upper() in WRITES]
    writes = [(p, m, e) for p, m, e in writes if not e.startswith("imports.")]
    assert len(writes) == len(ROUTES) + len(WEBHOOK_WRITES)
    for path, method, endpoint in writes:
        assert spec["paths"][path][method].get("operationId") == endpoint.split(".")[-1]


def test_every_read_operation_has_a_unique_operation_id(
    spec: dict[str, Any], operations: list[tuple[str, str, str]]
) -> None:
    ids = [spec["paths"][p][m].get("operationId") for p, m, _ in operations]
    assert None not in ids
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_write_operation_documents_its_body_parameters_headers_and_errors(
    spec: dict[str, Any], operations: list[tuple[str, str, str]], name: str
) -> None:
    route = ROUTES[name]
    [(path, method)] = [(p, m) for p, m, e in operations if e.endswith(f".{name}")]
    operation = spec["paths"][path][method]

    body = resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])
    fields = route.schema().fields
    assert set(body["properties"]) == {f.data_key or k for k, f in fields.items()}
    assert "actor" not in body["properties"]
    assert set(body.get("required", [])) == {
        f.data_key or k for k, f in fields.items() if f.required
    }

    params = parameters(spec, path, method)
    for param in re.findall(r"{(\w+)}", path):
        assert params[("path", param)]["required"] is True
    assert ("header", "Idempotency-Key") in params
    acts_on_something = "{" in path
    assert (("header", "If-Match") in params) == acts_on_something

    status = "201" if route.creates else "200"
    success = operation["responses"][status]["content"]["application/json"]["schema"]
    assert success == {"$ref": "#/components/schemas/Outcome"}
    kinds = {API_KIND, WRITE, UPDATE if acts_on_something else CREATE}
    assert error_codes(spec, operation) == codes_for(kinds)
    assert set(ERRORS) <= {str(s) for s in codes_for(kinds)}


def error_codes(spec: dict[str, Any], operation: dict[str, Any]) -> dict[int, list[str]]:
    """Per error status of an operation, the codes its schema allows."""
    found = {}
    for status, response in operation["responses"].items():
        if not status.isdigit() or int(status) < 400:
            continue
        schema = resolve(spec, response["content"]["application/json"]["schema"])
        detail = resolve(spec, schema["properties"]["error"])
        found[int(status)] = detail["properties"]["code"]["enum"]
        assert set(detail["required"]) == {"status", "code", "message"}
        assert ", ".join(f"`{c}`" for c in found[int(status)]) in response["description"]
    return found


def test_the_error_schema_is_the_one_error_shape(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["ApiError"]
    assert error["required"] == ["error"]
    detail = resolve(spec, error["properties"]["error"])
    extra = {"fields", "current_version", "position", "request_id"}
    assert {"status", "code", "message", *extra} <= set(detail["properties"])
    assert set(detail["required"]) == {"status", "code", "message"}


def test_a_bearer_scheme_guards_the_api_but_not_the_health_checks(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["security"] == [{"bearer": []}]
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    assert spec["paths"]["/readyz"]["get"]["security"] == []
    for public in ("checkpoint", "key", "proofs/inclusion", "proofs/consistency"):
        assert spec["paths"][f"/api/v1/log/{public}"]["get"]["security"] == []
    for guarded in ("entries/{index}", "receipts/{correlation_id}"):
        assert "security" not in spec["paths"][f"/api/v1/log/{guarded}"]["get"]


NUMBERS_AS_TEXT = (
    "numbers in the document are written as strings, which OpenAPI 3.0 refuses: "
    "OverrideScore.score has minimum '0' and maximum '1' (Range on a Decimal field) and "
    "DefineKeyResult.weight has default '1' (load_default=Decimal(1))"
)


def numbers_as_text(node: Any, path: str = "") -> list[str]:
    """Where a bound, or the default of a number, is a string."""
    found = []
    if isinstance(node, dict):
        bounds = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
        found += [f"{path}/{k}" for k in bounds if isinstance(node.get(k), str)]
        if node.get("type") in ("number", "integer") and isinstance(node.get("default"), str):
            found.append(f"{path}/default")
        for key, value in node.items():
            found += numbers_as_text(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += numbers_as_text(value, f"{path}/{i}")
    return found


def test_numeric_bounds_and_defaults_are_numbers(spec: dict[str, Any]) -> None:
    assert numbers_as_text(spec) == []


def test_the_document_validates_against_the_openapi_schema(spec: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(spec)
