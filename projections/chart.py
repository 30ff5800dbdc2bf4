"""A key result's check-ins over time as a standalone SVG document.

The current check-in values (a line through a point per check-in) are drawn against
what was aimed at: for an increase or decrease key result the straight line from the
baseline at the cycle's start to the target at the deadline (or the cycle's end); for
a band key result the band, shaded; for a milestone a step up to 1 at the first
check-in that reached it, with the deadline marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from eventlog import vocabulary
from projections.facts import number
from projections.okrs import DAY, end_of, start_of
from projections.reducers import Doc
from projections.snapshot import Snapshot

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 20, 40, 64
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
COLOURS = {
    "actual": "#1f5fa8",
    "expected": "#8a8a8a",
    "band": "#cfe8d4",
    "step": "#2e7d32",
    "deadline": "#c0392b",
    "axis": "#444444",
    "grid": "#e4e4e4",
    "text": "#222222",
}
DATE_TICKS = 5
VALUE_TICKS = 5


@dataclass(frozen=True)
class Scale:
    """Maps a domain [lo, hi] linearly onto the pixel range [start, end]."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        return self.start + (value - self.lo) / (self.hi - self.lo) * (self.end - self.start)


@dataclass(frozen=True)
class Plot:
    width: int
    height: int
    x: Scale
    y: Scale
    step: float
    """Distance between value ticks."""

    @property
    def left(self) -> float:
        return self.x.start

    @property
    def right(self) -> float:
        return self.x.end

    @property
    def top(self) -> float:
        return self.y.end

    @property
    def bottom(self) -> float:
        return self.y.start


def key_result_chart(
    snapshot: Snapshot, kr_id: str, *, width: int = 640, height: int = 320
) -> str:
    """The key result's chart as an SVG document; KeyError if ``kr_id`` is not a key
    result of the snapshot."""
    doc = snapshot.docs.get(kr_id)
    if doc is None or doc.get("type") != "key_result":
        raise KeyError(kr_id)
    rows = sorted(
        snapshot.check_ins.get(kr_id, []), key=lambda r: (r["effective_at"], r["recorded_at"])
    )
    points = [(float(r["effective_at"]), float(r["value"])) for r in rows]
    plot = _plot(snapshot.cycle, doc, points, width, height)
    parts = [
        _header(doc, width, height),
        *_grid(plot, doc.get("unit") or ""),
        *_aim(snapshot.cycle, doc, plot, points),
        *_actual(doc, plot, points, rows),
        *_legend(doc, plot),
        "</svg>\n",
    ]
    return "\n".join(parts)


# -- scaling ---------------------------------------------------------------------------


def _plot(
    cycle: Doc, doc: Doc, points: list[tuple[float, float]], width: int, height: int
) -> Plot:
    times = [t for t, _ in points]
    t_lo = min([start_of(cycle["starts_on"]), *times])
    t_hi = max([end_of(cycle["ends_on"]), *times, *_deadline(doc)])
    if t_hi <= t_lo:
        t_hi = t_lo + DAY
    v_lo, v_hi = _value_range(doc, [v for _, v in points])
    step = nice_step((v_hi - v_lo) / (VALUE_TICKS - 1))
    v_lo, v_hi = math.floor(v_lo / step) * step, math.ceil(v_hi / step) * step
    return Plot(
        width,
        height,
        Scale(t_lo, t_hi, MARGIN_LEFT, width - MARGIN_RIGHT),
        Scale(v_lo, v_hi, height - MARGIN_BOTTOM, MARGIN_TOP),
        step,
    )


def _deadline(doc: Doc) -> list[int]:
    return [end_of(doc["deadline"])] if doc.get("deadline") else []


def _value_range(doc: Doc, values: list[float]) -> tuple[float, float]:
    """The values to show: the check-ins and whatever the key result aims at; at least
    0 to 1 for a milestone, and never an empty range."""
    aims = [doc.get(k) for k in ("baseline", "target", "band_low", "band_high")]
    shown = values + [float(v) for v in (number(a) for a in aims) if v is not None]
    if doc["kind"] == "milestone":
        shown += [0.0, 1.0]
    if not shown:
        return 0.0, 1.0
    lo, hi = min(shown), max(shown)
    if lo == hi:
        pad = abs(lo) * 0.1 or 1.0
        return lo - pad, hi + pad
    return lo, hi


