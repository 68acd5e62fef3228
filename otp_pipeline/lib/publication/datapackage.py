"""`datapackage.json`: a published month folder described for its consumers' own tools.

A Frictionless Data Package (v2): one resource per table and format, each with the Table
Schema of its table (table_schema.py, from the dbt marts' yml), its size and SHA-256; and
the month, when it was produced and from which files. `frictionless validate
YYYY-MM/datapackage.json` checks every row of every file against it.

Written last into the staging folder, once the tables and manifest are there: it is
swapped in whole with them.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from otp_pipeline.lib.publication.durable import write_durably
from otp_pipeline.lib.publication.manifest import DATAPACKAGE_NAME
from otp_pipeline.lib.publication.table_schema import MARTS_DIR, table_description, table_schema
from otp_pipeline.lib.publication.tables import Table

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
RESOURCE_PROFILE = "https://datapackage.org/profiles/2.0/dataresource.json"
# The manifest's entries naming the input files (contract §7 and §9), with their SHA-256.
SOURCE_ENTRIES = ("fichier_objectifs", "secteurs_avenir")


def write_datapackage(
    folder: Path,
    month: str,
    manifest: dict,
    tables: Iterable[Table],
    enums: Mapping[str, Sequence[str]] | None = None,
    models_dir: Path = MARTS_DIR,
) -> Path:
    """Write `datapackage.json` describing the month's files already written in `folder`."""
    resources = []
    for table in tables:
        schema = table_schema(table, enums, models_dir)
        description = table_description(table, models_dir)
        for fmt in ("csv", "parquet"):
            resources.append(_resource(Path(folder), table, fmt, schema, description))
    produced_at = manifest.get("produced_at")
    package = {
        "$schema": PROFILE,
        "name": f"otp-{month}",
        "title": f"Objectifs territoriaux partagés : tables publiées du mois {month}",
        "description": (
            "Agrégats mensuels des prescriptions et entrées en formation des jeunes, et suivi "
            "des objectifs territoriaux partagés par région. Aucune donnée individuelle. "
            "manifest.json détaille les fichiers sources, les contrôles qualité et ce qui a "
            "changé depuis la publication précédente du mois."
        ),
        "created": produced_at,
        "mois": month,
        "produced_at": produced_at,
        "code_version": manifest.get("code_version"),
        "sources": source_files(manifest),
        "resources": resources,
    }
    text = json.dumps(package, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_durably(Path(folder) / DATAPACKAGE_NAME, text.encode("utf-8"))


def source_files(manifest: dict) -> list[dict]:
    """The input files the month was computed from: `{title: name, sha256}` each, as the
    manifest lists them (feeds, then the objectives and sectors files when present)."""
    entries = list(manifest.get("fichiers_sources") or [])
    entries += [manifest[key] for key in SOURCE_ENTRIES if manifest.get(key)]
    return [{"title": entry["file"], "sha256": entry["sha256"]} for entry in entries]


def _resource(folder: Path, table: Table, fmt: str, schema: dict, description: str | None):
    path = folder / f"{table.name}.{fmt}"
    data = path.read_bytes()
    resource = {
        "$schema": RESOURCE_PROFILE,
        "name": f"{table.name}-{fmt}",
        "type": "table",
        "path": path.name,
        "format": fmt,
    }
    if description:
        resource["description"] = description
    if fmt == "csv":
        resource |= {
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ";", "header": True},
            # frictionless reads Parquet through pyarrow and cannot count its bytes: a
            # `bytes` there would be reported as a byte-count error (docs/decisions.md).
            "bytes": len(data),
        }
    else:
        resource["mediatype"] = "application/vnd.apache.parquet"
    resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    resource["schema"] = schema
    return resource
