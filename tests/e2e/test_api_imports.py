"""POST /api/v1/imports and /api/v1/check-ins/bulk: the file as the body, the same
report as the CLI, editors for their teams, refusals in the one error shape."""

from __future__ import annotations

import io

from openpyxl import Workbook

from commands.imports.sheets import CSV_TYPE, XLSX_TYPE
from ledger.key_result import KeyResult
from tests.e2e.conftest import World, error_of

OKRS = (
    "cycle,team,objective_key,objective,objective_owner,key_result_key,key_result,kind,"
    "baseline,target,unit,deadline,reason\n"
    "2026-Q3,{team},calls,Answer residents quickly in order to keep their trust,olu.owner,"
    "wait,Cut the average wait from 9 to 4 minutes,decrease,9,{target},min,2026-09-30,{reason}\n"
)


def okrs(team: str = "contact", target: str = "4", reason: str = "") -> str:
    return OKRS.format(team=team, target=target, reason=reason)


def post(world: World, path: str, body: str | bytes, who: str = "editor", **kw: str) -> object:
    content_type = kw.pop("content_type", CSV_TYPE)
    return world.api.as_(who, "POST", path, data=body, content_type=content_type, **kw)


def test_an_editor_imports_a_sheet_for_their_team_and_a_second_send_writes_nothing(
    world: World,
) -> None:
    first = post(world, "/api/v1/imports", okrs())
    assert first.status_code == 200, first.get_data(as_text=True)
    report = first.get_json()
    assert [c["change"] for c in report["changes"]] == ["objective_drafted", "key_result_defined"]
    assert report["position"] == world.head()
    head = world.head()

    again = post(world, "/api/v1/imports", okrs())

    assert again.get_json()["changes"] == []
    assert world.head() == head


def test_a_dry_run_answers_the_report_of_the_real_run_and_writes_nothing(world: World) -> None:
    head = world.head()

    dry = post(world, "/api/v1/imports?dry_run=true", okrs())

    assert world.head() == head
    real = post(world, "/api/v1/imports", okrs())
    assert dry.get_json()["changes"] == real.get_json()["changes"]
    assert (dry.get_json()["dry_run"], dry.get_json()["position"]) == (True, None)


def test_an_editor_may_not_import_rows_of_another_team(world: World) -> None:
    head = world.head()

    refused = post(world, "/api/v1/imports", okrs(team="repairs"))

    error_of(refused, 403, "forbidden")
    assert world.head() == head


def test_a_retarget_without_a_reason_is_refused_naming_row_and_column(world: World) -> None:
    post(world, "/api/v1/imports", okrs())
    head = world.head()

    refused = post(world, "/api/v1/imports", okrs(target="5"))

    error = error_of(refused, 422, "invalid_spreadsheet", field="row 2, column reason")
    assert error["problems"] == [
        {
            "row": 2,
            "column": "reason",
            "code": "reason_required",
            "message": "retargeting a key result needs a reason",
        }
    ]
    assert world.head() == head
    eased = post(world, "/api/v1/imports", okrs(target="5", reason="staff shortage"))
    assert [c["change"] for c in eased.get_json()["changes"]] == ["key_result_retargeted"]


def test_an_xlsx_body_is_read_for_values(world: World) -> None:
    book = Workbook()
    lines = [line.split(",") for line in okrs().strip().split("\n")]
    for values in lines:
        book.active.append(values)
    out = io.BytesIO()
    book.save(out)

    response = post(world, "/api/v1/imports", out.getvalue(), content_type=XLSX_TYPE)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["kind"] == "okrs"


def test_a_json_body_is_refused_as_the_wrong_media_type(world: World) -> None:
    response = world.api.as_("editor", "POST", "/api/v1/imports", {"rows": []})

    error_of(response, 415, "unsupported_media_type", field="Content-Type")


def test_a_body_over_five_megabytes_is_refused_before_it_is_read(world: World) -> None:
    head = world.head()

    response = post(world, "/api/v1/imports", b"x" * (6 * 1024 * 1024))

    error_of(response, 413, "payload_too_large")
    assert world.head() == head


def test_bulk_check_ins_act_once_however_often_the_file_is_sent(world: World) -> None:
    post(world, "/api/v1/imports", okrs())
    sheet = (
        "key_result,value,confidence,effective_date,note\n"
        "2026-Q3/contact/wait,8,on_track,2026-07-03,first week\n"
        "2026-Q3/contact/wait,7.5,at_risk,2026-07-06T08:00:00Z,\n"
    )

    first = post(world, "/api/v1/check-ins/bulk", sheet)
    head = world.head()
    again = post(world, "/api/v1/check-ins/bulk", sheet)

    assert [c["change"] for c in first.get_json()["changes"]] == ["key_result_checked_in"] * 2
    assert again.get_json()["changes"] == []
    assert world.head() == head
    kr_id = KeyResult.id_for(world.team, world.cycle, "wait")
    kr = world.ledger.get(KeyResult, kr_id)
    assert [str(c.value) for c in kr.current_check_ins()] == ["8", "7.5"]


def test_bulk_check_ins_refuse_an_okr_sheet(world: World) -> None:
    refused = post(world, "/api/v1/check-ins/bulk", okrs())

    error = error_of(refused, 422, "invalid_spreadsheet")
    assert error["problems"][0]["code"] == "unknown_layout"


def test_the_document_describes_both_imports_with_spreadsheet_bodies_and_their_errors(
    world: World,
) -> None:
    spec = world.api.get("/openapi.json").get_json()

    for path, operation_id in (
        ("/api/v1/imports", "ImportSpreadsheet"),
        ("/api/v1/check-ins/bulk", "BulkCheckIns"),
    ):
        operation = spec["paths"][path]["post"]
        assert operation["operationId"] == operation_id
        assert set(operation["requestBody"]["content"]) == {CSV_TYPE, XLSX_TYPE}
        assert {"200", "403", "413", "415", "422"} <= set(operation["responses"])
        assert [p["name"] for p in operation["parameters"]] == ["dry_run"]


def test_a_request_imports_at_most_500_rows_so_no_worker_is_held_for_long(
    world: World,
) -> None:
    header, line = okrs().strip().split("\n")
    rows = [line.replace(",calls,", f",calls-{n},") for n in range(501)]
    head = world.head()

    refused = post(world, "/api/v1/imports", "\n".join([header, *rows]) + "\n")

    error = error_of(refused, 422, "invalid_spreadsheet")
    assert error["problems"][0]["code"] == "too_many_rows"
    assert world.head() == head
