with

prescriptions as (
    select * from {{ ref('fct_prescriptions') }}
),

entrees as (
    select * from {{ ref('int_entrees_matched') }}
),

mois_calcules as (
    {{ run_months() }}
),

{% set premier_mois_lu = first_month_read() -%}

-- The facts reduced to what the indicators need, per file month: a few thousand rows,
-- so that each run month below re-reads only those. Only the months the marts read
-- (first_month_read: from the objective periods of the run's months): the rows of
-- earlier months would be summed by no mart, and their scan grew with the history.
prescriptions_par_fichier as (
    select
        mois,
        mois_fichier,
        code_region,
        count(*) filter (
            where source = 'SI_PE' and type_prescripteur = 'PE' and age < 30
        ) as nb_pe_moins_30,
        count(*) filter (where source = 'IMILO' and age < 26) as nb_ml_moins_26,
        count(*) filter (
            where source = 'SI_PE' and reseau_prescripteur = 'NON_RENSEIGNE' and age < 30
        ) as nb_non_renseigne_moins_30
    from prescriptions
    where est_prescription and mois >= '{{ premier_mois_lu }}'
    group by mois, mois_fichier, code_region
),

entrees_par_fichier as (
    select
        mois_entree,
        mois_fichier,
        code_region,
        source,
        mois_fichier_ais_apparie,
        count(*) as nb_entrees
    from entrees
    where age < 30 and mois_entree >= '{{ premier_mois_lu }}'
    group by mois_entree, mois_fichier, code_region, source, mois_fichier_ais_apparie
),

-- Contract §2: as of the run's month M, only the files of months up to M exist, and a
-- figure is never about a later month.
prescriptions_connues as (
    select
        mois_calcules.mois_calcul,
        prescriptions_par_fichier.*
    from prescriptions_par_fichier
    inner join mois_calcules
        on
            prescriptions_par_fichier.mois_fichier <= mois_calcules.mois_calcul
            and prescriptions_par_fichier.mois <= mois_calcules.mois_calcul
),

-- Every si_pe entry of an under-30, plus each I-Milo entry of an under-30 not matched
-- as of M: a matched pair is one entry, on the si_pe side (contract §5).
entrees_moins_30 as (
    select
        mois_calcules.mois_calcul,
        entrees_par_fichier.mois_entree as mois,
        entrees_par_fichier.code_region,
        'ENTREES_MOINS_30' as indicateur,
        cast(sum(entrees_par_fichier.nb_entrees) as bigint) as valeur
    from entrees_par_fichier
    inner join mois_calcules
        on
            entrees_par_fichier.mois_fichier <= mois_calcules.mois_calcul
            and entrees_par_fichier.mois_entree <= mois_calcules.mois_calcul
    where
        entrees_par_fichier.source = 'SI_PE'
        or entrees_par_fichier.mois_fichier_ais_apparie is null
        or entrees_par_fichier.mois_fichier_ais_apparie > mois_calcules.mois_calcul
    group by
        mois_calcules.mois_calcul, entrees_par_fichier.mois_entree, entrees_par_fichier.code_region
),

prescriptions_pe_moins_30 as (
    select
        mois_calcul,
        mois,
        code_region,
        'PRESCRIPTIONS_PE_MOINS_30' as indicateur,
        cast(sum(nb_pe_moins_30) as bigint) as valeur
    from prescriptions_connues
    group by mois_calcul, mois, code_region
    having sum(nb_pe_moins_30) > 0
),

prescriptions_ml_moins_26 as (
    select
        mois_calcul,
        mois,
        code_region,
        'PRESCRIPTIONS_ML_MOINS_26' as indicateur,
        cast(sum(nb_ml_moins_26) as bigint) as valeur
    from prescriptions_connues
    group by mois_calcul, mois, code_region
    having sum(nb_ml_moins_26) > 0
),

-- Not an indicator of the contract: the si_pe prescriptions of under-30s whose prescriber
-- is not filled (empty or invalid), matched by an I-Milo row or not. projection_otp adds
-- them to PRESCRIPTIONS_PE_MOINS_30 for its upper bound (contract §8).
si_pe_non_renseigne_moins_30 as (
    select
        mois_calcul,
        mois,
        code_region,
        'SI_PE_NON_RENSEIGNE_MOINS_30' as indicateur,
        cast(sum(nb_non_renseigne_moins_30) as bigint) as valeur
    from prescriptions_connues
    group by mois_calcul, mois, code_region
    having sum(nb_non_renseigne_moins_30) > 0
),

final as (
    select * from entrees_moins_30
    union all
    select * from prescriptions_pe_moins_30
    union all
    select * from prescriptions_ml_moins_26
    union all
    select * from si_pe_non_renseigne_moins_30
)

select * from final
