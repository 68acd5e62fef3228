"""The charts of `rapport.html`, drawn with matplotlib as inline SVG, and French number formats.

matplotlib is imported inside the functions: importing the Dagster definitions must stay fast.
No pyplot: a bare `Figure` renders with the Agg/SVG canvases and touches no GUI or global state.
"""

import io
import re
from decimal import ROUND_HALF_UP, Decimal

INDICATEURS = {
    "ENTREES_MOINS_30": "Entrées < 30 ans",
    "PRESCRIPTIONS_PE_MOINS_30": "Prescriptions PE < 30 ans",
    "PRESCRIPTIONS_ML_MOINS_26": "Prescriptions ML < 26 ans",
}
REALISE, EXAMINER, CIBLE, OBJECTIF, FOND = "#2b6cb0", "#dd6b20", "#1a202c", "#c53030", "#e2e8f0"
NBSP, NNBSP = "\u00a0", "\u202f"


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
    from matplotlib.figure import Figure

    regions = sorted({(row["code_region"], row["libelle_region"]) for row in rows})
    columns = min(3, len(regions))
    lines = -(-len(regions) // columns)
    fig = Figure(figsize=(12, 0.5 + 1.3 * lines))
    axes = fig.subplots(lines, columns, squeeze=False).ravel()
    for index, (ax, (code, libelle)) in enumerate(zip(axes, regions, strict=False)):
        # Values are written beside each bar: no x axis, whose ticks cost most of the drawing.
        _bullets(ax, [row for row in rows if row["code_region"] == code], index % columns == 0)
        ax.set_title(f"{code} — {libelle}", fontsize=9.5, loc="left", fontweight="bold")
    for ax in axes[len(regions) :]:
        ax.set_visible(False)
    _legend(fig)
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.14, right=0.995, top=1 - 0.6 / height, bottom=0.1 / height,
                        hspace=0.5, wspace=0.06)  # fmt: skip
    return to_svg(fig, title, "regions")


def national_chart(rows: list[dict], title: str) -> str:
    """The same bullet chart for the sums over regions, one bar per indicator."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 2.2))
    _bullets(fig.subplots(), rows, scale=True)
    _legend(fig)
    fig.subplots_adjust(left=0.25, right=0.93, top=0.78, bottom=0.14)
    return to_svg(fig, title, "national")


def progression_chart(months: list[str], series: dict[str, dict], title: str) -> str:
    """Per indicator, the national realised cumul month by month against the linear target."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 2.8))
    for ax, (indicateur, serie) in zip(fig.subplots(1, len(series)), series.items(), strict=True):
        ax.plot(months, serie["realise_cumule"], marker="o", color=REALISE, label="Réalisé cumulé")
        ax.plot(months, serie["cible_lineaire"], ls="--", color=CIBLE, label="Cible linéaire")
        ax.axhline(serie["objectif"], color=OBJECTIF, lw=1.5, label="Objectif")
        ax.set_title(INDICATEURS.get(indicateur, indicateur), fontsize=10, loc="left")
        ax.set_ylim(0, max(serie["objectif"], *serie["realise_cumule"]) * 1.1 or 1)
        ax.tick_params(labelsize=8)
        ax.yaxis.set_major_formatter(lambda value, _: fr_int(value))
        ax.grid(axis="y", color=FOND)
    fig.legend(*ax.get_legend_handles_labels(), loc="upper right", ncols=3, fontsize=8.5,
               frameon=False)  # fmt: skip
    fig.subplots_adjust(left=0.07, right=0.98, top=0.8, bottom=0.12, wspace=0.3)
    return to_svg(fig, title, "progression")


