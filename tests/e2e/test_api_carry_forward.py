"""Carry-forward and sandbagging advice over HTTP: the routes, their refusals in the one
error shape (with nothing written), and the lineage the reads show."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from commands import messages as m
from commands.handlers.carry import carried_key_result_id, carried_objective_id
from ledger.cycle import CARRY_FORWARD_RULE
from tests.e2e.conftest import World, error_of
from web.resources import API


def carry(world: World, body: dict[str, object], **kw: object) -> object:
    path = f"{API}/objectives/{world.review_objective}/carry-forward"
    return world.api.as_("editor", "POST", path, body, **kw)


def test_carrying_an_objective_answers_201_with_the_new_objective(world: World) -> None:
    response = carry(world, {"cycle_id": str(world.planning_cycle)})

    assert response.status_code == 201, response.get_json()  # type: ignore[attr-defined]
    new_id = carried_objective_id(world.review_objective, world.planning_cycle)
    assert response.get_json()["id"] == str(new_id)  # type: ignore[attr-defined]
    assert response.headers["Location"] == f"{API}/objectives/{new_id}"  # type: ignore[attr-defined]
    state = world.api.get(f"{API}/objectives/{new_id}").get_json()["state"]
    assert state["carried_from"] == {
        "id": str(world.review_objective),
        "cycle_id": str(world.review_cycle),
        "carry_forward": "",
    }
    original = world.api.get(f"{API}/objectives/{world.review_objective}").get_json()["state"]
    assert original["carried_to"] == {str(world.planning_cycle): str(new_id)}
    kr_id = carried_key_result_id(world.review_key_result, world.planning_cycle)
    assert state["key_result_ids"] == [str(kr_id)]


def test_a_second_request_is_409_already_exists_and_writes_nothing(world: World) -> None:
    carry(world, {"cycle_id": str(world.planning_cycle)})
    before = world.head()

    error = error_of(carry(world, {"cycle_id": str(world.planning_cycle)}), 409, "already_exists")  # type: ignore[arg-type]

    assert (
        str(carried_objective_id(world.review_objective, world.planning_cycle)) in error["message"]
    )
    assert world.head() == before


def test_a_retry_with_the_idempotency_key_replays_the_first_answer(world: World) -> None:
    body = {"cycle_id": str(world.planning_cycle)}
    first = carry(world, body, headers={"Idempotency-Key": "carry-paperless"})
    again = carry(world, body, headers={"Idempotency-Key": "carry-paperless"})

    assert again.status_code == 201  # type: ignore[attr-defined]
    assert again.get_json()["replayed"] is True  # type: ignore[attr-defined]
    assert again.get_json()["id"] == first.get_json()["id"]  # type: ignore[attr-defined]


KRS = "key_result_ids"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({}, 422, "validation_failed", "cycle_id"),
        ({"cycle_id": "2026-Q4"}, 422, "validation_failed", "cycle_id"),
        ({"cycle_id": "NOWHERE"}, 422, "unknown_reference", "cycle_id"),
        ({"cycle_id": "REVIEW"}, 422, "carry_target", "cycle_id"),
        ({"cycle_id": "PLANNING", KRS: ["KR", "KR"]}, 422, "validation_failed", KRS),
        ({"cycle_id": "PLANNING", KRS: ["OTHER"]}, 422, "wrong_objective", KRS),
        ({"cycle_id": "PLANNING", "note": "x"}, 422, "validation_failed", "note"),
    ],
)  # fmt: skip
def test_a_bad_carry_is_refused_naming_the_field_and_writes_nothing(
    world: World, body: dict[str, object], status: int, code: str, field: str
) -> None:
    names = {
        "REVIEW": str(world.review_cycle),
        "PLANNING": str(world.planning_cycle),
        "KR": str(world.review_key_result),
        "OTHER": str(world.key_result),
        "NOWHERE": "00000000-0000-4000-8000-000000000000",
    }
    sent = {
        k: [names.get(i, i) for i in v] if isinstance(v, list) else names.get(v, v)  # type: ignore[arg-type]
        for k, v in body.items()
    }
    before = world.head()

    error_of(carry(world, sent), status, code, field)  # type: ignore[arg-type]

    assert world.head() == before


def test_work_in_an_active_cycle_is_not_carried_yet(world: World) -> None:
    path = f"{API}/objectives/{world.objective}/carry-forward"
    before = world.head()

    response = world.api.as_("editor", "POST", path, {"cycle_id": str(world.planning_cycle)})

    error_of(response, 422, "invalid_transition", "status")
    assert world.head() == before


def test_a_key_result_carried_alone_needs_its_objective_carried_or_one_named(
    world: World,
) -> None:
    path = f"{API}/key-results/{world.review_key_result}/carry-forward"
    error_of(
        world.api.as_("editor", "POST", path, {"cycle_id": str(world.planning_cycle)}),
        422,
        "objective_not_carried",
        "objective_id",
    )

    response = world.api.as_(
        "editor",
        "POST",
        path,
        {"cycle_id": str(world.cycle), "objective_id": str(world.objective)},
    )

    assert response.status_code == 201, response.get_json()
    new_id = str(carried_key_result_id(world.review_key_result, world.cycle))
    assert response.headers["Location"] == f"{API}/key-results/{new_id}"
    state = world.api.get(f"{API}/key-results/{new_id}").get_json()["state"]
    assert (state["objective_id"], state["carried_from"]["id"]) == (
        str(world.objective),
        str(world.review_key_result),
    )


def test_the_trees_of_both_cycles_show_the_lineage_by_cycle_key(world: World) -> None:
    carry(world, {"cycle_id": str(world.planning_cycle)})
    world.services.read_models.catch_up()
    new_id = str(carried_objective_id(world.review_objective, world.planning_cycle))

    later = world.api.get(f"{API}/cycles/2026-Q4/okrs").get_json()
    earlier = world.api.get(f"{API}/cycles/2026-Q2/okrs").get_json()
    retro = world.api.get(f"{API}/cycles/2026-Q2/retrospective").get_json()

    node = next(o for c in later["choices"] for o in c["objectives"] if o["id"] == new_id)
    assert (node["carried_from"]["id"], node["carried_from"]["cycle_key"]) == (
        str(world.review_objective),
        "2026-Q2",
    )
    original = next(
        o
        for c in earlier["choices"]
        for o in c["objectives"]
        if o["id"] == str(world.review_objective)
    )
    went = [{"id": new_id, "cycle_id": str(world.planning_cycle), "cycle_key": "2026-Q4"}]
    assert original["carried_to"] == went
    assert (
        next(o for o in retro["objectives"] if o["id"] == str(world.review_objective))[
            "carried_to"
        ]
        == went
    )


@pytest.mark.parametrize("n", [1, 13, "three"])
def test_the_sandbagging_parameter_is_bounded(world: World, n: object) -> None:
    for route in ("okrs", "retrospective"):
        response = world.api.get(f"{API}/cycles/2026-Q2/{route}?sandbagging_cycles={n}")
        error_of(response, 422, "validation_failed", "sandbagging_cycles")


def test_a_team_that_scored_full_marks_twice_running_is_advised_at_n_2(world: World) -> None:
    org = world.org
    org.do(m.ReopenCycle(cycle_id=world.closed_cycle, reason="add what Q1 achieved"))
    q1_objective = org.do(
        m.DraftObjective(
            team_id=org.team, cycle_id=world.closed_cycle, statement="Go digital", owner="olu"
        )
    ).created_id
    assert q1_objective is not None
    for kr in (org.key_result(q1_objective), world.review_key_result):
        org.do(m.CheckIn(key_result_id=kr, value=Decimal(60), confidence="on_track"))
    world.services.read_models.catch_up()

    def advised(route: str, query: str = "") -> list[str]:
        body = world.api.get(f"{API}/cycles/2026-Q2/{route}{query}").get_json()
        if route == "retrospective":
            return [a["team"]["id"] for a in body["advice"] if a["rule"] == "sandbagging"]
        return [t["id"] for t in body["teams"] for a in t["advice"] if a["rule"] == "sandbagging"]

    assert advised("okrs", "?sandbagging_cycles=2") == [str(org.team)]
    assert advised("retrospective", "?sandbagging_cycles=2") == [str(org.team)]
    assert advised("okrs") == advised("retrospective") == []  # only two cycles to go on


def test_the_carry_forward_rule_reads_the_same_in_the_readme_and_the_document(
    world: World,
) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    spec = world.api.get("/openapi.json").get_json()

    assert CARRY_FORWARD_RULE in " ".join(readme.split())
    for path in ("objectives/{objective_id}", "key-results/{key_result_id}"):
        operation = spec["paths"][f"{API}/{path}/carry-forward"]["post"]
        assert CARRY_FORWARD_RULE in operation["description"]
