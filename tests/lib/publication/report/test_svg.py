"""The SVG builder of the report's charts (`svg.py`) and its plot areas (`axes.py`)."""

import re
import xml.etree.ElementTree as ET

import pytest

from otp_pipeline.lib.publication.report.axes import Axes, Key, grid, legend
from otp_pipeline.lib.publication.report.svg import (
    FONT,
    document,
    nice_ticks,
    num,
    rect,
    text,
    text_width,
)


@pytest.mark.parametrize(
    ("value", "written"),
    [(12.5, "12.5"), (3.0, "3"), (1 / 3, "0.33"), (2.005001, "2.01"), (-0.001, "0"), (864, "864")],
)
def test_coordinates_are_written_to_two_decimals_at_most(value, written):
    assert num(value) == written


@pytest.mark.parametrize(
    ("high", "options", "ticks"),
    [
        (1.12, {}, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),  # the fill rate axis: 0 % … 100 %
        (1, {}, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0.368, {}, [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35]),
        (7680, {"integer": True}, [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]),
        (25, {"integer": True}, [0, 5, 10, 15, 20, 25]),  # no 2.5 step for counts
        (3, {"integer": True}, [0, 1, 2, 3]),  # nor steps under 1
        (5280, {"most": 8, "integer": True}, [0, 1000, 2000, 3000, 4000, 5000]),
        (0, {}, [0]),
    ],
)
def test_nice_ticks_are_round_steps_from_zero(high, options, ticks):
    assert nice_ticks(high, **options) == pytest.approx(ticks)


def test_text_is_escaped_and_stays_text():
    element = text(10, 20.004, "Saint-Pierre & <Miquelon>", 8, "end", fill="#c53030")
    assert element == (
        '<text x="10" y="20" font-size="8" text-anchor="end" fill="#c53030">'
        "Saint-Pierre &amp; &lt;Miquelon&gt;</text>"
    )
    assert ET.fromstring(element).text == "Saint-Pierre & <Miquelon>"


def test_attributes_are_named_as_svg_names_them_and_escaped():
    element = rect(0, 1, 2, 3, "#fff", stroke_width=0.5, class_='a"b', id=None)
    assert (
        element
        == '<rect x="0" y="1" width="2" height="3" fill="#fff" stroke-width="0.5" class="a&quot;b"/>'
    )


def test_document_is_an_inline_svg_named_by_its_title_and_scaled_by_its_viewbox():
    svg = document(864, 201.6, "Progression & rythme", "progression", [rect(0, 0, 1, 1, "#000")])
    root = ET.fromstring(svg)
    assert svg.startswith('<svg role="img" class="graphique" id="graphique-progression" ')
    assert (root.get("width"), root.get("height")) == ("864pt", "201.6pt")
    assert root.get("viewBox") == "0 0 864 201.6"
    assert root.get("font-family") == FONT == 'system-ui, "DejaVu Sans", Arial, sans-serif'
    assert root[0].tag == "title" and root[0].text == "Progression & rythme"
    assert not re.search(r"xmlns|https?://", svg)  # inline in HTML: no namespace needed


def test_text_width_is_estimated_from_the_font():
    assert text_width("", 10) == 0
    assert text_width("iii", 10) < text_width("000", 10) < text_width("MMM", 10)
    assert text_width("2021-01", 8) == pytest.approx(33, abs=2)  # 33.4 in DejaVu Sans


def test_rows_are_placed_bottom_to_top_with_matplotlib_margins():
    axes = Axes.rows((100, 50, 200, 60), 3, xmax=10, half=0.4)
    assert (axes.ymin, axes.ymax) == pytest.approx((-0.54, 2.54))
    assert axes.y(2) < axes.y(1) < axes.y(0)  # the first row at the bottom
    assert (axes.x(0), axes.x(10)) == (100, 300)
    bar = ET.fromstring(axes.hbar(1, 0, 5, 0.5, "#2b6cb0"))
    assert float(bar.get("width")) == 100
    assert float(bar.get("height")) == pytest.approx(0.5 / 3.08 * 60, abs=0.01)


def test_grid_fills_its_area_with_gaps_between_panels():
    boxes = grid(4, 3, (0, 0, 312, 250), wspace=0.06, hspace=0.5)
    assert [box[0] for box in boxes] == pytest.approx([0, 106, 212, 0])
    assert [box[1] for box in boxes] == pytest.approx([0, 0, 0, 150])
    assert boxes[0][2:] == pytest.approx((100, 100))


def test_legend_keys_end_at_the_right_margin():
    keys = [Key("Réalisé cumulé", "#2b6cb0"), Key("Objectif", "#c53030", 1.5, dashed=True)]
    parts = legend(864, keys, 8)
    last = ET.fromstring(parts[-1])
    end = float(last.get("x")) + text_width(last.text, 8)
    assert end == pytest.approx(864 - 0.9 * 8)
    assert ET.fromstring(parts[0]).tag == "rect" and ET.fromstring(parts[2]).tag == "line"
