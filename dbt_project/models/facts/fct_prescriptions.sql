with

prescriptions as (
    select * from {{ ref('int_prescriptions_unioned') }}
),

final as (
    select
        source,
        id_prescription,
        mois_fichier,
        strftime(date_prescription, '%Y-%m') as mois,
        date_prescription,
        date_entree,
        code_departement,
        code_region,
        libelle_region,
        type_prescripteur,
        prescripteur_renseigne,
        code_structure,
        reseau_prescripteur,
        age,
        tranche_age,
        statut,
        est_prescription,
        est_entree,
        numero_ais,
        type_formation,
        domaine_professionnel,
        libelle_domaine,
        code_rome
    from prescriptions
)

select * from final
