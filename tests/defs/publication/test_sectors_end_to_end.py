"""Contract §9 through real Dagster runs: the sectors file in the landing folder, the
published `prescriptions_secteurs_avenir`, its manifest entries and the report's section.

The fixture (hand-written, every expected row worked out by hand below):
- sectors file V1: a national list H < H15 < H152 (+ a typo `M19` no code begins), region
  84's own list (J15) replacing it, region 02 written `2` (M18);
- sectors file V2: only the lists of 84 and 02 (11 and 93 then have no list);
- March: AIS a1 H1520 (11), a2 h1501 (11), a3 H2201 (11, entered 2021-04-05), a4 H1520
  (84), a5 J1501 PRE_QUALIFIANTE (84), a6 M1805 (Martinique, 02), a7 no code (11), a8
  ANNULEE (93), a9 J1501 aged 28 (93); I-Milo m1 H1520 (11), m2 J1502 (84, entered in March);
- April: AIS b1 H1530 (11); I-Milo n1 M1805 (02);
- January and February: one prescription each per source, counted in neither month here.
"""

import csv
import json

import dagster as dg
import pytest
from feeds import IMILO_HEADER, OBJECTIVES_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file
from frictionless_check import validation_errors

from otp_pipeline.definitions import defs
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.runner import RANGE_END, RANGE_START

SECTORS_HEADER = "code_region;code_secteur;libelle_secteur;prefixe_rome"
V1 = [SECTORS_HEADER, "*;INDUSTRIE;Industrie;H", "*;METALLURGIE;Métallurgie;H15",
      "* ; soudure ; Soudure ;h152", "*;NUMERIQUE;Numérique;M19", "84;SOIN;Soin;J15",
      "2;numerique;Numérique;m18"]  # fmt: skip
V2 = [SECTORS_HEADER, "84;SOIN;Soin;J15", "02;NUMERIQUE;Numérique;M18"]
YOUNG, OLDER = "01/01/2000", "01/01/1993"

MARCH_AIS = [
    ais_row(id_ais="a1", departement="75", rome="H1520"),
    ais_row(id_ais="a2", departement="75", rome="h1501"),
    ais_row(id_ais="a3", departement="75", rome="H2201", statut="ENTREE", entree="05/04/2021"),
    ais_row(id_ais="a4", departement="69", rome="H1520"),
    ais_row(id_ais="a5", departement="69", rome="J1501", type_formation="PRE_QUALIFIANTE"),
    ais_row(id_ais="a6", departement="972", rome="M1805"),
    ais_row(id_ais="a7", departement="75", rome=""),
    ais_row(id_ais="a8", departement="13", rome="H1520", statut="ANNULEE"),
    ais_row(id_ais="a9", departement="13", rome="J1501", naissance=OLDER),
]
MARCH_IMILO = [
    imilo_row(id_prescription="m1", departement="75", rome="H1520"),
    imilo_row(id_prescription="m2", departement="69", rome="J1502", statut="ENTREE",
              entree="2021-03-20"),
]  # fmt: skip
APRIL_AIS = [ais_row(id_ais="b1", departement="75", rome="H1530", prescription="10/04/2021")]
APRIL_IMILO = [imilo_row(id_prescription="n1", departement="972", rome="M1805",
                         prescription="2021-04-10")]  # fmt: skip

