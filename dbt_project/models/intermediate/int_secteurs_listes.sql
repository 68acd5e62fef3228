with

secteurs as (
    select * from {{ ref('stg_objectifs__secteurs_avenir') }}
),

regions as (
    select * from {{ ref('ref_regions') }}
),

listes_propres as (
    select distinct code_region from secteurs
    where code_region <> '*'
),

-- Contract §9: a region's list is its own rows when it has any, else the national `*`
-- rows; a region with neither has no list (no row here).
liste_par_region as (
    select
        regions.reg as code_region,
        case when listes_propres.code_region is null then '*' else regions.reg end as liste
    from regions
    left join listes_propres
        on regions.reg = listes_propres.code_region
),

final as (
    select
        liste_par_region.code_region,
        liste_par_region.liste,
        secteurs.prefixe_rome,
        secteurs.code_secteur,
        secteurs.libelle_secteur
    from liste_par_region
    inner join secteurs
        on liste_par_region.liste = secteurs.code_region
)

select * from final
