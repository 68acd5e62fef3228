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

{% macro delete_stale_fact_rows(lineage) %}
    {#- Pre-hook of an incremental fact: delete its rows whose (source, mois_fichier) load
        is not in `lineage` (a query of source, mois_fichier, loaded_at,
        empreinte_referentiels) any more: a revised month, a purged one, one built against
        other referentials. What is left is exact; fact_groups_to_build adds the rest. -#}
    {%- if is_incremental() -%}
        delete from {{ this }} as faits
        where not exists (
            select 1
            from ({{ lineage }}) as lignage
            where
                lignage.source = faits.source
                and lignage.mois_fichier = faits.mois_fichier
                and lignage.loaded_at = faits.loaded_at
                and lignage.empreinte_referentiels = faits.empreinte_referentiels
        )
    {%- endif -%}
{% endmacro %}

{% macro fact_groups_to_build(lineage) %}
    {#- A filter on (source, mois_fichier): every group of `lineage` on a full build; on an
        incremental one, the groups of `lineage` the fact does not hold with that very
        lineage (new, revised, or built against other referentials: the pre-hook
        delete_stale_fact_rows deletes their old rows first). The groups are listed as
        literals, so that DuckDB prunes the raw months it does not read. -#}
    {%- if execute and is_incremental() -%}
        {%- set missing = run_query(
            "select distinct lignage.source, lignage.mois_fichier from (" ~ lineage ~ ") as lignage "
            ~ "where not exists (select 1 from " ~ this ~ " as faits "
            ~ "where faits.source = lignage.source and faits.mois_fichier = lignage.mois_fichier "
            ~ "and faits.loaded_at = lignage.loaded_at "
            ~ "and faits.empreinte_referentiels = lignage.empreinte_referentiels) "
            ~ "order by 1, 2"
        ) -%}
        {%- set by_source = {} -%}
        {%- for row in missing.rows -%}
            {%- do by_source.setdefault(row[0], []).append(row[1]) -%}
        {%- endfor -%}
        {%- if by_source -%}
            (
            {%- for source, months in by_source.items() %}
            {{ "or " if not loop.first }}(source = '{{ source }}' and mois_fichier in ('{{ months | join("', '") }}'))
            {%- endfor %}
            )
        {%- else -%}
            false
        {%- endif -%}
    {%- else -%}
        true
    {%- endif -%}
{% endmacro %}

{% macro fact_lineage(relation) %}
    {#- The lineage of the rows `relation` (a fact) holds, as raw_lineage gives it. -#}
    select distinct
        source,
        mois_fichier,
        loaded_at,
        empreinte_referentiels
    from {{ relation }}
{% endmacro %}
