"""The report's seven charts (`charts.py`, `steering_charts.py`) as markup: what a page, a
screen reader and the report's tests find in them. What Chromium draws: test_report.py."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from otp_pipeline.lib.publication.report import charts, steering_charts
from otp_pipeline.lib.publication.report.svg import text_width

PROJECT_ROOT = Path(__file__).resolve().parents[4]
INDICATEURS = list(charts.INDICATEURS)
# An odd name, to show it is escaped and drawn as it reads.
REGIONS = {"11": "Île-de-France", "53": "Bretagne", "975": "Saint-Pierre & <Miquelon>",
           "84": "Auvergne-Rhône-Alpes"}  # fmt: skip


def _suivi() -> list[dict]:
    return [{"code_region": code, "libelle_region": libelle, "indicateur": indicateur,
             "objectif": 1200 * (1 + index), "realise_cumule": 300 + 250 * number,
             "cible_lineaire": 600.0, "fiabilite": "A_EXAMINER" if number == 1 else "FIABLE"}
            for index, (code, libelle) in enumerate(REGIONS.items())
            for number, indicateur in enumerate(INDICATEURS)]  # fmt: skip


def _projection() -> list[dict]:
    return [row | {"projection_fin_periode": row["realise_cumule"] * 4.0, "nb_mois_ecoules": 3,
                   "nb_mois_periode": 12, "realise_cumule_borne_haute": row["realise_cumule"] + 99}
            for row in _suivi()]  # fmt: skip


def _charts() -> dict[str, str]:
    """Every chart, by the prefix of its id."""
    months = [f"2021-{month:02}" for month in range(1, 13)]
    series = {i: {"objectif": 4800, "realise_cumule": [400 * k for k in range(1, 13)],
                  "cible_lineaire": [400.0 * k for k in range(1, 13)]} for i in INDICATEURS}  # fmt: skip
    rates = [{"code_region": code, "libelle_region": libelle, "taux_renseignement": rate,
              "fiabilite": "A_EXAMINER" if rate < 0.9 else "FIABLE"}
             for (code, libelle), rate in zip(REGIONS.items(), (0.75, 0.92, 1.0, 0.9), strict=True)]  # fmt: skip
    types = [("France entière · SI PE", {"QUALIFIANTE": 52, "PRE_QUALIFIANTE": 25, "AUTRE": 3,
                                          "NON_RENSEIGNE": 20}),
             ("975 Saint-Pierre & <Miquelon> · I-Milo", {"QUALIFIANTE": 1})]  # fmt: skip
    domains = [
        "Santé",
        "Agriculture et Pêche, Espaces naturels et Espaces verts, Soins aux animaux",
    ]
    return {
        "national": charts.national_chart(_suivi()[:3], "National"),
        "progression": charts.progression_chart(months, series, "Progression"),
        "regions": charts.regions_chart(_suivi(), "Régions"),
        "remplissage": charts.fill_rate_chart(rates, 0.9, "Remplissage"),
        "projection": steering_charts.projection_chart(_projection(), "Projection"),
        "types": steering_charts.types_chart(types, "Types de formation"),
        "domaines": steering_charts.domains_chart(
            domains, {"SI_PE": [0.32, 0.27], "IMILO": [None, 0.04]}, "Domaines"
        ),
    }


@pytest.fixture(scope="module")
def drawn() -> dict[str, ET.Element]:
    return {prefix: ET.fromstring(svg) for prefix, svg in _charts().items()}


def _size(root: ET.Element) -> tuple[float, float]:
    return tuple(float(number) for number in root.get("viewBox").split()[2:])


def test_every_chart_is_an_svg_named_by_its_title_and_found_by_its_id(drawn):
    for prefix, root in drawn.items():
        assert (root.get("role"), root.get("class")) == ("img", "graphique")
        assert root.get("id") == f"graphique-{prefix}"
        assert root.get("width") == f"{root.get('viewBox').split()[2]}pt"
        assert root[0].tag == "title" and root[0].text
        ids = [element.get("id") for element in root.iter() if element.get("id")]
        assert len(ids) == len(set(ids))


def test_text_stays_text_and_reads_as_written(drawn):
    texts = {prefix: [t.text for t in root.iter("text")] for prefix, root in drawn.items()}
    assert "975 — Saint-Pierre & <Miquelon>" in texts["regions"]
    assert "975 — Saint-Pierre & <Miquelon>" in texts["remplissage"]
    assert "800 / 3\u202f600 · 22\u00a0%" in texts["regions"]  # fr_int, fr_pct
    assert "seuil 90\u00a0%" in texts["remplissage"]
    assert "Agriculture et Pêche, Espaces naturels et Espaces verts,…" in texts["domaines"]


def test_shapes_and_text_stay_inside_the_chart(drawn):
    """Nothing clipped by the viewBox: every shape in it, every text's estimated extent too."""
    for prefix, root in drawn.items():
        width, height = _size(root)
        for element in root.iter("rect"):
            x, y = float(element.get("x")), float(element.get("y"))
            assert x >= 0 and x + float(element.get("width")) <= width, prefix
            assert y >= 0 and y + float(element.get("height")) <= height, prefix
        for element in root.iter("text"):
            size, x = float(element.get("font-size")), float(element.get("x"))
            extent = text_width(element.text, size)
            start = {"end": x - extent, "middle": x - extent / 2}.get(element.get("text-anchor"), x)
            assert start >= 0 and start + extent <= width, (prefix, element.text)
            assert size <= float(element.get("y")) <= height, (prefix, element.text)


def test_progression_labels_one_month_in_a_few_when_labels_would_touch(drawn):
    labels = [t for t in drawn["progression"].iter("text") if t.text.startswith("2021-")]
    shown = [t.text for t in labels[: len(labels) // 3]]  # the first panel's
    assert shown == ["2021-01", "2021-04", "2021-07", "2021-10"]
    xs = [float(t.get("x")) for t in labels[:4]]
    assert min(b - a for a, b in zip(xs, xs[1:], strict=False)) > text_width("2021-01", 8)


def test_projection_range_is_a_bracket_found_by_region(drawn):
    brackets = [e for e in drawn["projection"].iter("path") if e.get("id")]
    assert [e.get("id") for e in brackets] == [
        f"projection-fourchette-{code}" for code in sorted(REGIONS)
    ]  # every region's PE row is to examine here
    assert {e.get("stroke") for e in brackets} == {charts.EXAMINER}


def test_charts_need_no_plotting_library():
    """Building the report's charts imports nothing of matplotlib (seconds a report)."""
    code = (
        "import sys; from tests.lib.publication.report.test_charts import _charts; _charts(); "
        "assert not [m for m in sys.modules if m.startswith('matplotlib')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=PROJECT_ROOT)
