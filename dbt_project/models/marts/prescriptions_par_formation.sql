with

prescriptions as (
    select * from {{ ref('fct_prescriptions') }}
),

entrees as (
    select * from {{ ref('fct_entrees') }}
),

mois_calcules as (
    {{ run_months() }}
),

-- Counted exactly as prescriptions_mensuelles (contract §8), by type of training and grand
-- domaine: an entry takes its type and domain from its own row, each side of a matched
-- pair from its own row.
par_combinaison as (
    {{ monthly_counts(['type_formation', 'domaine_professionnel', 'libelle_domaine']) }}
),

final as (
    select
        mois,
        code_region,
        libelle_region,
        source,
        type_formation,
        domaine_professionnel,
        libelle_domaine,
        tranche_age,
        nb_prescriptions,
        nb_entrees
    from par_combinaison
)

select * from final
