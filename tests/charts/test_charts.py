"""The server-side SVG charts: accessible, escaped, and drawn from the numbers given."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from app.services.charts import bar_chart, default_format, heatmap, line_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: Markup) -> ET.Element:
    assert isinstance(svg, Markup)
    return ET.fromstring(str(svg))  # noqa: S314 - our own output


def labelled_by(root: ET.Element) -> tuple[str, str]:
    """The title and desc texts that aria-labelledby points at."""
    ids = root.attrib["aria-labelledby"].split()
    by_id = {el.attrib.get("id"): el for el in root.iter() if el.attrib.get("id")}
    return by_id[ids[0]].text or "", by_id[ids[1]].text or ""


def texts(root: ET.Element, cls: str) -> list[str]:
    return [
        el.text or "" for el in root.iter(f"{{{NS['svg']}}}text") if el.attrib.get("class") == cls
    ]


def bars(root: ET.Element) -> list[ET.Element]:
    return [el for el in root.iter(f"{{{NS['svg']}}}rect") if el.attrib.get("class") == "bar"]


def test_bar_chart_is_an_image_named_by_its_title_and_description() -> None:
    root = parse(
        bar_chart(
            title="Machine hours",
            description="Hours per machine in November",
            categories=["Laser", "CNC"],
            series=[("Used", [3.0, 5.5])],
            unit="h",
        )
    )
    assert root.attrib["role"] == "img"
    assert labelled_by(root) == ("Machine hours", "Hours per machine in November")
    assert root.find("svg:title", NS) is not None
    assert root.find("svg:desc", NS) is not None


def test_bar_chart_draws_one_bar_per_category_and_series_with_values_written() -> None:
    root = parse(
        bar_chart(
            title="t",
            description="d",
            categories=["Laser", "CNC", "Printer"],
            series=[("Booked", [4.0, 2.0, 1.0]), ("Used", [3.0, 5.5, 0.0])],
            unit="h",
        )
    )
    assert len(bars(root)) == 6
    assert texts(root, "value") == ["4", "2", "1", "3", "5.5", "0"]
    # A legend names both series, since there are two.
    legend = root.find("svg:g[@class='legend']", NS)
    assert legend is not None
    assert [t.text for t in legend.findall("svg:text", NS)] == ["Booked", "Used"]


def test_bar_heights_are_proportional_to_the_values() -> None:
    root = parse(
        bar_chart(
            title="t", description="d", categories=["a", "b"], series=[("s", [2.0, 4.0])], unit="h"
        )
    )
    low, high = (float(b.attrib["height"]) for b in bars(root))
    assert high == pytest.approx(2 * low, rel=0.02)


def test_zero_value_draws_a_flat_bar_and_negative_goes_below_the_baseline() -> None:
    root = parse(
        bar_chart(
            title="t",
            description="d",
            categories=["up", "zero", "down"],
            series=[("change", [3.0, 0.0, -2.0])],
            unit="h",
        )
    )
    up, zero, down = bars(root)
    baseline = root.find(".//svg:line[@class='baseline']", NS)
    assert baseline is not None
    base_y = float(baseline.attrib["y1"])
    assert float(zero.attrib["height"]) == 0
    assert float(up.attrib["y"]) + float(up.attrib["height"]) == pytest.approx(base_y, abs=0.1)
    assert float(down.attrib["y"]) == pytest.approx(base_y, abs=0.1)
    assert float(down.attrib["height"]) > 0
    assert "-2" in texts(root, "value")


@pytest.mark.parametrize("chart", [bar_chart, line_chart])
def test_text_in_labels_is_escaped(chart) -> None:  # type: ignore[no-untyped-def]
    evil = "<script>alert(1)</script>"
    svg = chart(
        title=evil,
        description=f'"{evil}',
        categories=[evil, "b"],
        series=[(evil, [1.0, 2.0]), ("other", [2.0, 1.0])],
        unit=evil,
    )
    assert "<script>" not in str(svg)
    root = parse(svg)  # still well-formed XML
    assert root.find(".//svg:script", NS) is None
    assert labelled_by(root)[0] == evil  # shown as text, not run


def test_heatmap_escapes_row_and_column_labels() -> None:
    svg = heatmap(
        title="t",
        description="d",
        rows=["<b>x</b>"],
        columns=["<script>"],
        values=[[1.0]],
        unit="%",
    )
    assert "<script>" not in str(svg)
    assert "<b>" not in str(svg)
    root = parse(svg)
    assert "<b>x</b>" in texts(root, "row-label")


@pytest.mark.parametrize("chart", [bar_chart, line_chart])
@pytest.mark.parametrize(
    ("categories", "series"),
    [([], []), (["a"], []), ([], [("s", [])])],
    ids=["none", "no-series", "no-categories"],
)
def test_empty_data_renders_a_no_data_state(chart, categories, series) -> None:  # type: ignore[no-untyped-def]
    root = parse(
        chart(
            title="Trend",
            description="d",
            categories=categories,
            series=series,
            unit="h",
            empty_text="Nothing yet",
        )
    )
    assert texts(root, "no-data") == ["Nothing yet"]
    assert labelled_by(root) == ("Trend", "d")
    assert bars(root) == []


def test_empty_heatmap_renders_a_no_data_state() -> None:
    root = parse(heatmap(title="t", description="d", rows=[], columns=[], values=[], unit="%"))
    assert texts(root, "no-data") == ["No data"]


def test_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        bar_chart(
            title="t",
            description="d",
            categories=["a", "b", "c"],
            series=[("s", [1.0, 2.0])],
            unit="h",
        )


def test_line_chart_has_a_point_per_value_and_distinct_markers_per_series() -> None:
    root = parse(
        line_chart(
            title="Trend",
            description="Machine and room hours per month",
            categories=["Sep", "Oct", "Nov"],
            series=[("Machine hours", [10.0, 12.0, 8.0]), ("Room hours", [4.0, 0.0, 6.0])],
            unit="h",
        )
    )
    groups = root.findall(".//svg:g[@class='series']", NS)
    assert [g.attrib["data-series"] for g in groups] == ["Machine hours", "Room hours"]
    shapes = []
    for group in groups:
        points = [el for el in group if el.attrib.get("class") == "point"]
        assert len(points) == 3
        shapes.append({el.tag for el in points})
    assert shapes[0] != shapes[1]  # not told apart by colour alone
    # Higher values sit higher (smaller y).
    polyline = groups[0].find("svg:polyline", NS)
    assert polyline is not None
    ys = [float(p.split(",")[1]) for p in polyline.attrib["points"].split()]
    assert ys[1] < ys[0] < ys[2]


def test_heatmap_has_a_cell_per_value_with_the_value_written_and_darker_for_more() -> None:
    root = parse(
        heatmap(
            title="Occupancy",
            description="Share of each hour in use",
            rows=["Mon", "Tue"],
            columns=["08", "09", "10"],
            values=[[0.0, 50.0, 100.0], [25.0, 0.0, 75.0]],
            unit="%",
        )
    )
    cells = [el for el in root.iter(f"{{{NS['svg']}}}rect") if el.attrib.get("class") == "cell"]
    assert len(cells) == 6
    assert texts(root, "value") == ["0", "50", "100", "25", "0", "75"]

    def brightness(el: ET.Element) -> int:
        fill = el.attrib["fill"].lstrip("#")
        return sum(int(fill[i : i + 2], 16) for i in (0, 2, 4))

    assert brightness(cells[0]) > brightness(cells[1]) > brightness(cells[2])
    # The value on the darkest cell is written in white, on the lightest in dark ink.
    values = [el for el in root.iter(f"{{{NS['svg']}}}text") if el.attrib.get("class") == "value"]
    assert values[2].attrib["fill"] == "#ffffff"
    assert values[0].attrib["fill"] != "#ffffff"


def test_heatmap_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="one value per column"):
        heatmap(
            title="t", description="d", rows=["a"], columns=["x", "y"], values=[[1.0]], unit="%"
        )


def test_the_same_chart_renders_the_same_bytes() -> None:
    def draw() -> str:
        return str(
            bar_chart(title="t", description="d", categories=["a"], series=[("s", [1.0])], unit="h")
        )

    assert draw() == draw()


def test_a_custom_number_format_is_used_for_labels() -> None:
    root = parse(
        bar_chart(
            title="t",
            description="d",
            categories=["a"],
            series=[("s", [2.5])],
            unit="h",
            fmt=lambda v: f"{v:.1f}".replace(".", ","),
        )
    )
    assert texts(root, "value") == ["2,5"]


def test_default_format() -> None:
    assert default_format(3.0) == "3"
    assert default_format(2.25) == "2.2" or default_format(2.25) == "2.3"
    assert default_format(-1.0) == "-1"


def test_many_long_categories_turn_their_labels() -> None:
    categories = [f"Company number {i}" for i in range(12)]
    svg = str(
        bar_chart(
            title="t", description="d", categories=categories, series=[("s", [1.0] * 12)], unit="h"
        )
    )
    assert "rotate(-40" in svg


def test_the_macro_renders_the_figure_with_the_table_of_its_numbers(app) -> None:  # type: ignore[no-untyped-def]
    from flask import render_template_string

    svg = bar_chart(
        title="t", description="d", categories=["Laser"], series=[("h", [2.0])], unit="h"
    )
    template = (
        '{% from "charts/_chart.html" import chart_with_table %}'
        "{{ chart_with_table(svg, headers, rows, caption) }}"
    )
    with app.test_request_context("/"):
        html = render_template_string(
            template,
            svg=svg,
            headers=["Resource", "<i>Hours</i>"],
            rows=[["Laser <script>", "2"]],
            caption="Hours per resource",
        )
    assert html.count("<svg") == 1
    assert "<figcaption>Hours per resource</figcaption>" in html
    assert '<th scope="row">Laser &lt;script&gt;</th>' in html
    assert "&lt;i&gt;Hours&lt;/i&gt;" in html
    assert '<td class="num">2</td>' in html


def test_heatmap_cells_without_data_are_blank_with_a_dash() -> None:
    root = parse(
        heatmap(
            title="t",
            description="d",
            rows=["Sun"],
            columns=["01", "02"],
            values=[[50.0, None]],
            unit="%",
        )
    )
    cells = [el for el in root.iter(f"{{{NS['svg']}}}rect") if el.attrib.get("class") == "cell"]
    assert cells[1].attrib["fill"] == "#ffffff"
    assert texts(root, "value") == ["50", "\u2013"]


@pytest.mark.parametrize("chart", [bar_chart, line_chart])
def test_a_long_first_label_turned_on_its_side_stays_inside_the_image(chart) -> None:  # type: ignore[no-untyped-def]
    names = ["Houtatelier Van Damme", "Studio Kleur", "Pixelsmid", "Smederij Aerts", "Fotostudio"]
    svg = chart(
        title="Hours",
        description="Hours per company",
        categories=names,
        series=[("Booked", [3.0, 2.0, 1.0, 4.0, 5.0])],
        unit="h",
    )
    root = parse(svg)
    turned = [
        element
        for element in root.iter(f"{{{NS['svg']}}}text")
        if "rotate(" in element.get("transform", "") and element.text == names[0]
    ]
    assert turned, "the labels should be turned for names this long"
    x = float(turned[0].get("x", "0"))
    # text-anchor "end" at x, turned 40 degrees: it reaches left by its width x cos(40)
    reach = len(names[0]) * 15 * 0.6 * math.cos(math.radians(40))
    assert x - reach >= 0
