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

-- Each source on its own: a matched pair is counted under both sources here.
-- Only the files of months up to M (contract §2).
comptes as (
    select
        code_region,
        libelle_region,
        source,
        reseau_prescripteur,
        tranche_age,
        1 as est_prescription,
        0 as est_entree
    from prescriptions
    where
        mois_fichier <= '{{ var("mois") }}'
        and mois = '{{ var("mois") }}'
        and est_prescription
    union all
    select
        code_region,
        libelle_region,
        source,
        reseau_prescripteur,
        tranche_age,
        0 as est_prescription,
        1 as est_entree
    from entrees
    where
        mois_fichier <= '{{ var("mois") }}'
        and mois_entree = '{{ var("mois") }}'
),

par_combinaison as (
    select
        code_region,
        libelle_region,
        source,
        reseau_prescripteur,
        tranche_age,
        cast(sum(est_prescription) as bigint) as nb_prescriptions,
        cast(sum(est_entree) as bigint) as nb_entrees
    from comptes
    group by code_region, libelle_region, source, reseau_prescripteur, tranche_age
),

final as (
    select
        '{{ var("mois") }}' as mois,
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
            and fiabilite.mois = '{{ var("mois") }}'
)

select * from final