def fill_rate_chart(rows: list[dict], threshold: float, title: str) -> str:
    """Prescriber fill rate per region, regions to examine in orange, the threshold in red."""
    from matplotlib.figure import Figure

    rows = sorted(rows, key=lambda row: row["code_region"], reverse=True)  # top = first code
    fig = Figure(figsize=(9, 0.6 + 0.32 * len(rows)))
    ax = fig.subplots()
    labels = [f"{row['code_region']} — {row['libelle_region']}" for row in rows]
    rates = [row["taux_renseignement"] for row in rows]
    colours = [EXAMINER if row["fiabilite"] == "A_EXAMINER" else REALISE for row in rows]
    ax.barh(labels, rates, color=colours, height=0.65)
    for y, rate in enumerate(rates):
        ax.text(rate + 0.01, y, fr_pct(rate), va="center", fontsize=8)
    ax.axvline(threshold, color=OBJECTIF, ls="--", lw=1.5)
    ax.text(threshold, len(rows) - 0.35, f"seuil {fr_pct(threshold, 0)}", color=OBJECTIF,
            ha="right", fontsize=8.5)  # fmt: skip
    ax.set_xlim(0, 1.12)
    ax.xaxis.set_major_formatter(lambda value, _: fr_pct(value, 0))
    ax.tick_params(labelsize=8.5)
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(
        left=0.33, right=0.97, top=1 - 0.25 / fig.get_figheight(), bottom=0.4 / fig.get_figheight()
    )
    return to_svg(fig, title, "remplissage")


def _bullets(ax, rows: list[dict], labels: bool = True, scale: bool = False) -> None:
    """Horizontal bullets, indicators top to bottom in the order of INDICATEURS."""
    rows = sorted(rows, key=lambda row: list(INDICATEURS).index(row["indicateur"]), reverse=True)
    top = max([1, *(max(r["objectif"], r["realise_cumule"], r["cible_lineaire"]) for r in rows)])
    ys = range(len(rows))
    colours = [EXAMINER if r.get("fiabilite") == "A_EXAMINER" else REALISE for r in rows]
    ax.barh(ys, [r["objectif"] for r in rows], height=0.8, color=FOND)
    ax.barh(ys, [r["realise_cumule"] for r in rows], height=0.42, color=colours)
    ax.vlines([r["cible_lineaire"] for r in rows], [y - 0.34 for y in ys], [y + 0.34 for y in ys],
              color=CIBLE, lw=2.5)  # fmt: skip
    ax.vlines([r["objectif"] for r in rows], [y - 0.44 for y in ys], [y + 0.44 for y in ys],
              color=OBJECTIF, lw=1.5)  # fmt: skip
    for y, row in zip(ys, rows, strict=True):
        taux = row["realise_cumule"] / row["objectif"] if row["objectif"] else None
        value = f"{fr_int(row['realise_cumule'])} / {fr_int(row['objectif'])} · {fr_pct(taux, 0)}"
        ax.text(top * 1.03, y, value, va="center", fontsize=7.5)
    names = [INDICATEURS.get(r["indicateur"], r["indicateur"]) for r in rows]
    ax.set_yticks(ys, names if labels else [])
    ax.set_xlim(0, top * 1.6)
    ax.tick_params(labelsize=7.5, length=0)
    if scale:
        ax.xaxis.set_major_formatter(lambda value, _: fr_int(value))
    else:
        ax.set_xticks([])
    ax.spines[["top", "right"]].set_visible(False)


def _legend(fig) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(color=REALISE, label="Réalisé cumulé"),
        Patch(color=EXAMINER, label="Réalisé cumulé, à examiner (remplissage)"),
        Line2D([], [], color=CIBLE, lw=2.5, label="Cible linéaire"),
        Line2D([], [], color=OBJECTIF, lw=1.5, label="Objectif de la période"),
    ]
    fig.legend(handles=handles, loc="upper right", ncols=4, fontsize=8, frameon=False)


def to_svg(fig, title: str, prefix: str) -> str:
    """The figure as an `<svg>` element to inline in HTML: no prolog, no metadata, unique ids."""
    import matplotlib

    buffer = io.StringIO()
    # Text stays text (small, selectable, read by screen readers); ids repeat from run to run.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": prefix}):
        fig.savefig(buffer, format="svg", metadata={"Title": title, "Date": None, "Creator": None,
                                                    "Format": None, "Type": None})  # fmt: skip
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # Namespace declarations are URLs, and HTML needs none for inline SVG: drop them.
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    # Several charts share one document: prefix ids so `url(#…)` and `href="#…"` stay local.
    text = re.sub(r'(\bid="|url\(#|href="#)', rf"\g<1>{prefix}-", text)
    return text.replace("<svg ", f'<svg role="img" class="graphique" id="graphique-{prefix}" ', 1)
