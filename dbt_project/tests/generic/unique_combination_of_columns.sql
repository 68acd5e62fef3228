{% test unique_combination_of_columns(model, combination_of_columns) %}
{#- The grain of a model is often several columns: no two rows share them. -#}
select
    {{ combination_of_columns | join(', ') }},
    count(*) as nb_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
