"""Contract §4: the objectives file, checked strictly; every fault a structural error."""

import logging

import pytest
from feeds import OBJECTIVES_HEADER, query, write_file

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.landing import objectives_file
from otp_pipeline.lib.ingestion.objectives import load_objectives, read_objectives
from otp_pipeline.lib.warehouse import connect, ensure_raw_schema, region_codes


def _read(landing, lines, **kwargs):
    write_file(landing / "objectifs" / ("objectifs_otp.csv" + (".gz" if kwargs.get("gz") else "")),
               lines, **kwargs)  # fmt: skip
    return read_objectives(objectives_file(landing), region_codes())


def test_objectives_load_with_padding_bom_and_any_column_order(landing, warehouse):
    names = OBJECTIVES_HEADER.split(";")
    header = ";".join(f" {name.upper()} " for name in reversed(names))
    rows = _read(landing, [header, "30;50;100;1000;2022-12;2021-01;84", "5;8;0;20;2021-12;2021-01;1",
                           "2;3;4;5;2022-12;2022-01;01"], bom=True)  # fmt: skip
    with connect(warehouse) as con:
        ensure_raw_schema(con)
        report = load_objectives(con, objectives_file(landing), rows)
    assert (report.periods, report.regions) == (3, 2)
    assert query(
        warehouse,
        "select * exclude (source_file, sha256, loaded_at) from raw.objectifs_otp order by 1, 2",
    ) == [  # fmt: skip
        ("01", "2021-01", "2021-12", 20, 0, 8, 5),
        ("01", "2022-01", "2022-12", 5, 4, 3, 2),
        ("84", "2021-01", "2022-12", 1000, 100, 50, 30),
    ]


def test_gzip_objectives_file_is_read(landing):
    assert len(_read(landing, [OBJECTIVES_HEADER, "84;2021-01;2021-12;10;1;5;5"], gz=True)) == 1


def test_missing_objectives_file_is_structural(landing):
    with pytest.raises(
        StructuralError, match="objectifs/objectifs_otp.csv: objectives file missing"
    ):
        objectives_file(landing)


@pytest.mark.parametrize(
    "line, problem",
    [
        ("99;2021-01;2021-12;10;1;5;5", "line 3: unknown region code '99'"),
        (
            "84;2021-01;2021-12;10.5;1;5;5",
            "line 3: objectif_entrees_moins_30 '10.5' is not a whole",
        ),
        ("84;2021-01;2021-12;-1;1;5;5", "line 3: objectif_entrees_moins_30 '-1' is not a whole"),
        ("84;2021-01;2021-12;10;;5;5", "line 3: missing value in column dont_volume_socle"),
        ("84;2021-1;2021-12;10;1;5;5", "line 3: periode_debut '2021-1' is not a month"),
        ("84;2021-06;2021-05;10;1;5;5", "line 3: periode_debut is after periode_fin"),
        ("84;2021-01;2021-12;10;1;5", "line 3: 6 fields where the header has 7"),
        ("11;2021-06;2022-05;10;1;5;5", "line 3: periods of region 11 overlap"),
    ],
    ids=[
        "unknown_region",
        "decimal",
        "negative",
        "empty_value",
        "bad_month",
        "reversed_period",
        "field_count",
        "overlapping_periods",
    ],  # fmt: skip
)
def test_objectives_fault_is_structural_naming_file_and_line(landing, line, problem):
    with pytest.raises(StructuralError, match="objectifs/objectifs_otp.csv, " + problem):
        _read(landing, [OBJECTIVES_HEADER, "11;2021-01;2021-12;10;1;5;5", line])


def test_adjacent_periods_do_not_overlap(landing):
    lines = [OBJECTIVES_HEADER, "11;2021-01;2021-12;10;1;5;5", "11;2022-01;2022-12;10;1;5;5"]
    assert len(_read(landing, lines)) == 2


def test_objectives_missing_column_and_header_only_are_structural(landing):
    with pytest.raises(StructuralError, match="line 1: missing required column"):
        _read(landing, [OBJECTIVES_HEADER.replace(";dont_volume_socle", ""), "11;2021-01"])
    with pytest.raises(StructuralError, match="no data row"):
        _read(landing, [OBJECTIVES_HEADER])


def test_other_entries_of_the_objectives_folder_are_ignored_and_logged(landing, caplog):
    write_file(
        landing / "objectifs" / "objectifs_otp.csv",
        [OBJECTIVES_HEADER, "84;2021-01;2021-12;10;1;5;5"],
    )
    write_file(landing / "objectifs" / "objectifs_otp_2022.csv", [OBJECTIVES_HEADER])
    (landing / "objectifs" / "archives").mkdir()
    with caplog.at_level(logging.WARNING):
        assert objectives_file(landing).name == "objectifs_otp.csv"
    assert "objectifs_otp_2022.csv" in caplog.text and "archives" in caplog.text


def test_objectives_link_is_ignored_and_the_file_is_missing(landing, tmp_path, caplog):
    target = write_file(
        tmp_path / "elsewhere.csv", [OBJECTIVES_HEADER, "84;2021-01;2021-12;10;1;5;5"]
    )
    (landing / "objectifs" / "objectifs_otp.csv").symlink_to(target)
    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(StructuralError, match="objectives file missing"),
    ):
        objectives_file(landing)
    assert "ignored in landing folder objectifs/: objectifs_otp.csv" in caplog.text


def test_objective_month_with_non_ascii_digits_is_structural(landing):
    with pytest.raises(StructuralError, match="line 2: periode_debut '２０２１-01' is not a month"):
        _read(landing, [OBJECTIVES_HEADER, "84;２０２１-01;2021-12;10;1;5;5"])
