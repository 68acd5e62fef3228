"""The charts of `rapport.html` as inline SVG, and French number formats.

A chart is a string of SVG elements (`svg.py`) laid out on plot areas (`axes.py`), sized in
points: 12 in (864 pt) for the full-width ones, scaled to the page by its CSS. Written by hand
rather than drawn by a plotting library: a report's seven charts take milliseconds, not the
seconds that laying out axes, ticks and text through a library cost each month of a backfill.
"""

import math
from decimal import ROUND_HALF_UP, Decimal

from otp_pipeline.lib.publication.report.axes import Axes, Key, grid, legend
from otp_pipeline.lib.publication.report.svg import (
    DASH,
    circle,
    document,
    nice_ticks,
    polyline,
    text,
    text_width,
)

INDICATEURS = {
    "ENTREES_MOINS_30": "Entrées < 30 ans",
    "PRESCRIPTIONS_PE_MOINS_30": "Prescriptions PE < 30 ans",
    "PRESCRIPTIONS_ML_MOINS_26": "Prescriptions ML < 26 ans",
}
REALISE, EXAMINER, CIBLE, OBJECTIF, FOND = "#2b6cb0", "#dd6b20", "#1a202c", "#c53030", "#e2e8f0"
NBSP, NNBSP = "\u00a0", "\u202f"
WIDTH = 864.0  # 12 in, in points
BULLET_KEYS = [
    Key("Réalisé cumulé", REALISE),
    Key("Réalisé cumulé, à examiner (remplissage)", EXAMINER),
    Key("Cible linéaire", CIBLE, 2.5),
    Key("Objectif de la période", OBJECTIF, 1.5),
]


def fr_int(value: int | float | None) -> str:
    """12345 -> '12 345' (narrow no-break space, as French typography has it); None -> '—'."""
    return fr_dec(value, 0)


def fr_dec(value: float | None, digits: int = 1) -> str:
    """1234.56 -> '1 234,6', half up as a reader rounds by hand (26.25 -> 26,3); None -> '—'."""
    if value is None:
        return "—"
    # repr: the shortest text of the double (0.1, not 0.1000000000000000055…); float(): numpy's.
    exact = Decimal(repr(float(value)))
    rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{rounded:,}".replace(",", NNBSP).replace(".", ",")


def fr_pct(share: float | None, digits: int = 1) -> str:
    """0.3333 -> '33,3 %'; None -> '—'."""
    return "—" if share is None else f"{fr_dec(share * 100, digits)}{NBSP}%"


def regions_chart(rows: list[dict], title: str) -> str:
    """One bullet chart per region: bar = realised cumul, tick = linear target, red = objective."""
    regions = sorted({(row["code_region"], row["libelle_region"]) for row in rows})
    parts = legend(WIDTH, BULLET_KEYS, 8)
    height, panels = region_panels(regions, base=0.5, head=0.6)
    for (code, libelle), box, first in panels:
        # Values are written beside each bar: no x axis.
        axes = _bullets(box, [row for row in rows if row["code_region"] == code], first, parts)
        parts.append(axes.title(f"{code} — {libelle}", 9.5, font_weight="bold"))
    return document(WIDTH, height, title, "regions", parts)


