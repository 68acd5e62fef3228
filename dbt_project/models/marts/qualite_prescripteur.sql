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

-- One row per region with at least one prescription counted in M, either source.
regions_du_mois as (
    select
        code_region,
        libelle_region,
        count(*) filter (
            where source = 'SI_PE' and type_prescripteur = 'ML' and age < 26
        ) as nb_ml_si_pe_moins_26
    from prescriptions
    where
        mois_fichier <= '{{ var("mois") }}'
        and mois = '{{ var("mois") }}'
        and est_prescription
    group by code_region, libelle_region
),

final as (
    select
        '{{ var("mois") }}' as mois,
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
            and fiabilite.mois = '{{ var("mois") }}'
    left join indicateurs
        on
            regions_du_mois.code_region = indicateurs.code_region
            and indicateurs.mois = '{{ var("mois") }}'
            and indicateurs.indicateur = 'PRESCRIPTIONS_ML_MOINS_26'
)

select * from final
