with

prescriptions as (
    select * from {{ ref('fct_prescriptions') }}
),

entrees as (
    select * from {{ ref('fct_entrees') }}
),

fiabilite as (
    select * from {{ ref('int_region_mois_fiabilite') }}
),

mois_calcules as (
    {{ run_months() }}
),

-- Counted as contract §5 and §7 say, by network (macros/monthly_counts.sql, shared with
-- prescriptions_par_formation so that the two tables add up alike).
par_combinaison as (
    {{ monthly_counts(['reseau_prescripteur']) }}
),

final as (
    select
        par_combinaison.mois,
        par_combinaison.code_region,
        par_combinaison.libelle_region,
        par_combinaison.source,
        par_combinaison.reseau_prescripteur,
        par_combinaison.tranche_age,
        par_combinaison.nb_prescriptions,
        par_combinaison.nb_entrees,
        -- The Pôle emploi / Mission locale split read from si_pe is flagged; I-Milo's
        -- prescriber is always known.
        case
            when par_combinaison.source = 'SI_PE'
                then coalesce(fiabilite.fiabilite, 'FIABLE')
            else 'FIABLE'
        end as fiabilite
    from par_combinaison
    left join fiabilite
        on
            par_combinaison.code_region = fiabilite.code_region
            and par_combinaison.mois = fiabilite.mois_calcul
            and par_combinaison.mois = fiabilite.mois
)

select * from final
