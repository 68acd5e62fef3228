"""The demo landing generator: names, determinism, revision, injected faults, encodings.

Files are re-read here with a small, independent reading of contract §3/§6, so the
summary's promises (rows, duplicates, quarantine reasons) are checked against the bytes.
"""

import csv
import gzip
import io
import re
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from otp_pipeline.cli import main, parse_months
from otp_pipeline.lib.demo.landing import generate_landing
from otp_pipeline.lib.demo.population import (
    BADLY_FILLED_REGIONS,
    DEFAULT_REF_DIR,
    IMILO_PER_MONTH,
    monthly_volume,
)
from otp_pipeline.lib.ingestion.sectors import read_sectors
from otp_pipeline.lib.settings import (
    AGE_MAX,
    AGE_MIN,
    ENTRY_STATUTS,
    FEEDS,
    OBJECTIVES_COLUMNS,
    REASON_AGE,
    REASON_BAD_DATE,
    REASON_CONFLICTING_ID,
    REASON_ENTRY_BEFORE,
    REASON_FIELD_COUNT,
    REASON_MISSING,
    REASON_OUTSIDE_MONTH,
    REASON_UNKNOWN_DEPARTEMENT,
    REASON_UNKNOWN_STATUT,
    STATUTS,
    TYPES_PRESCRIPTEUR,
)
from otp_pipeline.lib.warehouse import region_codes, rome_domain_codes

MONTHS = ["2021-01", "2021-02", "2021-03"]
FILE_NAME = re.compile(r"^(ais|imilo)_(\d{4}-(0[1-9]|1[0-2]))(_r([2-9]|[1-9][0-9]+))?\.csv(\.gz)?$")
BOM = b"\xef\xbb\xbf"

