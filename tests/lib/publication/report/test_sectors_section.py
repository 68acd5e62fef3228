"""The report's section "Secteurs d'avenir" (contract §9), on hand-made rows: shares of the
qualifying and pre-qualifying under-30s, per source, in the month and since the period's
start; "pas de liste" where a region has none, never 0 %."""

import re
from html import unescape

import pyarrow as pa
import pyarrow.parquet as pq

from otp_pipeline.lib.publication.report.sectors import region_lists, sectors_section
from otp_pipeline.lib.publication.tables import TABLES

MANIFEST = {
    "secteurs_avenir": {"file": "secteurs_avenir.csv", "sha256": "0" * 64, "rows": 3},
    "listes_secteurs_avenir": {
        "*": {"prefixes": 1, "prefixes_sans_correspondance": []},
        "84": {"prefixes": 2, "prefixes_sans_correspondance": []},
    },
}
SUIVI = [
    {"code_region": "11", "libelle_region": "Île-de-France", "periode_debut": "2021-02"},
    {"code_region": "84", "libelle_region": "Auvergne-Rhône-Alpes", "periode_debut": "2021-03"},
]


def row(month, region, source, kind, sector, age, p, e, label=None):
    names = {"11": "Île-de-France", "84": "Auvergne-Rhône-Alpes"}
    return {"mois": month, "code_region": region, "libelle_region": names[region],
            "source": source, "type_formation": kind, "code_secteur": sector,
            "libelle_secteur": label, "tranche_age": age, "nb_prescriptions": p,
            "nb_entrees": e}  # fmt: skip


# March, region 84 SI PE: in the field 3 toward SOIN + 1 HORS_LISTE + 1 NON_RENSEIGNE = 5,
# so 60 %; the 30_PLUS and AUTRE rows are outside the field. Region 11 SI PE: 1 of 4.
MARCH = [
    row("2021-03", "84", "SI_PE", "QUALIFIANTE", "SOIN", "MOINS_26", 2, 1, "Soin"),
    row("2021-03", "84", "SI_PE", "PRE_QUALIFIANTE", "SOIN", "26_29", 1, 0, "Soin"),
    row("2021-03", "84", "SI_PE", "QUALIFIANTE", "HORS_LISTE", "MOINS_26", 1, 1),
    row("2021-03", "84", "SI_PE", "QUALIFIANTE", "NON_RENSEIGNE", "MOINS_26", 1, 0),
    row("2021-03", "84", "SI_PE", "QUALIFIANTE", "SOIN", "30_PLUS", 7, 0, "Soin"),
    row("2021-03", "84", "SI_PE", "AUTRE", "SOIN", "MOINS_26", 9, 0, "Soin"),
    row("2021-03", "11", "SI_PE", "QUALIFIANTE", "INDUSTRIE", "MOINS_26", 1, 0, "Industrie"),
    row("2021-03", "11", "SI_PE", "QUALIFIANTE", "HORS_LISTE", "MOINS_26", 3, 0),
]
# February, published earlier: in 11's period (from 2021-02), not in 84's (from 2021-03).
FEBRUARY = [
    row("2021-02", "11", "SI_PE", "QUALIFIANTE", "INDUSTRIE", "MOINS_26", 3, 0, "Industrie"),
    row("2021-02", "11", "SI_PE", "QUALIFIANTE", "HORS_LISTE", "MOINS_26", 1, 0),
    row("2021-02", "84", "SI_PE", "QUALIFIANTE", "SOIN", "MOINS_26", 5, 0, "Soin"),
]


def cells(html: str, label: str, source: str) -> list[str]:
    """The text of the cells of the share table's row for `label` and `source`."""
    for line in html.splitlines():
        found = [
            unescape(re.sub("<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", line)
        ]
        if found[:2] == [label, source]:
            return found
    raise AssertionError(f"no row {label} {source}")


def earlier_folder(tmp_path):
    folder = tmp_path / "2021-02"
    folder.mkdir()
    table = pa.Table.from_pylist(
        FEBRUARY, schema=TABLES["prescriptions_secteurs_avenir"].arrow_schema
    )
    pq.write_table(table, folder / "prescriptions_secteurs_avenir.parquet")
    return folder


def test_region_lists_own_or_national():
    regions = {"11": "Île-de-France", "84": "Auvergne-Rhône-Alpes"}
    assert region_lists(MANIFEST, regions) == {"11": "*", "84": "84"}
    only_84 = {**MANIFEST, "listes_secteurs_avenir": {"84": {}}}
    assert region_lists(only_84, regions) == {"84": "84"}


def test_shares_in_the_month_and_since_the_period_start(tmp_path):
    html = sectors_section("2021-03", MARCH, MANIFEST, SUIVI, [earlier_folder(tmp_path)])
    # 84: month 3 of 5 (60 %); its period starts in March, so February is not added.
    # Entries in the field: 1 toward SOIN of 2.
    assert cells(html, "84 — Auvergne-Rhône-Alpes", "SI PE")[2:] == [
        "régionale",
        "3",
        "60,0\xa0%",
        "3",
        "60,0\xa0%",
        "1",
        "50,0\xa0%",
        "1",
        "50,0\xa0%",
    ]
    # 11: month 1 of 4 (25 %); since February 1 + 3 of 4 + 4 (50 %); no entry: "—".
    assert cells(html, "11 — Île-de-France", "SI PE")[2:] == [
        "nationale",
        "1",
        "25,0\xa0%",
        "4",
        "50,0\xa0%",
        "0",
        "—",
        "0",
        "—",
    ]
    # France entière adds the regions with a list: 4 of 9 in the month, 7 of 13 cumulated.
    assert cells(html, "France entière", "SI PE")[3:7] == ["4", "44,4\xa0%", "7", "53,8\xa0%"]
    assert 'id="graphique-secteurs"' in html


def test_a_region_without_a_list_reads_pas_de_liste(tmp_path):
    only_84 = {**MANIFEST, "listes_secteurs_avenir": {"84": {"prefixes": 2}}}
    html = sectors_section("2021-03", MARCH, only_84, SUIVI, [])
    row_11 = cells(html, "11 — Île-de-France", "SI PE")
    assert row_11[2:] == ["pas de liste"] * 9
    assert not any("%" in cell for cell in row_11)


def test_no_file_no_list_anywhere():
    html = sectors_section("2021-03", MARCH, {"secteurs_avenir": None}, SUIVI, [])
    assert "pas de liste, pour aucune région" in html and "%" not in html


def test_sector_by_sector_table(tmp_path):
    html = sectors_section("2021-03", MARCH, MANIFEST, SUIVI, [earlier_folder(tmp_path)])
    part = html[html.index("Secteur par secteur") :]
    assert cells(part, "11 — Île-de-France", "SI PE")[2:] == ["Industrie", "1", "25,0\xa0%", "4",
                                                              "50,0\xa0%"]  # fmt: skip
