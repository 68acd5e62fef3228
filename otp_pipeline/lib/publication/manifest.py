"""What a published month folder declares and may hold (contract §7).

Its `manifest.json` (time stamps, the files and code version it was computed from, writing,
reading), the name its vintage gets once it is replaced, and the check that it holds
aggregates only.
"""

import csv
import json
import logging
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from otp_pipeline import __version__
from otp_pipeline.lib.paths import PROJECT_ROOT
from otp_pipeline.lib.publication.durable import write_durably

MANIFEST_NAME = "manifest.json"
REPORT_NAME = "rapport.html"  # the month's report (otp_pipeline/lib/publication/report/page.py)
DATAPACKAGE_NAME = (
    "datapackage.json"  # its Data Package (otp_pipeline/lib/publication/datapackage.py)
)
VINTAGES = "_vintages"
PRODUCED_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # what the manifest says: 2021-04-15T12:00:00Z
VINTAGE_FORMAT = "%Y%m%dT%H%M%SZ"  # what a vintage folder is called: 20210415T120000Z

# Column names of row-level or personal data (contract §3, raw.quarantine): never published.
FORBIDDEN_COLUMNS = frozenset(
    {
        "id_ais", "id_individu", "id_jeune", "id_prescription", "numero_ais",
        "date_naissance", "raw_record", "raw_line", "line_text", "texte_ligne",
    }
)  # fmt: skip

log = logging.getLogger(__name__)


class PersonalDataError(ValueError):
    """A file about to be published names a person-level column."""


