"""`rapport.html`: the month's report for the regional steering teams, one file per month.

Built from the very Arrow tables the publication writes, so report and tables never disagree,
and written into the staging folder with them (swapped in whole). Self-contained: inline CSS
and SVG, no script, no link to fetch. Aggregates only, like the tables.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from html import escape
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from otp_pipeline.lib.publication.durable import write_durably
from otp_pipeline.lib.publication.manifest import REPORT_NAME
from otp_pipeline.lib.publication.report import charts
from otp_pipeline.lib.publication.report.charts import INDICATEURS, fr_dec, fr_int, fr_pct
from otp_pipeline.lib.publication.report.formation import formation_section
from otp_pipeline.lib.publication.report.markup import (
    NO_ACTIVITY,
    NO_PERIOD,
    SOURCES,
    flag,
    period,
    table,
)
from otp_pipeline.lib.publication.report.projection import STYLE as STATUT_STYLE
from otp_pipeline.lib.publication.report.projection import projection_section
from otp_pipeline.lib.publication.report.revisions import revisions_section
from otp_pipeline.lib.publication.report.sectors import sectors_section
from otp_pipeline.lib.thresholds import load_thresholds

MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre")  # fmt: skip
TRANCHES = {"MOINS_26": "moins de 26 ans", "26_29": "26 à 29 ans", "30_PLUS": "30 ans et plus"}
BASE_STYLE = """
body { font: 15px/1.45 system-ui, "DejaVu Sans", Arial, sans-serif; color: #1a202c;
       max-width: 1180px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { border-bottom: 2px solid #2b6cb0;
     padding-bottom: 3px; margin-top: 36px; } h3 { margin-top: 24px; }
.meta, .note { color: #4a5568; font-size: 13px; }
table { border-collapse: collapse; margin: 10px 0 18px; font-size: 13.5px; }
th, td { border: 1px solid #cbd5e0; padding: 4px 9px; text-align: left; }
th { background: #edf2f7; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.examiner { color: #9c4221; font-weight: 600; } .alerte { background: #fffaf0;
  border-left: 5px solid #dd6b20; padding: 8px 14px; }
td.n, td.t, .examiner, .periode { white-space: nowrap; }
svg.graphique { display: block; max-width: 100%; height: auto; margin: 8px 0 14px; }
"""
STYLE = BASE_STYLE + STATUT_STYLE
log = logging.getLogger(__name__)


def write_report(
    folder: Path, month: str, tables: dict[str, pa.Table], manifest: dict,
    earlier_suivi: Iterable[Path] = (), previous: Path | None = None,
) -> Path:  # fmt: skip
    """Write `rapport.html` for `month` into `folder`, flushed to disk."""
    text = render_report(month, tables, manifest, earlier_suivi, previous)
    return write_durably(Path(folder) / REPORT_NAME, text.encode("utf-8"))


def render_report(
    month: str, tables: dict[str, pa.Table], manifest: dict, earlier_suivi: Iterable[Path] = (),
    previous: Path | None = None,
) -> str:  # fmt: skip
    """The report of one month as HTML: what changed since the publication it replaces,
    national totals, objectives by region, their pace, training types and occupations,
    sectors of the future, fill rates.

    `earlier_suivi`: published `suivi_otp.parquet` of earlier months, for the national
    progression chart (optional). `previous`: the folder of the publication this one
    replaces, for the "Révisions" note (none for a first publication).
    """
    suivi = tables["suivi_otp"].to_pylist()
    qualite = tables["qualite_prescripteur"].to_pylist()
    prescriptions = tables["prescriptions_mensuelles"].to_pylist()
    threshold = manifest.get("seuil_remplissage")
    if threshold is None:  # the publication asset always sets it; bare library calls may not
        threshold = load_thresholds()["prescriber_fill_rate_min"]
    title = f"Suivi des objectifs territoriaux partagés — {month_label(month)}"
    parts = [
        f'<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n{_meta(manifest, threshold)}",
        revisions_section(manifest, previous, suivi),
        _national(month, suivi, prescriptions, earlier_suivi),
        _regions(suivi),
        projection_section(tables["projection_otp"].to_pylist()),
        formation_section(tables["prescriptions_par_formation"].to_pylist()),
        sectors_section(
            month,
            tables["prescriptions_secteurs_avenir"].to_pylist(),
            manifest,
            suivi,
            [Path(path).parent for path in earlier_suivi],
        ),
        _quality(qualite, float(threshold)),
        "</body>\n</html>\n",
    ]
    return "\n".join(parts)


def month_label(month: str) -> str:
    """'2021-03' -> 'mars 2021'."""
    year, number = month.split("-")
    return f"{MOIS[int(number) - 1]} {year}"


def _meta(manifest: dict, threshold: float) -> str:
    produced = manifest.get("produced_at")
    when = (
        datetime.strptime(produced, "%Y-%m-%dT%H:%M:%SZ").strftime("%d/%m/%Y à %H:%M UTC")
        if produced
        else "—"
    )
    version = str(manifest.get("code_version", "—"))
    checks = manifest.get("controles_qualite") or []
    failed = sum(not check.get("passed", True) for check in checks)
    checks_text = (
        f" · contrôles qualité : {len(checks) - failed} réussis, {failed} en échec"
        if checks
        else ""
    )
    return (
        f'<p class="meta">Publié le {escape(when)} · version {escape(version)}'
        f" · seuil de remplissage du prescripteur : {fr_pct(threshold, 0)}{checks_text}.<br>"
        "Chiffres agrégés par région, issus des tables publiées du même dossier "
        "(prescriptions_mensuelles, suivi_otp, qualite_prescripteur, projection_otp, "
        "prescriptions_par_formation, prescriptions_secteurs_avenir) ; "
        "aucune donnée individuelle.</p>"
    )


def _national(month, suivi, prescriptions, earlier_suivi) -> str:
    html = ["<h2>1. Totaux nationaux</h2>", "<h3>Objectifs : somme des régions</h3>"]
    totals = _national_suivi(suivi)
    if totals:
        body = [[INDICATEURS.get(t["indicateur"], t["indicateur"]), fr_int(t["objectif"]),
                 fr_int(t["realise_mois"]), fr_int(t["realise_cumule"]),
                 fr_dec(t["cible_lineaire"]), fr_dec(t["realise_cumule"] - t["cible_lineaire"]),
                 fr_pct(t["realise_cumule"] / t["objectif"] if t["objectif"] else None)]
                for t in totals]  # fmt: skip
        head = ["Indicateur", "Objectif", "Réalisé du mois", "Réalisé cumulé", "Cible linéaire",
                "Écart à la cible", "Taux de réalisation"]  # fmt: skip
        html.append(table(head, body))
        html.append(charts.national_chart(totals, "Réalisé cumulé national face aux objectifs"))
        html.append(_progression(month, suivi, totals, earlier_suivi))
        html.append('<p class="note">Chaque région suit sa propre période d\'objectifs ; '
                    "les cibles linéaires sont sommées telles quelles.</p>")  # fmt: skip
    else:
        html.append(NO_PERIOD)
    html.append("<h3>Prescriptions et entrées en formation par source et tranche d'âge</h3>")
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in prescriptions:
        for key in ((row["source"], row["tranche_age"]), (row["source"], "")):
            sums[key][0] += row["nb_prescriptions"]
            sums[key][1] += row["nb_entrees"]
    order = [*SOURCES, *sorted({source for source, _ in sums} - set(SOURCES))]
    body = [[SOURCES.get(source, source), TRANCHES.get(age, age) if age else "Total",
             fr_int(sums[source, age][0]), fr_int(sums[source, age][1])]
            for source in order for age in (*TRANCHES, "") if (source, age) in sums]  # fmt: skip
    html.append(table(["Source", "Tranche d'âge", "Prescriptions", "Entrées"], body, left=2)
                if body else NO_ACTIVITY)  # fmt: skip
    html.append(
        '<p class="note">Chaque source est comptée à part : une prescription vue par les deux '
        "systèmes figure sous les deux sources, qui ne s'additionnent donc pas.</p>"
    )
    return "\n".join(html)


def _national_suivi(suivi: list[dict]) -> list[dict]:
    totals: dict[str, dict] = {}
    for row in suivi:
        total = totals.setdefault(row["indicateur"], dict.fromkeys(
            ("objectif", "realise_mois", "realise_cumule", "cible_lineaire"), 0) | {
            "indicateur": row["indicateur"], "fiabilite": "FIABLE"})  # fmt: skip
        for key in ("objectif", "realise_mois", "realise_cumule", "cible_lineaire"):
            total[key] += row[key]
        if row["fiabilite"] == "A_EXAMINER":
            total["fiabilite"] = "A_EXAMINER"
    return sorted(totals.values(), key=lambda t: list(INDICATEURS).index(t["indicateur"]))


def _progression(month, suivi, totals, earlier_suivi) -> str:
    """National progression over the months of the period, from earlier publications."""
    keys = {_key(row) for row in suivi}
    by_month: dict[str, list[dict]] = {}
    for path in earlier_suivi:
        try:
            rows = pq.read_table(path).to_pylist()
        except (OSError, pa.ArrowException) as error:
            log.warning("earlier month %s not read for the report: %s", path, error)
            continue
        rows = [r for r in rows if r["mois"] < month and _key(r) in keys]
        # Only months holding every current region-indicator: otherwise sums are not comparable.
        if rows and len({(r["code_region"], r["indicateur"]) for r in rows}) == len(keys):
            by_month[rows[0]["mois"]] = rows
    if not by_month:
        return ""
    by_month[month] = suivi
    months = sorted(by_month)
    series = {
        t["indicateur"]: {"objectif": t["objectif"], "realise_cumule": [], "cible_lineaire": []}
        for t in totals
    }
    for name in months:
        for total in _national_suivi(by_month[name]):
            series[total["indicateur"]]["realise_cumule"].append(total["realise_cumule"])
            series[total["indicateur"]]["cible_lineaire"].append(total["cible_lineaire"])
    return charts.progression_chart(
        months, series, "Progression nationale depuis le début de la période"
    )


def _in_chart_order(row: dict) -> tuple:
    order = list(INDICATEURS)
    indicateur = row["indicateur"]
    return row["code_region"], order.index(indicateur) if indicateur in order else 9, indicateur


def _key(row: dict) -> tuple[str, str, str, str]:
    return row["code_region"], row["indicateur"], row["periode_debut"], row["periode_fin"]


def _regions(suivi: list[dict]) -> str:
    html = ["<h2>2. Objectifs par région</h2>"]
    if not suivi:
        return html[0] + "\n" + NO_PERIOD
    html.append('<p class="note">Barre : réalisé cumulé depuis le début de la période ; trait '
                "noir : cible linéaire à ce mois ; trait rouge et fond gris : objectif de la "
                "période ; pourcentage : taux de réalisation. En orange : prescriptions PE d'une "
                "région dont le champ prescripteur est à examiner.</p>")  # fmt: skip
    html.append(
        charts.regions_chart(suivi, "Réalisé cumulé, cible linéaire et objectif par région")
    )
    body = [[f"{r['code_region']} — {escape(r['libelle_region'])}",
             escape(INDICATEURS.get(r["indicateur"], r["indicateur"])),
             period(r), fr_int(r["objectif"]),
             fr_int(r["realise_mois"]), fr_int(r["realise_cumule"]), fr_dec(r["cible_lineaire"]),
             fr_dec(r["ecart_cible"]), fr_pct(r["taux_realisation"]), flag(r["fiabilite"])]
            for r in sorted(suivi, key=_in_chart_order)]  # fmt: skip
    html.append(table(["Région", "Indicateur", "Période", "Objectif", "Réalisé du mois",
                        "Réalisé cumulé", "Cible linéaire", "Écart à la cible", "Taux",
                        "Fiabilité"], body, left=3, raw=True))  # fmt: skip
    return "\n".join(html)


def _quality(qualite: list[dict], threshold: float) -> str:
    html = ["<h2>5. Remplissage du champ prescripteur (SI Pôle emploi)</h2>"]
    flagged = [row for row in qualite if row["fiabilite"] == "A_EXAMINER"]
    if flagged:
        names = ", ".join(f"{escape(r['libelle_region'])} ({fr_pct(r['taux_renseignement'])})"
                          for r in flagged)  # fmt: skip
        html.append(
            f'<p class="alerte"><strong>{len(flagged)} région(s) à examiner</strong> (taux de '
            f"remplissage sous le seuil de {fr_pct(threshold, 0)}) : {names}. La répartition "
            "Pôle emploi / Mission locale y est à lire avec prudence.</p>"
        )
    else:
        html.append("<p>Aucune région à examiner ce mois-ci.</p>")
    body = [[f"{r['code_region']} — {escape(r['libelle_region'])}",
             fr_int(r["nb_prescriptions_si_pe"]), fr_int(r["nb_prescripteur_renseigne"]),
             fr_pct(r["taux_renseignement"]), fr_int(r["nb_ml_si_pe_moins_26"]),
             fr_int(r["nb_ml_imilo_moins_26"]), flag(r["fiabilite"])]
            for r in flagged + [r for r in qualite if r["fiabilite"] != "A_EXAMINER"]]  # fmt: skip
    if body:
        html.append(table(["Région", "Prescriptions SI PE", "Prescripteur renseigné",
                            "Taux de remplissage", "ML < 26 ans (SI PE)", "ML < 26 ans (I-Milo)",
                            "Fiabilité"], body, raw=True))  # fmt: skip
    rated = [row for row in qualite if row["taux_renseignement"] is not None]
    if rated:
        html.append(charts.fill_rate_chart(rated, threshold, "Taux de remplissage par région"))
    return "\n".join(html)
