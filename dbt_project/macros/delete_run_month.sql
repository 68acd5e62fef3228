{% macro delete_run_month() %}
    {#- Pre-hook of the marts: remove the run's month before it is rebuilt (see dbt_project.yml). -#}
    {%- if is_incremental() -%}
        delete from {{ this }} where mois = '{{ var("mois") }}'
    {%- endif -%}
{% endmacro %}
