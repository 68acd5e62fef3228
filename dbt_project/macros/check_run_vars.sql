{% macro check_run_vars() %}
    {#- Fail the run early, naming the var, when Dagster's --vars are missing or malformed:
        both are formatted into SQL, so they are checked before any model runs. -#}
    {%- if execute -%}
        {%- set mois = var('mois', none) -%}
        {%- set seuil = var('seuil_remplissage', none) -%}
        {%- if mois is none or not modules.re.fullmatch('20[2-9][0-9]-(0[1-9]|1[0-2])', mois | string) -%}
            {{ exceptions.raise_compiler_error("var 'mois' must be a month YYYY-MM (from 2021-01), got: " ~ mois) }}
        {%- endif -%}
        {%- if mois < '2021-01' -%}
            {{ exceptions.raise_compiler_error("var 'mois' must be 2021-01 or later, got: " ~ mois) }}
        {%- endif -%}
        {%- if seuil is none or seuil is string or seuil is boolean or not (seuil is number) or seuil < 0 or seuil > 1 -%}
            {{ exceptions.raise_compiler_error("var 'seuil_remplissage' must be a number between 0 and 1, got: " ~ seuil) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