Q, PQ, M26 = "QUALIFIANTE", "PRE_QUALIFIANTE", "MOINS_26"
IDF, ARA, MART, PACA = (
    "Île-de-France",
    "Auvergne-Rhône-Alpes",
    "Martinique",
    ("Provence-Alpes-Côte d'Azur"),
)
# (code_region, libelle_region, source, type_formation, code_secteur, libelle_secteur,
#  tranche_age, nb_prescriptions, nb_entrees), in the contract's sort order.
MARCH = [
    ("02", MART, "SI_PE", Q, "NUMERIQUE", "Numérique", M26, 1, 0),  # a6, 02's own M18
    ("11", IDF, "IMILO", Q, "SOUDURE", "Soudure", M26, 1, 0),  # m1
    ("11", IDF, "SI_PE", Q, "INDUSTRIE", "Industrie", M26, 1, 0),  # a3: only H begins H2201
    ("11", IDF, "SI_PE", Q, "METALLURGIE", "Métallurgie", M26, 1, 0),  # a2: H15 is the longest
    ("11", IDF, "SI_PE", Q, "NON_RENSEIGNE", None, M26, 1, 0),  # a7: no code
    ("11", IDF, "SI_PE", Q, "SOUDURE", "Soudure", M26, 1, 0),  # a1: H152 is the longest
    ("84", ARA, "IMILO", Q, "SOIN", "Soin", M26, 1, 1),  # m2, prescribed and entered in March
    ("84", ARA, "SI_PE", PQ, "SOIN", "Soin", M26, 1, 0),  # a5
    ("84", ARA, "SI_PE", Q, "HORS_LISTE", None, M26, 1, 0),  # a4: 84's list replaces `*`
    ("93", PACA, "SI_PE", Q, "HORS_LISTE", None, "26_29", 1, 0),  # a9 (a8 is ANNULEE)
]
# April run with V2: region 11 has no list any more, whichever month's file a row came from.
APRIL_V2 = [
    ("02", MART, "IMILO", Q, "NUMERIQUE", "Numérique", M26, 1, 0),  # n1
    ("11", IDF, "SI_PE", Q, "HORS_LISTE", None, M26, 1, 1),  # b1, and a3's entry
]
# April in one range run with March, with V1: each month as of itself, the same file.
APRIL_V1 = [
    ("02", MART, "IMILO", Q, "NUMERIQUE", "Numérique", M26, 1, 0),
    ("11", IDF, "SI_PE", Q, "INDUSTRIE", "Industrie", M26, 0, 1),  # a3's entry, H
    ("11", IDF, "SI_PE", Q, "METALLURGIE", "Métallurgie", M26, 1, 0),  # b1, H15
]


def write_landing(landing, sectors: list[str] | None) -> OtpSettings:
    for month in ("2021-01", "2021-02"):  # every month from 2021-01 is delivered (§6)
        write_file(
            landing / "si_pe" / f"ais_{month}.csv",
            [SI_PE_HEADER, ais_row(id_ais=f"x{month}", prescription=f"10/{month[5:]}/2021")],
        )
        write_file(
            landing / "imilo" / f"imilo_{month}.csv",
            [IMILO_HEADER, imilo_row(id_prescription=f"y{month}", prescription=f"{month}-10")],
        )
    write_file(landing / "si_pe" / "ais_2021-03.csv", [SI_PE_HEADER, *MARCH_AIS])
    write_file(landing / "imilo" / "imilo_2021-03.csv", [IMILO_HEADER, *MARCH_IMILO])
    write_file(landing / "si_pe" / "ais_2021-04.csv", [SI_PE_HEADER, *APRIL_AIS])
    write_file(landing / "imilo" / "imilo_2021-04.csv", [IMILO_HEADER, *APRIL_IMILO])
    periods = [f"{region};2021-01;2021-12;120;10;60;48" for region in ("11", "84", "93", "02")]
    write_file(landing / "objectifs" / "objectifs_otp.csv", [OBJECTIVES_HEADER, *periods])
    if sectors is not None:
        write_file(landing / "objectifs" / "secteurs_avenir.csv", sectors)
    root = landing.parent
    return OtpSettings(
        landing_dir=str(landing), publish_dir=str(root / "published"),
        warehouse=str(root / "warehouse" / "otp.duckdb"),
    )  # fmt: skip


def run(settings: OtpSettings, instance, first: str, last: str | None = None):
    job = defs.resolve_job_def("otp_monthly")
    if last is None:
        return job.execute_in_process(partition_key=first, instance=instance,
                                      resources={"otp": settings}, raise_on_error=False)  # fmt: skip
    return job.execute_in_process(
        tags={RANGE_START: first, RANGE_END: last}, instance=instance,
        resources={"otp": settings}, raise_on_error=False,
    )  # fmt: skip


def published_rows(folder, month: str) -> list[tuple]:
    with open(folder / month / "prescriptions_secteurs_avenir.csv", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle, delimiter=";"))
    assert header == ["mois", "code_region", "libelle_region", "source", "type_formation",
                      "code_secteur", "libelle_secteur", "tranche_age", "nb_prescriptions",
                      "nb_entrees"]  # fmt: skip
    assert {row[0] for row in rows} <= {month}
    return [(*row[1:6], row[6] or None, row[7], int(row[8]), int(row[9])) for row in rows]


