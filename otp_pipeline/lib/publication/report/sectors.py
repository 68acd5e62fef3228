"""Section 5 of `rapport.html`, "Secteurs d'avenir", from `prescriptions_secteurs_avenir`
(contract §9): how much of the qualifying and pre-qualifying training of under-30s goes
toward the sectors each region chose, in the month and since the start of its objective
period, per source.

Sources are never summed (a matched pair is under both, §7). The denominator of a share is
every qualifying and pre-qualifying prescription (or entry) of under-30s of the source,
`HORS_LISTE` and `NON_RENSEIGNE` included. A region without a list (or a month without a
sectors file) reads "pas de liste", never 0 %: nothing was asked of it.
"""

from collections import Counter, defaultdict
from html import escape
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from otp_pipeline.lib.publication.report.charts import fr_int, fr_pct
from otp_pipeline.lib.publication.report.markup import SHORT_SOURCES, SOURCES, table
from otp_pipeline.lib.publication.report.steering_charts import domains_chart

TABLE_FILE = "prescriptions_secteurs_avenir.parquet"
QUALIFYING = ("QUALIFIANTE", "PRE_QUALIFIANTE")
UNDER_30 = ("MOINS_26", "26_29")
OUTSIDE = ("HORS_LISTE", "NON_RENSEIGNE")
NO_LIST = "pas de liste"
NATIONAL = "*"


def region_lists(manifest: dict, regions: dict[str, str]) -> dict[str, str]:
    """Which list each region uses (its own code, or `*`), from the manifest's lists; a
    region with neither is absent."""
    lists = manifest.get("listes_secteurs_avenir") or {}
    return {
        code: code if code in lists else NATIONAL
        for code in regions
        if code in lists or NATIONAL in lists
    }


def sectors_section(
    month: str, rows: list[dict], manifest: dict, suivi: list[dict], earlier: list[Path]
) -> str:
    """The section's HTML. `rows`: the month's table; `suivi`: the month's suivi_otp (the
    regions' periods); `earlier`: folders of earlier published months (the cumulative)."""
    html = ["<h2>5. Secteurs d'avenir</h2>"]
    file = manifest.get("secteurs_avenir")
    if not file:
        html.append("<p>Aucun fichier de secteurs d'avenir n'a été déposé : pas de liste, "
                    "pour aucune région.</p>")  # fmt: skip
        return "\n".join(html)
    regions = {row["code_region"]: row["libelle_region"] for row in [*rows, *suivi]}
    lists = region_lists(manifest, regions)
    starts = {row["code_region"]: row["periode_debut"] for row in suivi}
    month_counts = _counts(rows)
    period_counts = _period_counts(month, rows, starts, earlier)
    html.append(
        f'<p class="note">Fichier {escape(file["file"])} ({fr_int(file["rows"])} lignes). '
        "Champ : formations qualifiantes et pré-qualifiantes des moins de 30 ans. Part : "
        "prescriptions (ou entrées) vers un secteur de la liste de la région, sur toutes "
        "celles du champ, hors liste et code ROME non renseigné compris. "
        "<strong>Chaque source est lue à part</strong>. Le cumul court depuis le début de "
        "la période d'objectifs de la région, sur les mois publiés. « France entière » "
        "additionne les régions qui ont une liste.</p>"
    )
    body = []
    for code in sorted(regions):
        for source in SOURCES:
            label = f"{escape(code)} — {escape(regions[code])}"
            body.append(
                _share_row(
                    label,
                    source,
                    lists.get(code),
                    month_counts[(code, source)],
                    period_counts.get((code, source)),
                )
            )
    listed = [code for code in regions if code in lists]
    body[:0] = [_share_row(
        "<strong>France entière</strong>", source, "France" if listed else None,
        _add(month_counts[(code, source)] for code in listed),
        _add(period_counts.get((code, source), Counter()) for code in listed),
    ) for source in SOURCES]  # fmt: skip
    over = [("", 3), ("Prescriptions du mois", 2), ("Depuis le début de la période", 2),
            ("Entrées du mois", 2), ("Entrées depuis le début", 2)]  # fmt: skip
    head = ["Région", "Source", "Liste", *(["Vers les secteurs", "Part"] * 4)]
    html.append(table(head, body, left=3, raw=True, over=over, nowrap=2))
    html.append(_chart(regions, lists, month_counts))
    html.append(_by_sector(regions, lists, month_counts, period_counts))
    return "\n".join(html)


