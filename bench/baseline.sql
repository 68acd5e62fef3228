-- Plain DuckDB baseline: the three published tables of one month, straight from the landing
-- CSV files, with no Python between the files and the tables. The speed-limit anchor of
-- the benchmarks (bench/RESULTS.md), not a second pipeline: nothing is stored or published.
--
-- Run by bench/baseline.py, one section at a time (`-- section: <name>`), every value a
-- bound parameter:
--   setup         $departements_csv, $regions_csv, $objectifs_csv, $whitespace
--   stage_si_pe   once per winning AIS file:    $path, $encoding, $mois, $whitespace
--   stage_imilo   once per winning I-Milo file: $path, $encoding, $mois, $whitespace
--   compute       $mois (the month to publish), $seuil (fill-rate threshold, as text)
--   prescriptions_mensuelles, suivi_otp, qualite_prescripteur: the three results
--
-- What it does like the pipeline: highest revision (chosen by the runner), header names
-- trimmed and case-insensitive, every value trimmed of Unicode whitespace, row checks of
-- contract §3/§6 (required values, strict dates, department, statut, month, age, entry
-- date), exact duplicates loaded once, conflicting ids dropped, age in completed years,
-- matching, fill rate against a DECIMAL threshold, cumulated tracking.
-- What it does differently: Windows-1252 files are read as latin-1 (DuckDB has no cp1252:
-- the bytes 0x80-0x9F differ), records of the wrong width or that the CSV reader rejects
-- are skipped (ignore_errors) instead of quarantined, and nothing is accounted.

-- section: setup
create or replace temp table ref_departements as
select dep, reg
from read_csv($departements_csv, header = true, all_varchar = true);

create or replace temp table ref_regions as
select reg, libelle
from read_csv($regions_csv, header = true, all_varchar = true);

create or replace temp table objectifs as
select
    case
        when regexp_full_match(trim(code_region, $whitespace), '[1-9]')
            then '0' || trim(code_region, $whitespace)
        else upper(trim(code_region, $whitespace))
    end as code_region,
    trim(periode_debut, $whitespace) as periode_debut,
    trim(periode_fin, $whitespace) as periode_fin,
    cast(trim(objectif_entrees_moins_30, $whitespace) as bigint) as objectif_entrees_moins_30,
    cast(trim(sous_objectif_pe_moins_30, $whitespace) as bigint) as sous_objectif_pe_moins_30,
    cast(trim(sous_objectif_ml_moins_26, $whitespace) as bigint) as sous_objectif_ml_moins_26
from read_csv(
    $objectifs_csv, header = true, all_varchar = true, normalize_names = true, delim = ';'
);

create or replace temp table landing_si_pe (
    mois varchar, id_ais varchar, id_individu varchar, date_naissance varchar,
    code_departement varchar, code_agence varchar, type_prescripteur varchar,
    code_structure_prescriptrice varchar, date_prescription varchar, date_entree varchar,
    statut varchar, formacode varchar, code_rome varchar, type_formation varchar,
    financeur varchar, duree_heures varchar
);

create or replace temp table landing_imilo (
    mois varchar, id_prescription varchar, id_jeune varchar, date_naissance varchar,
    code_mission_locale varchar, code_departement varchar, date_prescription varchar,
    date_entree varchar, statut varchar, numero_ais varchar, formacode varchar,
    code_rome varchar, type_formation varchar
);

-- section: stage_si_pe
insert into landing_si_pe
select
    $mois,
    coalesce(trim(id_ais, $whitespace), ''),
    coalesce(trim(id_individu, $whitespace), ''),
    coalesce(trim(date_naissance, $whitespace), ''),
    coalesce(trim(code_departement, $whitespace), ''),
    coalesce(trim(code_agence, $whitespace), ''),
    coalesce(trim(type_prescripteur, $whitespace), ''),
    coalesce(trim(code_structure_prescriptrice, $whitespace), ''),
    coalesce(trim(date_prescription, $whitespace), ''),
    coalesce(trim(date_entree, $whitespace), ''),
    coalesce(trim(statut, $whitespace), ''),
    coalesce(trim(formacode, $whitespace), ''),
    coalesce(trim(code_rome, $whitespace), ''),
    coalesce(trim(type_formation, $whitespace), ''),
    coalesce(trim(financeur, $whitespace), ''),
    coalesce(trim(duree_heures, $whitespace), '')
from read_csv(
    $path, header = true, all_varchar = true, normalize_names = true, delim = ';',
    quote = '"', escape = '"', encoding = $encoding, ignore_errors = true,
    strict_mode = false, null_padding = false
);

