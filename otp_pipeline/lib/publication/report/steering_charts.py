"""The charts of the steering sections of `rapport.html` (contract §8), as inline SVG.

Drawn as `charts.py` draws its own: `axes.py` plot areas, `svg.py` elements, sizes in points.
"""

import textwrap

from otp_pipeline.lib.publication.report.axes import Axes, Key, legend
from otp_pipeline.lib.publication.report.charts import (
    EXAMINER,
    INDICATEURS,
    NBSP,
    OBJECTIF,
    REALISE,
    WIDTH,
    fr_int,
    fr_pct,
    region_panels,
)
from otp_pipeline.lib.publication.report.markup import SOURCES
from otp_pipeline.lib.publication.report.svg import document, nice_ticks, num, path

PROJECTION = "#90cdf4"  # lighter than the realised blue: the realised bar sits inside it
PE_INDICATEUR = "PRESCRIPTIONS_PE_MOINS_30"
# Type of training: the two the instruction steers toward in greens, the rest in greys.
TYPE_COLOURS = {"QUALIFIANTE": "#276749", "PRE_QUALIFIANTE": "#68d391", "AUTRE": "#a0aec0",
                "NON_RENSEIGNE": "#e2e8f0"}  # fmt: skip
TYPE_LABELS = {"QUALIFIANTE": "qualifiante", "PRE_QUALIFIANTE": "pré-qualifiante",
               "AUTRE": "autre", "NON_RENSEIGNE": "non renseigné"}  # fmt: skip
SOURCE_COLOURS = {"SI_PE": REALISE, "IMILO": "#319795"}


def draws_range(row: dict) -> bool:
    """A PE prescriptions row whose prescriber field is to examine gets its upper bound drawn."""
    return row["indicateur"] == PE_INDICATEUR and row["fiabilite"] == "A_EXAMINER"


def projection_share(row: dict) -> str:
    """The projection as a share of the objective, in whole percent rounded down, computed in
    whole numbers (realise_cumule × n × 100 // (objectif × k)) as the statut is: rounding half
    up would print 100 % for a region at 99,6 %, "à risque"."""
    if not row["objectif"] or not row["nb_mois_ecoules"]:
        return "—"
    scaled = row["realise_cumule"] * row["nb_mois_periode"] * 100
    return f"{fr_int(scaled // (row['objectif'] * row['nb_mois_ecoules']))}{NBSP}%"


def projection_chart(rows: list[dict], title: str) -> str:
    """Per region and indicator: realised cumul inside the projection to the period's end,
    the objective in red, and for PE prescriptions to examine the range up to the upper bound."""
    regions = sorted({(row["code_region"], row["libelle_region"]) for row in rows})
    keys = [Key("Projection à fin de période (rythme actuel)", PROJECTION),
            Key("Réalisé cumulé", REALISE),
            Key("Fourchette PE à examiner (borne haute)", EXAMINER, 2.5),
            Key("Objectif de la période", OBJECTIF, 1.5)]  # fmt: skip
    parts = legend(WIDTH, keys, 8)
    height, panels = region_panels(regions, base=0.6, head=0.65)
    for (code, libelle), box, first in panels:
        mine = [row for row in rows if row["code_region"] == code]
        axes = _projection_bars(box, code, mine, first, parts)
        parts.append(axes.title(f"{code} — {libelle}", 9.5, font_weight="bold"))
    return document(WIDTH, height, title, "projection", parts)


def _projection_bars(box: tuple, code: str, rows: list[dict], labels: bool,
                     parts: list[str]) -> Axes:  # fmt: skip
    order = list(INDICATEURS)
    rows = sorted(rows, key=lambda r: order.index(r["indicateur"]) if r["indicateur"] in order
                  else -1, reverse=True)  # fmt: skip
    projections = [row["projection_fin_periode"] or 0 for row in rows]
    highs = [max(r["objectif"], r["realise_cumule"], r["realise_cumule_borne_haute"] or 0)
             for r in rows]  # fmt: skip
    top = max([1, *projections, *highs])
    axes = Axes.rows(box, len(rows), xmax=top * 1.6, half=0.44)
    for y, row, projection in zip(range(len(rows)), rows, projections, strict=True):
        parts += [axes.hbar(y, 0, projection, 0.72, PROJECTION),
                  axes.hbar(y, 0, row["realise_cumule"], 0.34, REALISE),
                  axes.vtick(row["objectif"], y, 0.44, OBJECTIF, 1.5)]  # fmt: skip
        if draws_range(row) and row["realise_cumule_borne_haute"] is not None:
            parts.append(_bracket(axes, code, y, row))
        text = f"{fr_int(projection)} / {fr_int(row['objectif'])} · {projection_share(row)}"
        parts.append(axes.label(top * 1.03, y, text, 7.5))
    parts.append(axes.spines())
    if labels:
        names = [INDICATEURS.get(r["indicateur"], r["indicateur"]) for r in rows]
        parts += axes.ylabels(range(len(rows)), names, 7.5)
    return axes


