"""Inputs PostgreSQL cannot store are refused by the API before they reach it."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from flask.testing import FlaskClient

from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from tests.conftest import Org, build_org, grant_token
from tests.integration.conftest import pg_connect
from web import create_app

pytestmark = pytest.mark.postgres
AUTH = {"Authorization": "Bearer pg-admin"}


@pytest.fixture
def served(pg_url: str) -> Iterator[tuple[FlaskClient, Services, Org]]:
    services = bootstrap(Settings(database_url=pg_url))
    grant_token(services.bus, "pg-admin", "pat")
    org = build_org(services.bus)
    yield create_app(services, {"TESTING": True}).test_client(), services, org
    services.close()


def test_postgresql_itself_refuses_nul_in_text() -> None:
    with pg_connect() as conn, pytest.raises(psycopg.DataError):
        conn.execute("SELECT %s::text", ("a\x00b",))


def test_nul_in_a_body_or_a_query_gets_422_on_postgresql_and_nothing_is_written(
    served: tuple[FlaskClient, Services, Org],
) -> None:
    client, services, org = served
    services.read_models.catch_up()
    before = services.ledger.head_position()
    body = {"key": "ops\x00", "name": "Ops", "level": "team", "parent_id": str(org.function)}

    written = client.post("/api/v1/teams", json=body, headers=AUTH)
    read = client.get("/api/v1/audit?actor=pat%00&team=a%00", headers=AUTH)

    assert written.status_code == 422, written.get_json()
    assert written.get_json()["error"]["fields"]["key"]
    assert read.status_code == 422, read.get_json()
    assert set(read.get_json()["error"]["fields"]) == {"actor", "team"}
    assert services.ledger.head_position() == before


def test_integers_beyond_the_safe_range_get_422_on_postgresql(
    served: tuple[FlaskClient, Services, Org],
) -> None:
    client, _, org = served
    for url in (
        f"/api/v1/audit?cursor={2**63}",
        f"/api/v1/teams/{org.team}?version={2**63}",
        f"/api/v1/cycles?min_position={2**63}",
    ):
        response = client.get(url, headers=AUTH)
        assert response.status_code == 422, (url, response.get_json())
