"""Contract §9, the sectors file as read: one test per rule and per structural error, on
small hand-written files (the first fault in file order is the one named)."""

import logging
import os

import pytest
from feeds import write_file

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.landing import objectives_file, sectors_file
from otp_pipeline.lib.ingestion.sectors import SectorRow, read_sectors
from otp_pipeline.lib.warehouse import region_codes, rome_domain_codes

HEADER = "code_region;code_secteur;libelle_secteur;prefixe_rome"


def read(tmp_path, *lines, name="secteurs_avenir.csv", **options):
    path = write_file(tmp_path / "objectifs" / name, list(lines), **options)
    return read_sectors(path, region_codes(), rome_domain_codes())


def fails(tmp_path, *lines, **options) -> StructuralError:
    with pytest.raises(StructuralError) as caught:
        read(tmp_path, *lines, **options)
    assert caught.value.file == "objectifs/secteurs_avenir.csv" or caught.value.file.endswith(".gz")
    return caught.value


def test_values_are_trimmed_padded_and_upper_cased(tmp_path):
    sectors = read(
        tmp_path, HEADER, " 2 ; agri ;  Agriculture  ; a14 ", "*;NUMERIQUE;Numérique;M18"
    )
    assert sectors.rows == (
        SectorRow(2, "02", "AGRI", "Agriculture", "A14"),
        SectorRow(3, "*", "NUMERIQUE", "Numérique", "M18"),
    )
    assert sectors.prefixes_per_list() == {"*": 1, "02": 1}
    assert len(sectors.sha256) == 64


def test_headers_case_insensitive_in_any_order_extra_columns_ignored(tmp_path):
    sectors = read(tmp_path, " Prefixe_Rome ;commentaire;CODE_REGION;libelle_secteur;code_secteur",
                   "J15;à revoir;84;Soin;SOIN")  # fmt: skip
    assert sectors.rows == (SectorRow(2, "84", "SOIN", "Soin", "J15"),)


def test_bom_gzip_and_blank_lines(tmp_path):
    sectors = read(tmp_path, HEADER, "", "   ", "84;SOIN;Soin;J15", name="secteurs_avenir.csv.gz",
                   bom=True, gz=True)  # fmt: skip
    assert sectors.rows == (SectorRow(4, "84", "SOIN", "Soin", "J15"),)


def test_a_line_of_separators_is_a_data_row(tmp_path):
    error = fails(tmp_path, HEADER, "84;SOIN;Soin;J15", ";;;")
    assert (error.line, error.problem) == (3, "missing value in column code_region")


@pytest.mark.parametrize("prefix", ["F", "M18", "J1501", "n4"])
def test_prefix_is_a_domain_letter_and_zero_to_four_digits(tmp_path, prefix):
    assert read(tmp_path, HEADER, f"*;X;X;{prefix}").rows[0].prefixe_rome == prefix.upper()


@pytest.mark.parametrize("prefix", ["Z12", "O", "J15011", "J1A", "15", "J 15", "J１5"])
def test_bad_prefix_is_a_structural_error(tmp_path, prefix):
    error = fails(tmp_path, HEADER, "*;SOIN;Soin;J", f"*;X;X;{prefix}")
    assert error.line == 3 and "prefixe_rome" in error.problem


@pytest.mark.parametrize("code", ["NUMÉRIQUE", "BTP-ENR", "SOIN SANTE"])
def test_bad_code_is_a_structural_error(tmp_path, code):
    error = fails(tmp_path, HEADER, f"*;{code};X;J15")
    assert error.line == 2 and "code_secteur" in error.problem


@pytest.mark.parametrize("code", ["HORS_LISTE", "non_renseigne"])
def test_reserved_code_is_a_structural_error(tmp_path, code):
    error = fails(tmp_path, HEADER, f"*;{code};X;J15")
    assert error.line == 2 and "reserved" in error.problem


@pytest.mark.parametrize("region", ["99", "2B", "00", "1 1"])
def test_unknown_region_is_a_structural_error(tmp_path, region):
    error = fails(tmp_path, HEADER, f"{region};SOIN;Soin;J15")
    assert error.line == 2 and "unknown region" in error.problem


def test_prefix_twice_in_one_list_names_its_second_line(tmp_path):
    error = fails(tmp_path, HEADER, "84;SOIN;Soin;J15", "84;SOIN;Soin;J13", "84;SOIN;Soin;j15")
    assert error.line == 4 and "J15 appears twice in the list 84" in error.problem


def test_identical_rows_are_still_a_prefix_twice(tmp_path):
    assert fails(tmp_path, HEADER, "*;SOIN;Soin;J15", "*;SOIN;Soin;J15").line == 3


