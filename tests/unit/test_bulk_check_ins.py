"""Bulk check-ins from a metrics export: each row acts once, a changed value corrects the
check-in it names, and bad rows refuse the file by row and column."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from commands import messages as m
from commands.imports.problems import SpreadsheetRefused
from commands.imports.service import import_file
from ledger.key_result import KeyResult
from tests.conftest import Org

HEADER = "key_result,value,confidence,effective_date,note,reason\n"


def keyed_key_result(org: Org, key: str = "renewals") -> KeyResult:
    objective = org.objective()
    org.do(
        m.DefineKeyResult(
            objective_id=objective,
            statement="Lift renewals from 40 to 60",
            kind="increase",
            baseline=Decimal(40),
            target=Decimal(60),
            owner="kim.owner",
            key=key,
        )
    )
    return org.bus.ledger.get(KeyResult, KeyResult.id_for(org.team, org.cycle, key))


def send(org: Org, *lines: str) -> list[str]:
    report = import_file(org.bus, org.admin, (HEADER + "\n".join(lines) + "\n").encode())
    return [c["change"] for c in report.to_json()["changes"]]


def test_a_row_names_its_key_result_by_cycle_team_and_key_or_by_id(org: Org) -> None:
    kr = keyed_key_result(org)

    changes = send(
        org, "2026-Q3/contact/renewals,45,on_track,2026-07-02,", f"{kr.id},47,at_risk,2026-07-03,"
    )

    assert changes == ["key_result_checked_in", "key_result_checked_in"]
    held = org.bus.ledger.get(KeyResult, kr.id).current_check_ins()
    assert [(c.value, c.effective_at) for c in held] == [
        (Decimal(45), datetime(2026, 7, 2, tzinfo=UTC)),
        (Decimal(47), datetime(2026, 7, 3, tzinfo=UTC)),
    ]


def test_sending_the_same_export_again_writes_nothing(org: Org) -> None:
    keyed_key_result(org)
    send(org, "2026-Q3/contact/renewals,45,on_track,2026-07-02,weekly")
    head = org.bus.ledger.head_position()

    assert send(org, "2026-Q3/contact/renewals,45,on_track,2026-07-02,weekly") == []
    assert org.bus.ledger.head_position() == head


def test_a_changed_value_for_the_same_date_corrects_that_check_in_with_a_reason(
    org: Org,
) -> None:
    kr = keyed_key_result(org)
    send(org, "2026-Q3/contact/renewals,45,on_track,2026-07-02,")

    with pytest.raises(SpreadsheetRefused) as refused:
        send(org, "2026-Q3/contact/renewals,46,on_track,2026-07-02,")
    assert [(p.row, p.column, p.code) for p in refused.value.problems] == [
        (2, "reason", "reason_required")
    ]

    changes = send(org, "2026-Q3/contact/renewals,46,on_track,2026-07-02,,typo in export")
    assert changes == ["check_in_corrected"]
    [held] = org.bus.ledger.get(KeyResult, kr.id).current_check_ins()
    assert held.value == Decimal(46)


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        ("2026-Q3/contact/nothing,45,on_track,2026-07-02,", "key_result", "unknown_key_result"),
        ("2026-Q3/contact/renewals,lots,on_track,2026-07-02,", "value", "bad_number"),
        ("2026-Q3/contact/renewals,45,fine,2026-07-02,", "confidence", "not_allowed"),
        ("2026-Q3/contact/renewals,45,on_track,02/07/2026,", "effective_date", "bad_date"),
        (
            "2026-Q3/contact/renewals,45,on_track,2026-06-01,",
            "effective_date",
            "effective_time_before_cycle",
        ),
    ],
)
def test_a_bad_row_refuses_the_export_by_row_and_column_with_nothing_written(
    org: Org, line: str, column: str, code: str
) -> None:
    keyed_key_result(org)
    head = org.bus.ledger.head_position()

    with pytest.raises(SpreadsheetRefused) as refused:
        send(org, "2026-Q3/contact/renewals,41,on_track,2026-07-01,", line)

    assert [(p.row, p.column, p.code) for p in refused.value.problems] == [(3, column, code)]
    assert org.bus.ledger.head_position() == head


def test_two_rows_for_one_key_result_and_time_are_refused(org: Org) -> None:
    keyed_key_result(org)

    with pytest.raises(SpreadsheetRefused) as refused:
        send(
            org,
            "2026-Q3/contact/renewals,45,on_track,2026-07-02,",
            "2026-Q3/contact/renewals,46,on_track,2026-07-02,",
        )

    assert [(p.row, p.code) for p in refused.value.problems] == [(3, "duplicate_row")]