def produced_at_text(now: datetime | None = None) -> str:
    """The `produced_at` of a publication made at `now` (default: the current time), in UTC."""
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None:
        # A naive time is usually local time: taking it for UTC would stamp a wrong hour.
        raise ValueError(f"now must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).strftime(PRODUCED_AT_FORMAT)


def finalize_manifest(
    manifest: dict, month: str, produced_at: str, row_counts: dict[str, int]
) -> dict:
    """The manifest of one month as published: the caller's dict plus `produced_at` and `tables`.

    The caller's dict is not modified. Our `produced_at` and `tables` win over any given ones:
    they describe the files actually written.
    """
    for key in ("mois", "month"):
        if key in manifest and manifest[key] != month:
            raise ValueError(f"manifest says {key}={manifest[key]!r}, publishing {month}")
    return {**manifest, "produced_at": produced_at, "tables": dict(row_counts)}


def write_manifest(folder: Path, manifest: dict) -> Path:
    """Write `manifest.json` into `folder`: UTF-8, indented, flushed to disk."""
    # allow_nan=False: NaN is not JSON, a consumer's parser would reject the whole file.
    text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_durably(Path(folder) / MANIFEST_NAME, text.encode("utf-8"))


def read_produced_at(folder: Path) -> datetime | None:
    """The `produced_at` of the publication in `folder`, in UTC; None when it cannot be read."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))
        moment = datetime.fromisoformat(manifest["produced_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def free_vintage_path(publish_dir: Path, month: str, current: Path) -> Path:
    """Where `current` (a month's publication) goes when replaced: a path not yet taken.

    `_vintages/YYYY-MM/<its produced_at as YYYYMMDDTHHMMSSZ>`, suffixed `-2`, `-3`… when two
    publications were produced within the same second.
    """
    moment = read_produced_at(current)
    if moment is None:
        # A folder without a readable manifest (made by hand, or by an older version) must
        # still be kept rather than block every later publication of its month.
        moment = datetime.fromtimestamp(Path(current).stat().st_mtime, UTC)
        log.warning("no readable produced_at in %s, vintage named after its mtime", current)
    stamp = moment.strftime(VINTAGE_FORMAT)
    base = Path(publish_dir) / VINTAGES / month
    candidate, suffix = base / stamp, 2
    while candidate.exists():
        candidate, suffix = base / f"{stamp}-{suffix}", suffix + 1
    return candidate


def assert_no_personal_data(folder: Path) -> None:
    """Raise PersonalDataError if a file of a month folder names a person-level column.

    Checked: CSV headers, Parquet column names, manifest keys, the Data Package's keys and
    fields, the report's whole text. Any other entry raises too: what cannot be checked is
    not published.
    """
    findings = []
    for path in sorted(Path(folder).iterdir()):
        if path.suffix == ".csv" and path.is_file():
            with open(path, encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle, delimiter=";"), [])
            findings += [(path.name, name) for name in header if _is_forbidden_column(name)]
        elif path.suffix == ".parquet" and path.is_file():
            names = pq.read_schema(path).names
            findings += [(path.name, name) for name in names if _is_forbidden_column(name)]
        elif path.name == MANIFEST_NAME and path.is_file():
            keys = _json_keys(json.loads(path.read_text(encoding="utf-8")))
            # Exact match only: a quarantine reason legitimately quotes a column
            # (`VALEUR_REQUISE_MANQUANTE:id_ais`); a key *named* id_ais holds an id.
            findings += [(path.name, key) for key in keys if _normal(key) in FORBIDDEN_COLUMNS]
        elif path.name == DATAPACKAGE_NAME and path.is_file():
            findings += [(path.name, name) for name in _datapackage_names(path)]
        elif path.name == REPORT_NAME and path.is_file():
            # Free text: any mention of a person-level column means row data leaked into it.
            text = _normal(path.read_text(encoding="utf-8"))
            findings += [(path.name, name) for name in sorted(FORBIDDEN_COLUMNS) if name in text]
        else:
            raise PersonalDataError(f"{path}: unexpected entry, cannot be checked")
    if findings:
        listed = ", ".join(f"{name} in {file}" for file, name in findings)
        raise PersonalDataError(f"{folder}: person-level columns found: {listed}")


def _datapackage_names(path: Path) -> list[str]:
    """The person-level names a Data Package holds: as a key, or as a field of a schema."""
    package = json.loads(path.read_text(encoding="utf-8"))
    keys = [key for key in _json_keys(package) if _normal(key) in FORBIDDEN_COLUMNS]
    fields = [field.get("name", "") for resource in package.get("resources") or []
              for field in (resource.get("schema") or {}).get("fields") or []]  # fmt: skip
    return keys + [name for name in fields if _is_forbidden_column(name)]


def _is_forbidden_column(name: str) -> bool:
    # Substring: `id_individu_hash` is still a person id. No contract column contains one.
    return any(forbidden in _normal(name) for forbidden in FORBIDDEN_COLUMNS)


def _normal(name: str) -> str:
    return name.strip().lower()


def _json_keys(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _json_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_keys(item)


@cache
def code_version() -> str:
    """The package version, and the git commit when the code runs from a clone."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
            text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{commit}"


def source_files(con: duckdb.DuckDBPyConnection, month: str) -> list[dict]:
    """Every delivery file a month's figures are computed from: both sources, 2021-01 to M."""
    rows = con.execute(
        """
        select source, mois, source_file, revision, sha256, encoding, rows_read, rows_loaded,
               rows_quarantined, rows_duplicates, quarantine_reasons,
               invalid_type_prescripteur, odd_values
        from raw.deliveries
        where mois <= $month
        order by source, mois
        """,
        {"month": month},
    ).fetchall()
    files = []
    for row in rows:
        (source, mois, name, revision, sha256, encoding, read, loaded, quarantined,
         duplicates, reasons, invalid, odd) = row  # fmt: skip
        files.append(
            {
                "source": source, "mois": mois, "file": name, "revision": revision,
                "sha256": sha256, "encoding": encoding, "rows_read": read,
                "rows_loaded": loaded, "rows_quarantined": quarantined,
                "rows_duplicates": duplicates, "quarantine_reasons": json.loads(reasons),
                "invalid_type_prescripteur": json.loads(invalid),
                "odd_values": json.loads(odd),
            }
        )  # fmt: skip
    return files


def objectives_file(con: duckdb.DuckDBPyConnection) -> dict | None:
    [row] = con.execute(
        "select any_value(source_file), any_value(sha256), count(*) from raw.objectifs_otp"
    ).fetchall()
    return {"file": row[0], "sha256": row[1], "periods": row[2]} if row[2] else None


def sectors_file(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The sectors file the run classified with (contract §9): name, SHA-256 of the bytes as
    landed and data rows; None when there was none."""
    [row] = con.execute(
        "select any_value(source_file), any_value(sha256), count(*) from raw.secteurs_avenir"
    ).fetchall()
    return {"file": row[0], "sha256": row[1], "rows": row[2]} if row[2] else None


def sector_enums(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The codes and labels of the sectors file the run classified with, for the Table
    Schemas' `enum_from` (empty lists without a file)."""
    rows = con.execute(
        "select distinct code_secteur, libelle_secteur from raw.secteurs_avenir"
    ).fetchall()
    return {
        "secteurs_avenir": sorted({code for code, _ in rows}),
        "libelles_secteurs_avenir": sorted({label for _, label in rows}),
    }


def sector_lists(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, dict] | None:
    """Per list of the sectors file (`*` the national one): how many prefixes it holds, and
    those that begin the code_rome of no row counted in `month` in a region using it (a
    typo such as `M19` shows there; it fails nothing). None without a file."""
    rows = con.execute(
        """
        with
        codes as (
            select code_region, code_rome from main.fct_prescriptions
            where mois = $month and mois_fichier <= $month and est_prescription
                and code_rome is not null
            union
            select code_region, code_rome from main.fct_entrees
            where mois_entree = $month and mois_fichier <= $month and code_rome is not null
        ),
        matched as (
            select distinct listes.liste, listes.prefixe_rome
            from main.int_secteurs_listes as listes
            inner join codes
                on listes.code_region = codes.code_region
                and starts_with(codes.code_rome, listes.prefixe_rome)
        )
        select
            secteurs.code_region,
            count(*),
            list(secteurs.prefixe_rome order by secteurs.prefixe_rome)
                filter (where matched.liste is null)
        from raw.secteurs_avenir as secteurs
        left join matched
            on secteurs.code_region = matched.liste
            and secteurs.prefixe_rome = matched.prefixe_rome
        group by secteurs.code_region
        order by secteurs.code_region
        """,
        {"month": month},
    ).fetchall()
    if not rows:
        return None
    return {
        liste: {"prefixes": count, "prefixes_sans_correspondance": unmatched or []}
        for liste, count, unmatched in rows
    }
