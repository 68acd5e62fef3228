with

source as (
    select * from {{ source('raw', 'secteurs_avenir') }}
),

-- Contract §9: the values as read, trimmed, the region padded like a department and the
-- codes upper-cased. Ingestion already stores them so (its duplicate rules depend on
-- them); done again here so that the classification never depends on who wrote the table.
renamed as (
    select
        case
            when regexp_full_match(trim(code_region), '[1-9]') then '0' || trim(code_region)
            else trim(code_region)
        end as code_region,
        upper(trim(code_secteur)) as code_secteur,
        trim(libelle_secteur) as libelle_secteur,
        upper(trim(prefixe_rome)) as prefixe_rome
    from source
)

select * from renamed
