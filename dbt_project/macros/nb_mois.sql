{% macro nb_mois(premier_mois, dernier_mois) %}
    {#- Calendar months from `premier_mois` to `dernier_mois` inclusive, both SQL
        expressions of text YYYY-MM: the k and n of contract §5 and §8, which count months
        before 2021-01 too. -#}
    (date_diff(
        'month',
        cast({{ premier_mois }} || '-01' as date),
        cast({{ dernier_mois }} || '-01' as date)
    ) + 1)
{% endmacro %}
