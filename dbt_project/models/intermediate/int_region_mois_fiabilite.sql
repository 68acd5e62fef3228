with

prescriptions as (
    select * from {{ ref('fct_prescriptions') }}
),

mois_calcules as (
    {{ run_months() }}
),

-- Counted si_pe prescriptions per month, region and file month: small, so that each
-- run month below sums only the files known as of that month.
par_fichier as (
    select
        mois,
        mois_fichier,
        code_region,
        count(*) as nb_prescriptions_si_pe,
        count(*) filter (where prescripteur_renseigne) as nb_prescripteur_renseigne
    from prescriptions
    where source = 'SI_PE' and est_prescription
    group by mois, mois_fichier, code_region
),

-- Contract §2: as of the run's month M, only the files of months up to M exist, and a
-- figure is never about a later month.
par_region_mois as (
    select
        mois_calcules.mois_calcul,
        par_fichier.mois,
        par_fichier.code_region,
        cast(sum(par_fichier.nb_prescriptions_si_pe) as bigint) as nb_prescriptions_si_pe,
        cast(sum(par_fichier.nb_prescripteur_renseigne) as bigint)
            as nb_prescripteur_renseigne
    from par_fichier
    inner join mois_calcules
        on
            par_fichier.mois_fichier <= mois_calcules.mois_calcul
            and par_fichier.mois <= mois_calcules.mois_calcul
    group by mois_calcules.mois_calcul, par_fichier.mois, par_fichier.code_region
),

final as (
    select
        mois_calcul,
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
