with

periodes as (
    select * from {{ ref('stg_objectifs__periodes') }}
),

indicateurs as (
    select * from {{ ref('int_indicateurs_mensuels') }}
),

fiabilite as (
    select * from {{ ref('int_region_mois_fiabilite') }}
),

regions as (
    select * from {{ ref('ref_regions') }}
),

mois_calcules as (
    {{ run_months() }}
),

-- For each month M of the run, the objective period of each region that contains M
-- (periods never overlap), with k = months from periode_debut to M inclusive and n =
-- months in the period.
periodes_en_cours as (
    select
        mois_calcules.mois_calcul as mois,
        periodes.code_region,
        periodes.periode_debut,
        periodes.periode_fin,
        periodes.objectif_entrees_moins_30,
        periodes.sous_objectif_pe_moins_30,
        periodes.sous_objectif_ml_moins_26,
        {{ nb_mois('periodes.periode_debut', 'mois_calcules.mois_calcul') }} as nb_mois_ecoules,
        {{ nb_mois('periodes.periode_debut', 'periodes.periode_fin') }} as nb_mois_periode
    from periodes
    inner join mois_calcules
        on
            periodes.periode_debut <= mois_calcules.mois_calcul
            and periodes.periode_fin >= mois_calcules.mois_calcul
),

objectifs as (
    select
        *,
        'ENTREES_MOINS_30' as indicateur,
        objectif_entrees_moins_30 as objectif
    from periodes_en_cours
    union all
    select
        *,
        'PRESCRIPTIONS_PE_MOINS_30' as indicateur,
        sous_objectif_pe_moins_30 as objectif
    from periodes_en_cours
    union all
    select
        *,
        'PRESCRIPTIONS_ML_MOINS_26' as indicateur,
        sous_objectif_ml_moins_26 as objectif
    from periodes_en_cours
),

-- Indicator summed from periode_debut to M; months before 2021-01 (the first month of
-- data, contract §1) add 0. A region without activity keeps its rows, with zeros.
realise as (
    select
        objectifs.mois,
        objectifs.code_region,
        objectifs.indicateur,
        cast(
            coalesce(
                sum(indicateurs.valeur) filter (where indicateurs.mois = objectifs.mois), 0
            )
            as bigint
        ) as realise_mois,
        cast(coalesce(sum(indicateurs.valeur), 0) as bigint) as realise_cumule
    from objectifs
    left join indicateurs
        on
            objectifs.mois = indicateurs.mois_calcul
            and objectifs.code_region = indicateurs.code_region
            and objectifs.indicateur = indicateurs.indicateur
            and objectifs.periode_debut <= indicateurs.mois
            and indicateurs.mois >= '2021-01'
            and objectifs.mois >= indicateurs.mois
    group by objectifs.mois, objectifs.code_region, objectifs.indicateur
),

-- Contract §7: PRESCRIPTIONS_PE_MOINS_30 is A_EXAMINER when any month of the period so
-- far is A_EXAMINER for the region.
periodes_a_examiner as (
    select distinct
        periodes_en_cours.mois,
        periodes_en_cours.code_region
    from periodes_en_cours
    inner join fiabilite
        on
            periodes_en_cours.mois = fiabilite.mois_calcul
            and periodes_en_cours.code_region = fiabilite.code_region
            and periodes_en_cours.periode_debut <= fiabilite.mois
            and periodes_en_cours.mois >= fiabilite.mois
    where fiabilite.fiabilite = 'A_EXAMINER'
),

suivis as (
    select
        objectifs.mois,
        objectifs.code_region,
        regions.libelle as libelle_region,
        objectifs.indicateur,
        objectifs.periode_debut,
        objectifs.periode_fin,
        objectifs.objectif,
        realise.realise_mois,
        realise.realise_cumule,
        case
            when objectifs.objectif <> 0
                then cast(realise.realise_cumule as double) / objectifs.objectif
        end as taux_realisation,
        -- (objectif × k) / n in double precision (contract §5).
        cast(objectifs.objectif as double)
        * objectifs.nb_mois_ecoules
        / objectifs.nb_mois_periode as cible_lineaire,
        case
            when
                objectifs.indicateur = 'PRESCRIPTIONS_PE_MOINS_30'
                and periodes_a_examiner.code_region is not null
                then 'A_EXAMINER'
            else 'FIABLE'
        end as fiabilite
    from objectifs
    inner join realise
        on
            objectifs.mois = realise.mois
            and objectifs.code_region = realise.code_region
            and objectifs.indicateur = realise.indicateur
    left join regions
        on objectifs.code_region = regions.reg
    left join periodes_a_examiner
        on
            objectifs.mois = periodes_a_examiner.mois
            and objectifs.code_region = periodes_a_examiner.code_region
),

final as (
    select
        mois,
        code_region,
        libelle_region,
        indicateur,
        periode_debut,
        periode_fin,
        objectif,
        realise_mois,
        realise_cumule,
        taux_realisation,
        cible_lineaire,
        realise_cumule - cible_lineaire as ecart_cible,
        fiabilite
    from suivis
)

select * from final
