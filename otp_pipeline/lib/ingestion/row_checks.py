"""The row checks of §3 and §6 as DuckDB SQL over a feed's trimmed text rows.

Statements are assembled from the contract's column names (constants of `settings.py`,
never file content); every value — month bounds, formats, codes, departments — is a bound
parameter.
"""

from otp_pipeline.lib.ingestion.codes import upper_sql
from otp_pipeline.lib.personal_data import age_sql, fault_sql
from otp_pipeline.lib.settings import (
    AGE_MAX,
    AGE_MIN,
    ENTRY_STATUTS,
    PERSONAL_COLUMNS,
    REASON_AGE,
    REASON_BAD_DATE,
    REASON_CONFLICTING_ID,
    REASON_ENTRY_BEFORE,
    REASON_MISSING,
    REASON_OUTSIDE_MONTH,
    REASON_UNKNOWN_DEPARTEMENT,
    REASON_UNKNOWN_STATUT,
    STATUTS,
    Feed,
)

DATE_COLUMNS = ("date_naissance", "date_prescription", "date_entree")


def _q(identifier: str) -> str:
    """A quoted identifier; only ever called on the contract's constant column names."""
    return '"' + identifier.replace('"', '""') + '"'


def _parsed_date(column: str) -> str:
    return (
        f"case when regexp_full_match({_q(column)}, $date_pattern) "
        f"then try_strptime({_q(column)}, $date_format)::date end"
    )


def checked_rows_sql(feed: Feed) -> str:
    """`landing_rows` (trimmed text) → temp table `checked_rows`: typed values + first reason.

    Reasons are tried in a fixed order, so a row with several faults always gets the same.
    """
    reasons = [
        f"case when {_q(column)} = '' then '{REASON_MISSING}:{column}' end"
        for column in feed.required
    ]
    reasons += [
        f"case when d_naissance is null then '{REASON_BAD_DATE}:date_naissance' end",
        f"case when d_prescription is null then '{REASON_BAD_DATE}:date_prescription' end",
        f"case when not list_contains($departements, n_departement) "
        f"then '{REASON_UNKNOWN_DEPARTEMENT}' end",
        f"case when not list_contains($statuts, n_statut) then '{REASON_UNKNOWN_STATUT}' end",
        "case when d_prescription < $first_day or d_prescription >= $next_month "
        f"then '{REASON_OUTSIDE_MONTH}' end",
        "case when is_entry and date_entree <> '' and d_entree is null "
        f"then '{REASON_BAD_DATE}:date_entree' end",
        f"case when age not between {AGE_MIN} and {AGE_MAX} then '{REASON_AGE}' end",
        f"case when is_entry and d_entree < d_prescription then '{REASON_ENTRY_BEFORE}' end",
    ]
    row_text = ", ".join(f"first_fault.{_q(column)}" for column in feed.columns)
    personal = ", ".join(
        _q(column) for column in (*feed.columns, "d_naissance")
        if column in (*PERSONAL_COLUMNS, "d_naissance")
    )  # fmt: skip
    return f"""
create or replace temp table checked_rows as
with normalised as (
    select
        *,
        case when regexp_full_match(code_departement, '[1-9]') then '0' || code_departement
             else {upper_sql("code_departement")} end as n_departement,
        {upper_sql("statut")} as n_statut,
        list_contains($entry_statuts, {upper_sql("statut")}) as is_entry,
        {_parsed_date("date_naissance")} as d_naissance,
        {_parsed_date("date_prescription")} as d_prescription,
        {_parsed_date("date_entree")} as d_entree
    from landing_rows
),
aged as (
    select *, {age_sql("d_naissance", "d_prescription")} as age from normalised
),
-- Materialised: read three times below, its expressions are computed once.
first_fault as materialized (
    select *, coalesce({", ".join(reasons)}) as row_reason from aged
),
-- Per id (and whether its rows are well formed): how many rows, and its first line.
-- Plain grouped aggregates joined back, not window functions: a window's DISTINCT
-- aggregate and its partition sort ran out of memory on a 10 M-row month; hash
-- aggregates and a hash join spill to disk.
per_id as (
    select
        {_q(feed.id_column)} as key_id,
        row_reason is null as well_formed,
        count(*) as copies,
        min(line_number) as first_line
    from first_fault
    group by all
),
-- Only an id on several rows can have rows that differ: the text of those rows alone is
-- compared (the text itself, no hash to collide), every other id has one variant.
per_text as (
    select distinct
        per_id.key_id,
        per_id.well_formed,
        to_json(list_value({row_text})) as row_text
    from first_fault
    inner join per_id
        on first_fault.{_q(feed.id_column)} is not distinct from per_id.key_id
        and (first_fault.row_reason is null) = per_id.well_formed
    where per_id.copies > 1
),
repeated as (
    select key_id, well_formed, count(*) as variants from per_text group by all
),
varied as (
    select per_id.*, coalesce(repeated.variants, 1) as variants
    from per_id
    left join repeated
        on per_id.key_id is not distinct from repeated.key_id
        and per_id.well_formed = repeated.well_formed
)
-- The person columns stop here: the row text above holds them for the duplicate check,
-- the age is what is kept of the birth date.
select
    first_fault.* exclude ({personal}),
    per_id.variants,
    case when first_fault.row_reason is not null then first_fault.row_reason
         when per_id.variants > 1 then '{REASON_CONFLICTING_ID}' end as reason,
    first_fault.row_reason is null and per_id.variants = 1
        and first_fault.line_number > per_id.first_line as is_duplicate
from first_fault
inner join varied as per_id
    on first_fault.{_q(feed.id_column)} is not distinct from per_id.key_id
    and (first_fault.row_reason is null) = per_id.well_formed
"""


