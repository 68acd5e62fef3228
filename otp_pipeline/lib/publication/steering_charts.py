"""The charts of the steering sections of `rapport.html` (contract §8), as inline SVG.

Same drawing rules as `charts.py`: matplotlib imported inside the functions, a bare `Figure`.
"""

import textwrap

from otp_pipeline.lib.publication.charts import (
    EXAMINER,
    INDICATEURS,
    NBSP,
    OBJECTIF,
    REALISE,
    fr_int,
    fr_pct,
    to_svg,
)
from otp_pipeline.lib.publication.markup import SOURCES

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
    from matplotlib.figure import Figure

    regions = sorted({(row["code_region"], row["libelle_region"]) for row in rows})
    columns = min(3, len(regions))
    lines = -(-len(regions) // columns)
    fig = Figure(figsize=(12, 0.6 + 1.3 * lines))
    axes = fig.subplots(lines, columns, squeeze=False).ravel()
    for index, (ax, (code, libelle)) in enumerate(zip(axes, regions, strict=False)):
        mine = [row for row in rows if row["code_region"] == code]
        _projection_bars(ax, code, mine, index % columns == 0)
        ax.set_title(f"{code} — {libelle}", fontsize=9.5, loc="left", fontweight="bold")
    for ax in axes[len(regions) :]:
        ax.set_visible(False)
    _projection_legend(fig)
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.14, right=0.995, top=1 - 0.65 / height, bottom=0.1 / height,
                        hspace=0.5, wspace=0.06)  # fmt: skip
    return to_svg(fig, title, "projection")


def _projection_bars(ax, code: str, rows: list[dict], labels: bool) -> None:
    from matplotlib.collections import LineCollection

    order = list(INDICATEURS)
    rows = sorted(rows, key=lambda r: order.index(r["indicateur"]) if r["indicateur"] in order
                  else -1, reverse=True)  # fmt: skip
    ys = range(len(rows))
    projections = [row["projection_fin_periode"] or 0 for row in rows]
    highs = [max(r["objectif"], r["realise_cumule"], r["realise_cumule_borne_haute"] or 0)
             for r in rows]  # fmt: skip
    top = max([1, *projections, *highs])
    ax.barh(ys, projections, height=0.72, color=PROJECTION)
    ax.barh(ys, [row["realise_cumule"] for row in rows], height=0.34, color=REALISE)
    ax.vlines([row["objectif"] for row in rows], [y - 0.44 for y in ys], [y + 0.44 for y in ys],
              color=OBJECTIF, lw=1.5)  # fmt: skip
    for y, row, projection in zip(ys, rows, projections, strict=True):
        if draws_range(row) and row["realise_cumule_borne_haute"] is not None:
            low, high = row["realise_cumule"], row["realise_cumule_borne_haute"]
            segments = [[(low, y), (high, y)], [(low, y - 0.3), (low, y + 0.3)],
                        [(high, y - 0.3), (high, y + 0.3)]]  # fmt: skip
            bracket = LineCollection(segments, colors=EXAMINER, linewidths=2.5, zorder=3)
            bracket.set_gid(f"fourchette-{code}")  # tests and readers of the SVG find it by id
            ax.add_collection(bracket)
        text = f"{fr_int(projection)} / {fr_int(row['objectif'])} · {projection_share(row)}"
        ax.text(top * 1.03, y, text, va="center", fontsize=7.5)
    names = [INDICATEURS.get(r["indicateur"], r["indicateur"]) for r in rows]
    ax.set_yticks(ys, names if labels else [])
    ax.set_xlim(0, top * 1.6)
    ax.set_xticks([])
    ax.tick_params(labelsize=7.5, length=0)
    ax.spines[["top", "right"]].set_visible(False)


def _projection_legend(fig) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(color=PROJECTION, label="Projection à fin de période (rythme actuel)"),
        Patch(color=REALISE, label="Réalisé cumulé"),
        Line2D([], [], color=EXAMINER, lw=2.5, label="Fourchette PE à examiner (borne haute)"),
        Line2D([], [], color=OBJECTIF, lw=1.5, label="Objectif de la période"),
    ]
    fig.legend(handles=handles, loc="upper right", ncols=4, fontsize=8, frameon=False)


def types_chart(groups: list[tuple[str, dict[str, int]]], title: str) -> str:
    """One stacked bar per (label, prescriptions by type): the mix of training types, in %."""
    from matplotlib.figure import Figure

    groups = [(label, counts) for label, counts in groups if sum(counts.values())][::-1]
    fig = Figure(figsize=(11, 0.75 + 0.3 * len(groups)))
    ax = fig.subplots()
    ys = range(len(groups))
    lefts = [0.0] * len(groups)
    for kind, colour in TYPE_COLOURS.items():
        shares = [counts.get(kind, 0) / sum(counts.values()) for _, counts in groups]
        ax.barh(ys, shares, left=lefts, height=0.72, color=colour, label=TYPE_LABELS[kind])
        for y, (left, share) in enumerate(zip(lefts, shares, strict=True)):
            if share >= 0.06:  # narrower segments would not hold their label
                ink = "white" if kind == "QUALIFIANTE" else "#1a202c"
                ax.text(left + share / 2, y, fr_pct(share, 0), ha="center", va="center",
                        fontsize=7.5, color=ink)  # fmt: skip
        lefts = [left + share for left, share in zip(lefts, shares, strict=True)]
    ax.set_yticks(ys, [label for label, _ in groups])
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(groups) - 0.4)
    ax.xaxis.set_major_formatter(lambda value, _: fr_pct(value, 0))
    ax.tick_params(labelsize=8, length=0)
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(*ax.get_legend_handles_labels(), loc="upper right", ncols=4, fontsize=8.5,
               frameon=False)  # fmt: skip
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.3, right=0.98, top=1 - 0.4 / height, bottom=0.3 / height)
    return to_svg(fig, title, "types")


def domains_chart(domains: list[str], shares: dict[str, list[float | None]], title: str) -> str:
    """Per ROME grand domaine, the share of each source's prescriptions, side by side."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 0.8 + 0.42 * len(domains)))
    ax = fig.subplots()
    height = 0.8 / max(1, len(shares))
    top = max([0.1, *(value or 0 for values in shares.values() for value in values)])
    for number, (source, values) in enumerate(shares.items()):
        ys = [len(domains) - 1 - i + 0.4 - height * (number + 0.5) for i in range(len(domains))]
        values = [value or 0 for value in values]
        ax.barh(ys, values, height=height * 0.92, color=SOURCE_COLOURS.get(source, "#718096"),
                label=SOURCES.get(source, source))  # fmt: skip
        for y, value in zip(ys, values, strict=True):
            if value:
                ax.text(value + top * 0.01, y, fr_pct(value, 0), va="center", fontsize=7)
    labels = [textwrap.shorten(domain, 62, placeholder="…") for domain in domains]
    ax.set_yticks(range(len(domains) - 1, -1, -1), labels)
    ax.set_ylim(-0.6, len(domains) - 0.4)
    ax.set_xlim(0, top * 1.15)
    ax.xaxis.set_major_formatter(lambda value, _: fr_pct(value, 0))
    ax.tick_params(labelsize=8, length=0)
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(*ax.get_legend_handles_labels(), loc="upper right", ncols=2, fontsize=8.5,
               frameon=False)  # fmt: skip
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.42, right=0.98, top=1 - 0.4 / height, bottom=0.3 / height)
    return to_svg(fig, title, "domaines")