def _bracket(axes: Axes, code: str, y: int, row: dict) -> str:
    """|—| from the realised cumul to its upper bound; tests and readers find it by its id."""
    low, high = axes.x(row["realise_cumule"]), axes.x(row["realise_cumule_borne_haute"])
    middle, up, down = (num(axes.y(y + shift)) for shift in (0, 0.3, -0.3))
    d = (f"M{num(low)} {middle} H{num(high)} M{num(low)} {up} V{down} "
         f"M{num(high)} {up} V{down}")  # fmt: skip
    return path(d, EXAMINER, 2.5, id=f"projection-fourchette-{code}")


def types_chart(groups: list[tuple[str, dict[str, int]]], title: str) -> str:
    """One stacked bar per (label, prescriptions by type): the mix of training types, in %."""
    groups = [(label, counts) for label, counts in groups if sum(counts.values())][::-1]
    width, height = 792.0, 72 * (0.75 + 0.3 * len(groups))
    box = (0.3 * width, 28.8, 0.68 * width, height - 50.4)
    axes = Axes.rows(box, len(groups), xmax=1, half=0.6, margin=0)
    keys = [Key(TYPE_LABELS[kind], colour) for kind, colour in TYPE_COLOURS.items()]
    parts, labels = legend(width, keys, 8.5), []
    lefts = [0.0] * len(groups)
    for kind, colour in TYPE_COLOURS.items():
        shares = [counts.get(kind, 0) / sum(counts.values()) for _, counts in groups]
        for y, (left, share) in enumerate(zip(lefts, shares, strict=True)):
            if share:
                parts.append(axes.hbar(y, left, left + share, 0.72, colour))
            if share >= 0.06:  # narrower segments would not hold their label
                ink = "white" if kind == "QUALIFIANTE" else "#1a202c"
                labels.append(axes.label(left + share / 2, y, fr_pct(share, 0), 7.5, "middle",
                                         fill=ink))  # fmt: skip
        lefts = [left + share for left, share in zip(lefts, shares, strict=True)]
    parts += [*labels, axes.spines()]
    parts += axes.ylabels(range(len(groups)), [label for label, _ in groups], 8)
    ticks = nice_ticks(1)
    parts += axes.xticks(ticks, [fr_pct(tick, 0) for tick in ticks], 8)
    return document(width, height, title, "types", parts)


def domains_chart(
    domains: list[str], shares: dict[str, list[float | None]], title: str,
    prefix: str = "domaines",
) -> str:  # fmt: skip
    """Per ROME grand domaine (or any other label), the share of each source's
    prescriptions, side by side; `prefix` names the chart (`graphique-<prefix>`)."""
    width, height = 792.0, 72 * (0.8 + 0.42 * len(domains))
    thickness = 0.8 / max(1, len(shares))
    top = max([0.1, *(value or 0 for values in shares.values() for value in values)])
    box = (0.42 * width, 28.8, 0.56 * width, height - 50.4)
    axes = Axes.rows(box, len(domains), xmax=top * 1.15, half=0.6, margin=0)
    keys = [Key(SOURCES.get(source, source), SOURCE_COLOURS.get(source, "#718096"))
            for source in shares]  # fmt: skip
    parts, labels = legend(width, keys, 8.5), []
    for number, (source, values) in enumerate(shares.items()):
        colour = SOURCE_COLOURS.get(source, "#718096")
        for index, value in enumerate(values):
            y = len(domains) - 1 - index + 0.4 - thickness * (number + 0.5)
            if value:
                parts.append(axes.hbar(y, 0, value, thickness * 0.92, colour))
                labels.append(axes.label(value + top * 0.01, y, fr_pct(value, 0), 7))
    parts += [*labels, axes.spines()]
    names = [textwrap.shorten(domain, 62, placeholder="…") for domain in domains]
    parts += axes.ylabels(range(len(domains) - 1, -1, -1), names, 8)
    ticks = nice_ticks(axes.xmax)
    parts += axes.xticks(ticks, [fr_pct(tick, 0) for tick in ticks], 8)
    return document(width, height, title, prefix, parts)
