"""A command is declared once; its body schema and its route derive from the declaration."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from commands import messages as m
from commands.bus import fingerprint
from commands.declarations import COMMANDS
from commands.declarations.base import (
    Command,
    check,
    choice,
    command,
    declared,
    many,
    number,
    text,
)
from commands.schemas import SCHEMAS, schema_of
from web.resources import API, RESOURCES

ROUTED = {
    route.command: (f"{API}/{segment}{route.rule}", route)
    for _, segment, _, _, routes in RESOURCES
    for route in routes
}


@command("POST /kpis/{kpi_id}/notes")
class NoteOnKpi(Command):
    """Leave a note on a KPI (a worked example, never registered)."""

    kpi_id: UUID
    note: str = text(300)
    tone: str = choice(("plain", "urgent"), default="plain")
    tags: tuple[str, ...] = many(text(20), max_items=5, default=())
    weight: Decimal | None = number(default=None, minimum=0, doc="how much it matters")

    @check
    def urgent_notes_are_short(data: dict[str, Any]) -> None:
        if data.get("tone") == "urgent" and len(data.get("note", "")) > 50:
            raise ValidationError("an urgent note fits in 50 characters", field_name="note")


def test_every_command_clients_send_has_a_body_schema_and_a_route() -> None:
    sent = [cls for cls in COMMANDS if (found := declared(cls)) and found.address]
    assert set(sent) == set(SCHEMAS) == set(ROUTED)
    for cls in sent:
        found = declared(cls)
        assert found is not None
        assert found.address is not None
        path, route = ROUTED[cls]
        assert route.method == found.address.method
        assert path.replace("<team:", "<").replace("<cycle:", "<").replace("<uuid:", "<") == (
            API + found.address.path.replace("{", "<").replace("}", ">")
        )


def test_only_the_operators_commands_have_no_address() -> None:
    assert {cls for cls in COMMANDS if cls not in SCHEMAS} == {m.AddPrincipal, m.RevokePrincipal}


def test_a_body_is_every_field_but_the_path_and_the_envelope() -> None:
    for cls, schema in SCHEMAS.items():
        found = declared(cls)
        assert found is not None
        assert found.address is not None
        names = {f.name for f in dataclasses.fields(cls)}
        assert set(schema().fields) == names - found.address.fields - {"expected_version"}


def test_the_creating_commands_are_the_ones_declared_to_create() -> None:
    creating = {cls for cls in COMMANDS if (found := declared(cls)) and found.creates}
    assert creating == m.CREATING
    assert m.CheckIn in m.CREATING
    assert m.RewordKeyResult not in m.CREATING


def test_a_declaration_gives_its_schema_limits_defaults_docs_and_checks() -> None:
    schema = schema_of(NoteOnKpi)()
    assert set(schema.fields) == {
        "reason", "decision_id", "effective_at", "note", "tone", "tags", "weight",
    }  # fmt: skip
    assert schema.load({"note": "steady"}) == {"note": "steady", "tone": "plain", "tags": ()}
    assert schema.fields["weight"].metadata["minimum"] == 0
    assert schema.fields["weight"].metadata["description"].startswith("how much it matters: ")
    with pytest.raises(ValidationError) as refused:
        schema.load({"note": "x" * 301, "tone": "loud", "tags": ["y" * 21], "kpi_id": "z"})
    assert set(refused.value.messages) == {"note", "tone", "tags", "kpi_id"}
    with pytest.raises(ValidationError) as refused:
        schema.load({"note": "x" * 60, "tone": "urgent"})
    assert refused.value.messages == {"note": ["an urgent note fits in 50 characters"]}


def test_text_without_a_length_limit_cannot_become_a_schema() -> None:
    @command("POST /kpis/{kpi_id}/labels")
    class LabelKpi(Command):
        kpi_id: UUID
        label: str

    with pytest.raises(TypeError, match="length limit"):
        schema_of(LabelKpi)


def test_a_path_must_name_fields_of_its_command() -> None:
    with pytest.raises(TypeError, match="names no field"):

        @command("POST /kpis/{kpi}/labels")
        class LabelKpi(Command):
            kpi_id: UUID


def test_a_command_the_cli_alone_sends_has_no_schema() -> None:
    with pytest.raises(TypeError, match="not a command clients send"):
        schema_of(m.AddPrincipal)


@given(st.decimals(min_value=-2, max_value=3, places=3))
def test_a_score_override_takes_exactly_the_scores_from_zero_to_one(score: Decimal) -> None:
    schema = SCHEMAS[m.OverrideScore]()
    if Decimal(0) <= score <= Decimal(1):
        assert schema.load({"score": str(score)})["score"] == score
    else:
        with pytest.raises(ValidationError, match=r"a score lies in 0\.0-1\.0"):
            schema.load({"score": str(score)})


PINNED = {
    "CheckIn": "37b43a6bac885955827061acd5ea539cbf12652c6bcad4a9961c9b00ef716b40",
    "DefineKeyResult": "af2588f4f13ef5dcb73abde56ea9233591a93415a88ccb18a3127748aa9f5dfd",
    "RecordDecision": "69486e3e9d242b267331d6e92798301c42f42b9ac5bd438937445d09b319dd48",
    "OpenCycle": "0e4feeb314967d4cdfa29440136e4eef483e5db5101f9d5d2f8edcb940313a81",
}


def test_the_fingerprints_of_stored_commands_do_not_change() -> None:
    """A retry is matched to its original by fingerprint (ADR 4): a declaration may not
    rename a field or change a default without breaking retries of stored commands."""
    one, two = UUID(int=1), UUID(int=2)
    commands = [
        m.CheckIn(key_result_id=one, value=Decimal("4.5"), confidence="on_track"),
        m.DefineKeyResult(
            objective_id=one,
            statement="Lift activation from 41% to 55%",
            kind="increase",
            owner="ana",
            baseline=Decimal(41),
            target=Decimal(55),
        ),
        m.RecordDecision(
            forum="QBR",
            decided_by=("ana",),
            decision_type="reprioritise",
            summary="s",
            rationale="r",
            affects=(one, two),
        ),
        m.OpenCycle(
            key="2026-q1", name="Q1", starts_on=date(2026, 1, 1), ends_on=date(2026, 3, 31)
        ),
    ]
    assert {type(c).__name__: fingerprint(c) for c in commands} == PINNED
