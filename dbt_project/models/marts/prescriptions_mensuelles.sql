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

-- Each source on its own: a matched pair is counted under both sources here.
-- Only the files of months up to M (contract §2), for each month M of the run.
comptes as (
    select
        mois_calcules.mois_calcul as mois,
        prescriptions.code_region,
        prescriptions.libelle_region,
        prescriptions.source,
        prescriptions.reseau_prescripteur,
        prescriptions.tranche_age,
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
        entrees.code_region,
        entrees.libelle_region,
        entrees.source,
        entrees.reseau_prescripteur,
        entrees.tranche_age,
        0 as est_prescription,
        1 as est_entree
    from entrees
    inner join mois_calcules
        on entrees.mois_entree = mois_calcules.mois_calcul
    where entrees.mois_fichier <= mois_calcules.mois_calcul
),

par_combinaison as (
    select
        mois,
        code_region,
        libelle_region,
        source,
        reseau_prescripteur,
        tranche_age,
        cast(sum(est_prescription) as bigint) as nb_prescriptions,
        cast(sum(est_entree) as bigint) as nb_entrees
    from comptes
    group by mois, code_region, libelle_region, source, reseau_prescripteur, tranche_age
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