with open(DEFAULT_REF_DIR / "ref_departements.csv", encoding="utf-8", newline="") as _handle:
    REGION_OF = {row["DEP"]: row["REG"] for row in csv.DictReader(_handle)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo") / "landing"
    return out, generate_landing(out, MONTHS, scale=0.02, seed=7)


def _decode(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    data = data.removeprefix(BOM)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def _records(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header (trimmed, lower case) and data records, blank lines skipped."""
    records = csv.reader(io.StringIO(_decode(path)[0], newline=""), delimiter=";")
    header = [name.strip().lower() for name in next(records)]
    return header, [r for r in records if len(r) > 1 or (r and r[0].strip())]


def _rows(path: Path) -> list[dict[str, str]]:
    """Trimmed data rows by column; rows with a wrong field count left out."""
    header, records = _records(path)
    return [
        dict(zip(header, (v.strip() for v in r), strict=True))
        for r in records
        if len(r) == len(header)
    ]


def _date(feed, text: str):
    if not re.fullmatch(feed.date_pattern, text):
        return None
    try:
        return datetime.strptime(text, feed.date_format).date()
    except ValueError:
        return None


def _reason(feed, month: str, row: dict) -> str | None:
    """The one fault of a row (the generator breaks one thing per row)."""
    for column in feed.required:
        if not row[column]:
            return f"{REASON_MISSING}:{column}"
    dates = {c: _date(feed, row[c]) for c in ("date_naissance", "date_prescription")}
    for column, value in dates.items():
        if value is None:
            return f"{REASON_BAD_DATE}:{column}"
    departement = row["code_departement"].upper()
    if f"0{departement}" in REGION_OF and len(departement) == 1:
        departement = f"0{departement}"
    if departement not in REGION_OF:
        return REASON_UNKNOWN_DEPARTEMENT
    statut = row["statut"].upper()
    if statut not in STATUTS:
        return REASON_UNKNOWN_STATUT
    born, prescribed = dates["date_naissance"], dates["date_prescription"]
    if prescribed.strftime("%Y-%m") != month:
        return REASON_OUTSIDE_MONTH
    entered = _date(feed, row["date_entree"])
    if statut in ENTRY_STATUTS and row["date_entree"] and entered is None:
        return f"{REASON_BAD_DATE}:date_entree"
    age = (
        prescribed.year - born.year - ((prescribed.month, prescribed.day) < (born.month, born.day))
    )
    if not AGE_MIN <= age <= AGE_MAX:
        return REASON_AGE
    if statut in ENTRY_STATUTS and entered and entered < prescribed:
        return REASON_ENTRY_BEFORE
    return None


def _expected_accounting(path: Path, feed, month: str) -> tuple[int, int, Counter]:
    """(rows read, duplicates, quarantine reasons) of one file, per contract §6."""
    header, records = _records(path)
    reasons, valid = Counter(), defaultdict(list)
    for record in records:
        if len(record) != len(header):
            reasons[REASON_FIELD_COUNT] += 1
            continue
        row = dict(zip(header, (v.strip() for v in record), strict=True))
        reason = _reason(feed, month, row)
        if reason:
            reasons[reason] += 1
        else:
            valid[row[feed.id_column]].append(tuple(row[c] for c in feed.columns))
    duplicates = 0
    for versions in valid.values():
        if len(set(versions)) > 1:
            reasons[REASON_CONFLICTING_ID] += len(versions)
        else:
            duplicates += len(versions) - 1
    return len(records), duplicates, reasons


def _file(out: Path, summary: dict, name: str) -> Path:
    return out / next(f["file"] for f in summary["files"] if f"/{name}" in f["file"])


def test_files_are_named_as_the_contract_says(demo):
    out, summary = demo
    names = sorted(p.name for folder in ("si_pe", "imilo") for p in (out / folder).iterdir())
    assert all(FILE_NAME.match(name) for name in names), names
    assert sorted(f["file"].split("/")[1] for f in summary["files"]) == names
    assert sorted(p.name for p in (out / "objectifs").iterdir()) == [
        "objectifs_otp.csv", "secteurs_avenir.csv"]  # fmt: skip


def test_the_sectors_file_is_valid_and_gives_three_regions_their_own_list(demo):
    """Contract §9: the demo's file reads without a structural error; a national list and
    three regions with their own, nested prefixes included (H29 < H2913 in 32)."""
    out, summary = demo
    sectors = read_sectors(out / "objectifs" / "secteurs_avenir.csv", region_codes(),
                           rome_domain_codes())  # fmt: skip
    assert summary["sectors"] == {"file": "objectifs/secteurs_avenir.csv",
                                  "rows": len(sectors.rows)}  # fmt: skip
    assert sectors.prefixes_per_list() == {"*": 8, "32": 4, "53": 4, "84": 3}


def test_same_seed_writes_the_same_bytes(tmp_path):
    first = generate_landing(tmp_path / "a", MONTHS[:2], scale=0.01, seed=3)
    generate_landing(tmp_path / "b", MONTHS[:2], scale=0.01, seed=3)
    generate_landing(tmp_path / "c", MONTHS[:2], scale=0.01, seed=4)
    names = [f["file"] for f in first["files"]] + [
        "objectifs/objectifs_otp.csv", "objectifs/secteurs_avenir.csv"]  # fmt: skip
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / names[0]).read_bytes() != (tmp_path / "c" / names[0]).read_bytes()


def test_summary_matches_an_independent_reading_of_every_file(demo):
    out, summary = demo
    for file in summary["files"]:
        rows, duplicates, reasons = _expected_accounting(
            out / file["file"], FEEDS[file["source"]], file["month"]
        )
        assert (rows, duplicates, dict(reasons)) == (
            file["rows"], file["duplicates"], file["quarantined"]
        ), file["file"]  # fmt: skip
        assert file["loaded"] == rows - duplicates - sum(reasons.values())


def test_injected_errors_stay_at_most_two_percent_of_each_file(demo):
    for file in demo[1]["files"]:
        assert 0 < sum(file["quarantined"].values()) <= 0.02 * file["rows"], file["file"]


def test_every_row_error_kind_of_the_contract_is_injected(demo):
    reasons = {reason.split(":")[0] for reason in demo[1]["row_errors"]}
    assert reasons == {
        REASON_FIELD_COUNT, REASON_MISSING, REASON_BAD_DATE, REASON_UNKNOWN_DEPARTEMENT,
        REASON_UNKNOWN_STATUT, REASON_OUTSIDE_MONTH, REASON_AGE, REASON_ENTRY_BEFORE,
        REASON_CONFLICTING_ID,
    }  # fmt: skip


def test_revision_redelivers_the_month_with_the_same_ids_and_advanced_statuses(demo):
    out, summary = demo
    first = _rows(_file(out, summary, "ais_2021-02.csv"))
    revised = _rows(_file(out, summary, "ais_2021-02_r2.csv"))
    assert [r.get("id_ais") for r in first] == [r.get("id_ais") for r in revised]
    advanced = 0
    for before, after in zip(first, revised, strict=True):
        if before != after:
            assert (before["statut"].upper(), after["statut"].upper()) == ("PRESCRITE", "ENTREE")
            assert _date(FEEDS["si_pe"], after["date_entree"]) >= _date(
                FEEDS["si_pe"], after["date_prescription"]
            )
            assert {k for k in before if before[k] != after[k]} <= {"statut", "date_entree"}
            advanced += 1
    assert advanced > 0.1 * len(first)


def test_windows_1252_file_is_not_utf8_but_decodes_as_cp1252(demo):
    out, summary = demo
    file = next(f for f in summary["files"] if f["encoding"] == "cp1252" and not f["gzip"])
    data = (out / file["file"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "Saint-Étienne" in data.decode("cp1252")


def test_utf8_files_with_bom_and_gzip_files_are_written(demo):
    out, summary = demo
    bom = next(f for f in summary["files"] if f["encoding"] == "utf-8-sig" and not f["gzip"])
    assert (out / bom["file"]).read_bytes().startswith(BOM)
    gzipped = [f for f in summary["files"] if f["gzip"]]
    assert gzipped and all(f["file"].endswith(".csv.gz") for f in gzipped)
    for file in gzipped:
        text = gzip.decompress((out / file["file"]).read_bytes()).decode(
            "cp1252" if file["encoding"] == "cp1252" else "utf-8-sig"
        )
        assert text.lower().lstrip().startswith(("id_", "code_", "formacode", "date_", "statut"))


def test_awkward_but_valid_forms_are_present(demo):
    out, summary = demo
    texts = "".join(_decode(out / f["file"])[0] for f in summary["files"])
    assert '"Rappel :\nprévoir un entretien"' in texts  # quoted line break
    assert '"RDV 12/03; suivi ""renforcé"""' in texts  # quoted ; and ""
    assert "\u00a0" in texts and "\n\n" in texts.replace("\r\n", "\n")  # NBSP, blank line
    rows = [r for f in summary["files"] for r in _rows(out / f["file"]) if f["source"] == "si_pe"]
    departements = {r["code_departement"] for r in rows}
    assert {"1", "2a"} & departements and any(len(d) == 1 for d in departements)
    assert any(r["statut"].islower() for r in rows)
    assert any(r["type_prescripteur"] == "pe" for r in rows)
    assert "commentaire" in rows[0]


def test_objectives_cover_18_regions_and_one_24_month_period(demo):
    rows = _rows(demo[0] / "objectifs" / "objectifs_otp.csv")
    assert list(rows[0]) == list(OBJECTIVES_COLUMNS)
    regions = {r["code_region"].zfill(2) for r in rows}
    assert regions == set(REGION_OF.values()) and len(regions) == 18 and len(rows) == 18
    spans = Counter((r["periode_debut"], r["periode_fin"]) for r in rows)
    assert spans == {("2021-01", "2021-12"): 17, ("2021-01", "2022-12"): 1}
    for row in rows:
        numbers = [int(row[c]) for c in OBJECTIVES_COLUMNS[3:]]
        assert all(n > 0 for n in numbers) and numbers[1] <= numbers[0]


def test_objectives_get_a_2022_period_when_months_reach_2022(tmp_path):
    generate_landing(tmp_path, ["2022-01"], scale=0.001)
    rows = _rows(tmp_path / "objectifs" / "objectifs_otp.csv")
    assert Counter(r["periode_debut"] for r in rows) == {"2021-01": 18, "2022-01": 17}


def test_about_30_percent_of_imilo_entries_are_matched_pairs(demo):
    out, summary = demo
    assert sum(f.get("numero_ais_dangling", 0) for f in summary["files"]) > 0
    for month in MONTHS:
        ais = {
            r["id_ais"]: r for r in _rows(_file(out, summary, f"ais_{month}.csv"))
            if r["statut"].upper() in ENTRY_STATUTS and r["date_entree"]
            and _reason(FEEDS["si_pe"], month, r) is None
        }  # fmt: skip
        imilo_file = next(
            f for f in summary["files"] if f["file"].startswith(f"imilo/imilo_{month}")
        )
        entries = [
            r for r in _rows(out / imilo_file["file"]) if r["statut"].upper() in ENTRY_STATUTS
        ]
        matched = [r for r in entries if r["numero_ais"] in ais]
        assert 0.2 < len(matched) / len(entries) < 0.4
        valid = [r for r in matched if _reason(FEEDS["imilo"], month, r) is None]
        for row in valid:  # the same person: same birth date, same department
            pair = ais[row["numero_ais"]]
            assert (pair["date_naissance"], pair["code_departement"].upper().zfill(2)) == (
                datetime.strptime(row["date_naissance"], "%Y-%m-%d").strftime("%d/%m/%Y"),
                row["code_departement"].upper().zfill(2),
            )


def test_badly_filled_regions_fall_below_the_fill_rate_threshold(demo):
    out, summary = demo
    filled, total = Counter(), Counter()
    for file in summary["files"]:
        if file["source"] == "si_pe" and file["revision"] == 1:
            for row in _rows(out / file["file"]):
                region = REGION_OF.get(row["code_departement"].upper().zfill(2))
                total[region] += 1
                filled[region] += row["type_prescripteur"].upper() in TYPES_PRESCRIPTEUR
    for region in BADLY_FILLED_REGIONS:
        assert filled[region] / total[region] < 0.9, region
    good = [r for r in REGION_OF.values() if r not in BADLY_FILLED_REGIONS]
    assert sum(filled[r] for r in good) / sum(total[r] for r in good) > 0.92


def test_volumes_follow_the_seasons():
    assert monthly_volume(IMILO_PER_MONTH, "2021-08", 1) < 30_000 < 40_000
    assert monthly_volume(IMILO_PER_MONTH, "2021-10", 1) > 50_000


def test_regenerating_a_month_replaces_its_files(tmp_path):
    generate_landing(tmp_path, ["2021-01", "2021-02"], scale=0.005)
    summary = generate_landing(tmp_path, ["2021-02"], scale=0.005)
    assert set(summary["removed"]) == {
        "si_pe/ais_2021-02.csv",
        "si_pe/ais_2021-02_r2.csv",
        "imilo/imilo_2021-02.csv",
    }
    assert sorted(p.name for p in (tmp_path / "imilo").iterdir()) == [
        "imilo_2021-01.csv.gz", "imilo_2021-02.csv.gz"
    ]  # fmt: skip


def test_cli_demo_data_writes_to_otp_landing_dir_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OTP_LANDING_DIR", str(tmp_path / "landing"))
    assert main(["demo-data", "--months", "2021-03", "--scale", "0.005", "--seed", "1"]) == 0
    assert (tmp_path / "landing" / "si_pe" / "ais_2021-03.csv").is_file()
    assert "ais_2021-03.csv" in capsys.readouterr().out


def test_cli_month_ranges():
    assert parse_months("2021-11:2022-02") == ["2021-11", "2021-12", "2022-01", "2022-02"]
    assert parse_months("2021-03, 2021-01") == ["2021-01", "2021-03"]
    with pytest.raises(SystemExit):
        main(["demo-data", "--months", "2021-05:2021-04"])


# Contract §8, read independently: codes trimmed and upper-cased; a domain is the letter of
# one letter A–N (rome_domaines.csv) and four ASCII digits, anything else NON_RENSEIGNE.
NON_RENSEIGNE = "NON_RENSEIGNE"
ROME_SHAPE = re.compile(r"[A-N][0-9]{4}")
TYPES = ("QUALIFIANTE", "PRE_QUALIFIANTE", "AUTRE")
OVERSEAS = ("01", "02", "03", "04", "06")


def _domain(code_rome: str) -> str:
    code = code_rome.strip().upper()
    return code[0] if ROME_SHAPE.fullmatch(code) else NON_RENSEIGNE


def _type(type_formation: str) -> str:
    code = type_formation.strip().upper()
    return code if code in TYPES else NON_RENSEIGNE


def _region(row: dict) -> str:
    return REGION_OF[row["code_departement"].upper().zfill(2)]


def _loaded(path: Path, feed, month: str) -> list[dict[str, str]]:
    """The rows the pipeline loads (§6): valid, each id once, conflicting ids left out."""
    versions = defaultdict(list)
    for row in _rows(path):
        if _reason(feed, month, row) is None:
            versions[row[feed.id_column]].append(row)
    return [
        rows[0] for rows in versions.values()
        if len({tuple(r[c] for c in feed.columns) for r in rows}) == 1
    ]  # fmt: skip


def _first_deliveries(out: Path, summary: dict) -> list[dict[str, str]]:
    """Loaded rows of every file but the revision (which repeats its month), with `source`."""
    return [
        {**row, "source": file["source"]}
        for file in summary["files"] if file["revision"] == 1
        for row in _loaded(out / file["file"], FEEDS[file["source"]], file["month"])
    ]  # fmt: skip


def _raw_values(out: Path, summary: dict, column: str) -> list[str]:
    """`column` as written, untrimmed, in every first delivery's well-formed records."""
    values = []
    for file in summary["files"]:
        if file["revision"] == 1:
            header, records = _records(out / file["file"])
            values += [r[header.index(column)] for r in records if len(r) == len(header)]
    return values


def _shares(rows: list[dict], reading, column: str) -> dict[str, float]:
    counts = Counter(reading(row[column]) for row in rows)
    return {key: n / len(rows) for key, n in counts.items()}


def test_rome_grands_domaines_differ_by_region_as_their_economies_do(demo):
    rows = _first_deliveries(*demo)
    national = _shares(rows, _domain, "code_rome")
    assert set(national) == set("ABCDEFGHIJKLMN") | {NON_RENSEIGNE}
    by_region = defaultdict(list)
    for row in rows:
        by_region[_region(row)].append(row)
    share = {r: _shares(by_region[r], _domain, "code_rome") for r in by_region}
    assert share["53"]["A"] > 1.5 * national["A"] and share["75"]["A"] > 1.5 * national["A"]
    assert share["44"]["H"] > 1.3 * national["H"] and share["32"]["H"] > national["H"]
    assert share["93"]["G"] > 1.3 * national["G"]
    assert share["11"]["M"] > 1.3 * national["M"] and share["11"]["C"] > 1.5 * national["C"]
    assert share["11"]["A"] < 0.5 * national["A"]
    assert share["24"]["N"] > 1.2 * national["N"] and share["32"]["N"] > 1.2 * national["N"]
    overseas = _shares([r for o in OVERSEAS for r in by_region[o]], _domain, "code_rome")
    assert overseas["H"] < 0.6 * national["H"] and overseas["F"] > national["F"]
    for region, region_rows in by_region.items():  # health and personal services everywhere
        if len(region_rows) >= 200:
            assert share[region]["J"] > 0.05 and share[region]["K"] > 0.08, region


def test_most_rome_codes_are_valid_and_awkward_forms_stay_rare(demo):
    values = _raw_values(*demo, "code_rome")
    counts = Counter()
    for value in values:
        code = value.strip()
        if not code:
            counts["empty"] += 1
        elif ROME_SHAPE.fullmatch(code.upper()):
            counts["valid"] += 1
            counts["lower"] += code != code.upper()
            counts["spaced"] += value != code
        else:
            counts["odd"] += 1
            counts["short"] += len(code) == 3
            counts["letter"] += bool(re.fullmatch(r"[O-Z][0-9]{4}", code.upper()))
            counts["inner_space"] += bool(re.fullmatch(r"[A-N] [0-9]{4}", code.upper()))
    share = {key: n / len(values) for key, n in counts.items()}
    assert share["valid"] > 0.9
    assert 0.01 < share["empty"] < 0.05
    assert 0.005 < share["lower"] < 0.03 and 0.005 < share["spaced"] < 0.03
    assert counts["short"] and counts["letter"] and counts["inner_space"]
    assert share["odd"] < 0.02


def test_type_formation_shares_differ_by_region_and_network(demo):
    rows = _first_deliveries(*demo)
    national = _shares(rows, _type, "type_formation")
    assert 0.02 < national["AUTRE"] < 0.08 and 0.02 < national[NON_RENSEIGNE] < 0.1
    qualifying = defaultdict(list)
    for row in rows:
        qualifying["overseas" if _region(row) in OVERSEAS else _region(row)].append(row)
    share = {r: _shares(qualifying[r], _type, "type_formation") for r in qualifying}
    assert share["53"]["QUALIFIANTE"] > share["32"]["QUALIFIANTE"] + 0.08
    assert share["11"]["QUALIFIANTE"] > share["32"]["QUALIFIANTE"] + 0.08
    assert share["overseas"]["PRE_QUALIFIANTE"] > share["11"]["PRE_QUALIFIANTE"] + 0.08
    by_source = {
        source: _shares([r for r in rows if r["source"] == source], _type, "type_formation")
        for source in ("si_pe", "imilo")
    }  # Missions locales prescribe more pre-qualifying training
    assert by_source["imilo"]["PRE_QUALIFIANTE"] > by_source["si_pe"]["PRE_QUALIFIANTE"] + 0.05
    values = _raw_values(*demo, "type_formation")
    forms = Counter(values)
    assert forms["qualifiante"] and forms[" Pre_qualifiante "] and forms["CERTIFIANTE"]
    awkward = sum(n for value, n in forms.items() if value.strip() not in ("", *TYPES))
    assert 0.01 < awkward / len(values) < 0.06


def test_summary_counts_the_odd_training_values_section_8_reads_as_non_renseigne(demo):
    out, summary = demo
    totals = Counter()
    for file in summary["files"]:
        rows = _loaded(out / file["file"], FEEDS[file["source"]], file["month"])
        odd = {
            column: sum(1 for r in rows if r[column] and reading(r[column]) == NON_RENSEIGNE)
            for column, reading in (("code_rome", _domain), ("type_formation", _type))
        }
        assert file["odd_values"] == odd, file["file"]
        assert sum(odd.values()) < 0.03 * len(rows), file["file"]
        totals.update(odd)
    assert totals["code_rome"] and totals["type_formation"]


def test_a_matched_pair_keeps_the_training_of_its_ais(demo):
    out, summary = demo
    pairs = same = 0
    for month in MONTHS:
        ais = {r["id_ais"]: r for r in _loaded(_file(out, summary, f"ais_{month}.csv"),
                                               FEEDS["si_pe"], month)}  # fmt: skip
        imilo_file = _file(out, summary, f"imilo_{month}.csv")
        for row in _loaded(imilo_file, FEEDS["imilo"], month):
            pair = ais.get(row["numero_ais"])
            if pair is None:
                continue
            pairs += 1
            assert row["formacode"] == pair["formacode"]
            readings = [(_type(r["type_formation"]), _domain(r["code_rome"])) for r in (row, pair)]
            same += readings[0] == readings[1]
            for side, other in zip(*readings, strict=True):
                assert side == other or NON_RENSEIGNE in (side, other)
    assert pairs > 100 and same > 0.95 * pairs
