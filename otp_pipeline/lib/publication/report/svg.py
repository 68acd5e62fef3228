"""SVG elements as strings, for the charts inlined in `rapport.html`; lengths in points.

Coordinates are written with two decimals at most; text is escaped with `html.escape` and
stays `<text>` (small, selectable, read by screen readers). Text widths are estimated from
DejaVu Sans, the report's font on Debian: enough to lay a legend out, not to typeset.
"""

import math
from html import escape

FONT = 'system-ui, "DejaVu Sans", Arial, sans-serif'
DASH = "5.55 2.4"  # a 1.5 pt dashed line: 3.7 on, 1.6 off, in line widths
# Advance widths in em by class of characters; lower case and digits take about 0.63 em.
_WIDTHS = {"\u202f": 0.2, "'ijlîIJÎ": 0.28, " .,·\u00a0:;/": 0.33, "f-()tr": 0.39,
           "szcçLFkvxyP": 0.56, "ABCDGHKNOQRUVXZ&": 0.73, "mwM%+<>": 0.9, "—…W": 1.0}  # fmt: skip
_EM = {char: width for chars, width in _WIDTHS.items() for char in chars}


def num(value: float) -> str:
    """A coordinate to two decimals at most: 12.50 -> '12.5', 3.0 -> '3', -0.001 -> '0'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def text_width(content: str, size: float) -> float:
    """About how wide `content` is at `size` points, in points."""
    return size * sum(_EM.get(char, 0.63) for char in content)


def nice_ticks(high: float, most: int = 9, integer: bool = False) -> list[float]:
    """Ticks from 0 up to `high` at the finest round step (1, 2, 2.5 or 5 × 10ⁿ) that makes at
    most `most` intervals: nice_ticks(1.12) -> [0, 0.2, 0.4, 0.6, 0.8, 1.0]. `integer`: whole
    steps only (no 2.5, nothing under 1), for axes of counts."""
    if high <= 0:
        return [0]
    decade = 10 ** math.floor(math.log10(high / most))
    steps = [factor * decade for factor in (1, 2, 2.5, 5, 10)]
    if integer:
        steps = [step for step in steps if step >= 1 and float(step).is_integer()] or [1]
    step = next((step for step in steps if high / step <= most + 1e-9), steps[-1])
    return [round(index * step, 10) for index in range(int(high / step + 1e-9) + 1)]


def _attributes(attributes: dict) -> str:
    """` name="value"` pairs: `stroke_width` -> stroke-width, `class_` -> class, None left out."""
    pairs = []
    for name, value in attributes.items():
        if value is None:
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        written = num(value) if number else str(value)
        pairs.append(f' {name.rstrip("_").replace("_", "-")}="{escape(written)}"')
    return "".join(pairs)


def rect(x: float, y: float, width: float, height: float, fill: str, **attributes) -> str:
    box = dict(x=x, y=y, width=width, height=height, fill=fill)
    return f"<rect{_attributes(box | attributes)}/>"


def line(x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 1.0,
         **attributes) -> str:  # fmt: skip
    points = dict(x1=x1, y1=y1, x2=x2, y2=y2, stroke=stroke, stroke_width=width)
    return f"<line{_attributes(points | attributes)}/>"


def path(d: str, stroke: str, width: float = 1.0, **attributes) -> str:
    """An outline, not filled: `d` in SVG's path syntax."""
    outline = dict(d=d, fill="none", stroke=stroke, stroke_width=width)
    return f"<path{_attributes(outline | attributes)}/>"


def polyline(points: list[tuple[float, float]], stroke: str, width: float = 1.0,
             **attributes) -> str:  # fmt: skip
    """A line through `points`, as a `<path>`."""
    d = "M" + " L".join(f"{num(x)} {num(y)}" for x, y in points)
    return path(d, stroke, width, **attributes)


def circle(x: float, y: float, radius: float, fill: str) -> str:
    return f"<circle{_attributes(dict(cx=x, cy=y, r=radius, fill=fill))}/>"


def text(x: float, y: float, content: str, size: float, anchor: str = "start",
         **attributes) -> str:  # fmt: skip
    """`content` with its baseline at `y`; `anchor`: start, middle or end at `x`."""
    where = dict(x=x, y=y, font_size=size, text_anchor=None if anchor == "start" else anchor)
    return f"<text{_attributes(where | attributes)}>{escape(content, quote=False)}</text>"


def document(width: float, height: float, title: str, prefix: str, parts: list[str]) -> str:
    """The chart as an `<svg>` element to inline in HTML: sized in points, scaled by the page's
    CSS through its viewBox, named by `<title>`, and found by `id="graphique-<prefix>"`."""
    head = (f'<svg role="img" class="graphique" id="graphique-{escape(prefix)}" '
            f'width="{num(width)}pt" height="{num(height)}pt" '
            f'viewBox="0 0 {num(width)} {num(height)}" font-family="{escape(FONT)}">')  # fmt: skip
    return "\n".join([head, f"<title>{escape(title, quote=False)}</title>", *parts, "</svg>"])
