{% macro check_run_vars() %}
    {#- Fail the run early, naming the var, when Dagster's --vars are missing or malformed:
        they are formatted into SQL, so they are checked before any model runs. The months:
        mois_debut and mois_fin (a range, inclusive), or mois alone (one month). -#}
    {%- if execute -%}
        {%- set mois = var('mois', none) -%}
        {%- set debut, fin = run_month_bounds() -%}
        {%- if mois is not none and (var('mois_debut', none) is not none or var('mois_fin', none) is not none) -%}
            {{ exceptions.raise_compiler_error("give either var 'mois' or vars 'mois_debut' and 'mois_fin', not both") }}
        {%- endif -%}
        {%- for name, value in [('mois_debut' if mois is none else 'mois', debut), ('mois_fin' if mois is none else 'mois', fin)] -%}
            {%- if value is none or not modules.re.fullmatch('20[2-9][0-9]-(0[1-9]|1[0-2])', value | string) -%}
                {{ exceptions.raise_compiler_error("var '" ~ name ~ "' must be a month YYYY-MM (from 2021-01), got: " ~ value) }}
            {%- endif -%}
            {%- if value < '2021-01' -%}
                {{ exceptions.raise_compiler_error("var '" ~ name ~ "' must be 2021-01 or later, got: " ~ value) }}
            {%- endif -%}
        {%- endfor -%}
        {%- if fin < debut -%}
            {{ exceptions.raise_compiler_error("var 'mois_fin' (" ~ fin ~ ") is before var 'mois_debut' (" ~ debut ~ ")") }}
        {%- endif -%}
        {%- set seuil = var('seuil_remplissage', none) -%}
        {%- if seuil is none or seuil is string or seuil is boolean or not (seuil is number) or seuil < 0 or seuil > 1 -%}
            {{ exceptions.raise_compiler_error("var 'seuil_remplissage' must be a number between 0 and 1, got: " ~ seuil) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