-- section: stage_imilo
insert into landing_imilo
select
    $mois,
    coalesce(trim(id_prescription, $whitespace), ''),
    coalesce(trim(id_jeune, $whitespace), ''),
    coalesce(trim(date_naissance, $whitespace), ''),
    coalesce(trim(code_mission_locale, $whitespace), ''),
    coalesce(trim(code_departement, $whitespace), ''),
    coalesce(trim(date_prescription, $whitespace), ''),
    coalesce(trim(date_entree, $whitespace), ''),
    coalesce(trim(statut, $whitespace), ''),
    coalesce(trim(numero_ais, $whitespace), ''),
    coalesce(trim(formacode, $whitespace), ''),
    coalesce(trim(code_rome, $whitespace), ''),
    coalesce(trim(type_formation, $whitespace), '')
from read_csv(
    $path, header = true, all_varchar = true, normalize_names = true, delim = ';',
    quote = '"', escape = '"', encoding = $encoding, ignore_errors = true,
    strict_mode = false, null_padding = false
);

-- section: compute
-- Both feeds in one shape; the row checks need only these columns (plus the full row text
-- for the duplicate rule, which compares every contract column as trimmed text).
create or replace temp table feed_rows as
select
    'SI_PE' as source,
    mois as mois_fichier,
    id_ais as id_prescription,
    id_individu as id_personne,
    date_naissance,
    code_departement,
    date_prescription,
    date_entree,
    statut,
    upper(type_prescripteur) as type_prescripteur,
    '' as numero_ais,
    '' as code_mission_locale,
    case when regexp_full_match(date_naissance, '[0-9]{2}/[0-9]{2}/[0-9]{4}')
        then try_strptime(date_naissance, '%d/%m/%Y')::date end as d_naissance,
    case when regexp_full_match(date_prescription, '[0-9]{2}/[0-9]{2}/[0-9]{4}')
        then try_strptime(date_prescription, '%d/%m/%Y')::date end as d_prescription,
    case when regexp_full_match(date_entree, '[0-9]{2}/[0-9]{2}/[0-9]{4}')
        then try_strptime(date_entree, '%d/%m/%Y')::date end as d_entree,
    to_json(list_value(
        id_ais, id_individu, date_naissance, code_departement, code_agence,
        landing_si_pe.type_prescripteur, code_structure_prescriptrice, date_prescription, date_entree,
        statut, formacode, code_rome, type_formation, financeur, duree_heures
    )) as row_text
from landing_si_pe
union all
select
    'IMILO',
    mois,
    id_prescription,
    id_jeune,
    date_naissance,
    code_departement,
    date_prescription,
    date_entree,
    statut,
    null,
    numero_ais,
    code_mission_locale,
    case when regexp_full_match(date_naissance, '[0-9]{4}-[0-9]{2}-[0-9]{2}')
        then try_strptime(date_naissance, '%Y-%m-%d')::date end,
    case when regexp_full_match(date_prescription, '[0-9]{4}-[0-9]{2}-[0-9]{2}')
        then try_strptime(date_prescription, '%Y-%m-%d')::date end,
    case when regexp_full_match(date_entree, '[0-9]{4}-[0-9]{2}-[0-9]{2}')
        then try_strptime(date_entree, '%Y-%m-%d')::date end,
    to_json(list_value(
        id_prescription, id_jeune, date_naissance, code_mission_locale, code_departement,
        date_prescription, date_entree, statut, numero_ais, formacode, code_rome,
        type_formation
    ))
from landing_imilo;

create or replace temp table valid_rows as
with normalised as (
    select
        *,
        case when regexp_full_match(code_departement, '[1-9]') then '0' || code_departement
            else upper(code_departement) end as n_departement,
        upper(statut) as n_statut,
        upper(statut) in ('ENTREE', 'ABANDON') as is_entry,
        cast(mois_fichier || '-01' as date) as premier_jour
    from feed_rows
),

aged as (
    select
        *,
        year(d_prescription) - year(d_naissance)
        - case when month(d_prescription) * 100 + day(d_prescription)
            < month(d_naissance) * 100 + day(d_naissance) then 1 else 0 end as age
    from normalised
),

checked as (
    select * from aged
    where
        id_prescription <> '' and id_personne <> '' and date_naissance <> ''
        and code_departement <> '' and date_prescription <> '' and statut <> ''
        and (source = 'SI_PE' or code_mission_locale <> '')
        and d_naissance is not null and d_prescription is not null
        and n_departement in (select dep from ref_departements)
        and n_statut in ('PRESCRITE', 'ENTREE', 'ABANDON', 'ANNULEE')
        and d_prescription >= premier_jour
        and d_prescription < premier_jour + interval 1 month
        and not (is_entry and date_entree <> '' and d_entree is null)
        and age between 14 and 99
        and not coalesce(is_entry and d_entree < d_prescription, false)
),