def nice_step(raw: float) -> float:
    """The 1, 2 or 5 times a power of ten at or just above ``raw``."""
    exponent = math.floor(math.log10(raw))
    fraction = raw / 10**exponent
    nice = next(n for n in (1, 2, 5, 10) if fraction <= n * (1 + 1e-9))
    return nice * 10**exponent


# -- drawing ---------------------------------------------------------------------------


def _f(value: float) -> str:
    return f"{value:.1f}"


def _header(doc: Doc, width: int, height: int) -> str:
    statement = doc["statement"]
    room = max(8, (width - MARGIN_LEFT - MARGIN_RIGHT) // 8)
    shown = statement if len(statement) <= room else statement[: room - 1] + "…"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" '
        'font-family="sans-serif" font-size="11">\n'
        f'<title id="chart-title">{escape(statement)}</title>\n'
        f'<rect class="background" x="0" y="0" width="{width}" height="{height}" fill="#fff"/>\n'
        f'<text class="heading" x="{MARGIN_LEFT}" y="22" font-size="14" font-weight="bold" '
        f'fill="{COLOURS["text"]}">{escape(shown)}</text>'
    )


def _grid(plot: Plot, unit: str) -> list[str]:
    """Axes, value ticks with grid lines, and date ticks."""
    parts = []
    for value in value_ticks(plot.y.lo, plot.y.hi, plot.step):
        y = plot.y(value)
        parts.append(_line("grid", plot.left, y, plot.right, y, COLOURS["grid"]))
        parts.append(
            _text("tick value", plot.left - 6, y + 4, _number(value, plot.step), anchor="end")
        )
    for moment in date_ticks(plot.x.lo, plot.x.hi):
        x = plot.x(moment)
        parts.append(_line("tick", x, plot.bottom, x, plot.bottom + 4, COLOURS["axis"]))
        parts.append(_text("tick date", x, plot.bottom + 16, _date(moment), anchor="middle"))
    if unit:
        parts.append(_text("unit", 8, plot.top - 8, unit))
    return [
        *parts,
        _line("axis", plot.left, plot.bottom, plot.right, plot.bottom, COLOURS["axis"]),
        _line("axis", plot.left, plot.top, plot.left, plot.bottom, COLOURS["axis"]),
    ]


def value_ticks(lo: float, hi: float, step: float) -> list[float]:
    count = round((hi - lo) / step)
    return [lo + i * step for i in range(count + 1)]


def date_ticks(lo: float, hi: float) -> list[float]:
    return [lo + i * (hi - lo) / (DATE_TICKS - 1) for i in range(DATE_TICKS)]


def _number(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step)))
    return f"{round(value, decimals) or 0.0:.{decimals}f}"  # never "-0"


def _date(micros: float) -> str:
    day = vocabulary.moment(int(micros))
    return f"{day.day} {MONTHS[day.month - 1]}"


def _aim(cycle: Doc, doc: Doc, plot: Plot, points: list[tuple[float, float]]) -> list[str]:
    """What the key result aimed at, drawn under the check-ins."""
    kind, parts = doc["kind"], []
    if kind == "band":
        parts += _band(doc, plot)
    if kind in ("increase", "decrease"):
        parts += _expected(cycle, doc, plot)
    if kind == "milestone":
        parts += _step(plot, points)
    if doc.get("deadline"):
        x = plot.x(end_of(doc["deadline"]))
        parts.append(
            _line("deadline", x, plot.top, x, plot.bottom, COLOURS["deadline"], dash=True)
        )
    return parts


def _band(doc: Doc, plot: Plot) -> list[str]:
    low, high = number(doc.get("band_low")), number(doc.get("band_high"))
    if low is None or high is None:
        return []
    top, bottom = plot.y(float(high)), plot.y(float(low))
    return [
        f'<rect class="band" x="{_f(plot.left)}" y="{_f(top)}" '
        f'width="{_f(plot.right - plot.left)}" height="{_f(bottom - top)}" '
        f'fill="{COLOURS["band"]}" fill-opacity="0.7"/>'
    ]


