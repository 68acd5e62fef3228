"""Section 3 of `rapport.html`, "Rythme et projection", from `projection_otp` (contract §8).

Per region and indicator: its statut at a glance (a colour-coded grid), the projection to
the period's end against the objective (a chart), and the pace it still needs (a table).
"""

from collections import Counter
from html import escape

from otp_pipeline.lib.publication.report.charts import INDICATEURS, fr_dec, fr_int
from otp_pipeline.lib.publication.report.markup import NO_PERIOD, period, region, table
from otp_pipeline.lib.publication.report.steering_charts import (
    draws_range,
    projection_chart,
    projection_share,
)

# Statut: label, background, ink, rule. Greens on track, yellow then red as the gap grows; the
# label is written in every cell, so the grid also reads in grey print and when colour-blind.
STATUTS = {
    "ATTEINT": ("atteint", "#2f855a", "#ffffff", "réalisé cumulé au moins égal à l'objectif"),
    "EN_BONNE_VOIE": ("en bonne voie", "#c6f6d5", "#1a202c",
                      "au rythme actuel, l'objectif est atteint en fin de période"),
    "A_RISQUE": ("à risque", "#faf089", "#1a202c",
                 "au rythme actuel, au moins 90 % de l'objectif"),
    "EN_RETARD": ("en retard", "#f56565", "#1a202c",
                  "au rythme actuel, moins de 90 % de l'objectif"),
}  # fmt: skip
STYLE = "".join(
    f".st-{code.lower().replace('_', '-')} {{ background: {back}; color: {ink}; }}\n"
    for code, (_, back, ink, _) in STATUTS.items()
) + (
    "td.statut { text-align: center; min-width: 150px; } td.statut small { display: block; }\n"
    ".pastille { display: inline-block; padding: 1px 8px; border-radius: 3px; "
    "white-space: nowrap; }\n"
    # Eleven columns in 1 180 px: tighter cells than the report's other tables.
    "table.serre th, table.serre td { padding: 4px 6px; }\n"
)


def projection_section(rows: list[dict]) -> str:
    """The section's HTML; `rows`: the month's `projection_otp` as dicts."""
    html = ["<h2>3. Rythme et projection</h2>"]
    if not rows:
        return html[0] + "\n" + NO_PERIOD
    legend = " ; ".join(f"{_pill(code)} {escape(rule)}"
                        for code, (*_, rule) in STATUTS.items())  # fmt: skip
    html.append('<p class="note">Projection : le réalisé cumulé prolongé au même rythme '
                f"jusqu'à la fin de la période d'objectifs. {legend}.</p>")  # fmt: skip
    html.append("<h3>Statut des régions, d'un coup d'œil</h3>")
    html.append(_grid(rows))
    html.append(_counts(rows))
    html.append("<h3>Projection à fin de période face à l'objectif</h3>")
    html.append(
        '<p class="note">Barre claire : projection à fin de période ; barre foncée : réalisé '
        "cumulé ; trait rouge : objectif ; chiffres : projection / objectif · projection en "
        "part de l'objectif (arrondie à l'unité inférieure). En orange, pour les prescriptions "
        "PE d'une région dont le champ prescripteur est à examiner : la fourchette du réalisé "
        "cumulé, jusqu'à sa borne haute (les prescriptions SI PE de moins de 30 ans au "
        "prescripteur non renseigné comptées comme prescriptions Pôle emploi).</p>"
    )
    title = "Réalisé cumulé, projection à fin de période et objectif par région"
    html.append(projection_chart(rows, title))
    html.append("<h3>Rythme actuel et rythme nécessaire</h3>")
    for indicateur in _indicateurs(rows):
        html.append(_pace_table(indicateur, [r for r in rows if r["indicateur"] == indicateur]))
    html.append('<p class="note">Rythme mensuel : réalisé cumulé par mois écoulé. Rythme '
                "nécessaire : reste à réaliser par mois restant, sans objet au dernier mois de "
                "la période.</p>")  # fmt: skip
    return "\n".join(html)


