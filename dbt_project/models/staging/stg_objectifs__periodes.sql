with

source as (
    select * from {{ source('raw', 'objectifs_otp') }}
),

renamed as (
    select
        code_region,
        periode_debut,
        periode_fin,
        cast(objectif_entrees_moins_30 as bigint) as objectif_entrees_moins_30,
        cast(dont_volume_socle as bigint) as dont_volume_socle,
        cast(sous_objectif_pe_moins_30 as bigint) as sous_objectif_pe_moins_30,
        cast(sous_objectif_ml_moins_26 as bigint) as sous_objectif_ml_moins_26
    from source
)

select * from renamed
