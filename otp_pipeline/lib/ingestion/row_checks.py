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


def checked_rows_sql(feed: Feed) -> tuple[str, ...]:
    """`landing_rows` (trimmed text) → the view `checked_rows`: typed values, first reason
    and the duplicate rule; statements to run in order, on the same parameters.

    Reasons are tried in a fixed order, so a row with several faults always gets the same.
    The month's rows are written once (`row_faults`, streamed from `landing_rows`, which
    may be a view over the file's lines); the duplicate rule's ids, the few on several rows,
    go to a small table that `checked_rows` joins. Then the person columns are dropped.
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
    personal = [
        _q(column) for column in (*feed.columns, "d_naissance")
        if column in (*PERSONAL_COLUMNS, "d_naissance")
    ]  # fmt: skip
    row_faults = f"""
create or replace temp table row_faults as
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
)
select *, coalesce({", ".join(reasons)}) as row_reason from aged
"""
    repeated = f"""
create or replace temp table repeated_ids as
with
-- The ids (with whether their rows are well formed) found on several rows: how many rows,
-- and the first line. Plain grouped aggregates joined back, not window functions: a
-- window's DISTINCT aggregate and its partition sort ran out of memory on a 10 M-row
-- month; hash aggregates and a hash join spill to disk. Only the repeated ids are joined
-- back: on a month of ids once each the join's build side is empty (every row of every
-- id joined back cost a fifth of the row checks at ×10).
per_id as (
    select
        {_q(feed.id_column)} as key_id,
        row_reason is null as well_formed,
        count(*) as copies,
        min(line_number) as first_line
    from row_faults
    group by all
    having count(*) > 1
),
-- Only an id on several rows can have rows that differ: the text of those rows alone is
-- compared (the text itself, no hash to collide).
per_text as (
    select distinct
        per_id.key_id,
        per_id.well_formed,
        to_json(list_value({row_text})) as row_text
    from row_faults as first_fault
    inner join per_id
        on first_fault.{_q(feed.id_column)} is not distinct from per_id.key_id
        and (first_fault.row_reason is null) = per_id.well_formed
),
varied as (
    select per_id.key_id, per_id.well_formed, per_id.first_line, count(*) as variants
    from per_id
    inner join per_text
        on per_id.key_id is not distinct from per_text.key_id
        and per_id.well_formed = per_text.well_formed
    group by all
)
select * from varied
"""
    # The person columns stop here: the row text above held them for the duplicate check,
    # the age is what is kept of the birth date.
    drops = tuple(f"alter table row_faults drop column {column}" for column in personal)
    checked = f"""
create or replace temp view checked_rows as
-- An id not in `repeated_ids` is on one row.
select
    first_fault.*,
    coalesce(varied.variants, 1) as variants,
    case when first_fault.row_reason is not null then first_fault.row_reason
         when varied.variants > 1 then '{REASON_CONFLICTING_ID}' end as reason,
    first_fault.row_reason is null and coalesce(varied.variants, 1) = 1
        and first_fault.line_number > coalesce(varied.first_line, first_fault.line_number)
        as is_duplicate
from row_faults as first_fault
left join repeated_ids as varied
    on first_fault.{_q(feed.id_column)} is not distinct from varied.key_id
    and (first_fault.row_reason is null) = varied.well_formed
"""
    return (row_faults, repeated, *drops, checked)


def drop_checked_rows(con) -> None:
    """Drop what `checked_rows_sql` made (the view first: it reads the tables)."""
    for statement in _DROP_CHECKED:
        con.execute(statement)


_DROP_CHECKED = (
    "drop view if exists checked_rows",
    "drop table if exists repeated_ids",
    "drop table if exists row_faults",
)


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
