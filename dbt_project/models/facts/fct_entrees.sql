{{ config(pre_hook="{{ delete_stale_fact_rows(fact_lineage(ref('fct_prescriptions'))) }}") }}

with

prescriptions as (
    select * from {{ ref('fct_prescriptions') }}
),

-- Incremental like fct_prescriptions, whose groups are its lineage: the entry rows of
-- each (source, mois_fichier) it holds, once. The I-Milo ↔ AIS match is not stored here
-- (a revision of one month's AIS changes other months' matches): int_entrees_matched
-- computes it where it is read.
a_construire as (
    select * from prescriptions
    where est_entree and {{ fact_groups_to_build(fact_lineage(ref('fct_prescriptions'))) }}
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
        type_formation,
        domaine_professionnel,
        libelle_domaine,
        code_rome,
        loaded_at,
        empreinte_referentiels
    from a_construire
    order by mois_fichier, source
)

select * from final
