{% macro referentials_fingerprint() %}
    {#- One value for the content of the three referentials the facts join (departments,
        regions, ROME domains): a fact row built against other referentials carries
        another value, so that a changed seed rebuilds every fact row (fact_groups_to_build). -#}
    (
        select md5(string_agg(ligne, chr(10) order by ligne))
        from (
            {%- for seed in ['ref_departements', 'ref_regions', 'ref_rome_domaines'] %}
            select '{{ seed }} ' || cast(referentiel as varchar) as ligne
            from {{ ref(seed) }} as referentiel
            {{- "\n            union all" if not loop.last }}
            {%- endfor %}
        ) as lignes
    )
{% endmacro %}

{% macro raw_lineage() %}
    {#- The lineage of what raw holds now: one row per (source, mois_fichier) of loaded
        rows, with its load (the latest loaded_at of its rows: a load replaces a month
        whole, at a later time) and the referentials fingerprint. A month revised, purged
        (retention) or never loaded has another row, or none. -#}
    select
        groupes.source,
        groupes.mois_fichier,
        groupes.loaded_at,
        {{ referentials_fingerprint() }} as empreinte_referentiels
    from (
        select
            'SI_PE' as source,
            mois as mois_fichier,
            max(loaded_at) as loaded_at
        from {{ source('raw', 'si_pe') }}
        group by mois
        union all
        select
            'IMILO' as source,
            mois as mois_fichier,
            max(loaded_at) as loaded_at
        from {{ source('raw', 'imilo') }}
        group by mois
    ) as groupes
{% endmacro %}

{% macro fact_groups(lineage, stale) %}
    {#- The (source, mois_fichier, loaded_at) groups an incremental fact must delete
        (`stale`: its rows whose load or referentials are not `lineage`'s any more: a
        revised month, a purged one, one built against other referentials) or insert (not
        `stale`: the groups of `lineage` it does not hold with that very lineage, new,
        revised or rebuilt; every group of `lineage` on a full build). `lineage` is a query
        of source, mois_fichier, loaded_at, empreinte_referentiels, one row per group. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set faits = fact_lineage(this) -%}
    {%- set from, against = ("(" ~ faits ~ ")", "(" ~ lineage ~ ")") if stale else ("(" ~ lineage ~ ")", "(" ~ faits ~ ")") -%}
    {%- if not stale and not is_incremental() -%}
        {%- set sql = "select source, mois_fichier, loaded_at from " ~ from ~ " as groupes order by 2, 1" -%}
    {%- else -%}
        {%- set sql = "select source, mois_fichier, loaded_at from " ~ from ~ " as groupes "
            ~ "where not exists (select 1 from " ~ against ~ " as autres "
            ~ "where autres.source = groupes.source and autres.mois_fichier = groupes.mois_fichier "
            ~ "and autres.loaded_at = groupes.loaded_at "
            ~ "and autres.empreinte_referentiels = groupes.empreinte_referentiels) order by 2, 1" -%}
    {%- endif -%}
    {{ return(run_query(sql).rows) }}
{% endmacro %}

{% macro groups_filter(groups) %}
    {#- A condition on (source, mois_fichier) true for `groups` only, written as literals
        (the source names and raw's months, which ingestion wrote): DuckDB prunes the
        row groups of other months. -#}
    {%- set by_source = {} -%}
    {%- for group in groups -%}
        {%- do by_source.setdefault(group[0], []).append(group[1]) -%}
    {%- endfor -%}
    {%- if by_source -%}
        (
        {%- for source, months in by_source.items() %}
        {{ "or " if not loop.first }}(source = '{{ source }}' and mois_fichier in ('{{ months | unique | join("', '") }}'))
        {%- endfor %}
        )
    {%- else -%}
        false
    {%- endif -%}
{% endmacro %}

{% macro delete_stale_fact_rows(lineage) %}
    {#- Pre-hook of an incremental fact: delete the groups fact_groups(stale=true) names.
        What is left is exact; the build then appends the groups missing. -#}
    {%- if is_incremental() -%}
        {%- set stale = fact_groups(lineage, true) -%}
        {%- if stale -%}
            delete from {{ this }} where {{ groups_filter(stale) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{% macro groups_values(groups) %}
    {#- `groups` (source, mois_fichier, loaded_at) as a query of those three columns, the
        last named chargement. -#}
    {%- if groups -%}
        select * from (values
        {%- for group in groups %}
            ('{{ group[0] }}', '{{ group[1] }}', cast('{{ group[2] }}' as timestamp)){{ "," if not loop.last }}
        {%- endfor %}
        ) as groupes (source, mois_fichier, chargement)
    {%- else -%}
        select
            cast(null as varchar) as source,
            cast(null as varchar) as mois_fichier,
            cast(null as timestamp) as chargement
        where false
    {%- endif -%}
{% endmacro %}

{% macro fact_lineage_table() %}
    {#- The table of the facts' lineage: per fact (column fait, the table's name), the
        (source, mois_fichier, loaded_at, empreinte_referentiels) groups it was built from,
        one row each. Kept by each fact's post-hook in the transaction of its build, so
        that reading a fact's lineage costs a few dozen rows, not a distinct over every
        fact row (4 of them a build, 0.1 s each at 35 months). -#}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='fact_lineage')) }}
{% endmacro %}

{% macro fact_lineage(relation) %}
    {#- The lineage of the rows `relation` (a fact) holds, as raw_lineage gives it: the
        groups its last build was made from (record_fact_lineage). A group of no row (no
        entry in a month's file) is held too: built, with nothing to insert. -#}
    select
        source,
        mois_fichier,
        loaded_at,
        empreinte_referentiels
    from {{ fact_lineage_table() }}
    where fait = '{{ relation.identifier }}'
{% endmacro %}

{% macro record_fact_lineage(lineage) %}
    {#- Post-hook of an incremental fact, in its build's transaction: the fact now holds
        exactly `lineage`'s groups (the stale ones deleted, the missing ones inserted, or
        all of them on a full build), so `lineage` becomes its recorded lineage. -#}
    delete from {{ fact_lineage_table() }} where fait = '{{ this.identifier }}';
    insert into {{ fact_lineage_table() }}
    select '{{ this.identifier }}' as fait, lignage.*
    from ({{ lineage }}) as lignage
{% endmacro %}

{% macro ensure_fact_lineage() %}
    {#- on-run-start: create the lineage table when missing. A warehouse built before it
        has facts: their lineage is read from their rows once, here, so that their next
        build deletes and inserts what it did before. -#}
    {%- if execute -%}
        {%- set table = fact_lineage_table() -%}
        {%- if adapter.get_relation(database=table.database, schema=table.schema, identifier=table.identifier) is none -%}
            {%- do run_query(
                "create table " ~ table ~ " (fait varchar not null, source varchar not null, "
                ~ "mois_fichier varchar not null, loaded_at timestamp not null, "
                ~ "empreinte_referentiels varchar not null)"
            ) -%}
            {%- for fact in ['fct_prescriptions', 'fct_entrees'] -%}
                {%- set relation = adapter.get_relation(database=table.database, schema=table.schema, identifier=fact) -%}
                {%- if relation is not none -%}
                    {%- do run_query(
                        "insert into " ~ table ~ " select distinct '" ~ fact ~ "', source, "
                        ~ "mois_fichier, loaded_at, empreinte_referentiels from " ~ relation
                    ) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