def check_parameters(feed: Feed, first_day, next_month, departements) -> dict:
    return {
        "date_pattern": feed.date_pattern,
        "date_format": feed.date_format,
        "departements": sorted(departements),
        "statuts": list(STATUTS),
        "entry_statuts": list(ENTRY_STATUTS),
        "first_day": first_day,
        "next_month": next_month,
    }


def raw_insert_sql(feed: Feed) -> str:
    """Insert the loaded rows of `checked_rows` into `raw.<feed>`, normalised and typed."""
    typed = {
        "date_prescription": "d_prescription",
        "date_entree": "case when is_entry then d_entree end",
        "code_departement": "n_departement",
        "statut": "n_statut",
    }
    columns = stored_columns(feed)
    values = []
    for column in columns:
        if column == "age":
            values.append("age")
        elif column in typed:
            values.append(typed[column])
        elif column in feed.upper_columns:
            values.append(f"nullif({upper_sql(_q(column))}, '')")
        else:
            values.append(f"nullif({_q(column)}, '')")
    names = ", ".join(["mois", *map(_q, columns), *LINEAGE])
    return f"""
insert into raw.{_q(feed.name)} ({names})
select $mois, {", ".join(values)}, $source_file, $revision, $sha256, line_number, $loaded_at
from checked_rows
where reason is null and not is_duplicate
"""


LINEAGE = ("source_file", "revision", "sha256", "line_number", "loaded_at")


def stored_columns(feed: Feed) -> tuple[str, ...]:
    """The feed's columns as `raw.<feed>` stores them: the person columns left out, the
    age where the birth date was."""
    return tuple(
        "age" if column == "date_naissance" else column
        for column in feed.columns
        if column == "date_naissance" or column not in PERSONAL_COLUMNS
    )


def quarantine_insert_sql(feed: Feed) -> str:
    """Insert the quarantined rows of `checked_rows` into `raw.quarantine`: file, line,
    reason, record id, the column at fault and its value (never a person column's)."""
    column_sql, value_sql = fault_sql(feed, _q)
    return f"""
insert into raw.quarantine by name
with faults as (
    select *, {column_sql} as fault_column from checked_rows where reason is not null
)
select
    $source as source, $mois as mois, $source_file as source_file, $revision as revision,
    $sha256 as sha256, line_number, reason, nullif({_q(feed.id_column)}, '') as record_id,
    fault_column, {value_sql} as fault_value, $loaded_at as loaded_at
from faults
"""
