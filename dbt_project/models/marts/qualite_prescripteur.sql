with

prescriptions as (
    select * from {{ ref('fct_prescriptions') }}
),

indicateurs as (
    select * from {{ ref('int_indicateurs_mensuels') }}
),

fiabilite as (
    select * from {{ ref('int_region_mois_fiabilite') }}
),

mois_calcules as (
    {{ run_months() }}
),

-- One row per region with at least one prescription counted in M, either source, for
-- each month M of the run (files up to M only, contract §2).
regions_du_mois as (
    select
        mois_calcules.mois_calcul as mois,
        prescriptions.code_region,
        prescriptions.libelle_region,
        count(*) filter (
            where
            prescriptions.source = 'SI_PE'
            and prescriptions.type_prescripteur = 'ML'
            and prescriptions.age < 26
        ) as nb_ml_si_pe_moins_26
    from prescriptions
    inner join mois_calcules
        on prescriptions.mois = mois_calcules.mois_calcul
    where
        prescriptions.mois_fichier <= mois_calcules.mois_calcul
        and prescriptions.est_prescription
    group by mois_calcules.mois_calcul, prescriptions.code_region, prescriptions.libelle_region
),

final as (
    select
        regions_du_mois.mois,
        regions_du_mois.code_region,
        regions_du_mois.libelle_region,
        coalesce(fiabilite.nb_prescriptions_si_pe, 0) as nb_prescriptions_si_pe,
        coalesce(fiabilite.nb_prescripteur_renseigne, 0) as nb_prescripteur_renseigne,
        -- Null when the region has no si_pe prescription in M.
        fiabilite.taux_renseignement,
        regions_du_mois.nb_ml_si_pe_moins_26,
        coalesce(indicateurs.valeur, 0) as nb_ml_imilo_moins_26,
        coalesce(fiabilite.fiabilite, 'FIABLE') as fiabilite
    from regions_du_mois
    left join fiabilite
        on
            regions_du_mois.code_region = fiabilite.code_region
            and regions_du_mois.mois = fiabilite.mois_calcul
            and regions_du_mois.mois = fiabilite.mois
    left join indicateurs
        on
            regions_du_mois.code_region = indicateurs.code_region
            and regions_du_mois.mois = indicateurs.mois_calcul
            and regions_du_mois.mois = indicateurs.mois
            and indicateurs.indicateur = 'PRESCRIPTIONS_ML_MOINS_26'
)

select * from final
