"""Answers kept by the views' position (projections/answers.py): the same question at
the same position is answered once, a question after the views move is computed again,
and what comes back is exactly what the computation gives, as a copy of its own."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest

from commands import messages as m
from commands.principals import Principal
from ledger.cycle import Cycle
from ledger.principal import token_hash
from ledger.scoring import DEFAULT_POLICY
from okr_ledger import demo
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from projections.answers import Answers
from projections.okrs import end_of, start_of
from projections.state import EFFECTIVE, RECORDED

CYCLE_ID = str(Cycle.id_for(demo.CYCLE_KEY))
LATER = end_of("2026-12-31")
MIDWAY = start_of("2026-08-15")


@pytest.fixture
def services() -> Iterator[Services]:
    services = bootstrap(Settings(database_url="memory://"))
    demo.load(services)
    services.read_models.catch_up()
    yield services
    services.close()


def move_the_views(services: Services) -> None:
    services.bus.handle(
        m.AddPrincipal(
            name=f"reader-{uuid4().hex[:6]}", role="viewer", token_hash=token_hash("x")
        ),
        Principal("test", "admin"),
    )
    services.read_models.catch_up()


def test_a_question_asked_twice_at_one_position_is_computed_once(services: Services) -> None:
    models = services.read_models

    first = models.okrs(demo.CYCLE_KEY, now=LATER, as_of=MIDWAY)
    misses = models.answers.misses
    second = models.okrs(demo.CYCLE_KEY, now=LATER, as_of=MIDWAY)

    assert second == first
    assert models.answers.misses == misses
    assert models.answers.hits >= 1


def test_a_question_is_computed_again_once_the_views_have_moved(services: Services) -> None:
    models = services.read_models
    models.okrs(demo.CYCLE_KEY, now=LATER, as_of=MIDWAY)
    misses = models.answers.misses

    move_the_views(services)
    models.okrs(demo.CYCLE_KEY, now=LATER, as_of=MIDWAY)

    assert models.answers.misses == misses + 1


def test_a_kept_answer_comes_back_as_a_copy_of_its_own(services: Services) -> None:
    models = services.read_models
    first = models.retrospective(demo.CYCLE_KEY, now=LATER)
    first["key_results"].clear()

    again = models.retrospective(demo.CYCLE_KEY, now=LATER)

    assert again["key_results"]


@pytest.mark.parametrize("mode", [RECORDED, EFFECTIVE])
def test_a_kept_answer_is_exactly_what_the_views_compute(services: Services, mode: str) -> None:
    models = services.read_models
    cases = [
        (
            lambda: models.okrs(demo.CYCLE_KEY, now=LATER, as_of=MIDWAY, mode=mode),
            lambda: models._okrs(CYCLE_ID, LATER, None, MIDWAY, mode, DEFAULT_POLICY, 3),
        ),
        (
            lambda: models.okrs(demo.CYCLE_KEY, now=LATER),
            lambda: models._okrs(CYCLE_ID, LATER, None, None, RECORDED, DEFAULT_POLICY, 3),
        ),
        (
            lambda: models.diff(demo.CYCLE_KEY, MIDWAY, LATER),
            lambda: models._diff(CYCLE_ID, MIDWAY, LATER),
        ),
        (
            lambda: models.priority_history(demo.CYCLE_KEY),
            lambda: models._priority_history(CYCLE_ID),
        ),
        (
            lambda: models.retrospective(demo.CYCLE_KEY, now=LATER),
            lambda: models._retrospective(CYCLE_ID, LATER, DEFAULT_POLICY, 3),
        ),
    ]
    for kept, computed in cases:
        kept()  # the second call is answered from the kept answer
        assert kept() == computed()


def test_a_question_about_now_is_kept_only_once_its_cycle_has_ended(services: Services) -> None:
    models = services.read_models
    during = start_of("2026-09-01")

    assert models.until(CYCLE_ID, during) == during
    assert models.until(CYCLE_ID, LATER) == end_of("2026-09-30")
    assert models.until(CYCLE_ID, LATER + 1) == models.until(CYCLE_ID, LATER)


def test_kept_answers_stay_within_their_byte_budget() -> None:
    answers = Answers(max_bytes=10)

    answers.put("a", b"123456")
    answers.put("b", b"654321")
    answers.put("huge", b"x" * 11)

    assert answers.get("a") is None
    assert answers.get("b") == b"654321"
    assert answers.get("huge") is None


def test_the_kind_of_time_asked_for_is_part_of_the_question(services: Services) -> None:
    models = services.read_models

    recorded = models.okrs(demo.CYCLE_KEY, now=LATER, mode=RECORDED)
    effective = models.okrs(demo.CYCLE_KEY, now=LATER, mode=EFFECTIVE)

    assert (recorded["time"], effective["time"]) == (RECORDED, EFFECTIVE)
