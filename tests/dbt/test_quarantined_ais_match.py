"""A `numero_ais` pointing at a quarantined AIS matches nothing (contract §5: only a loaded,
non-quarantined si_pe entry matches): real ingestion of the files, then the real dbt build."""

from conftest import run_dbt_build
from feeds import (
    IMILO_HEADER,
    OBJECTIVES_HEADER,
    SI_PE_HEADER,
    ais_row,
    imilo_row,
    query,
    write_file,
)

from otp_pipeline.lib.ingestion.landing import objectives_file
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.ingestion.objectives import load_objectives, read_objectives
from otp_pipeline.lib.settings import IMILO, SI_PE
from otp_pipeline.lib.warehouse import connect, region_codes


def test_numero_ais_of_a_quarantined_ais_is_not_a_match(landing, warehouse, tmp_path):
    # AIS of January, Paris (region 11): A00 entered on 15/01 (born 15/06/2000: 20);
    # A01..A19 prescribed only; AIS-Q is an entry too but quarantined (department 96):
    # 1 of 21 rows quarantined, under the 5 % limit.
    ais = [ais_row(id_ais="A00", prescription="10/01/2021", statut="ENTREE", entree="15/01/2021")]
    ais += [ais_row(id_ais=f"A{i:02d}", prescription="10/01/2021") for i in range(1, 20)]
    ais += [ais_row(id_ais="AIS-Q", prescription="10/01/2021", statut="ENTREE",
                    entree="15/01/2021", departement="96")]  # fmt: skip
    write_file(landing / "si_pe" / "ais_2021-01.csv", [SI_PE_HEADER, *ais])
    # I-Milo entries of January: M-OK points at A00 (matched: counted once, on the AIS
    # side); M-Q points at the quarantined AIS-Q (no match: counted on the I-Milo side).
    milo = [
        imilo_row(id_prescription="M-OK", prescription="2021-01-12", statut="ENTREE",
                  entree="2021-01-20", numero_ais="A00"),
        imilo_row(id_prescription="M-Q", prescription="2021-01-12", statut="ENTREE",
                  entree="2021-01-20", numero_ais="AIS-Q"),
    ]  # fmt: skip
    write_file(landing / "imilo" / "imilo_2021-01.csv", [IMILO_HEADER, *milo])
    write_file(landing / "objectifs" / "objectifs_otp.csv",
               [OBJECTIVES_HEADER, "11;2021-01;2021-12;120;60;60;24"])  # fmt: skip
    with connect(warehouse) as con:
        assert load_month(con, SI_PE, landing, "2021-01", 5)[-1].rows_quarantined == 1
        load_month(con, IMILO, landing, "2021-01", 5)
        path = objectives_file(landing)
        load_objectives(con, path, read_objectives(path, region_codes()))
    build = run_dbt_build(warehouse, tmp_path, "2021-01", ("--exclude", "test_type:unit"))
    assert build.returncode == 0, build.stdout[-4000:]
    assert query(
        warehouse,
        "select id_prescription, mois_fichier_ais_apparie from int_entrees_matched "
        "where source = 'IMILO' order by 1",
    ) == [("M-OK", "2021-01"), ("M-Q", None)]
    # ENTREES_MOINS_30 = A00 (AIS side) + M-Q (unmatched) = 2; cumulated over 1 month = 2;
    # linear target 120 × 1 / 12 = 10.0; rate 2 / 120.
    assert query(
        warehouse,
        "select realise_mois, realise_cumule, taux_realisation, cible_lineaire, ecart_cible "
        "from suivi_otp where indicateur = 'ENTREES_MOINS_30'",
    ) == [(2, 2, 2 / 120, 10.0, -8.0)]
