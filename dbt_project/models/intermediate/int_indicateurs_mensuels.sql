with

prescriptions as (
    select * from {{ ref('fct_prescriptions') }}
),

entrees as (
    select * from {{ ref('fct_entrees') }}
),

-- Contract §2: as of the run's month M, only the files of months up to M exist, and a
-- figure is never about a later month.
prescriptions_connues as (
    select * from prescriptions
    where
        mois_fichier <= '{{ var("mois") }}'
        and mois <= '{{ var("mois") }}'
        and est_prescription
),

entrees_connues as (
    select * from entrees
    where
        mois_fichier <= '{{ var("mois") }}'
        and mois_entree <= '{{ var("mois") }}'
),

-- Every si_pe entry of an under-30, plus each I-Milo entry of an under-30 not matched
-- as of M: a matched pair is one entry, on the si_pe side (contract §5).
entrees_moins_30 as (
    select
        mois_entree as mois,
        code_region,
        'ENTREES_MOINS_30' as indicateur,
        count(*) as valeur
    from entrees_connues
    where
        age < 30
        and (
            source = 'SI_PE'
            or mois_fichier_ais_apparie is null
            or mois_fichier_ais_apparie > '{{ var("mois") }}'
        )
    group by mois_entree, code_region
),

prescriptions_pe_moins_30 as (
    select
        mois,
        code_region,
        'PRESCRIPTIONS_PE_MOINS_30' as indicateur,
        count(*) as valeur
    from prescriptions_connues
    where source = 'SI_PE' and type_prescripteur = 'PE' and age < 30
    group by mois, code_region
),

prescriptions_ml_moins_26 as (
    select
        mois,
        code_region,
        'PRESCRIPTIONS_ML_MOINS_26' as indicateur,
        count(*) as valeur
    from prescriptions_connues
    where source = 'IMILO' and age < 26
    group by mois, code_region
),

final as (
    select * from entrees_moins_30
    union all
    select * from prescriptions_pe_moins_30
    union all
    select * from prescriptions_ml_moins_26
)

select * from final
