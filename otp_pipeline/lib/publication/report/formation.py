"""Section 4 of `rapport.html`, "Types de formation et métiers visés", from
`prescriptions_par_formation` (contract §8): under-30s, per region and source, France first.

Sources are never summed. A prescription seen by both systems is one row under each source,
each with the type and domain of its own row (§8): SI PE + I-Milo would count a matched pair
twice and skew every share. So every share here is one source's, France entière included;
its denominator is all the source's under-30 prescriptions (or entries), unknown type included.
"""

from collections import Counter, defaultdict
from html import escape

from otp_pipeline.lib.publication.report.charts import fr_int, fr_pct
from otp_pipeline.lib.publication.report.markup import (
    NO_ACTIVITY,
    SHORT_SOURCES,
    SOURCES,
    region,
    table,
)
from otp_pipeline.lib.publication.report.steering_charts import domains_chart, types_chart

UNDER_30 = ("MOINS_26", "26_29")
FRANCE = ("", "France entière")  # sorts before every region code
NON_RENSEIGNE = "NON_RENSEIGNE"
TYPES = ("QUALIFIANTE", "PRE_QUALIFIANTE", NON_RENSEIGNE)  # the shares shown, in this order
NO_YOUNG = "<p>Aucune prescription ni entrée de moins de 30 ans ce mois-ci.</p>"


def formation_section(rows: list[dict]) -> str:
    """The section's HTML; `rows`: the month's `prescriptions_par_formation` as dicts."""
    html = ["<h2>4. Types de formation et métiers visés</h2>"]
    if not rows:
        return html[0] + "\n" + NO_ACTIVITY
    html.append(
        '<p class="note">Champ : moins de 30 ans (moins de 26 ans et 26 à 29 ans). '
        "<strong>Chaque source est lue à part</strong> (SI PE : AIS du SI Pôle emploi, tous "
        "prescripteurs ; I-Milo : Missions locales) : une prescription passée par les deux "
        "systèmes figure sous chacune, avec le type et le domaine de sa propre ligne ; les "
        "additionner la compterait deux fois. Les parts se lisent donc source par source, "
        "France entière comprise, sur toutes les prescriptions (ou entrées) de moins de 30 ans "
        "de la source, type ou domaine non renseigné compris.</p>"
    )
    groups = _sums(rows)
    html.append("<h3>Part des formations qualifiantes et pré-qualifiantes</h3>")
    body = [[_place(key), _source(key), *_shares(sums["types_p"]), *_shares(sums["types_e"])]
            for key, sums in groups.items()]  # fmt: skip
    shares = ["Nombre", "Part qualifiante", "Part pré-qualifiante", "Part type non renseigné"]
    over = [("", 2), ("Prescriptions de moins de 30 ans", 4), ("Entrées de moins de 30 ans", 4)]
    html.append(table(["Région", "Source", *shares, *shares], body, left=2, raw=True,
                      over=over, nowrap=2))  # fmt: skip
    bars = [(f"{key[0]} {key[1]} · {SHORT_SOURCES.get(key[2], key[2])}".strip(), sums["types_p"])
            for key, sums in groups.items() if sum(sums["types_p"].values())]  # fmt: skip
    if not bars:
        return "\n".join([*html, NO_YOUNG])
    html.append(types_chart(bars, "Type de formation des prescriptions de moins de 30 ans"))
    html.append("<h3>Principaux domaines professionnels visés (grands domaines ROME)</h3>")
    body = [[_place(key), _source(key), *_leaders(sums["domaines_p"]),
             fr_int(sum(sums["domaines_p"].values()))] for key, sums in groups.items()]  # fmt: skip
    html.append(table(["Région", "Source", "1er domaine", "2e domaine", "3e domaine",
                       "Prescriptions"], body, left=5, raw=True, nowrap=2))  # fmt: skip
    html.append(
        '<p class="note">Part de chaque domaine dans les prescriptions de moins de 30 ans de la '
        "source ; à égalité, le premier dans l'ordre des lettres ROME.</p>"
    )
    html.append(_france_domains({key[2]: sums for key, sums in groups.items() if not key[0]}))
    return "\n".join(html)


