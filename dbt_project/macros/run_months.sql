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
