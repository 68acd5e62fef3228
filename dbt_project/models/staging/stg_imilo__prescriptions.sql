with

source as (
    select * from {{ source('raw', 'imilo') }}
),

renamed as (
    select
        mois as mois_fichier,
        id_prescription,
        age,
        code_mission_locale,
        code_departement,
        date_prescription,
        date_entree,
        statut,
        numero_ais,
        formacode,
        code_rome,
        type_formation,
        source_file,
        revision
    from source
)

select * from renamed