def _sums(rows: list[dict]) -> dict[tuple[str, str, str], dict[str, Counter]]:
    """Per (code_region, libelle_region, source), France entière first: the under-30s' counts
    by type and by domain. A region-source with over-30s only is kept, with empty counts."""
    kinds = ("types_p", "types_e", "domaines_p", "domaines_e")
    sums: dict = defaultdict(lambda: {kind: Counter() for kind in kinds})
    for row in rows:
        for place in ((row["code_region"], row["libelle_region"]), FRANCE):
            group = sums[(*place, row["source"])]
            if row["tranche_age"] in UNDER_30:
                domain = (row["domaine_professionnel"], _domain_label(row))
                group["types_p"][row["type_formation"]] += row["nb_prescriptions"]
                group["types_e"][row["type_formation"]] += row["nb_entrees"]
                group["domaines_p"][domain] += row["nb_prescriptions"]
                group["domaines_e"][domain] += row["nb_entrees"]
    order = list(SOURCES)

    def position(key: tuple[str, str, str]) -> tuple:
        return key[0], order.index(key[2]) if key[2] in order else len(order), key[2]

    return {key: sums[key] for key in sorted(sums, key=position)}


def _domain_label(row: dict) -> str:
    if row["domaine_professionnel"] == NON_RENSEIGNE or not row["libelle_domaine"]:
        return "non renseigné"
    return row["libelle_domaine"]


def _place(key: tuple[str, str, str]) -> str:
    if not key[0]:
        return f"<strong>{escape(FRANCE[1])}</strong>"
    return region({"code_region": key[0], "libelle_region": key[1]})


def _source(key: tuple[str, str, str]) -> str:
    return escape(SHORT_SOURCES.get(key[2], key[2]))


def _shares(counts: Counter) -> list[str]:
    total = sum(counts.values())
    return [fr_int(total), *(fr_pct(counts[kind] / total if total else None) for kind in TYPES)]


def _leaders(domains: Counter, size: int = 3) -> list[str]:
    """The `size` domains with most prescriptions (ties by ROME letter), with their share."""
    total = sum(domains.values())
    ranked = sorted((item for item in domains.items() if item[1]),
                    key=lambda item: (-item[1], item[0][0]))[:size]  # fmt: skip
    cells = [f"{escape(label)} ({fr_pct(count / total)})" for (_, label), count in ranked]
    return cells + ["—"] * (size - len(cells))


def _france_domains(france: dict[str, dict[str, Counter]]) -> str:
    """Every domain of the month, France entière, in ROME order (unknown last), per source."""
    found = {domain for sums in france.values() for domain in (*sums["domaines_p"],
                                                                *sums["domaines_e"])}  # fmt: skip
    domains = sorted(found, key=lambda domain: (domain[0] == NON_RENSEIGNE, domain[0]))
    shares: dict[str, list[float | None]] = {}
    for source, sums in france.items():
        total = sum(sums["domaines_p"].values())
        shares[source] = [sums["domaines_p"][d] / total if total else None for d in domains]
    title = "Part de chaque grand domaine ROME dans les prescriptions de moins de 30 ans"
    html = ["<h3>Grands domaines ROME visés, France entière</h3>",
            domains_chart([label for _, label in domains], shares, title)]  # fmt: skip
    body = [[escape(label), *(cell for source, sums in france.items() for cell in (
                fr_int(sums["domaines_p"][domain]), fr_pct(shares[source][index]),
                fr_int(sums["domaines_e"][domain])))]
            for index, domain in enumerate(domains) for label in (domain[1],)]  # fmt: skip
    over = [("", 1), *((SHORT_SOURCES.get(source, source), 3) for source in france)]
    head = ["Grand domaine ROME", *(["Prescriptions", "Part", "Entrées"] * len(france))]
    html.append(table(head, body, raw=True, over=over))
    return "\n".join(html)