def manifest(folder, month: str) -> dict:
    return json.loads((folder / month / "manifest.json").read_text(encoding="utf-8"))


def _metadata(instance, month: str) -> dict:
    [record] = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(["raw", "secteurs_avenir"]),
                              asset_partitions=[month]), limit=5,
    ).records  # fmt: skip
    return {k: v.value for k, v in record.asset_materialization.metadata.items()}


@pytest.fixture(scope="module")
def monthly(tmp_path_factory):
    """March run with V1, then the file replaced by V2, then April run."""
    root = tmp_path_factory.mktemp("sectors_monthly")
    settings = write_landing(root / "landing", V1)
    with dg.DagsterInstance.ephemeral() as instance:
        march = run(settings, instance, "2021-03")
        metadata = _metadata(instance, "2021-03")
        write_file(root / "landing" / "objectifs" / "secteurs_avenir.csv", V2)
        april = run(settings, instance, "2021-04")
    return {"root": root, "march": march, "april": april, "metadata": metadata}


def test_both_months_run(monthly):
    assert monthly["march"].success and monthly["april"].success


def test_longest_prefix_of_the_regions_list_wins(monthly):
    assert published_rows(monthly["root"] / "published", "2021-03") == MARCH


def test_the_file_as_it_stands_when_the_month_runs_applies_to_every_row_counted(monthly):
    """April's entry of a March prescription (a3) is classified with the file of April's
    run; region 11, without a list then, is HORS_LISTE; March keeps what its run gave."""
    folder = monthly["root"] / "published"
    assert published_rows(folder, "2021-04") == APRIL_V2
    assert published_rows(folder, "2021-03") == MARCH


def test_sums_over_sectors_equal_those_over_domains(monthly):
    folder = monthly["root"] / "published"
    for month in ("2021-03", "2021-04"):

        def sums(table, month=month):
            with open(folder / month / f"{table}.csv", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle, delimiter=";"))
            totals = {}
            for row in rows:
                key = (row["code_region"], row["source"], row["type_formation"], row["tranche_age"])
                p, e = totals.get(key, (0, 0))
                totals[key] = (p + int(row["nb_prescriptions"]), e + int(row["nb_entrees"]))
            return totals

        assert sums("prescriptions_secteurs_avenir") == sums("prescriptions_par_formation")


def test_manifest_names_the_file_and_the_unmatched_prefixes(monthly):
    folder = monthly["root"] / "published"
    march, april = manifest(folder, "2021-03"), manifest(folder, "2021-04")
    assert march["secteurs_avenir"]["file"] == "secteurs_avenir.csv"
    assert march["secteurs_avenir"]["rows"] == 6 and len(march["secteurs_avenir"]["sha256"]) == 64
    assert april["secteurs_avenir"]["rows"] == 2
    assert april["secteurs_avenir"]["sha256"] != march["secteurs_avenir"]["sha256"]
    assert march["listes_secteurs_avenir"] == {
        "*": {"prefixes": 4, "prefixes_sans_correspondance": ["M19"]},
        "02": {"prefixes": 1, "prefixes_sans_correspondance": []},
        "84": {"prefixes": 1, "prefixes_sans_correspondance": []},
    }
    # No row of 84 counted in April: its J15 matched nothing that month.
    assert april["listes_secteurs_avenir"] == {
        "02": {"prefixes": 1, "prefixes_sans_correspondance": []},
        "84": {"prefixes": 1, "prefixes_sans_correspondance": ["J15"]},
    }
    assert march["tables"]["prescriptions_secteurs_avenir"] == len(MARCH)
    checks = {c["check"]: c["passed"] for c in march["controles_qualite"]}
    assert checks["gx_prescriptions_secteurs_avenir"] is True


