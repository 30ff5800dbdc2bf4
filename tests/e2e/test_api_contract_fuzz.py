"""A fuzzer driven by /openapi.json alone (schemathesis), in-process against the app on
the demo quarter in an SQLite file: every operation, then chains of calls that follow
the document's links from creating routes to real ids. No answer may be a server
error or disagree with the document (status, content type, body schema).

Bounded and reproducible: a fixed number of cases per operation, derandomized."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from okr_ledger import demo
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from tests.conftest import grant_token
from tests.e2e.conftest import ServicesSwitch
from web import create_app

TOKEN = "contract-fuzz-admin"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CASES_PER_OPERATION = 16
SCENARIOS = 30
STEPS_PER_SCENARIO = 8

SEEN: Counter[str] = Counter()
"""What the fuzzer did: cases per kind of run, statuses."""


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, Services]]:
    path: Path = tmp_path_factory.mktemp("contract") / "ledger.sqlite"
    services = bootstrap(Settings(database_url=f"sqlite:///{path}"))
    demo.load(services)
    services.read_models.catch_up()
    grant_token(services.bus, TOKEN, "contract.fuzzer")
    yield create_app(services, {"TESTING": True}), services
    services.close()


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    """What the fuzzer did, printed at the end (pytest -s shows it)."""
    yield
    print("\ncontract fuzzer:", dict(sorted(SEEN.items())))


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[Flask, Services]) -> Any:
    return schemathesis.openapi.from_wsgi("/openapi.json", fuzzed[0])


def call(case: Any, services: Services) -> Any:
    """Send a case as the fuzzer's admin; the views follow the log at once, as a
    follower would, so that a ``min_position`` a write returned is reached."""
    response = case.call(headers=AUTH)
    services.read_models.catch_up()
    SEEN[f"status {response.status_code}"] += 1
    return response


def fuzz(operation: Any, services: Services) -> list[str]:
    """Valid and invalid cases for one operation; what went wrong, if anything."""
    failures: list[str] = []
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
        GenerationMode.NEGATIVE
    )

    @settings(
        max_examples=CASES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def run(case: Any) -> None:
        SEEN["stateless cases"] += 1
        response = call(case, services)
        try:
            case.validate_response(response, checks=CHECKS, headers=AUTH)
        except FailureGroup as failed:
            failures.append(f"{operation.label}: {failed}")

    run()
    return failures


def test_every_operation_answers_as_documented_and_never_with_a_server_error(
    api_schema: Any, fuzzed: tuple[Flask, Services]
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    failures = [f for operation in operations for f in fuzz(operation, fuzzed[1])]
    SEEN["operations"] = len(operations)

    assert len(operations) > 80
    assert failures == []


def demo_quarter() -> Services:
    services = bootstrap(Settings(database_url="memory://"))
    demo.load(services)
    services.read_models.catch_up()
    grant_token(services.bus, TOKEN, "contract.fuzzer")
    return services


def test_chains_of_calls_that_follow_the_links_answer_as_documented() -> None:
    switch = ServicesSwitch()
    switch.current = demo_quarter()
    app = create_app(switch, {"TESTING": True})
    api_schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    answered: Counter[str] = Counter()

    class Machine(api_schema.as_state_machine()):  # type: ignore[misc]
        """Each scenario starts from its own demo quarter, so that a scenario's answers
        depend on its own steps only (as Hypothesis needs to replay it)."""

        def setup(self) -> None:
            switch.current = demo_quarter()

        def teardown(self) -> None:
            switch.current.close()

        def call(self, case: Any, **kwargs: Any) -> Any:
            SEEN["stateful cases"] += 1
            return call(case, switch.current)

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            if response.status_code < 300:
                answered[case.operation.label] += 1

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=AUTH)

    Machine.run(
        settings=hypothesis.settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS_PER_SCENARIO,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )

    created = {label for label in answered if label.startswith("POST")}
    SEEN["operations answered 2xx in scenarios"] = len(answered)
    assert created, "no scenario created anything: the links cannot have been followed"
    assert len(answered) > len(created), "nothing was reached through a created id"
