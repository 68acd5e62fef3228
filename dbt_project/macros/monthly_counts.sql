{% macro monthly_counts(dimensions) %}
    {#- The prescriptions and entries counted in each month M of the run, one row per
        combination of mois, code_region, libelle_region, source, `dimensions` and
        tranche_age, with nb_prescriptions and nb_entrees (both above 0 together).

        One counting rule for the marts of contract §7 and §8 (prescriptions_mensuelles by
        network, prescriptions_par_formation by type and domain), so that their sums agree:
        each source on its own (a matched pair under both); a prescription in the month of
        date_prescription unless ANNULEE, an entry in the month of date_entree; only the
        files of months up to M (contract §2). `dimensions` are columns of both facts.

        Expects the calling model's CTEs prescriptions (fct_prescriptions), entrees
        (fct_entrees) and mois_calcules (run_months()). -#}
    {%- set columns = ['code_region', 'libelle_region', 'source'] + dimensions + ['tranche_age'] -%}
    select
        mois,
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        cast(sum(est_prescription) as bigint) as nb_prescriptions,
        cast(sum(est_entree) as bigint) as nb_entrees
    from (
        select
            mois_calcules.mois_calcul as mois,
            {%- for column in columns %}
            prescriptions.{{ column }},
            {%- endfor %}
            1 as est_prescription,
            0 as est_entree
        from prescriptions
        inner join mois_calcules
            on prescriptions.mois = mois_calcules.mois_calcul
        where
            prescriptions.mois_fichier <= mois_calcules.mois_calcul
            and prescriptions.est_prescription
        union all
        select
            mois_calcules.mois_calcul as mois,
            {%- for column in columns %}
            entrees.{{ column }},
            {%- endfor %}
            0 as est_prescription,
            1 as est_entree
        from entrees
        inner join mois_calcules
            on entrees.mois_entree = mois_calcules.mois_calcul
        where entrees.mois_fichier <= mois_calcules.mois_calcul
    ) as comptes
    group by
        mois
        {%- for column in columns %},
        {{ column }}
        {%- endfor %}
{% endmacro %}
