"""The server's app factory tunes the garbage collector once its app is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from okr_ledger import collector
from okr_ledger.config import Settings
from okr_ledger.server import make_app


@pytest.fixture
def default_collector() -> Iterator[None]:
    before = gc.get_threshold()
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_the_app_factory_freezes_what_it_built_and_raises_the_thresholds(
    default_collector: None,
) -> None:
    assert gc.get_freeze_count() == 0

    app = make_app(Settings(database_url="memory://"))

    assert gc.get_threshold() == collector.THRESHOLDS
    assert gc.get_freeze_count() > 0
    assert gc.isenabled()
    assert app.name
