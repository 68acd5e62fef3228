with

entrees as (
    select * from {{ ref('int_entrees_matched') }}
),

final as (
    select
        source,
        id_prescription,
        mois_fichier,
        strftime(date_entree, '%Y-%m') as mois_entree,
        date_entree,
        date_prescription,
        code_region,
        libelle_region,
        reseau_prescripteur,
        age,
        tranche_age,
        numero_ais,
        mois_fichier_ais_apparie,
        type_formation,
        domaine_professionnel,
        libelle_domaine,
        code_rome
    from entrees
)

select * from final
