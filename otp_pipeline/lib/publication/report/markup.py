"""HTML pieces every section of `rapport.html` shares: tables, reliability flags, labels.

Every value from a table goes through `html.escape` here or in the caller (then `raw=True`).
"""

from html import escape

SOURCES = {"SI_PE": "SI Pôle emploi (AIS)", "IMILO": "I-Milo (Missions locales)"}
SHORT_SOURCES = {"SI_PE": "SI PE", "IMILO": "I-Milo"}  # in tables with many columns
NO_PERIOD = "<p>Aucune région n'a de période d'objectifs couvrant ce mois.</p>"
NO_ACTIVITY = "<p>Aucune prescription ni entrée ce mois-ci.</p>"


def table(
    head: list[str], body: list[list[str]], left: int = 1, raw: bool = False,
    over: list[tuple[str, int]] | None = None, nowrap: int = 0, css: str = "",
) -> str:  # fmt: skip
    """An HTML table; the first `left` columns are text, the others right-aligned numbers.

    Cells are escaped unless `raw` (the caller escaped them and may hold markup). `over`: a
    first header line of (label, columns spanned) grouping the columns below it; the first
    `nowrap` columns never wrap (region names, sources); `css`: the table's class.
    """
    cell = (lambda value: value) if raw else escape
    lines = [f'<table class="{escape(css)}">' if css else "<table>"]
    if over:
        lines.append("<tr>" + "".join(f'<th colspan="{span}">{escape(label)}</th>'
                                      for label, span in over) + "</tr>")  # fmt: skip
    lines.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>")
    for row in body:
        cells = [f'<td class="n">{cell(v)}</td>' if i >= left
                 else f'<td class="t">{cell(v)}</td>' if i < nowrap
                 else f"<td>{cell(v)}</td>" for i, v in enumerate(row)]  # fmt: skip
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join([*lines, "</table>"])


def region(row: dict) -> str:
    """'11 — Île-de-France', escaped."""
    return f"{escape(row['code_region'])} — {escape(row['libelle_region'])}"


def period(row: dict) -> str:
    text = f"{row['periode_debut']} → {row['periode_fin']}"
    return f'<span class="periode">{escape(text)}</span>'


def flag(fiabilite: str) -> str:
    return '<span class="examiner">à examiner</span>' if fiabilite == "A_EXAMINER" else "fiable"
