{{ config(pre_hook="{{ delete_stale_fact_rows(raw_lineage()) }}") }}

with

prescriptions as (
    select * from {{ ref('int_prescriptions_unioned') }}
),

-- Incremental (dbt_project.yml): only the months of raw whose load the table does not hold
-- yet, whole (macros/fact_lineage.sql).
a_construire as (
    select * from prescriptions
    where {{ fact_groups_to_build(raw_lineage()) }}
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
        max(loaded_at) over (partition by source, mois_fichier) as loaded_at,
        {{ referentials_fingerprint() }} as empreinte_referentiels
    from a_construire
    -- Stored in file month order: each row group holds few months, so that the marts'
    -- filters on mois / mois_fichier skip the others (DuckDB's zonemaps).
    order by mois_fichier, source
)

select * from final
