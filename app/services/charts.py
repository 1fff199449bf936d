"""Charts drawn on the server as inline SVG: no JavaScript, no external files.

Every chart is an image with a text alternative: `role="img"`, a `<title>` and
a `<desc>` that `aria-labelledby` points at, and the numbers themselves in the
data table that the `charts/_chart.html` macro renders next to it. Series
differ in more than colour (fill patterns for bars, marker shapes and dashes
for lines), values are written on the bars and the heatmap cells, and every
colour keeps at least 3:1 contrast against the white background (WCAG 1.4.11).

Callers pass strings already translated; every piece of text is escaped here.
Numbers are formatted by `fmt` (the web layer passes a locale-aware one, so
Dutch pages show a decimal comma).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

Formatter = Callable[[float], str]

# Dark enough on white for graphics (>= 3:1), distinct for the common kinds of colour blindness.
SERIES_COLOURS = ("#0b6e4f", "#9a4a00", "#2f4b9b", "#7a2e7a")
TEXT = "#1d232a"
MUTED = "#5b6670"
GRID = "#dde1e4"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

HEAT_LOW = (0xF2, 0xF6, 0xF4)
HEAT_HIGH = (0x0B, 0x4F, 0x3A)

WIDTH = 680
HEIGHT = 380
MARGIN_LEFT = 64
MARGIN_RIGHT = 20
MARGIN_TOP = 24
AXIS_FONT = 15
VALUE_FONT = 14


def default_format(value: float) -> str:
    """Whole numbers without decimals, others with one."""
    if abs(value - round(value)) < 0.05:
        return str(round(value))
    return f"{value:.1f}"


def _e(text: object) -> str:
    return str(escape(str(text)))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _chart_id(kind: str, *parts: object) -> str:
    """Stable per content, so a page's bytes (and its ETag) do not change between requests."""
    digest = hashlib.blake2s(repr((kind, parts)).encode("utf-8"), digest_size=5).hexdigest()
    return f"chart-{kind}-{digest}"


def _finish(parts: list[str]) -> Markup:
    # Every piece of outside text went through _e (markupsafe.escape) on its way in.
    return Markup("".join(parts))  # noqa: S704


