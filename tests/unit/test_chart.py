"""A key result's chart: a standalone SVG of its check-ins against what it aimed at."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest

from okr_ledger.bootstrap import Services
from projections.chart import MARGIN_LEFT, MARGIN_RIGHT, key_result_chart
from projections.okrs import DAY, start_of
from projections.snapshot import Snapshot

SVG = "{http://www.w3.org/2000/svg}"
START = start_of("2026-07-01")
CYCLE = {
    "type": "cycle", "id": "cycle-1", "key": "2026-Q3", "name": "Q3 2026",
    "starts_on": "2026-07-01", "ends_on": "2026-09-30", "cadence_days": 7, "status": "active",
}  # fmt: skip
KR_ID = str(uuid5(NAMESPACE_URL, "kr"))


def key_result(kind: str = "increase", **fields: Any) -> dict[str, Any]:
    return {
        "type": "key_result", "id": KR_ID, "cycle_id": CYCLE["id"], "objective_id": "o-1",
        "team_id": "t-1", "statement": "Raise first-contact resolution from 62% to 75%",
        "kind": kind, "baseline": "62", "target": "75", "band_low": None, "band_high": None,
        "unit": "%", "deadline": "2026-09-30", "classification": "committed", "weight": "1",
        "owner": "kim.owner", "status": "live", "override": None, **fields,
    }  # fmt: skip


def row(day: float, value: str) -> dict[str, Any]:
    moment = START + int(day * DAY)
    return {
        "check_in_id": str(uuid5(NAMESPACE_URL, f"c{day}")), "kr_id": KR_ID, "value": value,
        "confidence": "on_track", "note": "", "effective_at": moment, "recorded_at": moment,
        "actor": "kim.owner", "supersedes": None,
    }  # fmt: skip


def snapshot(doc: dict[str, Any], rows: list[dict[str, Any]]) -> Snapshot:
    return Snapshot(CYCLE, {CYCLE["id"]: CYCLE, doc["id"]: doc}, {doc["id"]: rows})


def chart(doc: dict[str, Any], rows: list[dict[str, Any]], **size: int) -> ET.Element:
    return ET.fromstring(key_result_chart(snapshot(doc, rows), doc["id"], **size))


def find(svg: ET.Element, tag: str, css: str) -> list[ET.Element]:
    return svg.findall(f".//{SVG}{tag}[@class='{css}']")


def points(svg: ET.Element) -> list[tuple[float, float]]:
    return [(float(c.get("cx", "")), float(c.get("cy", ""))) for c in find(svg, "circle", "point")]


WEEKLY = [row(2 + 7 * week, str(62 + week)) for week in range(10)]


def test_the_chart_is_a_standalone_svg_document() -> None:
    text = key_result_chart(snapshot(key_result(), WEEKLY), KR_ID, width=800, height=400)
    svg = ET.fromstring(text)

    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert svg.tag == f"{SVG}svg"
    assert (svg.get("width"), svg.get("height"), svg.get("viewBox")) == (
        "800", "400", "0 0 800 400",
    )  # fmt: skip
    assert not re.search(r"\b(nan|inf)\b", text, re.IGNORECASE)


def test_there_is_one_point_per_check_in_in_time_order() -> None:
    svg = chart(key_result(), WEEKLY)

    drawn = points(svg)
    assert len(drawn) == len(WEEKLY)
    assert [x for x, _ in drawn] == sorted(x for x, _ in drawn)
    assert [y for _, y in drawn] == sorted((y for _, y in drawn), reverse=True)  # rising
    (line,) = find(svg, "polyline", "actual")
    assert len(line.get("points", "").split()) == len(WEEKLY)


def test_the_statement_is_the_escaped_title() -> None:
    statement = 'Cut "wait" below <5 min> & keep it there'
    text = key_result_chart(snapshot(key_result(statement=statement), WEEKLY), KR_ID)
    svg = ET.fromstring(text)

    assert svg.findtext(f"{SVG}title") == statement
    assert "&lt;5 min&gt; &amp; keep" in text


def test_a_metric_key_result_has_the_expected_line_from_baseline_to_target() -> None:
    svg = chart(key_result(), WEEKLY, width=640)

    (line,) = find(svg, "line", "expected")
    x1, y1, x2, y2 = (float(line.get(k, "")) for k in ("x1", "y1", "x2", "y2"))
    assert x1 == MARGIN_LEFT  # the cycle's first day
    assert x2 == 640 - MARGIN_RIGHT  # the deadline, the cycle's last day
    assert y1 > y2  # an increase: the target is drawn above the baseline
    first_x, first_y = points(svg)[0]  # 62 on day 2, just right of the baseline
    assert first_x > x1
    assert abs(first_y - y1) < 5


def test_a_decrease_key_result_aims_downwards() -> None:
    doc = key_result("decrease", baseline="18", target="10")

    (line,) = find(chart(doc, [row(2, "17")]), "line", "expected")

    assert float(line.get("y1", "")) < float(line.get("y2", ""))


def test_an_earlier_deadline_ends_the_expected_line_early() -> None:
    (line,) = find(chart(key_result(deadline="2026-08-15"), WEEKLY), "line", "expected")
    (deadline,) = find(chart(key_result(deadline="2026-08-15"), WEEKLY), "line", "deadline")

    assert float(line.get("x2", "")) < 640 - MARGIN_RIGHT
    assert line.get("x2") == deadline.get("x1")


def test_a_band_key_result_shades_its_band() -> None:
    doc = key_result("band", baseline=None, target=None, band_low="2", band_high="5")
    svg = chart(doc, [row(2, "4"), row(9, "6"), row(16, "3")])

    (band,) = find(svg, "rect", "band")
    top, height = float(band.get("y", "")), float(band.get("height", ""))
    inside, above, _ = points(svg)
    assert top < inside[1] < top + height
    assert above[1] < top
    assert not find(svg, "line", "expected")


def test_a_milestone_steps_up_at_the_first_reached_check_in_and_marks_the_deadline() -> None:
    doc = key_result("milestone", baseline=None, target=None, unit="", deadline="2026-09-10")
    svg = chart(doc, [row(2, "0"), row(30, "0"), row(60, "1"), row(70, "1")])

    (step,) = find(svg, "polyline", "step")
    corners = [tuple(map(float, p.split(","))) for p in step.get("points", "").split()]
    reached_x = points(svg)[2][0]
    assert len(corners) == 4
    assert corners[1][0] == corners[2][0] == reached_x
    assert corners[1][1] > corners[2][1]  # up from 0 to 1
    (deadline,) = find(svg, "line", "deadline")
    assert float(deadline.get("x1", "")) > reached_x
    assert not find(svg, "polyline", "actual")


def test_a_key_result_without_check_ins_still_charts() -> None:
    text = key_result_chart(snapshot(key_result(), []), KR_ID)
    svg = ET.fromstring(text)

    assert points(svg) == []
    assert find(svg, "text", "empty")[0].text == "No check-ins yet"
    assert find(svg, "line", "expected")


@pytest.mark.parametrize(
    "doc",
    [
        key_result("baseline", baseline=None, target=None, deadline=None),
        key_result("increase", baseline=None, target=None),
        key_result("increase", baseline="0", target="0.004"),
        key_result("decrease", baseline="-40", target="-70"),
    ],
    ids=["no aim", "no baseline or target", "tiny range", "negative values"],
)
@pytest.mark.parametrize("rows", [[], [row(5, "0.003")], WEEKLY[:3]], ids=["0", "1", "3"])
def test_the_value_axis_scales_sensibly_for_any_data(
    doc: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    text = key_result_chart(snapshot(doc, rows), KR_ID)
    svg = ET.fromstring(text)

    assert not re.search(r"\b(nan|inf)\b", text, re.IGNORECASE)
    ticks = [float(t.text or "") for t in find(svg, "text", "tick value")]
    assert len(ticks) >= 2
    assert ticks == sorted(ticks)
    bottom = max(float(y.get("y1", "")) for y in find(svg, "line", "axis"))
    assert all(40 <= y <= bottom for _, y in points(svg))
    assert len(find(svg, "text", "tick date")) >= 2


def test_an_unknown_id_or_another_kind_of_document_raises_key_error() -> None:
    snap = snapshot(key_result(), WEEKLY)

    with pytest.raises(KeyError):
        key_result_chart(snap, "no-such-key-result")
    with pytest.raises(KeyError):
        key_result_chart(snap, CYCLE["id"])


def test_every_demo_key_result_charts_with_a_point_per_check_in(demo_services: Services) -> None:
    rm = demo_services.read_models
    with rm.reading() as cursor:
        snap = rm.snapshot(cursor, "2026-Q3", full_history=True)
    assert snap is not None

    for doc in snap.in_cycle("key_result"):
        svg = ET.fromstring(key_result_chart(snap, doc["id"]))
        assert len(points(svg)) == len(snap.check_ins.get(doc["id"], [])) > 0
        assert svg.findtext(f"{SVG}title") == doc["statement"]
