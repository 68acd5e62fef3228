with

faits_prescriptions as (
    select * from {{ ref('fct_prescriptions') }}
),

faits_entrees as (
    select * from {{ ref('fct_entrees') }}
),

listes as (
    select * from {{ ref('int_secteurs_listes') }}
),

mois_calcules as (
    {{ run_months() }}
),

-- Only the rows the run's months can count are classified (the counting macro filters
-- the same way, and its other conditions too).
prescriptions_du_run as (
    select * from faits_prescriptions
    where mois in (select mois_calcules.mois_calcul from mois_calcules)
),

entrees_du_run as (
    select * from faits_entrees
    where mois_entree in (select mois_calcules.mois_calcul from mois_calcules)
),

-- Contract §9: each row classified against the sectors file of this run, in the region of
-- its row; an entry by its own row, each side of a matched pair by its own row.
prescriptions as (
    {{ classify_sector('prescriptions_du_run', 'listes') }}
),

entrees as (
    {{ classify_sector('entrees_du_run', 'listes') }}
),

-- Counted exactly as prescriptions_par_formation (the same macro), by sector instead of
-- grand domaine.
par_combinaison as (
    {{ monthly_counts(['type_formation', 'code_secteur', 'libelle_secteur']) }}
),

final as (
    select
        mois,
        code_region,
        libelle_region,
        source,
        type_formation,
        code_secteur,
        libelle_secteur,
        tranche_age,
        nb_prescriptions,
        nb_entrees
    from par_combinaison
)

select * from final