def test_padded_and_unpadded_region_are_one_list(tmp_path):
    assert fails(tmp_path, HEADER, "2;SOIN;Soin;J15", "02;SOIN;Soin;J15").line == 3


def test_same_prefix_in_two_lists_is_allowed(tmp_path):
    assert len(read(tmp_path, HEADER, "*;SOIN;Soin;J15", "84;SOIN;Soin;J15").rows) == 2


def test_a_code_with_two_labels_in_the_whole_file(tmp_path):
    error = fails(tmp_path, HEADER, "*;SOIN;Soin;J15", "84;soin;Soins;J13")
    assert error.line == 3 and "SOIN has two labels" in error.problem


def test_labels_compare_exactly_after_trimming(tmp_path):
    assert len(read(tmp_path, HEADER, "*;SOIN;Soin;J15", "84;SOIN; Soin ;J13").rows) == 2
    assert fails(tmp_path, HEADER, "*;SOIN;Soin;J15", "84;SOIN;soin;J13").line == 3


def test_missing_value(tmp_path):
    error = fails(tmp_path, HEADER, "84;SOIN;  ;J15")
    assert (error.line, error.problem) == (2, "missing value in column libelle_secteur")


def test_wrong_number_of_fields(tmp_path):
    error = fails(tmp_path, HEADER, "84;SOIN;Soin;J15;extra")
    assert error.line == 2 and "5 fields where the header has 4" in error.problem


def test_missing_column_and_column_twice(tmp_path):
    assert (
        "missing required column(s): prefixe_rome"
        in fails(tmp_path, "code_region;code_secteur;libelle_secteur", "84;SOIN;Soin").problem
    )
    assert (
        "appears twice" in fails(tmp_path, HEADER + ";Code_Region", "84;SOIN;Soin;J15;84").problem
    )


@pytest.mark.parametrize("lines", [[HEADER], [HEADER, "", "  "]])
def test_no_data_row(tmp_path, lines):
    assert fails(tmp_path, *lines).problem == "no data row"


def test_empty_file(tmp_path):
    path = tmp_path / "objectifs" / "secteurs_avenir.csv"
    path.parent.mkdir()
    path.write_bytes(b"")
    with pytest.raises(StructuralError, match="empty file"):
        read_sectors(path, region_codes(), rome_domain_codes())


def test_first_fault_in_file_order_is_named(tmp_path):
    error = fails(tmp_path, HEADER, "*;SOIN;Soin;J15", "99;X;X;J13", "*;SOIN;Soin;J15")
    assert error.line == 3 and "unknown region" in error.problem


def test_undecodable_bytes(tmp_path):
    error = fails(tmp_path, HEADER, "*;SOIN;Soin é;J15", encoding="cp1252")
    assert error.file == "objectifs/secteurs_avenir.csv"


def test_file_is_optional(tmp_path):
    (tmp_path / "objectifs").mkdir()
    assert sectors_file(tmp_path) is None


def test_both_csv_and_gz_is_a_structural_error(tmp_path):
    write_file(tmp_path / "objectifs" / "secteurs_avenir.csv", [HEADER, "*;SOIN;Soin;J15"])
    write_file(tmp_path / "objectifs" / "secteurs_avenir.csv.gz", [HEADER], gz=True)
    with pytest.raises(StructuralError, match="twice"):
        sectors_file(tmp_path)


def test_a_folder_or_a_link_of_that_name_is_no_file(tmp_path, caplog):
    target = write_file(tmp_path / "elsewhere.csv", [HEADER, "*;SOIN;Soin;J15"])
    (tmp_path / "objectifs").mkdir()
    os.symlink(target, tmp_path / "objectifs" / "secteurs_avenir.csv")
    (tmp_path / "objectifs" / "secteurs_avenir.csv.gz").mkdir()
    with caplog.at_level(logging.WARNING):
        assert sectors_file(tmp_path) is None
    assert "ignored in landing folder objectifs/: secteurs_avenir.csv" in caplog.text


def test_the_sectors_file_is_not_an_ignored_entry_for_the_objectives(tmp_path, caplog):
    write_file(tmp_path / "objectifs" / "objectifs_otp.csv", ["x"])
    write_file(tmp_path / "objectifs" / "secteurs_avenir.csv", [HEADER, "*;SOIN;Soin;J15"])
    write_file(tmp_path / "objectifs" / "notes.txt", ["x"])
    with caplog.at_level(logging.WARNING):
        assert objectives_file(tmp_path).name == "objectifs_otp.csv"
        assert sectors_file(tmp_path).name == "secteurs_avenir.csv"
    assert "secteurs_avenir" not in caplog.text and caplog.text.count("notes.txt") == 2
