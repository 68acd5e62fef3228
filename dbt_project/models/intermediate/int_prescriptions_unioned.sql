with

si_pe as (
    select * from {{ ref('stg_si_pe__prescriptions') }}
),

imilo as (
    select * from {{ ref('stg_imilo__prescriptions') }}
),

departements as (
    select * from {{ ref('ref_departements') }}
),

regions as (
    select * from {{ ref('ref_regions') }}
),

domaines as (
    select * from {{ ref('ref_rome_domaines') }}
),

si_pe_aligned as (
    select
        'SI_PE' as source,
        id_ais as id_prescription,
        mois_fichier,
        age,
        date_prescription,
        date_entree,
        code_departement,
        type_prescripteur,
        -- Contract §5: any value outside the four codes counts as not filled.
        coalesce(
            type_prescripteur in ('PE', 'ML', 'CAP_EMPLOI', 'AUTRE'), false
        ) as prescripteur_renseigne,
        code_structure_prescriptrice as code_structure,
        statut,
        cast(null as varchar) as numero_ais,
        type_formation,
        code_rome
    from si_pe
),

imilo_aligned as (
    select
        'IMILO' as source,
        id_prescription,
        mois_fichier,
        age,
        date_prescription,
        date_entree,
        code_departement,
        cast(null as varchar) as type_prescripteur,
        -- Every I-Milo row is a prescription by a Mission locale: the prescriber is known.
        true as prescripteur_renseigne,
        code_mission_locale as code_structure,
        statut,
        numero_ais,
        type_formation,
        code_rome
    from imilo
),

unioned as (
    select * from si_pe_aligned
    union all
    select * from imilo_aligned
),

derived as (
    select
        *,
        case
            when source = 'IMILO' then 'ML'
            when prescripteur_renseigne then type_prescripteur
            else 'NON_RENSEIGNE'
        end as reseau_prescripteur,
        statut <> 'ANNULEE' as est_prescription,
        -- An ENTREE without date_entree is a prescription, not an entry.
        statut in ('ENTREE', 'ABANDON') and date_entree is not null as est_entree,
        -- Contract §8: the three types as given (upper-cased), anything else not filled.
        case
            when upper(type_formation) in ('QUALIFIANTE', 'PRE_QUALIFIANTE', 'AUTRE')
                then upper(type_formation)
            else 'NON_RENSEIGNE'
        end as type_formation_lu,
        -- Contract §8: the grand domaine is the first character of a code of exactly one
        -- character and four ASCII digits, when that character is a code of the ROME
        -- referential (joined below); only the shape is checked.
        case
            when regexp_full_match(code_rome, '.[0-9]{4}') then left(upper(code_rome), 1)
        end as lettre_rome
    from unioned
),

final as (
    select
        derived.source,
        derived.id_prescription,
        derived.mois_fichier,
        derived.date_prescription,
        derived.date_entree,
        derived.code_departement,
        departements.reg as code_region,
        regions.libelle as libelle_region,
        derived.type_prescripteur,
        derived.prescripteur_renseigne,
        derived.code_structure,
        derived.reseau_prescripteur,
        derived.age,
        case
            when derived.age < 26 then 'MOINS_26'
            when derived.age < 30 then '26_29'
            else '30_PLUS'
        end as tranche_age,
        derived.statut,
        derived.est_prescription,
        derived.est_entree,
        derived.numero_ais,
        derived.type_formation_lu as type_formation,
        coalesce(domaines.code, 'NON_RENSEIGNE') as domaine_professionnel,
        domaines.libelle as libelle_domaine,
        -- Contract §9 classifies by the code itself (one letter, four digits), when its
        -- domain is known; the sector is never stored here (the marts classify each month
        -- against the sectors file of its own run).
        case when domaines.code is not null then upper(derived.code_rome) end as code_rome
    from derived
    -- Left joins: a department missing from the referential surfaces as a null region
    -- (not_null tests) instead of silently dropping rows.
    left join departements
        on derived.code_departement = departements.dep
    left join regions
        on departements.reg = regions.reg
    left join domaines
        on derived.lettre_rome = domaines.code
)

select * from final