-- Among rows that passed the checks: identical rows load once, an id on rows that
-- differ loads nothing. A producer never delivers one id in two months (contract §2).
keyed as (
    select
        *,
        count(distinct row_text) over (partition by source, mois_fichier, id_prescription)
            as variants,
        row_number() over (
            partition by source, mois_fichier, id_prescription order by row_text
        ) as rank_in_id
    from checked
)

select
    source,
    mois_fichier,
    id_prescription,
    d_prescription as date_prescription,
    case when is_entry then d_entree end as date_entree,
    n_departement as code_departement,
    nullif(type_prescripteur, '') as type_prescripteur,
    n_statut as statut,
    nullif(numero_ais, '') as numero_ais,
    age
from keyed
where variants = 1 and rank_in_id = 1;

create or replace temp table faits as
select
    valid_rows.source,
    valid_rows.id_prescription,
    valid_rows.mois_fichier,
    strftime(valid_rows.date_prescription, '%Y-%m') as mois,
    strftime(valid_rows.date_entree, '%Y-%m') as mois_entree,
    ref_departements.reg as code_region,
    ref_regions.libelle as libelle_region,
    valid_rows.type_prescripteur,
    valid_rows.source = 'IMILO'
    or coalesce(valid_rows.type_prescripteur in ('PE', 'ML', 'CAP_EMPLOI', 'AUTRE'), false)
        as prescripteur_renseigne,
    case
        when valid_rows.source = 'IMILO' then 'ML'
        when valid_rows.type_prescripteur in ('PE', 'ML', 'CAP_EMPLOI', 'AUTRE')
            then valid_rows.type_prescripteur
        else 'NON_RENSEIGNE'
    end as reseau_prescripteur,
    valid_rows.age,
    case
        when valid_rows.age < 26 then 'MOINS_26'
        when valid_rows.age < 30 then '26_29'
        else '30_PLUS'
    end as tranche_age,
    valid_rows.statut <> 'ANNULEE' as est_prescription,
    valid_rows.statut in ('ENTREE', 'ABANDON') and valid_rows.date_entree is not null
        as est_entree,
    valid_rows.numero_ais
from valid_rows
left join ref_departements on valid_rows.code_departement = ref_departements.dep
left join ref_regions on ref_departements.reg = ref_regions.reg;

create or replace temp table fiabilite as
select
    mois,
    code_region,
    count(*) as nb_prescriptions_si_pe,
    count(*) filter (where prescripteur_renseigne) as nb_prescripteur_renseigne,
    cast(count(*) filter (where prescripteur_renseigne) as double) / count(*)
        as taux_renseignement,
    case
        when count(*) filter (where prescripteur_renseigne)
            < cast($seuil as decimal(18, 6)) * count(*) then 'A_EXAMINER'
        else 'FIABLE'
    end as fiabilite
from faits
where source = 'SI_PE' and est_prescription and mois <= $mois
group by mois, code_region;

-- An I-Milo entry is matched when its numero_ais is the id_ais of a loaded si_pe entry.
create or replace temp table entrees as
select
    faits.*,
    faits.source = 'IMILO' and faits.numero_ais in (
        select id_prescription from faits where source = 'SI_PE' and est_entree
    ) as apparie
from faits
where est_entree and mois_entree <= $mois;

create or replace temp table indicateurs as
select mois_entree as mois, code_region, 'ENTREES_MOINS_30' as indicateur, count(*) as valeur
from entrees
where age < 30 and not coalesce(apparie, false)
group by all
union all
select mois, code_region, 'PRESCRIPTIONS_PE_MOINS_30', count(*)
from faits
where est_prescription and mois <= $mois and source = 'SI_PE' and type_prescripteur = 'PE'
    and age < 30
group by all
union all
select mois, code_region, 'PRESCRIPTIONS_ML_MOINS_26', count(*)
from faits
where est_prescription and mois <= $mois and source = 'IMILO' and age < 26
group by all;

-- section: prescriptions_mensuelles
with comptes as (
    select code_region, libelle_region, source, reseau_prescripteur, tranche_age,
        1 as p, 0 as e
    from faits
    where est_prescription and mois = $mois
    union all
    select code_region, libelle_region, source, reseau_prescripteur, tranche_age, 0, 1
    from entrees
    where mois_entree = $mois
)

