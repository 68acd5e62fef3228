with

prescriptions as (
    select * from {{ ref('fct_prescriptions') }}
),

-- Contract §2: as of the run's month M, only the files of months up to M exist.
prescriptions_si_pe_comptees as (
    select * from prescriptions
    where
        mois_fichier <= '{{ var("mois") }}'
        and source = 'SI_PE'
        and est_prescription
),

par_region_mois as (
    select
        mois,
        code_region,
        count(*) as nb_prescriptions_si_pe,
        count(*) filter (where prescripteur_renseigne) as nb_prescripteur_renseigne
    from prescriptions_si_pe_comptees
    group by mois, code_region
),

final as (
    select
        mois,
        code_region,
        nb_prescriptions_si_pe,
        nb_prescripteur_renseigne,
        cast(nb_prescripteur_renseigne as double)
        / nb_prescriptions_si_pe as taux_renseignement,
        -- Strictly below the threshold (contract §5). Compared as renseigne < seuil × total
        -- with the threshold a DECIMAL literal: exact, so 27 of 30 against 0.90 is
        -- 27 < 27.0, FIABLE, whatever the rounding of 27 / 30 in double.
        case
            when
                nb_prescripteur_renseigne
                < {{ var('seuil_remplissage') }} * nb_prescriptions_si_pe
                then 'A_EXAMINER'
            else 'FIABLE'
        end as fiabilite
    from par_region_mois
)

select * from final
