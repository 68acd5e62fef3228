{% macro delete_run_month() %}
    {#- Pre-hook of the marts: remove the run's months before they are rebuilt (see dbt_project.yml). -#}
    {%- if is_incremental() -%}
        delete from {{ this }} where mois in ({{ run_months() }})
    {%- endif -%}
{% endmacro %}