def _expected(cycle: Doc, doc: Doc, plot: Plot) -> list[str]:
    """The straight line from the baseline at the cycle's start to the target at the
    deadline (or the cycle's end)."""
    baseline, target = number(doc.get("baseline")), number(doc.get("target"))
    if baseline is None or target is None:
        return []
    due = end_of(doc.get("deadline") or cycle["ends_on"])
    return [
        _line(
            "expected",
            plot.x(start_of(cycle["starts_on"])),
            plot.y(float(baseline)),
            plot.x(due),
            plot.y(float(target)),
            COLOURS["expected"],
            dash=True,
        )
    ]


def _step(plot: Plot, points: list[tuple[float, float]]) -> list[str]:
    """0 until the first check-in that reached the milestone, 1 from then on."""
    if not points:
        return []
    reached = next((t for t, v in points if v >= 1), None)
    if reached is None:
        corners = [(plot.x.lo, 0.0), (points[-1][0], 0.0)]
    else:
        corners = [(plot.x.lo, 0.0), (reached, 0.0), (reached, 1.0), (plot.x.hi, 1.0)]
    return [_polyline("step", plot, corners, COLOURS["step"])]


def _actual(
    doc: Doc, plot: Plot, points: list[tuple[float, float]], rows: list[dict[str, Any]]
) -> list[str]:
    """The line through the check-ins (the step stands for it on a milestone), a point
    per check-in, or a note that there are none yet."""
    if not points:
        centre = (plot.left + plot.right) / 2
        return [_text("empty", centre, plot.top + 20, "No check-ins yet", anchor="middle")]
    parts = []
    if doc["kind"] != "milestone" and len(points) > 1:
        parts.append(_polyline("actual", plot, points, COLOURS["actual"]))
    unit = doc.get("unit") or ""
    for (t, v), row in zip(points, rows, strict=True):
        label = f"{vocabulary.moment(int(t)).date().isoformat()}: {row['value']} {unit}".strip()
        parts.append(
            f'<circle class="point" cx="{_f(plot.x(t))}" cy="{_f(plot.y(v))}" r="3" '
            f'fill="{COLOURS["actual"]}"><title>{escape(label)}</title></circle>'
        )
    return parts


def _legend(doc: Doc, plot: Plot) -> list[str]:
    entries = [("actual", "Check-ins", COLOURS["actual"])]
    kind = doc["kind"]
    if kind in ("increase", "decrease") and None not in (doc.get("baseline"), doc.get("target")):
        entries.append(("expected", "Baseline to target", COLOURS["expected"]))
    if kind == "band":
        entries.append(("band", "Band", COLOURS["band"]))
    if kind == "milestone":
        entries = [("step", "Reached (0/1)", COLOURS["step"]), entries[0]]
    if doc.get("deadline"):
        entries.append(("deadline", "Deadline", COLOURS["deadline"]))
    y, spacing = plot.height - 16, min(140.0, (plot.right - plot.left) / len(entries))
    parts = ['<g class="legend">']
    for place, (key, label, colour) in enumerate(entries):
        x = plot.left + place * spacing
        parts.append(f'<rect x="{_f(x)}" y="{_f(y - 8)}" width="14" height="8" fill="{colour}"/>')
        parts.append(_text(f"legend {key}", x + 20, y, label))
    parts.append("</g>")
    return parts


def _line(
    css: str, x1: float, y1: float, x2: float, y2: float, colour: str, *, dash: bool = False
) -> str:
    dashed = ' stroke-dasharray="5 4"' if dash else ""
    return (
        f'<line class="{css}" x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" '
        f'stroke="{colour}" stroke-width="1.5"{dashed}/>'
    )


def _polyline(css: str, plot: Plot, points: list[tuple[float, float]], colour: str) -> str:
    coordinates = " ".join(f"{_f(plot.x(t))},{_f(plot.y(v))}" for t, v in points)
    return (
        f'<polyline class="{css}" points="{coordinates}" fill="none" '
        f'stroke="{colour}" stroke-width="2"/>'
    )


def _text(css: str, x: float, y: float, text: str, *, anchor: str = "start") -> str:
    return (
        f'<text class={quoteattr(css)} x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" '
        f'fill="{COLOURS["text"]}">{escape(text)}</text>'
    )