def region_panels(regions: list[tuple[str, str]], base: float, head: float):
    """The figure's height and, per region, its panel's box and whether it starts a line: a
    grid of three columns, `base` + 1.3 inches a line high, below `head` inches of legend."""
    columns = min(3, len(regions))
    lines = -(-len(regions) // columns)
    height = 72 * (base + 1.3 * lines)
    area = (0.14 * WIDTH, 72 * head, 0.995 * WIDTH, height - 7.2)
    boxes = grid(len(regions), columns, area, wspace=0.06, hspace=0.5)
    starts = [index % columns == 0 for index in range(len(regions))]
    return height, list(zip(regions, boxes, starts, strict=True))


def national_chart(rows: list[dict], title: str) -> str:
    """The same bullet chart for the sums over regions, one bar per indicator."""
    width, height = 576.0, 158.4
    parts = legend(width, BULLET_KEYS, 8)
    box = (0.25 * width, 0.22 * height, 0.68 * width, 0.64 * height)
    _bullets(box, rows, True, parts, scale=True)
    return document(width, height, title, "national", parts)


def progression_chart(months: list[str], series: dict[str, dict], title: str) -> str:
    """Per indicator, the national realised cumul month by month against the linear target."""
    height = 201.6
    keys = [Key("Réalisé cumulé", REALISE, 1.5, dot=True),
            Key("Cible linéaire", CIBLE, 1.5, dashed=True),
            Key("Objectif", OBJECTIF, 1.5)]  # fmt: skip
    parts = legend(WIDTH, keys, 8.5)
    area = (0.07 * WIDTH, 0.2 * height, 0.98 * WIDTH, 0.88 * height)
    steps = range(len(months))
    for box, (indicateur, serie) in zip(grid(len(series), len(series), area, wspace=0.3),
                                        series.items(), strict=True):  # fmt: skip
        margin = 0.05 * (len(months) - 1) or 0.5
        top = max(serie["objectif"], *serie["realise_cumule"]) * 1.1 or 1
        axes = Axes(*box, xmin=-margin, xmax=len(months) - 1 + margin, ymax=top)
        ticks = nice_ticks(top, 8, integer=True)
        parts += [axes.hline(tick, FOND, 0.8) for tick in ticks]
        realised = axes.points(steps, serie["realise_cumule"])
        parts.append(polyline(realised, REALISE, 1.5))
        parts += [circle(x, y, 3, REALISE) for x, y in realised]
        target = axes.points(steps, serie["cible_lineaire"])
        parts.append(polyline(target, CIBLE, 1.5, stroke_dasharray=DASH))
        parts.append(axes.hline(serie["objectif"], OBJECTIF, 1.5))
        parts.append(axes.spines(box=True))
        parts += axes.ylabels(ticks, [fr_int(tick) for tick in ticks], 8, length=3.5)
        # One month label in `every` when they would touch (a long period).
        every = math.ceil((text_width(months[0], 8) + 6) / (axes.x(1) - axes.x(0)))
        labels = [month if index % every == 0 else "" for index, month in enumerate(months)]
        parts += axes.xticks(steps, labels, 8, length=3.5)
        parts.append(axes.title(INDICATEURS.get(indicateur, indicateur), 10))
    return document(WIDTH, height, title, "progression", parts)


def fill_rate_chart(rows: list[dict], threshold: float, title: str) -> str:
    """Prescriber fill rate per region, regions to examine in orange, the threshold in red."""
    rows = sorted(rows, key=lambda row: row["code_region"], reverse=True)  # top = first code
    width, height = 648.0, 72 * (0.6 + 0.32 * len(rows))
    box = (0.33 * width, 18, 0.64 * width, height - 46.8)
    axes = Axes.rows(box, len(rows), xmax=1.12, half=0.325)
    parts = []
    for y, row in enumerate(rows):
        colour = EXAMINER if row["fiabilite"] == "A_EXAMINER" else REALISE
        rate = row["taux_renseignement"]
        parts += [axes.hbar(y, 0, rate, 0.65, colour), axes.label(rate + 0.01, y, fr_pct(rate), 8)]
    parts.append(axes.vline(threshold, OBJECTIF, 1.5, stroke_dasharray=DASH))
    seuil = f"seuil {fr_pct(threshold, 0)}"
    parts.append(text(axes.x(threshold), axes.y(len(rows) - 0.35), seuil, 8.5, "end",
                      fill=OBJECTIF))  # fmt: skip
    parts.append(axes.spines())
    ticks = nice_ticks(1.12)
    parts += axes.xticks(ticks, [fr_pct(tick, 0) for tick in ticks], 8.5, length=3.5)
    labels = [f"{row['code_region']} — {row['libelle_region']}" for row in rows]
    parts += axes.ylabels(range(len(rows)), labels, 8.5, length=3.5)
    return document(width, height, title, "remplissage", parts)


def _bullets(box: tuple, rows: list[dict], labels: bool, parts: list[str],
             scale: bool = False) -> Axes:  # fmt: skip
    """Horizontal bullets, indicators top to bottom in the order of INDICATEURS, added to
    `parts`; `labels`: the indicators' names at left; `scale`: an x axis of counts."""
    rows = sorted(rows, key=lambda row: list(INDICATEURS).index(row["indicateur"]), reverse=True)
    top = max([1, *(max(r["objectif"], r["realise_cumule"], r["cible_lineaire"]) for r in rows)])
    axes = Axes.rows(box, len(rows), xmax=top * 1.6, half=0.44)
    for y, row in enumerate(rows):
        colour = EXAMINER if row.get("fiabilite") == "A_EXAMINER" else REALISE
        parts += [axes.hbar(y, 0, row["objectif"], 0.8, FOND),
                  axes.hbar(y, 0, row["realise_cumule"], 0.42, colour),
                  axes.vtick(row["cible_lineaire"], y, 0.34, CIBLE, 2.5),
                  axes.vtick(row["objectif"], y, 0.44, OBJECTIF, 1.5)]  # fmt: skip
        taux = row["realise_cumule"] / row["objectif"] if row["objectif"] else None
        value = f"{fr_int(row['realise_cumule'])} / {fr_int(row['objectif'])} · {fr_pct(taux, 0)}"
        parts.append(axes.label(top * 1.03, y, value, 7.5))
    parts.append(axes.spines())
    if labels:
        names = [INDICATEURS.get(r["indicateur"], r["indicateur"]) for r in rows]
        parts += axes.ylabels(range(len(rows)), names, 7.5)
    if scale:
        ticks = nice_ticks(axes.xmax, integer=True)
        parts += axes.xticks(ticks, [fr_int(tick) for tick in ticks], 7.5)
    return axes
