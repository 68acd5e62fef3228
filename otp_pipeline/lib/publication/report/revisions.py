"""The report's "Révisions" note: what a republished month changed, and why.

Opens the report of a month that replaces an earlier publication (its manifest's
`"changes"` is not null): when the replaced version was produced, which input changed (a
feed's revision, the objectives, the sectors file: the two manifests' files and SHA-256),
how many rows of each table moved, and which regions' indicators moved (old -> new
`realise_cumule` of suivi_otp). A first publication shows no note.
"""

import csv
from datetime import datetime
from html import escape
from pathlib import Path

from otp_pipeline.lib.publication.changes import previous_manifest
from otp_pipeline.lib.publication.report.charts import INDICATEURS, fr_int
from otp_pipeline.lib.publication.report.markup import table

FEEDS = {"si_pe": "SI Pôle emploi", "imilo": "I-Milo"}
# Inputs named once in the manifest: (its key, what the note calls it).
SINGLE_INPUTS = (("fichier_objectifs", "Objectifs"), ("secteurs_avenir", "Secteurs d'avenir"))


def revisions_section(manifest: dict, previous: Path | None, suivi: list[dict]) -> str:
    """The note, or "" for a first publication (`"changes"` null or no previous folder)."""
    changes = manifest.get("changes")
    if not changes or previous is None:
        return ""
    before = previous_manifest(previous)
    html = ["<h2>Révisions</h2>", '<div class="alerte">']
    html.append(
        f"<p>Cette publication remplace celle produite le "
        f"{escape(_when(changes.get('previous_produced_at')))}.</p>"
    )
    inputs = changed_inputs(before, manifest)
    html.append(
        "<p>Fichiers d'entrée modifiés : " + "</p>\n<ul>"
        + "".join(f"<li>{escape(line)}</li>" for line in inputs) + "</ul>"
        if inputs else "<p>Aucun fichier d'entrée n'a changé.</p>"
    )  # fmt: skip
    counts = [
        f"{name} : {n['rows_added']} ajoutée(s), {n['rows_removed']} retirée(s), "
        f"{n['rows_changed']} modifiée(s)"
        for name, n in changes.get("tables", {}).items()
        if n["rows_added"] or n["rows_removed"] or n["rows_changed"]
    ]
    html.append(
        "<p>Lignes des tables : " + escape(" ; ".join(counts)) + ".</p>"
        if counts else "<p>Aucune ligne des tables publiées n'a changé.</p>"
    )  # fmt: skip
    html.append(_moved_regions(_previous_suivi(previous), suivi))
    html.append("</div>")
    return "\n".join(html)


def changed_inputs(before: dict, after: dict) -> list[str]:
    """One line per input file that differs between two manifests, feeds first."""
    old = {(f["source"], f["mois"]): f for f in before.get("fichiers_sources") or []}
    new = {(f["source"], f["mois"]): f for f in after.get("fichiers_sources") or []}
    lines = []
    for source, month in sorted(old.keys() | new.keys()):
        was, now = old.get((source, month)), new.get((source, month))
        label = f"{FEEDS.get(source, source)}, {month} : "
        if was is None:
            lines.append(label + f"{now['file']} (nouveau)")
        elif now is None:
            lines.append(label + f"{was['file']} (retiré)")
        elif (was["file"], was["sha256"]) != (now["file"], now["sha256"]):
            revision = f" (révision {now['revision']})" if (now.get("revision") or 1) > 1 else ""
            same = " (même nom, contenu modifié)" if was["file"] == now["file"] else ""
            lines.append(label + f"{was['file']} → {now['file']}{revision}{same}")
    for key, name in SINGLE_INPUTS:
        was, now = before.get(key), after.get(key)
        if _sha(was) != _sha(now):
            same = was and now and was["file"] == now["file"]
            change = f"{now['file']} (contenu modifié)" if same else f"{_file(was)} → {_file(now)}"
            lines.append(f"{name} : {change}")
    return lines


def moved_regions(before: list[dict], after: list[dict]) -> list[tuple]:
    """(code_region, libelle_region, indicateur, old, new) for every region and indicator
    whose realise_cumule differs; None where the row is absent on one side."""
    old = {(r["code_region"], r["indicateur"]): r for r in before}
    new = {(r["code_region"], r["indicateur"]): r for r in after}
    moved = []
    for key in sorted(old.keys() | new.keys(), key=_region_order):
        was, now = old.get(key), new.get(key)
        values = [None if row is None else int(row["realise_cumule"]) for row in (was, now)]
        if values[0] != values[1]:
            label = (now or was)["libelle_region"]
            moved.append((key[0], label, key[1], *values))
    return moved


def _moved_regions(before: list[dict], after: list[dict]) -> str:
    moved = moved_regions(before, after)
    if not moved:
        return "<p>Aucun réalisé cumulé régional n'a bougé.</p>"
    body = [[f"{code} — {label}", INDICATEURS.get(indicateur, indicateur), fr_int(old),
             fr_int(new)] for code, label, indicateur, old, new in moved]  # fmt: skip
    return "<p>Réalisés cumulés qui ont bougé :</p>\n" + table(
        ["Région", "Indicateur", "Avant", "Maintenant"], body, left=2
    )


def _previous_suivi(folder: Path) -> list[dict]:
    """The replaced publication's suivi_otp rows (its CSV: every version wrote one)."""
    try:
        with open(Path(folder) / "suivi_otp.csv", encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle, delimiter=";"))
    except OSError:
        return []


def _region_order(key: tuple[str, str]) -> tuple:
    order = list(INDICATEURS)
    return key[0], order.index(key[1]) if key[1] in order else len(order), key[1]


def _when(produced_at: str | None) -> str:
    try:
        return datetime.strptime(produced_at, "%Y-%m-%dT%H:%M:%SZ").strftime("%d/%m/%Y à %H:%M UTC")
    except (TypeError, ValueError):
        return "(date inconnue)"


def _sha(entry: dict | None) -> str | None:
    return entry.get("sha256") if entry else None


def _file(entry: dict | None) -> str:
    return entry["file"] if entry else "aucun"
