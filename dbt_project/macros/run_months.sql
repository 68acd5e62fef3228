{% macro run_months() %}
    {#- The months this invocation computes, one row each (column mois_calcul), from the vars
        mois_debut and mois_fin (inclusive), or mois alone for a single month. A month's
        figures are computed as of that month (contract §2) whatever the range: a range
        run gives the same rows as one run per month (tests/defs/test_backfill.py). -#}
    select strftime(debut_mois, '%Y-%m') as mois_calcul
    from range(
        cast('{{ run_month_bounds()[0] }}-01' as date),
        cast('{{ run_month_bounds()[1] }}-01' as date) + interval 1 month,
        interval 1 month
    ) as mois_du_run (debut_mois)
{% endmacro %}

{% macro run_month_bounds() %}
    {#- (first, last) month of the run: vars mois_debut and mois_fin, else mois for both. -#}
    {%- set mois = var('mois', none) -%}
    {{ return((var('mois_debut', mois), var('mois_fin', mois))) }}
{% endmacro %}

{% macro first_month_read() %}
    {#- The earliest month (YYYY-MM) of the figures the marts read for the run's months:
        the start of each region's objective period containing a run month (suivi_otp
        and projection_otp sum from periode_debut to M), and the run's first month
        (qualite_prescripteur reads M itself). A literal, so that DuckDB skips the row
        groups of earlier months (the facts are stored month by month). -#}
    {%- set debut, fin = run_month_bounds() -%}
    {%- if model.resource_type == 'unit_test' -%}
        {#- A unit test reads only its given rows, no table: every month kept. -#}
        {{ return('') }}
    {%- endif -%}
    {#- ref'd before the parse returns: the model depends on the periods. -#}
    {%- set periodes = ref('stg_objectifs__periodes') -%}
    {%- if not execute -%}
        {{ return(debut) }}
    {%- endif -%}
    {%- set sql -%}
        select min(periode_debut) from {{ periodes }}
        where periode_debut <= '{{ fin }}' and periode_fin >= '{{ debut }}'
    {%- endset -%}
    {%- set earliest = run_query(sql).columns[0].values()[0] -%}
    {{ return(debut if earliest is none or earliest > debut else earliest) }}
{% endmacro %}
