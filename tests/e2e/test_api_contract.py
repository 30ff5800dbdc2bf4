"""Every response conforms to /openapi.json, route by route, on the demo quarter and on a
generated ledger: the document describes each field a response holds and no other, and
every decimal, time and id is written in the one vocabulary (docs/adr/0009)."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from eventlog.vocabulary import TIME_PATTERN, time_text
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from okr_ledger.generator import generate
from projections.diff import change_kinds
from tests.conftest import FakeClock, grant_token
from tests.e2e.conftest import Api, ServicesSwitch, World, build_world
from tests.e2e.contract import body_violations, violations
from web import create_app
from web.resources import API, RESOURCES

ADMIN, VIEWER = "contract-admin-token", "contract-viewer-token"
SEGMENTS = {cls.__name__: segment for _, segment, cls, _, _ in RESOURCES}
ROUTES = (
    "cycles", "okrs", "alignment", "priority history", "diff", "retrospective", "chart",
    "kpis", "audit", "exports", "state", "history",
)  # fmt: skip


@dataclass
class Ledger:
    """A ledger with its read models caught up, served by an app of its own."""

    services: Services
    client: FlaskClient
    spec: dict[str, Any]

    def get(self, path: str, token: str = ADMIN) -> TestResponse:
        response = self.client.get(path, headers={"Authorization": f"Bearer {token}"})
        body = response.get_data(as_text=True)  # reads a streamed export to its end
        response.close()
        assert response.status_code == 200, (path, body[:500])
        return response

    def rows(self) -> list[dict[str, Any]]:
        return self.services.read_models.audit_rows({}, limit=None)

    def cycles(self) -> list[dict[str, Any]]:
        cycles: list[dict[str, Any]] = self.get(f"{API}/cycles").get_json()["cycles"]
        return cycles


def serve(services: Services) -> Ledger:
    grant_token(services.bus, ADMIN, name="contract.admin")
    grant_token(services.bus, VIEWER, name="contract.viewer", role="viewer")
    services.read_models.catch_up()
    app = create_app(services, {"TESTING": True})
    client = app.test_client()
    return Ledger(services, client, client.get("/openapi.json").get_json())


@pytest.fixture(scope="module", params=["demo", "generated", "one of everything"])
def ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    """The demo quarter; a generated ledger of two cycles; the end-to-end world (one of
    everything the write routes act on, cycles in every state)."""
    if request.param == "demo":
        services = request.getfixturevalue("demo_services")
        yield serve(services)
        return
    services = bootstrap(Settings(database_url="memory://"), clock=FakeClock())
    if request.param == "generated":
        for _ in generate(services.ledger, cycles=2, teams=3, seed=11):
            pass
    else:
        app = create_app(services, {"TESTING": True})
        build_world(services, Api(app.test_client(), ServicesSwitch(), services))
    yield serve(services)
    services.close()


def paths_of(ledger: Ledger, route: str) -> Iterator[tuple[str, str]]:
    """(path, token) of every request that exercises ``route`` on this ledger."""
    cycles = ledger.cycles()
    if route == "cycles":
        yield f"{API}/cycles", ADMIN
    if route == "kpis":
        yield f"{API}/kpis/health", ADMIN
    for cycle in cycles:
        base = f"{API}/cycles/{cycle['key']}"
        opened, middle = lifetime(ledger, cycle["id"])
        if route == "okrs":
            yield f"{base}/okrs", ADMIN
            yield f"{base}/okrs?as_of={middle}", VIEWER
            yield f"{base}/okrs?as_of={middle}&time=effective", ADMIN
            for team in {o["team"]["key"] for o in objectives(ledger, base)}:
                yield f"{base}/okrs?team={team}", ADMIN
        if route == "alignment":
            yield f"{base}/alignment", ADMIN
        if route == "priority history":
            yield f"{base}/priorities/history", ADMIN
        if route == "diff":
            yield f"{base}/diff?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", ADMIN
            yield f"{base}/diff?from={opened}&to={middle}", ADMIN
        if route == "retrospective":
            yield f"{base}/retrospective", VIEWER
            policy = "par_stretch=0.7&band_mode=last_value&use_overrides=false"
            yield f"{base}/retrospective?{policy}&milestone_grace_days=7", ADMIN
            yield f"{base}/retrospective?format=csv", ADMIN
        if route == "chart":
            for objective in objectives(ledger, base)[:3]:
                for kr in objective["key_results"]:
                    yield f"{base}/retrospective/key-results/{kr['id']}/chart.svg", ADMIN
    if route == "audit":
        yield from audit_pages(ledger, ADMIN)
        yield from audit_pages(ledger, VIEWER)
    if route == "exports":
        yield f"{API}/audit?format=csv", ADMIN
        yield f"{API}/audit?format=jsonl", ADMIN
        yield f"{API}/audit?format=jsonl", VIEWER
    if route in ("state", "history"):
        yield from aggregate_paths(ledger, route)


def lifetime(ledger: Ledger, cycle_id: str) -> tuple[str, str]:
    """When the cycle was opened, and an instant half-way through its recorded events."""
    times = [r["recorded_at"] for r in ledger.rows() if r["cycle_id"] == cycle_id]
    return time_text(min(times)) or "", time_text((min(times) + max(times)) // 2) or ""


def busiest(ledger: Ledger) -> str:
    """The key of the cycle with the most events."""
    counts = Counter(r["cycle_id"] for r in ledger.rows() if r["cycle_id"])
    return next(c["key"] for c in ledger.cycles() if c["id"] == counts.most_common(1)[0][0])


def objectives(ledger: Ledger, base: str) -> list[dict[str, Any]]:
    tree = ledger.get(f"{base}/okrs").get_json()
    return [o for choice in tree["choices"] for o in choice["objectives"]]


def audit_pages(ledger: Ledger, token: str) -> Iterator[tuple[str, str]]:
    cursor: int | None = 0
    while cursor is not None:
        path = f"{API}/audit?limit=1000&cursor={cursor}"
        cursor = ledger.get(path, token).get_json()["next_cursor"]
        yield path, token


def aggregate_paths(ledger: Ledger, route: str) -> Iterator[tuple[str, str]]:
    seen = set()
    for row in ledger.rows():
        kind, ident = row["aggregate_type"], row["aggregate_id"]
        if ident in seen or row["version"] != 1:
            continue
        seen.add(ident)
        if kind == "Priorities":
            data = json.loads(row["data"])
            path = f"{API}/teams/{data['team_id']}/cycles/{data['cycle_id']}/priorities"
        elif kind in SEGMENTS:
            path = f"{API}/{SEGMENTS[kind]}/{ident}"
        else:
            continue  # principals and receipts have no routes
        if route == "state":
            yield path, ADMIN
            yield f"{path}?version=1", VIEWER
        else:
            yield f"{path}/history", ADMIN


def off_vocabulary(body: Any, where: str = "") -> list[str]:
    """Values the vocabulary forbids anywhere, free-form objects included: a number
    that is not an integer, or a time (a ``*_at`` field) not in canonical UTC text."""
    found = []
    if isinstance(body, float):
        found.append(f"{where}: the number {body!r} (decimals are strings)")
    elif isinstance(body, dict):
        for key, value in body.items():
            timed = str(key).endswith("_at") and isinstance(value, (str, int))
            if timed and not (isinstance(value, str) and re.match(TIME_PATTERN, value)):
                found.append(f"{where}/{key}: the time {value!r}")
            found += off_vocabulary(value, f"{where}/{key}")
    elif isinstance(body, list):
        for n, value in enumerate(body):
            found += off_vocabulary(value, f"{where}/{n}")
    return found


@pytest.mark.parametrize("route", ROUTES)
def test_every_response_of_the_route_is_what_the_document_says(ledger: Ledger, route: str) -> None:
    checked, problems = 0, []
    for path, token in paths_of(ledger, route):
        response = ledger.get(path, token)
        problems += violations(ledger.spec, path, response)
        if response.mimetype == "application/json":
            problems += off_vocabulary(response.get_json(), path)
        checked += 1
    assert checked, f"no request exercised {route}"
    assert problems == [], "\n".join(problems[:20])


def test_every_line_of_the_json_lines_export_is_an_audit_event_of_the_document(
    ledger: Ledger,
) -> None:
    for token in (ADMIN, VIEWER):
        lines = ledger.get(f"{API}/audit?format=jsonl", token).get_data(as_text=True)
        events = [json.loads(line) for line in lines.splitlines()]
        assert len(events) == len(ledger.rows())
        page = {"events": events, "next_cursor": None, "full_detail": token == ADMIN}
        assert body_violations(ledger.spec, f"{API}/audit", 200, page) == []
        assert off_vocabulary(events) == []


def test_the_csv_export_has_the_columns_of_an_audit_event(ledger: Ledger) -> None:
    text = ledger.get(f"{API}/audit?format=csv").get_data(as_text=True)
    header = text.splitlines()[0].split(",")
    documented = ledger.spec["components"]["schemas"]["AuditEvent"]["properties"]
    assert header == list(documented)


# -- the document catches drift --------------------------------------------------------


def first_key_result(tree: dict[str, Any]) -> dict[str, Any]:
    for choice in tree["choices"]:
        for objective in choice["objectives"]:
            for kr in objective["key_results"]:
                return kr  # type: ignore[no-any-return]
    raise AssertionError("no key result")


@pytest.mark.parametrize(
    "drift",
    ["a field gained", "a field lost", "a decimal as a number", "a time with an offset"],
)
def test_a_response_that_drifts_from_the_document_is_caught(ledger: Ledger, drift: str) -> None:
    path = f"{API}/cycles/{busiest(ledger)}/okrs"
    tree = ledger.get(path).get_json()
    assert body_violations(ledger.spec, path, 200, tree) == []

    drifted = copy.deepcopy(tree)
    kr = first_key_result(drifted)
    if drift == "a field gained":
        kr["progress"] = "0.5"
    elif drift == "a field lost":
        del kr["score"]
    elif drift == "a decimal as a number":
        kr["weight"] = 1.0
    else:
        drifted["cycle"]["starts_on"] = "2026-07-01T00:00:00+00:00"

    assert body_violations(ledger.spec, path, 200, drifted) != []


def test_the_write_outcomes_are_what_the_document_says(world: World) -> None:
    api = world.api
    created = api.as_(
        "admin",
        "POST",
        f"{API}/objectives",
        {"team_id": str(world.team), "cycle_id": str(world.cycle), "statement": "Be kind",
         "owner": "olu"},
    )  # fmt: skip
    checked = api.as_(
        "admin",
        "POST",
        f"{API}/key-results/{world.key_result}/check-ins",
        {"value": "47.50", "confidence": "on_track"},
    )
    spec = api.client.get("/openapi.json").get_json()
    assert created.status_code == 201, created.get_json()
    assert checked.status_code == 201, checked.get_json()
    assert violations(spec, f"{API}/objectives", created, method="post") == []
    path = f"{API}/key-results/{world.key_result}/check-ins"
    assert violations(spec, path, checked, method="post") == []


# -- change kinds ------------------------------------------------------------------------


def test_the_document_lists_every_change_kind_the_diff_can_name(ledger: Ledger) -> None:
    change = ledger.spec["components"]["schemas"]["Change"]["properties"]["change"]
    assert change["enum"] == change_kinds()
    assert len(set(change["enum"])) == len(change["enum"])
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)+", kind) for kind in change["enum"])


def test_docs_explain_every_change_kind_and_no_other() -> None:
    text = (Path(__file__).parents[2] / "docs" / "read-models.md").read_text()
    explained = re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE)
    assert sorted(explained) == sorted(change_kinds())


def test_each_change_in_a_diff_is_one_of_the_documented_kinds(ledger: Ledger) -> None:
    cycle = busiest(ledger)
    path = f"{API}/cycles/{cycle}/diff?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z"
    changes = ledger.get(path).get_json()["changes"]
    named = {c["change"] for c in changes}
    assert named <= set(change_kinds())
    assert {"cycle_opened", "objective_drafted", "key_result_checked_in"} <= named


def test_every_operation_documents_the_body_of_its_success(ledger: Ledger) -> None:
    undocumented = []
    for path, item in ledger.spec["paths"].items():
        for method, operation in item.items():
            if not path.startswith(API) or method == "parameters":
                continue
            success = [s for s in ("200", "201") if s in operation["responses"]]
            contents = [operation["responses"][s].get("content", {}) for s in success]
            json_schemas = [
                c["application/json"]["schema"] for c in contents if "application/json" in c
            ]
            if not contents or not all(contents) or any(s == {} for s in json_schemas):
                undocumented.append(f"{method.upper()} {path}")
    assert undocumented == []


@pytest.mark.parametrize("sent", [47.5, "47.50", "4.75E+1"])
def test_a_decimal_sent_as_a_number_or_as_text_reads_back_as_its_canonical_text(
    world: World, sent: object
) -> None:
    path = f"{API}/key-results/{world.key_result}"
    written = world.api.as_(
        "admin", "POST", f"{path}/check-ins", {"value": sent, "confidence": "on_track"}
    )
    assert written.status_code == 201, written.get_json()
    world.services.read_models.catch_up()

    state = world.api.get(path).get_json()["state"]
    tree = world.api.get(f"{API}/cycles/2026-Q3/okrs").get_json()
    latest = next(
        kr["latest"]
        for choice in tree["choices"]
        for o in choice["objectives"]
        for kr in o["key_results"]
        if kr["id"] == str(world.key_result)
    )
    assert state["check_ins"][-1]["value"] == latest["value"] == "47.5"