select
    $mois as mois,
    comptes.code_region,
    comptes.libelle_region,
    comptes.source,
    comptes.reseau_prescripteur,
    comptes.tranche_age,
    cast(sum(comptes.p) as bigint) as nb_prescriptions,
    cast(sum(comptes.e) as bigint) as nb_entrees,
    case when comptes.source = 'SI_PE' then coalesce(any_value(fiabilite.fiabilite), 'FIABLE')
        else 'FIABLE' end as fiabilite
from comptes
left join fiabilite on comptes.code_region = fiabilite.code_region and fiabilite.mois = $mois
group by
    comptes.code_region, comptes.libelle_region, comptes.source, comptes.reseau_prescripteur,
    comptes.tranche_age
order by code_region, source, reseau_prescripteur, tranche_age;

-- section: suivi_otp
with en_cours as (
    select
        *,
        date_diff('month', cast(periode_debut || '-01' as date), cast($mois || '-01' as date))
        + 1 as k,
        date_diff(
            'month', cast(periode_debut || '-01' as date), cast(periode_fin || '-01' as date)
        ) + 1 as n
    from objectifs
    where periode_debut <= $mois and periode_fin >= $mois
),

objectifs_long as (
    select *, 'ENTREES_MOINS_30' as indicateur, objectif_entrees_moins_30 as objectif
    from en_cours
    union all
    select *, 'PRESCRIPTIONS_PE_MOINS_30', sous_objectif_pe_moins_30 from en_cours
    union all
    select *, 'PRESCRIPTIONS_ML_MOINS_26', sous_objectif_ml_moins_26 from en_cours
),

realise as (
    select
        o.code_region,
        o.indicateur,
        cast(coalesce(sum(i.valeur) filter (where i.mois = $mois), 0) as bigint) as realise_mois,
        cast(coalesce(sum(i.valeur), 0) as bigint) as realise_cumule
    from objectifs_long as o
    left join indicateurs as i
        on o.code_region = i.code_region and o.indicateur = i.indicateur
        and i.mois >= o.periode_debut and i.mois >= '2021-01' and i.mois <= $mois
    group by all
),

a_examiner as (
    select distinct en_cours.code_region
    from en_cours
    inner join fiabilite
        on en_cours.code_region = fiabilite.code_region
        and fiabilite.mois >= en_cours.periode_debut and fiabilite.mois <= $mois
    where fiabilite.fiabilite = 'A_EXAMINER'
)

select
    $mois as mois,
    o.code_region,
    ref_regions.libelle as libelle_region,
    o.indicateur,
    o.periode_debut,
    o.periode_fin,
    o.objectif,
    r.realise_mois,
    r.realise_cumule,
    case when o.objectif <> 0 then cast(r.realise_cumule as double) / o.objectif end
        as taux_realisation,
    cast(o.objectif as double) * o.k / o.n as cible_lineaire,
    r.realise_cumule - cast(o.objectif as double) * o.k / o.n as ecart_cible,
    case when o.indicateur = 'PRESCRIPTIONS_PE_MOINS_30' and a.code_region is not null
        then 'A_EXAMINER' else 'FIABLE' end as fiabilite
from objectifs_long as o
inner join realise as r on o.code_region = r.code_region and o.indicateur = r.indicateur
left join ref_regions on o.code_region = ref_regions.reg
left join a_examiner as a on o.code_region = a.code_region
order by o.code_region, o.indicateur;

-- section: qualite_prescripteur
with regions_du_mois as (
    select
        code_region,
        libelle_region,
        count(*) filter (
            where source = 'SI_PE' and type_prescripteur = 'ML' and age < 26
        ) as nb_ml_si_pe_moins_26
    from faits
    where est_prescription and mois = $mois
    group by all
)

select
    $mois as mois,
    r.code_region,
    r.libelle_region,
    coalesce(f.nb_prescriptions_si_pe, 0) as nb_prescriptions_si_pe,
    coalesce(f.nb_prescripteur_renseigne, 0) as nb_prescripteur_renseigne,
    f.taux_renseignement,
    r.nb_ml_si_pe_moins_26,
    coalesce(i.valeur, 0) as nb_ml_imilo_moins_26,
    coalesce(f.fiabilite, 'FIABLE') as fiabilite
from regions_du_mois as r
left join fiabilite as f on r.code_region = f.code_region and f.mois = $mois
left join indicateurs as i
    on r.code_region = i.code_region and i.mois = $mois
    and i.indicateur = 'PRESCRIPTIONS_ML_MOINS_26'
order by r.code_region;
