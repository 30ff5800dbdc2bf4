"""Importing an OKR set from a planning spreadsheet: natural ids, re-imports that write
nothing, changed cells as the right events, and refusals by row and column."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from commands import messages as m
from commands.imports.problems import SpreadsheetRefused
from commands.imports.service import import_file, template
from commands.imports.sheets import MAX_BYTES
from ledger.cycle import Cycle
from ledger.exceptions import LedgerError
from ledger.key_result import KeyResult
from ledger.objective import Objective
from ledger.team import Team
from tests.conftest import Org
from tests.unit.support import events_after
from web.errors import status_of

HEADER = [
    "cycle", "team", "objective_key", "objective", "objective_owner", "commitment",
    "strategic_choice", "key_result_key", "key_result", "kind", "baseline", "target",
    "unit", "deadline", "key_result_owner", "weight", "classification", "initiative", "reason",
]  # fmt: skip


def row(**cells: str) -> dict[str, str]:
    base = {
        "cycle": "2026-Q3", "team": "contact", "objective_key": "fcr",
        "objective": "Resolve more enquiries at first contact",
        "objective_owner": "olu.owner", "commitment": "committed",
        "key_result_key": "fcr-rate",
        "key_result": "Lift first-contact resolution from 62% to 75%",
        "kind": "increase", "baseline": "62", "target": "75", "unit": "%",
        "deadline": "2026-09-30", "key_result_owner": "kim.owner", "weight": "1",
        "classification": "committed", "initiative": "Knowledge base for agents",
    }  # fmt: skip
    base.update(cells)
    return base


def to_csv(*rows: dict[str, str], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def two_rows() -> bytes:
    second = row(
        key_result_key="wait",
        key_result="Cut average wait from 9 to 4 minutes",
        kind="decrease",
        baseline="9",
        target="4",
        unit="min",
    )
    return to_csv(row(), second)


def refusal(org: Org, data: bytes) -> SpreadsheetRefused:
    head = org.bus.ledger.head_position()
    with pytest.raises(SpreadsheetRefused) as refused:
        import_file(org.bus, org.admin, data)
    assert org.bus.ledger.head_position() == head, "a refused file writes nothing"
    return refused.value


def test_a_sheet_becomes_objectives_key_results_and_initiatives_with_natural_ids(
    org: Org,
) -> None:
    report = import_file(org.bus, org.admin, two_rows())

    objective_id = Objective.id_for(org.team, org.cycle, "fcr")
    objective = org.bus.ledger.get(Objective, objective_id)
    kr = org.bus.ledger.get(KeyResult, KeyResult.id_for(org.team, org.cycle, "fcr-rate"))
    assert objective.key_result_ids == [kr.id, KeyResult.id_for(org.team, org.cycle, "wait")]
    assert (kr.baseline, kr.target, kr.owner) == (Decimal(62), Decimal(75), "kim.owner")
    assert [c["change"] for c in report.to_json()["changes"]] == [
        "objective_drafted",
        "key_result_defined",
        "initiative_proposed",
        "key_result_defined",
        "initiative_linked",
    ]


def test_importing_the_same_file_twice_writes_nothing_the_second_time(org: Org) -> None:
    import_file(org.bus, org.admin, two_rows())
    head = org.bus.ledger.head_position()

    again = import_file(org.bus, org.admin, two_rows())

    assert org.bus.ledger.head_position() == head
    assert again.to_json()["changes"] == []


def test_a_dry_run_names_exactly_the_events_the_real_run_then_writes(org: Org) -> None:
    head = org.bus.ledger.head_position()
    dry = import_file(org.bus, org.admin, two_rows(), dry_run=True)
    assert org.bus.ledger.head_position() == head

    real = import_file(org.bus, org.admin, two_rows())

    assert dry.to_json()["changes"] == real.to_json()["changes"]
    written = [type(e).__qualname__ for e in events_after(org.bus.ledger, head)]
    named = [e for c in dry.to_json()["changes"] for e in c["events"]]
    assert sorted(written) == sorted(named)
    assert dry.to_json()["events"] == len(written)


def test_a_changed_target_is_a_retarget_that_needs_the_reason_column(org: Org) -> None:
    import_file(org.bus, org.admin, to_csv(row()))

    refused = refusal(org, to_csv(row(target="70")))
    assert [(p.row, p.column, p.code) for p in refused.problems] == [
        (2, "reason", "reason_required")
    ]

    report = import_file(org.bus, org.admin, to_csv(row(target="70", reason="budget cut")))
    assert [c["change"] for c in report.to_json()["changes"]] == ["key_result_retargeted"]
    kr = org.bus.ledger.get(KeyResult, KeyResult.id_for(org.team, org.cycle, "fcr-rate"))
    assert kr.target == Decimal(70)
    last = org.bus.ledger.history(kr.id)[-1]
    assert last.meta.reason == "budget cut"
    assert last.easing is True  # type: ignore[attr-defined]


def test_a_changed_statement_is_a_reword_and_a_changed_owner_an_owner_change(org: Org) -> None:
    import_file(org.bus, org.admin, to_csv(row()))

    report = import_file(
        org.bus,
        org.admin,
        to_csv(row(objective="Resolve most enquiries at first contact", objective_owner="ana")),
    )

    assert [c["change"] for c in report.to_json()["changes"]] == [
        "objective_reworded",
        "objective_owner_changed",
    ]
    objective = org.bus.ledger.get(Objective, Objective.id_for(org.team, org.cycle, "fcr"))
    assert (objective.statement, objective.owner) == (
        "Resolve most enquiries at first contact",
        "ana",
    )


def test_every_act_is_an_event_of_the_operator_through_the_handlers(org: Org) -> None:
    head = org.bus.ledger.head_position()
    editor = org.editor("erin.editor")

    import_file(org.bus, editor, to_csv(row()))

    events = events_after(org.bus.ledger, head)
    assert {e.meta.actor for e in events} == {"erin.editor"}
    assert len({e.meta.correlation_id for e in events}) == 3  # one per command


def test_an_editor_may_not_import_for_another_team(org: Org) -> None:
    head = org.bus.ledger.head_position()
    editor = org.editor("erin.editor")

    with pytest.raises(LedgerError) as refused:
        import_file(org.bus, editor, to_csv(row(), row(team="repairs", objective_key="x")))

    assert refused.value.rule == "forbidden"
    assert org.bus.ledger.head_position() == head


@pytest.mark.parametrize(
    ("cells", "column", "code"),
    [
        ({"deadline": "30/09/2026"}, "deadline", "bad_date"),
        ({"team": "nowhere"}, "team", "unknown_team"),
        ({"cycle": "1999-Q1"}, "cycle", "unknown_cycle"),
        ({"kind": "grow"}, "kind", "not_allowed"),
        ({"target": "=A1*2"}, "target", "bad_number"),
        ({"target": "50"}, "target", "target_direction"),
        ({"objective_owner": ""}, "objective_owner", "required"),
    ],
)
def test_a_bad_cell_refuses_the_file_by_row_and_column(
    org: Org, cells: dict[str, str], column: str, code: str
) -> None:
    good = row(objective_key="other", key_result_key="other-kr", initiative="")

    refused = refusal(org, to_csv(good, row(**cells)))

    assert [(p.row, p.column, p.code) for p in refused.problems] == [(3, column, code)]
    assert refused.message.startswith(f"row 3, column {column}: ")


def test_every_bad_cell_of_a_file_is_named_at_once(org: Org) -> None:
    refused = refusal(org, to_csv(row(deadline="soon"), row(team="nowhere", objective_key="b")))

    assert [(p.row, p.column) for p in refused.problems] == [(2, "deadline"), (3, "team")]


def test_a_cell_that_starts_like_a_formula_is_kept_as_text(org: Org) -> None:
    statement = '=HYPERLINK("http://x") +1 -1 @me'
    import_file(org.bus, org.admin, to_csv(row(objective=statement, initiative="")))

    objective = org.bus.ledger.get(Objective, Objective.id_for(org.team, org.cycle, "fcr"))
    assert objective.statement == statement


def xlsx(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_workbook_imports_like_its_csv(org: Org) -> None:
    values = row()
    import_file(org.bus, org.admin, xlsx(HEADER, [values.get(c, "") for c in HEADER]))
    head = org.bus.ledger.head_position()

    import_file(org.bus, org.admin, to_csv(values))

    assert org.bus.ledger.head_position() == head


def test_a_formula_cell_in_a_workbook_is_refused_by_row_and_column(org: Org) -> None:
    values = [row().get(c, "") for c in HEADER]
    values[HEADER.index("target")] = "=70+5"

    refused = refusal(org, xlsx(HEADER, values))

    assert [(p.row, p.column, p.code) for p in refused.problems] == [(2, "target", "formula_cell")]


def test_a_ten_megabyte_junk_file_is_refused_as_too_large(org: Org) -> None:
    refused = refusal(org, b"\x8f junk " * (10 * 1024 * 1024 // 7))

    assert status_of(refused) == 413
    assert refused.rule == "payload_too_large"


@pytest.mark.parametrize(
    "data",
    [b"\x00\x01\x02 binary", b"PK\x03\x04 not really a zip", b"plain words"],
    ids=["binary", "false-zip", "no-template"],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused(org: Org, data: bytes) -> None:
    refused = refusal(org, data)

    assert refused.rule == "invalid_spreadsheet"


def test_the_template_has_every_column_of_the_issue_and_imports_cleanly(org: Org) -> None:
    text = template("okrs")
    header = next(csv.reader(io.StringIO(text)))
    assert {"team", "objective", "objective_owner", "commitment", "strategic_choice", "kind",
            "baseline", "target", "unit", "deadline", "key_result_owner", "weight",
            "classification", "initiative", "reason"} <= set(header)  # fmt: skip
    strategy = org.do(
        m.FormulateStrategy(key="northbridge", name="NB", vision="v", mission="mi")
    ).created_id
    assert strategy is not None
    org.do(
        m.AddStrategicChoice(
            strategy_id=strategy,
            kind="where_to_play",
            statement="People",
            key="people-for-complex",
        )
    )
    sample = text.replace("contact-centre", "contact").replace("2026-Q4", "2026-Q3")
    sample = sample.replace("2026-12-31", "2026-09-30")

    report = import_file(org.bus, org.admin, sample.encode())

    assert "objective_linked_to_choice" in [c["change"] for c in report.to_json()["changes"]]


def test_ids_derive_from_team_cycle_and_key(org: Org) -> None:
    assert Objective.id_for(Team.id_for("contact"), Cycle.id_for("2026-Q3"), "fcr") == (
        Objective.id_for(org.team, org.cycle, "fcr")
    )
    assert MAX_BYTES == 5 * 1024 * 1024


def test_a_text_cell_of_a_workbook_that_starts_like_a_formula_stays_text(org: Org) -> None:
    values = [row(initiative="").get(c, "") for c in HEADER]
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(values)
    cell = book.active.cell(row=2, column=HEADER.index("objective") + 1)
    cell.value, cell.data_type = "=1+1 is not a sum here", "s"
    out = io.BytesIO()
    book.save(out)

    import_file(org.bus, org.admin, out.getvalue())

    objective = org.bus.ledger.get(Objective, Objective.id_for(org.team, org.cycle, "fcr"))
    assert objective.statement == "=1+1 is not a sum here"


def test_a_semicolon_separated_export_reads_like_a_comma_separated_one(org: Org) -> None:
    import_file(org.bus, org.admin, to_csv(row()))
    head = org.bus.ledger.head_position()
    text = to_csv(row()).decode()
    semicolons = "\n".join(";".join(next(csv.reader([line]))) for line in text.splitlines())

    report = import_file(org.bus, org.admin, semicolons.encode())

    assert report.to_json()["changes"] == []
    assert org.bus.ledger.head_position() == head
