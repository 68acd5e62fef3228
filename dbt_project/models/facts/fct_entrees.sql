{{ config(
    pre_hook="{{ delete_stale_fact_rows(fact_lineage(ref('fct_prescriptions'))) }}",
    post_hook="{{ record_fact_lineage(fact_lineage(ref('fct_prescriptions'))) }}",
) }}

{% set groupes_a_construire = fact_groups(fact_lineage(ref('fct_prescriptions')), false) %}

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
    where est_entree and {{ groups_filter(groupes_a_construire) }}
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
)

select * from final