def _open_svg(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="img"'
        f' viewBox="0 0 {width} {height}" width="100%"'
        f' preserveAspectRatio="xMidYMid meet"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f' font-family="{FONT}" font-size="{AXIS_FONT}">',
        f'<title id="{chart_id}-title">{_e(title)}</title>',
        f'<desc id="{chart_id}-desc">{_e(description)}</desc>',
        f'<rect class="background" x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _empty(kind: str, title: str, description: str, empty_text: str) -> Markup:
    chart_id = _chart_id(kind, title, description, "empty")
    height = 120
    parts = _open_svg(chart_id, title, description, WIDTH, height)
    parts.append(
        f'<text class="no-data" x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle"'
        f' dominant-baseline="middle" fill="{MUTED}" font-size="16">{_e(empty_text)}</text>'
    )
    parts.append("</svg>")
    return _finish(parts)


def _nice_step(span: float, target_ticks: int = 5) -> float:
    raw = span / target_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _value_axis(values: Sequence[float]) -> tuple[float, float, list[float]]:
    """Axis bounds that include zero and land on round ticks."""
    low = min(0.0, *values) if values else 0.0
    high = max(0.0, *values) if values else 0.0
    if high == low:
        high = low + 1.0
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    count = round((high - low) / step)
    return low, high, [low + i * step for i in range(count + 1)]


class _Plot:
    """The frame shared by bar and line charts: a value axis and category slots."""

    def __init__(self, categories: Sequence[str], values: Sequence[float], fmt: Formatter):
        self.categories = list(categories)
        self.low, self.high, self.ticks = _value_axis(values)
        longest = max((len(c) for c in self.categories), default=0)
        count = max(len(self.categories), 1)
        slot = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / count
        # Category labels turn when they would run into each other.
        self.rotate = longest * AXIS_FONT * 0.6 > slot - 4
        bottom = min(140, 24 + int(longest * AXIS_FONT * 0.45)) if self.rotate else 40
        self.left = MARGIN_LEFT
        if self.rotate and self.categories:
            # A turned label ends at its slot's centre and reaches left by the width of its
            # text turned 40 degrees: widen the left margin so the first one stays inside.
            reach = len(self.categories[0]) * AXIS_FONT * 0.6 * math.cos(math.radians(40))
            half = 1 / (2 * count)
            needed = (reach + 8 - (WIDTH - MARGIN_RIGHT) * half) / (1 - half)
            self.left = max(MARGIN_LEFT, math.ceil(needed))
            slot = (WIDTH - self.left - MARGIN_RIGHT) / count
        self.right = WIDTH - MARGIN_RIGHT
        self.top = MARGIN_TOP + 40
        self.bottom = HEIGHT - bottom
        self.slot = slot
        self.fmt = fmt

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return self.bottom - share * (self.bottom - self.top)

    def x_centre(self, index: int) -> float:
        return self.left + self.slot * (index + 0.5)

    def axes(self, unit: str) -> list[str]:
        out = ['<g class="axis value-axis">']
        for tick in self.ticks:
            y = self.y(tick)
            out.append(
                f'<line x1="{self.left}" x2="{self.right}" y1="{_num(y)}" y2="{_num(y)}"'
                f' stroke="{GRID}" stroke-width="1"/>'
            )
            out.append(
                f'<text x="{self.left - 8}" y="{_num(y)}" text-anchor="end"'
                f' dominant-baseline="middle" fill="{TEXT}">{_e(self.fmt(tick))}</text>'
            )
        out.append(
            f'<text class="unit" x="{self.left - 8}" y="{self.top - 14}" text-anchor="end"'
            f' fill="{MUTED}">{_e(unit)}</text>'
        )
        zero = self.y(0.0)
        out.append(
            f'<line class="baseline" x1="{self.left}" x2="{self.right}" y1="{_num(zero)}"'
            f' y2="{_num(zero)}" stroke="{TEXT}" stroke-width="1.5"/>'
        )
        out.append("</g>")
        out.append('<g class="axis category-axis">')
        for i, category in enumerate(self.categories):
            x = self.x_centre(i)
            y = self.bottom + 18
            if self.rotate:
                out.append(
                    f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="end" fill="{TEXT}"'
                    f' transform="rotate(-40 {_num(x)} {_num(y)})">{_e(category)}</text>'
                )
            else:
                out.append(
                    f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="middle"'
                    f' fill="{TEXT}">{_e(category)}</text>'
                )
        out.append("</g>")
        return out


def _legend(series_names: Sequence[str], swatch: Callable[[int, float, float], str]) -> list[str]:
    if len(series_names) < 2:
        return []
    out = ['<g class="legend">']
    x = float(MARGIN_LEFT)
    for i, name in enumerate(series_names):
        out.append(swatch(i, x, MARGIN_TOP))
        out.append(
            f'<text x="{_num(x + 22)}" y="{MARGIN_TOP}" dominant-baseline="middle"'
            f' fill="{TEXT}">{_e(name)}</text>'
        )
        x += 40 + len(name) * AXIS_FONT * 0.6
    out.append("</g>")
    return out


def _patterns(chart_id: str, count: int) -> list[str]:
    """Fill patterns so grouped bars differ in texture as well as colour."""
    out = ["<defs>"]
    for i in range(count):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        kind = i % 3
        pid = f"{chart_id}-fill-{i}"
        out.append(f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">')
        if kind == 0:
            out.append(f'<rect width="8" height="8" fill="{colour}"/>')
        elif kind == 1:
            out.append(f'<rect width="8" height="8" fill="{colour}" fill-opacity="0.35"/>')
            hatch = "M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4"
            out.append(f'<path d="{hatch}" stroke="{colour}" stroke-width="2.5"/>')
        else:
            out.append(f'<rect width="8" height="8" fill="{colour}" fill-opacity="0.35"/>')
            out.append(f'<circle cx="4" cy="4" r="2.2" fill="{colour}"/>')
        out.append("</pattern>")
    out.append("</defs>")
    return out


def _has_data(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]) -> bool:
    return bool(categories) and any(len(values) for _, values in series)


def _check_lengths(
    categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> None:
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(
                f"series {name!r} has {len(values)} values for {len(categories)} categories"
            )


def bar_chart(
    *,
    title: str,
    description: str,
    categories: list[str],
    series: list[tuple[str, list[float]]],
    unit: str,
    fmt: Formatter = default_format,
    empty_text: str = "No data",
) -> Markup:
    """Grouped vertical bars, one group per category, one bar per series, values written on top."""
    if not _has_data(categories, series):
        return _empty("bar", title, description, empty_text)
    _check_lengths(categories, series)
    chart_id = _chart_id("bar", title, description, categories, series, unit)
    plot = _Plot(categories, [v for _, values in series for v in values], fmt)
    parts = _open_svg(chart_id, title, description, WIDTH, HEIGHT)
    parts += _patterns(chart_id, len(series))
    parts += plot.axes(unit)
    parts += _legend(
        [name for name, _ in series],
        lambda i, x, y: (
            f'<rect x="{_num(x)}" y="{_num(y - 7)}" width="16" height="14"'
            f' fill="url(#{chart_id}-fill-{i})"'
            f' stroke="{SERIES_COLOURS[i % len(SERIES_COLOURS)]}"/>'
        ),
    )
    group = plot.slot * 0.8
    bar_width = group / len(series)
    parts.append('<g class="bars">')
    for s, (name, values) in enumerate(series):
        colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
        for c, value in enumerate(values):
            x = plot.x_centre(c) - group / 2 + s * bar_width
            y_value, y_zero = plot.y(value), plot.y(0.0)
            top, height = min(y_value, y_zero), abs(y_zero - y_value)
            label = fmt(value)
            parts.append(
                f'<rect class="bar" x="{_num(x + 1)}" y="{_num(top)}"'
                f' width="{_num(max(bar_width - 2, 1))}" height="{_num(height)}"'
                f' fill="url(#{chart_id}-fill-{s})" stroke="{colour}" stroke-width="1">'
                f"<title>{_e(name)} · {_e(categories[c])}: {_e(label)} {_e(unit)}</title></rect>"
            )
            if bar_width >= len(label) * VALUE_FONT * 0.6 + 2:
                above = value >= 0
                ty = (top - 5) if above else (top + height + VALUE_FONT + 2)
                parts.append(
                    f'<text class="value" x="{_num(x + bar_width / 2)}" y="{_num(ty)}"'
                    f' text-anchor="middle" font-size="{VALUE_FONT}"'
                    f' fill="{TEXT}">{_e(label)}</text>'
                )
    parts.append("</g></svg>")
    return _finish(parts)


_MARKERS = ("circle", "square", "triangle", "diamond")
_DASHES = ("", "6 4", "2 3", "10 3 2 3")


def _marker(kind: str, x: float, y: float, colour: str, tip: str = "") -> str:
    inner = f"<title>{tip}</title>" if tip else ""
    if kind == "circle":
        return (
            f'<circle class="point" cx="{_num(x)}" cy="{_num(y)}" r="4.5"'
            f' fill="{colour}">{inner}</circle>'
        )
    if kind == "square":
        return (
            f'<rect class="point" x="{_num(x - 4)}" y="{_num(y - 4)}" width="8" height="8"'
            f' fill="{colour}">{inner}</rect>'
        )
    if kind == "triangle":
        d = f"M{_num(x)},{_num(y - 5)} L{_num(x + 5)},{_num(y + 4)} L{_num(x - 5)},{_num(y + 4)} Z"
    else:
        d = (
            f"M{_num(x)},{_num(y - 5.5)} L{_num(x + 5.5)},{_num(y)}"
            f" L{_num(x)},{_num(y + 5.5)} L{_num(x - 5.5)},{_num(y)} Z"
        )
    return f'<path class="point" d="{d}" fill="{colour}">{inner}</path>'


def line_chart(
    *,
    title: str,
    description: str,
    categories: list[str],
    series: list[tuple[str, list[float]]],
    unit: str,
    fmt: Formatter = default_format,
    empty_text: str = "No data",
) -> Markup:
    """One line per series over the categories (months, for trends), each marked and dashed."""
    if not _has_data(categories, series):
        return _empty("line", title, description, empty_text)
    _check_lengths(categories, series)
    chart_id = _chart_id("line", title, description, categories, series, unit)
    plot = _Plot(categories, [v for _, values in series for v in values], fmt)
    parts = _open_svg(chart_id, title, description, WIDTH, HEIGHT)
    parts += plot.axes(unit)

    def swatch(i: int, x: float, y: float) -> str:
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        dash = _DASHES[i % len(_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<line x1="{_num(x)}" x2="{_num(x + 18)}" y1="{_num(y)}" y2="{_num(y)}"'
            f' stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            + _marker(_MARKERS[i % len(_MARKERS)], x + 9, y, colour)
        )

    parts += _legend([name for name, _ in series], swatch)
    for s, (name, values) in enumerate(series):
        colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
        dash = _DASHES[s % len(_DASHES)]
        points = [(plot.x_centre(c), plot.y(v)) for c, v in enumerate(values)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<g class="series" data-series="{_e(name)}">')
        path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
        parts.append(
            f'<polyline class="line" points="{path}" fill="none" stroke="{colour}"'
            f' stroke-width="2.5"{dash_attr}/>'
        )
        for c, (x, y) in enumerate(points):
            tip = f"{_e(name)} · {_e(categories[c])}: {_e(fmt(values[c]))} {_e(unit)}"
            parts.append(_marker(_MARKERS[s % len(_MARKERS)], x, y, colour, tip))
        parts.append("</g>")
    parts.append("</svg>")
    return _finish(parts)


def _heat_colour(share: float) -> tuple[str, str]:
    """Fill for a share in 0..1 and the text colour that reads on it."""
    share = min(max(share, 0.0), 1.0)
    rgb = tuple(round(lo + (hi - lo) * share) for lo, hi in zip(HEAT_LOW, HEAT_HIGH, strict=True))
    fill = "#{:02x}{:02x}{:02x}".format(*rgb)

    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2])
    # White text once the cell is dark enough that white contrasts better than dark text.
    text = "#ffffff" if luminance < 0.18 else TEXT
    return fill, text


def heatmap(
    *,
    title: str,
    description: str,
    rows: list[str],
    columns: list[str],
    values: Sequence[Sequence[float | None]],
    unit: str,
    fmt: Formatter = default_format,
    empty_text: str = "No data",
) -> Markup:
    """A grid of shaded cells (rows x columns), each with its value written in it.

    A None value is a cell without data (an hour that did not happen): drawn blank with a dash.
    """
    if not rows or not columns:
        return _empty("heat", title, description, empty_text)
    if len(values) != len(rows) or any(len(r) != len(columns) for r in values):
        raise ValueError("values must have one list per row and one value per column")
    chart_id = _chart_id("heat", title, description, rows, columns, values, unit)
    flat = [v for row in values for v in row if v is not None]
    low, high = min(0.0, *flat), max([0.0, *flat])
    span = (high - low) or 1.0
    label_width = max(60, min(200, int(max(len(r) for r in rows) * AXIS_FONT * 0.62) + 16))
    cell_w = max(30.0, min(60.0, (980 - label_width) / len(columns)))
    cell_h = 30.0
    top = 34.0
    width = int(label_width + cell_w * len(columns) + 10)
    height = int(top + cell_h * len(rows) + 56)
    parts = _open_svg(chart_id, title, description, width, height)
    parts.append('<g class="axis column-axis">')
    for c, column in enumerate(columns):
        x = label_width + cell_w * (c + 0.5)
        parts.append(
            f'<text x="{_num(x)}" y="{_num(top - 10)}" text-anchor="middle"'
            f' fill="{TEXT}">{_e(column)}</text>'
        )
    parts.append("</g>")
    parts.append('<g class="cells">')
    for r, row in enumerate(rows):
        y = top + cell_h * r
        parts.append(
            f'<text class="row-label" x="{label_width - 8}" y="{_num(y + cell_h / 2)}"'
            f' text-anchor="end" dominant-baseline="middle" fill="{TEXT}">{_e(row)}</text>'
        )
        for c, value in enumerate(values[r]):
            x = label_width + cell_w * c
            if value is None:
                fill, ink, label = "#ffffff", MUTED, "\u2013"
            else:
                fill, ink = _heat_colour((value - low) / span)
                label = fmt(value)
            parts.append(
                f'<rect class="cell" x="{_num(x)}" y="{_num(y)}" width="{_num(cell_w)}"'
                f' height="{_num(cell_h)}" fill="{fill}" stroke="#ffffff" stroke-width="1">'
                f"<title>{_e(row)} · {_e(columns[c])}: {_e(label)} {_e(unit)}</title></rect>"
            )
            if len(label) * VALUE_FONT * 0.6 <= cell_w - 2:
                parts.append(
                    f'<text class="value" x="{_num(x + cell_w / 2)}" y="{_num(y + cell_h / 2)}"'
                    f' text-anchor="middle" dominant-baseline="middle" font-size="{VALUE_FONT}"'
                    f' fill="{ink}">{_e(label)}</text>'
                )
    parts.append("</g>")
    # A key from lowest to highest, with the unit, so the shading can be read.
    key_y = top + cell_h * len(rows) + 18
    parts.append('<g class="key">')
    steps = 5
    for i in range(steps):
        fill, _ = _heat_colour(i / (steps - 1))
        parts.append(
            f'<rect x="{label_width + i * 24}" y="{_num(key_y)}" width="24" height="14"'
            f' fill="{fill}" stroke="{GRID}"/>'
        )
    parts.append(
        f'<text x="{label_width - 8}" y="{_num(key_y + 7)}" text-anchor="end"'
        f' dominant-baseline="middle" fill="{TEXT}">{_e(fmt(low))} {_e(unit)}</text>'
    )
    parts.append(
        f'<text x="{label_width + steps * 24 + 8}" y="{_num(key_y + 7)}"'
        f' dominant-baseline="middle" fill="{TEXT}">{_e(fmt(high))} {_e(unit)}</text>'
    )
    parts.append("</g></svg>")
    return _finish(parts)
