with

suivi as (
    select * from {{ ref('suivi_otp') }}
),

indicateurs as (
    select * from {{ ref('int_indicateurs_mensuels') }}
),

mois_calcules as (
    {{ run_months() }}
),

-- The rows of suivi_otp of the run's months: exactly one projection each (contract §8).
suivi_du_run as (
    select
        suivi.*,
        {{ nb_mois('suivi.periode_debut', 'suivi.mois') }} as nb_mois_ecoules,
        {{ nb_mois('suivi.periode_debut', 'suivi.periode_fin') }} as nb_mois_periode
    from suivi
    inner join mois_calcules
        on suivi.mois = mois_calcules.mois_calcul
),

-- What PRESCRIPTIONS_PE_MOINS_30 would be if every unfilled si_pe prescriber were Pôle
-- emploi: the si_pe prescriptions of under-30s with reseau NON_RENSEIGNE, summed over the
-- period so far as realise_cumule is (months before 2021-01 add 0), as of the month.
non_renseigne as (
    select
        suivi_du_run.mois,
        suivi_du_run.code_region,
        suivi_du_run.periode_debut,
        cast(coalesce(sum(indicateurs.valeur), 0) as bigint) as nb_non_renseigne
    from suivi_du_run
    left join indicateurs
        on
            suivi_du_run.mois = indicateurs.mois_calcul
            and suivi_du_run.code_region = indicateurs.code_region
            and indicateurs.indicateur = 'SI_PE_NON_RENSEIGNE_MOINS_30'
            and suivi_du_run.periode_debut <= indicateurs.mois
            and indicateurs.mois >= '2021-01'
            and suivi_du_run.mois >= indicateurs.mois
    where suivi_du_run.indicateur = 'PRESCRIPTIONS_PE_MOINS_30'
    group by suivi_du_run.mois, suivi_du_run.code_region, suivi_du_run.periode_debut
),

final as (
    select
        suivi_du_run.mois,
        suivi_du_run.code_region,
        suivi_du_run.libelle_region,
        suivi_du_run.indicateur,
        suivi_du_run.periode_debut,
        suivi_du_run.periode_fin,
        suivi_du_run.objectif,
        suivi_du_run.realise_cumule,
        suivi_du_run.nb_mois_ecoules,
        suivi_du_run.nb_mois_periode,
        -- Each double is one division of whole numbers computed exactly before it.
        cast(suivi_du_run.realise_cumule as double)
        / suivi_du_run.nb_mois_ecoules as rythme_mensuel,
        cast(suivi_du_run.realise_cumule * suivi_du_run.nb_mois_periode as double)
        / suivi_du_run.nb_mois_ecoules as projection_fin_periode,
        greatest(suivi_du_run.objectif - suivi_du_run.realise_cumule, 0) as reste_a_realiser,
        case
            when suivi_du_run.nb_mois_ecoules < suivi_du_run.nb_mois_periode
                then
                    cast(
                        greatest(suivi_du_run.objectif - suivi_du_run.realise_cumule, 0)
                        as double
                    )
                    / (suivi_du_run.nb_mois_periode - suivi_du_run.nb_mois_ecoules)
        end as rythme_necessaire,
        -- Compared in whole numbers: the thresholds are exact.
        case
            when suivi_du_run.realise_cumule >= suivi_du_run.objectif then 'ATTEINT'
            when
                suivi_du_run.realise_cumule * suivi_du_run.nb_mois_periode
                >= suivi_du_run.objectif * suivi_du_run.nb_mois_ecoules
                then 'EN_BONNE_VOIE'
            when
                10 * suivi_du_run.realise_cumule * suivi_du_run.nb_mois_periode
                >= 9 * suivi_du_run.objectif * suivi_du_run.nb_mois_ecoules
                then 'A_RISQUE'
            else 'EN_RETARD'
        end as statut,
        suivi_du_run.realise_cumule
        + coalesce(non_renseigne.nb_non_renseigne, 0) as realise_cumule_borne_haute,
        suivi_du_run.fiabilite
    from suivi_du_run
    left join non_renseigne
        on
            suivi_du_run.indicateur = 'PRESCRIPTIONS_PE_MOINS_30'
            and suivi_du_run.mois = non_renseigne.mois
            and suivi_du_run.code_region = non_renseigne.code_region
            and suivi_du_run.periode_debut = non_renseigne.periode_debut
)

select * from final
