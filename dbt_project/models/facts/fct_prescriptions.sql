{{ config(
    pre_hook="{{ delete_stale_fact_rows(raw_lineage()) }}",
    post_hook="{{ record_fact_lineage(raw_lineage()) }}",
) }}

{% set groupes_a_construire = fact_groups(raw_lineage(), false) %}

with

prescriptions as (
    select * from {{ ref('int_prescriptions_unioned') }}
),

-- Incremental (dbt_project.yml): the months of raw whose load the table does not hold
-- yet, whole, each with its load (macros/fact_lineage.sql).
groupes as (
    {{ groups_values(groupes_a_construire) }}
),

a_lire as (
    select * from prescriptions
    where {{ groups_filter(groupes_a_construire) }}
),

a_construire as (
    select
        a_lire.*,
        groupes.chargement
    from a_lire
    inner join groupes
        on
            a_lire.source = groupes.source
            and a_lire.mois_fichier = groupes.mois_fichier
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
        code_rome,
        -- The load of the row's whole month (raw_lineage), the unit the facts rebuild.
        chargement as loaded_at,
        {{ referentials_fingerprint() }} as empreinte_referentiels
    -- In raw's order, month by month as loaded: each row group holds few months, so
    -- that the marts' filters on mois / mois_fichier skip the others (zonemaps).
    from a_construire
)

select * from final
