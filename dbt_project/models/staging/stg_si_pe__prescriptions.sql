with

source as (
    select * from {{ source('raw', 'si_pe') }}
),

renamed as (
    select
        mois as mois_fichier,
        id_ais,
        age,
        date_prescription,
        date_entree,
        code_departement,
        code_agence,
        type_prescripteur,
        code_structure_prescriptrice,
        statut,
        formacode,
        code_rome,
        type_formation,
        financeur,
        duree_heures,
        source_file,
        revision
    from source
)

select * from renamed