def test_the_sectors_codes_and_labels_are_the_table_schemas_enums(monthly):
    """datapackage.json: code_secteur takes the file's codes plus HORS_LISTE and
    NON_RENSEIGNE, libelle_secteur its labels; frictionless validates both months."""
    folder = monthly["root"] / "published"
    for month, codes, labels in (
        ("2021-03", ["HORS_LISTE", "INDUSTRIE", "METALLURGIE", "NON_RENSEIGNE", "NUMERIQUE",
                     "SOIN", "SOUDURE"],
         ["Industrie", "Métallurgie", "Numérique", "Soin", "Soudure"]),
        ("2021-04", ["HORS_LISTE", "NON_RENSEIGNE", "NUMERIQUE", "SOIN"], ["Numérique", "Soin"]),
    ):  # fmt: skip
        package = json.loads((folder / month / "datapackage.json").read_text(encoding="utf-8"))
        [resource] = [r for r in package["resources"]
                      if r["name"] == "prescriptions_secteurs_avenir-csv"]  # fmt: skip
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        assert fields["code_secteur"]["constraints"]["enum"] == codes
        assert fields["libelle_secteur"]["constraints"]["enum"] == labels
        assert validation_errors(folder / month) == []


def test_partition_metadata_shows_the_file_and_its_lists(monthly):
    metadata = monthly["metadata"]
    assert metadata["file"] == "secteurs_avenir.csv" and len(metadata["sha256"]) == 64
    assert metadata["prefixes_per_list"] == {"*": 4, "02": 1, "84": 1}
    assert metadata["regions_with_own_list"] == ["02", "84"]
    assert "11" in metadata["regions_on_national_list"]
    assert len(metadata["regions_on_national_list"]) == 16
    assert metadata["regions_without_list"] == []


def test_report_names_the_lists_and_says_pas_de_liste(monthly):
    folder = monthly["root"] / "published"
    march = (folder / "2021-03" / "rapport.html").read_text(encoding="utf-8")
    april = (folder / "2021-04" / "rapport.html").read_text(encoding="utf-8")
    section = april[april.index("5. Secteurs d'avenir") :]
    row_11 = section[section.index("11 — Île-de-France") :].split("</tr>")[0]
    assert "pas de liste" in row_11 and "%" not in row_11
    row_02 = section[section.index("02 — Martinique") :].split("</tr>")[0]
    assert "régionale" in row_02
    assert 'id="graphique-secteurs"' in march
    march_section = march[march.index("5. Secteurs d'avenir") :]
    row_93 = march_section[march_section.index("93 — Provence") :].split("</tr>")[0]
    assert "nationale" in row_93


@pytest.fixture(scope="module")
def ranged(tmp_path_factory):
    root = tmp_path_factory.mktemp("sectors_range")
    settings = write_landing(root / "landing", V1)
    with dg.DagsterInstance.ephemeral() as instance:
        result = run(settings, instance, "2021-03", "2021-04")
    return root, result


def test_a_range_run_classifies_each_month_as_of_itself(ranged):
    root, result = ranged
    assert result.success
    assert published_rows(root / "published", "2021-03") == MARCH
    assert published_rows(root / "published", "2021-04") == APRIL_V1


def test_without_a_file_every_region_has_no_list(tmp_path):
    settings = write_landing(tmp_path / "landing", None)
    with dg.DagsterInstance.ephemeral() as instance:
        assert run(settings, instance, "2021-03").success
    folder = tmp_path / "published"
    rows = published_rows(folder, "2021-03")
    assert {row[4] for row in rows} == {"HORS_LISTE", "NON_RENSEIGNE"}
    assert sum(row[7] for row in rows) == 10  # every prescription counted in March
    march = manifest(folder, "2021-03")
    assert march["secteurs_avenir"] is None and march["listes_secteurs_avenir"] is None
    report = (folder / "2021-03" / "rapport.html").read_text(encoding="utf-8")
    assert "pas de liste, pour aucune région" in report


def test_a_broken_sectors_file_fails_the_month_and_publishes_nothing(tmp_path):
    broken = [SECTORS_HEADER, "*;SOIN;Soin;J15", "*;SOINS;Soins;j15"]
    settings = write_landing(tmp_path / "landing", broken)
    with dg.DagsterInstance.ephemeral() as instance:
        result = run(settings, instance, "2021-03")
    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    message = failure.step_failure_data.user_failure_data.description
    assert "objectifs/secteurs_avenir.csv, line 3" in message and "J15 appears twice" in message
    assert not (tmp_path / "published" / "2021-03").exists()
