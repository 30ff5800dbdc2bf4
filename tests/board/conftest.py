from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from okr_ledger.bootstrap import Services
from tests.board.support import board_app, demo_board, sign_in


@pytest.fixture(scope="module")
def board_services() -> Iterator[Services]:
    services = demo_board()
    yield services
    services.close()


@pytest.fixture(scope="module")
def app(board_services: Services) -> Flask:
    return board_app(board_services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    assert sign_in(client, "admin").status_code == 303
    return client
