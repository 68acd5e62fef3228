"""Odd values in optional columns (§3): counted per column in the manifest, never quarantined."""

from otp_pipeline.lib.settings import FINANCEURS, TYPES_FORMATION, TYPES_PRESCRIPTEUR

# column → SQL condition on the trimmed text that makes a non-empty value odd.
ODD_VALUE_RULES = {
    "type_prescripteur": ("not list_contains($types_prescripteur, upper(type_prescripteur))"),
    "formacode": "not regexp_full_match(formacode, '[0-9]{5}')",
    "code_rome": "not regexp_full_match(upper(code_rome), '[A-Z][0-9]{4}')",
    "type_formation": "not list_contains($types_formation, upper(type_formation))",
    "financeur": "not list_contains($financeurs, upper(financeur))",
    "duree_heures": "not regexp_full_match(duree_heures, '[0-9]+')",
}


def odd_values_sql(columns: tuple[str, ...]) -> str:
    """One row: for each optional column, the loaded rows whose non-empty value is odd."""
    counts = ", ".join(
        f"count(*) filter (where {column} <> '' and {ODD_VALUE_RULES[column]}) as {column}"
        for column in columns
    )
    return f"select {counts} from checked_rows where reason is null and not is_duplicate"


INVALID_PRESCRIPTEUR_SQL = """
select upper(type_prescripteur) as value, count(*) as n
from checked_rows
where reason is null and not is_duplicate
  and type_prescripteur <> ''
  and not list_contains($types_prescripteur, upper(type_prescripteur))
group by all
order by value
"""


def odd_value_parameters(columns: tuple[str, ...]) -> dict:
    """The bound parameters the statements above use, only those they name."""
    every = {
        "types_prescripteur": list(TYPES_PRESCRIPTEUR),
        "types_formation": list(TYPES_FORMATION),
        "financeurs": list(FINANCEURS),
    }
    text = " ".join(ODD_VALUE_RULES[column] for column in columns)
    return {name: value for name, value in every.items() if f"${name}" in text}