def _counts(rows: list[dict]) -> dict[tuple[str, str], Counter]:
    """Per (region, source), the field's prescriptions `p:<sector>` and entries `e:<sector>`."""
    counts: dict = defaultdict(Counter)
    for row in rows:
        if row["type_formation"] in QUALIFYING and row["tranche_age"] in UNDER_30:
            key = (row["code_region"], row["source"])
            sector = (row["code_secteur"], row["libelle_secteur"])
            counts[key][("p", *sector)] += row["nb_prescriptions"]
            counts[key][("e", *sector)] += row["nb_entrees"]
    return counts


def _period_counts(month, rows, starts, earlier) -> dict[tuple[str, str], Counter]:
    """The counts since each region's period start (this month included), from the earlier
    published months of the period."""
    wanted = [folder for folder in earlier if folder.name >= min(starts.values(), default=month)]
    tables = [rows]
    for folder in sorted(wanted):
        try:
            tables.append(pq.read_table(folder / TABLE_FILE).to_pylist())
        except (OSError, pa.ArrowException):
            continue  # published before the table existed: the note says "mois publiés"
    totals: dict = defaultdict(Counter)
    for table_rows in tables:
        kept = [r for r in table_rows if r["code_region"] in starts
                and starts[r["code_region"]] <= r["mois"] <= month]  # fmt: skip
        for key, counts in _counts(kept).items():
            totals[key].update(counts)
    return totals


def _add(counters) -> Counter:
    total: Counter = Counter()
    for counter in counters:
        total.update(counter)
    return total


def _toward(counts: Counter | None, kind: str) -> tuple[int, int]:
    """(toward the list's sectors, all) of the prescriptions `p` or entries `e`."""
    if not counts:
        return 0, 0
    mine = [(key[1], value) for key, value in counts.items() if key[0] == kind]
    return sum(v for code, v in mine if code not in OUTSIDE), sum(v for _, v in mine)


def _share_row(label, source, liste, month, period) -> list[str]:
    name = {None: NO_LIST, NATIONAL: "nationale", "France": "—"}.get(liste, "régionale")
    cells = [label, escape(SHORT_SOURCES.get(source, source)), escape(name)]
    for counts, kind in ((month, "p"), (period, "p"), (month, "e"), (period, "e")):
        if liste is None:
            cells += [NO_LIST, NO_LIST]
            continue
        toward, total = _toward(counts, kind)
        cells += [fr_int(toward), fr_pct(toward / total) if total else "—"]
    return cells


def _chart(regions, lists, month_counts) -> str:
    """Per region with a list, each source's share of qualifying prescriptions toward it."""
    listed = sorted(code for code in regions if code in lists)
    if not listed:
        return "<p>Aucune région n'a de liste de secteurs d'avenir ce mois-ci.</p>"
    shares = {}
    for source in SOURCES:
        values = []
        for code in listed:
            toward, total = _toward(month_counts.get((code, source)), "p")
            values.append(toward / total if total else None)
        shares[source] = values
    labels = [f"{code} {regions[code]}" for code in listed]
    heading = "<h3>Part vers les secteurs d'avenir, région par région (prescriptions du mois)</h3>"
    title = ("Part des prescriptions qualifiantes et pré-qualifiantes de moins de 30 ans "
             "vers les secteurs d'avenir de la région")  # fmt: skip
    return heading + "\n" + domains_chart(labels, shares, title, prefix="secteurs")


def _by_sector(regions, lists, month_counts, period_counts) -> str:
    """Sector by sector, per region with a list and source: prescriptions in the month and
    since the period's start, with their share of the field."""
    body = []
    for code in sorted(code for code in regions if code in lists):
        for source in SOURCES:
            month, period = month_counts.get((code, source), Counter()), \
                period_counts.get((code, source), Counter())  # fmt: skip
            sectors = sorted({key[1:] for key in (*month, *period)
                              if key[0] == "p" and key[1] not in OUTSIDE})  # fmt: skip
            _, month_total = _toward(month, "p")
            _, period_total = _toward(period, "p")
            for sector in sectors:
                in_month, in_period = month[("p", *sector)], period[("p", *sector)]
                body.append([
                    f"{escape(code)} — {escape(regions[code])}",
                    escape(SHORT_SOURCES.get(source, source)), escape(sector[1] or sector[0]),
                    fr_int(in_month), fr_pct(in_month / month_total) if month_total else "—",
                    fr_int(in_period), fr_pct(in_period / period_total) if period_total else "—",
                ])  # fmt: skip
    if not body:
        return ""
    head = ["Région", "Source", "Secteur", "Prescriptions du mois", "Part",
            "Depuis le début de la période", "Part"]  # fmt: skip
    return "<h3>Secteur par secteur (prescriptions)</h3>\n" + table(
        head, body, left=3, raw=True, nowrap=2
    )