def _grid(rows: list[dict]) -> str:
    """Regions × indicators, each cell coloured by its statut."""
    indicateurs = _indicateurs(rows)
    cells = {(row["code_region"], row["indicateur"]): row for row in rows}
    head = "".join(f"<th>{escape(INDICATEURS.get(i, i))}</th>" for i in indicateurs)
    lines = ['<table class="grille">', f"<tr><th>Région</th>{head}</tr>"]
    for place in sorted({(row["code_region"], row["libelle_region"]) for row in rows}):
        names = {"code_region": place[0], "libelle_region": place[1]}
        line = [f'<td class="t">{region(names)}</td>']
        for indicateur in indicateurs:
            row = cells.get((place[0], indicateur))
            line.append(_cell(row) if row else '<td class="statut">—</td>')
        lines.append("<tr>" + "".join(line) + "</tr>")
    return "\n".join([*lines, "</table>"])


def _cell(row: dict) -> str:
    label = STATUTS.get(row["statut"], (row["statut"],))[0]
    detail = f"projection : {projection_share(row)} de l'objectif"
    if draws_range(row):
        detail += " · prescripteur à examiner"
    return (f'<td class="statut {_css(row["statut"])}">{escape(label)}'
            f"<small>{escape(detail)}</small></td>")  # fmt: skip


def _counts(rows: list[dict]) -> str:
    """How many regions have each statut, per indicator."""
    counts = Counter((row["indicateur"], row["statut"]) for row in rows)
    statuts = [*STATUTS, *sorted({row["statut"] for row in rows} - set(STATUTS))]
    body = [[escape(INDICATEURS.get(i, i)), *(fr_int(counts[i, s]) for s in statuts)]
            for i in _indicateurs(rows)]  # fmt: skip
    head = ["Nombre de régions", *(STATUTS.get(s, (s,))[0] for s in statuts)]
    return table(head, body, raw=True)


def _pace_table(indicateur: str, rows: list[dict]) -> str:
    pe_range = any(draws_range(row) for row in rows)
    head = ["Région", "Période", "Mois écoulés", "Objectif", "Réalisé cumulé",
            "Rythme mensuel", "Projection fin de période", "Reste à réaliser",
            "Rythme nécessaire", "Statut"]  # fmt: skip
    body = []
    for row in sorted(rows, key=lambda r: (r["code_region"], r["periode_debut"])):
        months = f"{row['nb_mois_ecoules']} / {row['nb_mois_periode']}"
        line = [region(row), period(row), months, fr_int(row["objectif"]),
                fr_int(row["realise_cumule"]),
                fr_dec(row["rythme_mensuel"]), fr_int(row["projection_fin_periode"]),
                fr_int(row["reste_a_realiser"]), _needed(row), _pill(row["statut"])]  # fmt: skip
        body.append([*line, _range(row)] if pe_range else line)
    if pe_range:
        head.append("Fourchette (à examiner)")
    caption = f"<h4>{escape(INDICATEURS.get(indicateur, indicateur))}</h4>"
    return caption + "\n" + table(head, body, left=2, raw=True, nowrap=1, css="serre")


def _needed(row: dict) -> str:
    if row["rythme_necessaire"] is None and row["nb_mois_ecoules"] == row["nb_mois_periode"]:
        return "dernier mois"  # null by the contract: no month left to share the rest over
    return fr_dec(row["rythme_necessaire"])


def _range(row: dict) -> str:
    if not draws_range(row) or row["realise_cumule_borne_haute"] is None:
        return ""
    return f"{fr_int(row['realise_cumule'])} à {fr_int(row['realise_cumule_borne_haute'])}"


def _indicateurs(rows: list[dict]) -> list[str]:
    present = {row["indicateur"] for row in rows}
    return [*(i for i in INDICATEURS if i in present), *sorted(present - set(INDICATEURS))]


def _css(statut: str) -> str:
    return "st-" + statut.lower().replace("_", "-") if statut in STATUTS else ""


def _pill(statut: str) -> str:
    label = STATUTS.get(statut, (statut,))[0]
    return f'<span class="pastille {_css(statut)}">{escape(label)}</span>'
