"""The plot areas of the report's charts: data to points, bars, ticks, spines, panel grids and
legends, as SVG strings (`svg.py`). Points are 1/72 in; y grows upward in data, as on paper.

The spacings are matplotlib's defaults, which the charts were first drawn with: labels 3.5 pt
from the axis, titles 6 pt above it, legends in the figure's upper right corner.
"""

from dataclasses import dataclass

from otp_pipeline.lib.publication.report.svg import (
    DASH,
    circle,
    line,
    num,
    path,
    rect,
    text,
    text_width,
)

INK = "#000000"  # spines, ticks and text
PAD, TITLE_PAD = 3.5, 6.0
CENTRE = 0.35  # from a text's vertical centre down to its baseline, in em


@dataclass(frozen=True)
class Axes:
    """A plot area: its box in points, showing x from `xmin` to `xmax` and y from `ymin` to
    `ymax` (bottom to top)."""

    left: float
    top: float
    width: float
    height: float
    xmax: float
    ymin: float = 0.0
    ymax: float = 1.0
    xmin: float = 0.0

    @classmethod
    def rows(cls, box: tuple, count: int, xmax: float, half: float, margin: float = 0.05):
        """Rows at y = 0 … count - 1, bottom to top, each drawn `half` either side of its y,
        with `margin` × that span more above and below."""
        extra = margin * (count - 1 + 2 * half)
        return cls(*box, xmax=xmax, ymin=-half - extra, ymax=count - 1 + half + extra)

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def x(self, value: float) -> float:
        return self.left + (value - self.xmin) / (self.xmax - self.xmin) * self.width

    def y(self, value: float) -> float:
        return self.top + (self.ymax - value) / (self.ymax - self.ymin) * self.height

    def hbar(self, y: float, start: float, stop: float, thickness: float, fill: str) -> str:
        """A horizontal bar from x = `start` to `stop`, `thickness` high in data units."""
        high, low = self.y(y + thickness / 2), self.y(y - thickness / 2)
        return rect(self.x(start), high, self.x(stop) - self.x(start), low - high, fill)

    def vtick(self, x: float, y: float, half: float, stroke: str, width: float) -> str:
        """A vertical stroke at x, from y - half to y + half."""
        return line(self.x(x), self.y(y - half), self.x(x), self.y(y + half), stroke, width)

    def vline(self, x: float, stroke: str, width: float, **attributes) -> str:
        return line(self.x(x), self.top, self.x(x), self.bottom, stroke, width, **attributes)

    def hline(self, y: float, stroke: str, width: float, **attributes) -> str:
        return line(self.left, self.y(y), self.left + self.width, self.y(y), stroke, width,
                    **attributes)  # fmt: skip

    def points(self, xs, ys) -> list[tuple[float, float]]:
        return [(self.x(x), self.y(y)) for x, y in zip(xs, ys, strict=True)]

    def label(self, x: float, y: float, content: str, size: float, anchor: str = "start",
              **attributes) -> str:  # fmt: skip
        """Text at data (x, y), centred vertically on y."""
        return text(self.x(x), self.y(y) + CENTRE * size, content, size, anchor, **attributes)

    def title(self, content: str, size: float, **attributes) -> str:
        return text(self.left, self.top - TITLE_PAD, content, size, **attributes)

    def spines(self, box: bool = False) -> str:
        """The left and bottom axis lines (all four sides if `box`)."""
        right = self.left + self.width
        d = f"M{num(self.left)} {num(self.top)} V{num(self.bottom)} H{num(right)}"
        return path(d + (f" V{num(self.top)} Z" if box else ""), INK, 0.8)

    def xticks(self, values, labels, size: float, length: float = 0.0) -> list[str]:
        """Labels under the axis, centred on their x, with ticks `length` long."""
        parts = []
        for value, label in zip(values, labels, strict=False):
            x = self.x(value)
            if length:
                parts.append(line(x, self.bottom, x, self.bottom + length, INK, 0.8))
            if label:
                baseline = self.bottom + length + PAD + 0.76 * size
                parts.append(text(x, baseline, label, size, "middle"))
        return parts

    def ylabels(self, values, labels, size: float, length: float = 0.0) -> list[str]:
        """Labels left of the axis, ending `length` + 3.5 pt before it, with ticks."""
        parts = []
        for value, label in zip(values, labels, strict=False):
            y = self.y(value)
            if length:
                parts.append(line(self.left - length, y, self.left, y, INK, 0.8))
            parts.append(text(self.left - length - PAD, y + CENTRE * size, label, size, "end"))
        return parts


def grid(count: int, columns: int, area: tuple, wspace: float = 0.0, hspace: float = 0.0):
    """Boxes (left, top, width, height) of `count` panels, rows of `columns`, that fill `area`
    (left, top, right, bottom) with gaps of `wspace` × a panel's width, `hspace` × its height."""
    left, top, right, bottom = area
    lines = -(-count // columns)
    width = (right - left) / (columns + wspace * (columns - 1))
    height = (bottom - top) / (lines + hspace * (lines - 1))
    return [(left + index % columns * width * (1 + wspace),
             top + index // columns * height * (1 + hspace), width, height)
            for index in range(count)]  # fmt: skip


@dataclass(frozen=True)
class Key:
    """A legend entry: a filled swatch, or a line `width` thick (dashed, with a dot)."""

    label: str
    colour: str
    width: float = 0.0
    dashed: bool = False
    dot: bool = False


def legend(right: float, keys: list[Key], size: float) -> list[str]:
    """The keys on one line at the top of the figure, ending `right` minus a margin."""
    y = 1.35 * size
    widths = [2.8 * size + text_width(key.label, size) for key in keys]
    x = right - 0.9 * size - sum(widths) - 2 * size * (len(keys) - 1)
    parts = []
    for key, width in zip(keys, widths, strict=True):
        if key.width:
            dash = DASH if key.dashed else None
            parts.append(line(x, y, x + 2 * size, y, key.colour, key.width, stroke_dasharray=dash))
        else:
            parts.append(rect(x, y - 0.35 * size, 2 * size, 0.7 * size, key.colour))
        if key.dot:
            parts.append(circle(x + size, y, 3, key.colour))
        parts.append(text(x + 2.8 * size, y + CENTRE * size, key.label, size))
        x += width + 2 * size
    return parts
