{% macro classify_sector(rows, listes) %}
    {#- The rows of the CTE `rows` (with code_region, domaine_professionnel and the
        upper-cased code_rome of a known domain) plus code_secteur and libelle_secteur
        (contract §9): NON_RENSEIGNE when the domain is; else the sector of the longest
        prefix of the region's list (CTE `listes`, int_secteurs_listes) that begins the
        code; else HORS_LISTE (no prefix, or no list).

        A code_rome is one letter and four digits: its prefixes are its first 1 to 5
        characters, each looked up by equality (five hash joins, each at most one match
        since a prefix appears once per list) rather than a starts_with join, which would
        be a nested loop. -#}
    {%- set lengths = [5, 4, 3, 2, 1] -%}
    select
        {{ rows }}.*,
        case
            when {{ rows }}.domaine_professionnel = 'NON_RENSEIGNE' then 'NON_RENSEIGNE'
            else coalesce(
                {%- for n in lengths %}
                prefixe_{{ n }}.code_secteur,
                {%- endfor %}
                'HORS_LISTE'
            )
        end as code_secteur,
        case
            when {{ rows }}.domaine_professionnel <> 'NON_RENSEIGNE' then coalesce(
                {%- for n in lengths %}
                prefixe_{{ n }}.libelle_secteur{{ "," if not loop.last }}
                {%- endfor %}
            )
        end as libelle_secteur
    from {{ rows }}
    {%- for n in lengths %}
    left join {{ listes }} as prefixe_{{ n }}
        on
            {{ rows }}.code_region = prefixe_{{ n }}.code_region
            and left({{ rows }}.code_rome, {{ n }}) = prefixe_{{ n }}.prefixe_rome
    {%- endfor %}
{% endmacro %}
