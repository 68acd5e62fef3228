"""Odd values in optional columns (§3): counted per column in the manifest, never quarantined."""

from otp_pipeline.lib.ingestion.codes import upper_sql
from otp_pipeline.lib.settings import FINANCEURS, TYPES_FORMATION, TYPES_PRESCRIPTEUR
from otp_pipeline.lib.warehouse import rome_domain_codes

# column → SQL condition on the trimmed text that makes a non-empty value odd. A code_rome
# is odd when §8 cannot read a grand domaine from it: one character then four ASCII
# digits, that character a code of rome_domaines.csv (`J15`, `Z1234`, `J 1501` are odd).
ODD_VALUE_RULES = {
    "type_prescripteur": (
        f"not list_contains($types_prescripteur, {upper_sql('type_prescripteur')})"
    ),
    "formacode": "not regexp_full_match(formacode, '[0-9]{5}')",
    "code_rome": (
        f"not (regexp_full_match(code_rome, '.[0-9]{{4}}')"
        f" and list_contains($domaines_rome, left({upper_sql('code_rome')}, 1)))"
    ),
    "type_formation": f"not list_contains($types_formation, {upper_sql('type_formation')})",
    "financeur": f"not list_contains($financeurs, {upper_sql('financeur')})",
    "duree_heures": "not regexp_full_match(duree_heures, '[0-9]+')",
}


def odd_values_sql(columns: tuple[str, ...]) -> str:
    """One row: for each optional column, the loaded rows whose non-empty value is odd."""
    counts = ", ".join(
        f"count(*) filter (where {column} <> '' and {ODD_VALUE_RULES[column]}) as {column}"
        for column in columns
    )
    return f"select {counts} from checked_rows where reason is null and not is_duplicate"


INVALID_PRESCRIPTEUR_SQL = f"""
select {upper_sql("type_prescripteur")} as value, count(*) as n
from checked_rows
where reason is null and not is_duplicate
  and type_prescripteur <> ''
  and not list_contains($types_prescripteur, {upper_sql("type_prescripteur")})
group by all
order by value
"""


def odd_value_parameters(columns: tuple[str, ...]) -> dict:
    """The bound parameters the statements above use, only those they name."""
    every = {
        "types_prescripteur": list(TYPES_PRESCRIPTEUR),
        "types_formation": list(TYPES_FORMATION),
        "financeurs": list(FINANCEURS),
        "domaines_rome": sorted(rome_domain_codes()),
    }
    text = " ".join(ODD_VALUE_RULES[column] for column in columns)
    return {name: value for name, value in every.items() if f"${name}" in text}
