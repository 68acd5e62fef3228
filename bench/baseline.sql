-- Plain DuckDB baseline: the published tables of one month M (contract §7, the two
-- steering tables of §8 and the sectors' table of §9) straight from the landing CSV
-- files of every month <= M and the objectives' and sectors' files. The speed-limit
-- anchor of the benchmarks (bench/RESULTS.md), not a second pipeline: nothing is stored,
-- accounted or quarantined, only computed.
--
-- Run by bench/baseline.py, one section at a time (`-- section: <name>`), every value a
-- bound parameter:
--   setup         $departements_csv, $regions_csv, $domaines_csv, $objectifs_csv
--   secteurs      $secteurs_csv, only when the landing folder has the sectors file (§9)
--   stage_si_pe   once per winning AIS file:    $path, $columns, $encoding, $mois,
--                 $premier_jour, $mois_suivant
--   stage_imilo   once per winning I-Milo file: the same
--   unstage       a file read again as latin-1: $source, $mois
--   compute       $mois (the month published), $seuil (fill-rate threshold, as text)
--   one section per published table (a query), then copied to Parquet by the runner.
--
-- The files are read as they are: `read_csv` in parallel, every column VARCHAR (header
-- names as the runner read them from line 1, trimmed and lower-cased), quotes and `""`
-- of RFC 4180. The input is assumed to be clean UTF-8 (`demo-data --clean`). A record
-- DuckDB's reader rejects (wrong number of fields) is skipped, as the contract
-- quarantines it, and counted in the summary (`reject_errors`); two departures, that
-- clean files never meet: DuckDB accepts a record with one extra, empty, trailing field
-- (`…;479;` under a 15-column header), which the contract quarantines, and a file that is
-- not UTF-8 is read again as latin-1 (DuckDB has no Windows-1252: bytes 0x80-0x9F
-- differ).
--
-- The contract, in SQL, as the pipeline applies it (otp_pipeline/lib/ingestion/
-- row_checks.py, dbt_project/models): every value trimmed of Unicode whitespace (what
-- Python's str.strip trims), codes upper-cased, one-digit departments padded; the row
-- checks of §3/§6 (required values, dates exactly in the feed's format and real, known
-- department and statut, date_prescription in the file's month, age 14-99, no entry
-- before its prescription); among the rows that pass, rows identical in every contract
-- column load once and an id on rows that differ loads nothing; then the counting rules
-- of §5, §7 and §8.

-- section: setup
-- Python's str.strip() set: the 29 code points for which str.isspace() holds.
create or replace temp macro espaces() as
    chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30)
    || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193)
    || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199)
    || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239)
    || chr(8287) || chr(12288);

-- Trimmed text, '' for an absent or empty field. DuckDB's trim with a character set costs
-- about 2 µs a value; a value whose first and last characters are printable ASCII has
-- nothing to trim, and almost every value is one.
create or replace temp macro net(valeur) as
    case
        when valeur is null then ''
        when ascii(valeur) between 33 and 126 and ascii(valeur[-1]) between 33 and 126
            then valeur
        else trim(valeur, espaces())
    end;

-- A date written exactly as the feed's format says (zero-padded), and a real one.
create or replace temp macro date_jj_mm_aaaa(valeur) as
    case when regexp_full_match(valeur, '[0-9]{2}/[0-9]{2}/[0-9]{4}')
        then try_strptime(valeur, '%d/%m/%Y')::date end;

create or replace temp macro date_aaaa_mm_jj(valeur) as
    case when regexp_full_match(valeur, '[0-9]{4}-[0-9]{2}-[0-9]{2}')
        then try_strptime(valeur, '%Y-%m-%d')::date end;

-- Completed years on the prescription date (§5): not the count of year boundaries.
create or replace temp macro age_au(naissance, prescription) as
    year(prescription) - year(naissance)
    - case when month(prescription) * 100 + day(prescription)
        < month(naissance) * 100 + day(naissance) then 1 else 0 end;

create or replace temp macro tranche(age) as
    case when age < 26 then 'MOINS_26' when age < 30 then '26_29' else '30_PLUS' end;

create or replace temp macro departement_lu(code) as
    case when strlen(code) = 1 and code between '1' and '9' then '0' || code else upper(code) end;

-- §8: the three types as given, anything else not filled; the grand domaine is the
-- letter of one character and four ASCII digits when the referential has that letter
-- (checked by the join of the tables that use it). The code is kept whole (upper-cased)
-- for the sectors of §9, classified by its prefixes.
create or replace temp macro formation_lue(valeur) as
    case when upper(valeur) in ('QUALIFIANTE', 'PRE_QUALIFIANTE', 'AUTRE')
        then upper(valeur) else 'NON_RENSEIGNE' end;

create or replace temp macro rome_lu(valeur) as
    case when regexp_full_match(valeur, '.[0-9]{4}') then upper(valeur) end;

create or replace temp table ref_departements as
select dep, reg
from read_csv($departements_csv, header = true, all_varchar = true);

create or replace temp table ref_regions as
select reg, libelle
from read_csv($regions_csv, header = true, all_varchar = true);

create or replace temp table ref_domaines as
select code, libelle
from read_csv($domaines_csv, header = true, all_varchar = true, delim = ';', quote = '"');

create or replace temp table objectifs as
with lus as (
    select
        upper(net(code_region)) as code_region,
        net(periode_debut) as periode_debut,
        net(periode_fin) as periode_fin,
        cast(net(objectif_entrees_moins_30) as bigint) as objectif_entrees_moins_30,
        cast(net(sous_objectif_pe_moins_30) as bigint) as sous_objectif_pe_moins_30,
        cast(net(sous_objectif_ml_moins_26) as bigint) as sous_objectif_ml_moins_26
    from read_csv(
        $objectifs_csv, header = true, all_varchar = true, normalize_names = true,
        delim = ';', quote = '"'
    )
)

select
    case when regexp_full_match(code_region, '[1-9]') then '0' || code_region
        else code_region end as code_region,
    * exclude (code_region),
    date_diff('month', cast(periode_debut || '-01' as date), cast(periode_fin || '-01' as date))
    + 1 as n
from lus;

-- §9: the sectors file's rows, as read (filled by the `secteurs` section when the landing
-- folder has the file; without it no region has a list).
create or replace temp table secteurs (
    code_region varchar, code_secteur varchar, libelle_secteur varchar, prefixe_rome varchar
);

-- Empty tables with every contract column: a file is read `union all by name` with one,
-- so that an optional column absent from the file reads as null (then '').
create or replace temp table colonnes_si_pe (
    id_ais varchar, id_individu varchar, date_naissance varchar, code_departement varchar,
    code_agence varchar, type_prescripteur varchar, code_structure_prescriptrice varchar,
    date_prescription varchar, date_entree varchar, statut varchar, formacode varchar,
    code_rome varchar, type_formation varchar, financeur varchar, duree_heures varchar
);

create or replace temp table colonnes_imilo (
    id_prescription varchar, id_jeune varchar, date_naissance varchar,
    code_mission_locale varchar, code_departement varchar, date_prescription varchar,
    date_entree varchar, statut varchar, numero_ais varchar, formacode varchar,
    code_rome varchar, type_formation varchar
);

-- Every record read, both feeds, reduced to what the tables need: whether it passes the
-- row checks, and a hash of its contract columns (trimmed text) for the duplicate rule.
create or replace temp table lignes_lues (
    source varchar, mois_fichier varchar, valide boolean, id_prescription varchar,
    empreinte ubigint,
    code_region varchar, reseau_prescripteur varchar, tranche_age varchar,
    est_prescription boolean, mois_entree varchar, numero_ais varchar,
    type_formation varchar, code_rome varchar
);

-- section: secteurs
-- The sectors file (§9), assumed valid: values trimmed, region codes padded like a
-- department, codes and prefixes upper-cased.
insert into secteurs
with lus as (
    select
        net(code_region) as code_region,
        upper(net(code_secteur)) as code_secteur,
        net(libelle_secteur) as libelle_secteur,
        upper(net(prefixe_rome)) as prefixe_rome
    from read_csv(
        $secteurs_csv, header = true, all_varchar = true, normalize_names = true,
        delim = ';', quote = '"', escape = '"'
    )
)

select
    case when regexp_full_match(code_region, '[1-9]') then '0' || code_region
        else code_region end as code_region,
    code_secteur,
    libelle_secteur,
    prefixe_rome
from lus;

-- section: stage_si_pe
insert into lignes_lues
with

fichier as (
    select * from colonnes_si_pe
    union all by name
    select *
    from read_csv(
        $path, columns = $columns, header = true, auto_detect = false, delim = ';',
        quote = '"', escape = '"', encoding = $encoding, strict_mode = true,
        ignore_errors = true, store_rejects = true
    )
),

nets as (
    select
        net(id_ais) as id_ais,
        net(id_individu) as id_individu,
        net(date_naissance) as date_naissance,
        net(code_departement) as code_departement,
        net(code_agence) as code_agence,
        net(type_prescripteur) as type_prescripteur,
        net(code_structure_prescriptrice) as code_structure_prescriptrice,
        net(date_prescription) as date_prescription,
        net(date_entree) as date_entree,
        net(statut) as statut,
        net(formacode) as formacode,
        net(code_rome) as code_rome,
        net(type_formation) as type_formation,
        net(financeur) as financeur,
        net(duree_heures) as duree_heures
    from fichier
),

lus as (
    select
        *,
        departement_lu(code_departement) as n_departement,
        upper(statut) as n_statut,
        n_statut in ('ENTREE', 'ABANDON') as est_entree_statut,
        date_jj_mm_aaaa(date_naissance) as d_naissance,
        date_jj_mm_aaaa(date_prescription) as d_prescription,
        date_jj_mm_aaaa(date_entree) as d_entree
    from nets
),

verifies as (
    select
        lus.*,
        ref_departements.reg as code_region,
        age_au(lus.d_naissance, lus.d_prescription) as age,
        coalesce(
            lus.id_ais <> '' and lus.id_individu <> '' and lus.date_naissance <> ''
            and lus.date_prescription <> '' and lus.statut <> ''
            and lus.d_naissance is not null and lus.d_prescription is not null
            and ref_departements.reg is not null
            and lus.n_statut in ('PRESCRITE', 'ENTREE', 'ABANDON', 'ANNULEE')
            and lus.d_prescription >= $premier_jour and lus.d_prescription < $mois_suivant
            and not (lus.est_entree_statut and lus.date_entree <> '' and lus.d_entree is null)
            and age between 14 and 99
            and not coalesce(lus.est_entree_statut and lus.d_entree < lus.d_prescription, false),
            false
        ) as valide
    from lus
    left join ref_departements on lus.n_departement = ref_departements.dep
)

select
    'SI_PE',
    $mois,
    valide,
    id_ais,
    hash(
        id_ais, id_individu, date_naissance, code_departement, code_agence,
        type_prescripteur, code_structure_prescriptrice, date_prescription, date_entree,
        statut, formacode, code_rome, type_formation, financeur, duree_heures
    ),
    code_region,
    case when upper(type_prescripteur) in ('PE', 'ML', 'CAP_EMPLOI', 'AUTRE')
        then upper(type_prescripteur) else 'NON_RENSEIGNE' end,
    tranche(age),
    n_statut <> 'ANNULEE',
    case when est_entree_statut then strftime(d_entree, '%Y-%m') end,
    null,
    formation_lue(type_formation),
    rome_lu(code_rome)
from verifies;

-- section: stage_imilo
insert into lignes_lues
with

fichier as (
    select * from colonnes_imilo
    union all by name
    select *
    from read_csv(
        $path, columns = $columns, header = true, auto_detect = false, delim = ';',
        quote = '"', escape = '"', encoding = $encoding, strict_mode = true,
        ignore_errors = true, store_rejects = true
    )
),

nets as (
    select
        net(id_prescription) as id_prescription,
        net(id_jeune) as id_jeune,
        net(date_naissance) as date_naissance,
        net(code_mission_locale) as code_mission_locale,
        net(code_departement) as code_departement,
        net(date_prescription) as date_prescription,
        net(date_entree) as date_entree,
        net(statut) as statut,
        net(numero_ais) as numero_ais,
        net(formacode) as formacode,
        net(code_rome) as code_rome,
        net(type_formation) as type_formation
    from fichier
),

lus as (
    select
        *,
        departement_lu(code_departement) as n_departement,
        upper(statut) as n_statut,
        n_statut in ('ENTREE', 'ABANDON') as est_entree_statut,
        date_aaaa_mm_jj(date_naissance) as d_naissance,
        date_aaaa_mm_jj(date_prescription) as d_prescription,
        date_aaaa_mm_jj(date_entree) as d_entree
    from nets
),

verifies as (
    select
        lus.*,
        ref_departements.reg as code_region,
        age_au(lus.d_naissance, lus.d_prescription) as age,
        coalesce(
            lus.id_prescription <> '' and lus.id_jeune <> '' and lus.date_naissance <> ''
            and lus.code_mission_locale <> '' and lus.date_prescription <> ''
            and lus.statut <> ''
            and lus.d_naissance is not null and lus.d_prescription is not null
            and ref_departements.reg is not null
            and lus.n_statut in ('PRESCRITE', 'ENTREE', 'ABANDON', 'ANNULEE')
            and lus.d_prescription >= $premier_jour and lus.d_prescription < $mois_suivant
            and not (lus.est_entree_statut and lus.date_entree <> '' and lus.d_entree is null)
            and age between 14 and 99
            and not coalesce(lus.est_entree_statut and lus.d_entree < lus.d_prescription, false),
            false
        ) as valide
    from lus
    left join ref_departements on lus.n_departement = ref_departements.dep
)

select
    'IMILO',
    $mois,
    valide,
    id_prescription,
    hash(
        id_prescription, id_jeune, date_naissance, code_mission_locale, code_departement,
        date_prescription, date_entree, statut, numero_ais, formacode, code_rome,
        type_formation
    ),
    code_region,
    'ML',
    tranche(age),
    n_statut <> 'ANNULEE',
    case when est_entree_statut then strftime(d_entree, '%Y-%m') end,
    nullif(numero_ais, ''),
    formation_lue(type_formation),
    rome_lu(code_rome)
from verifies;

-- section: unstage
delete from lignes_lues where source = $source and mois_fichier = $mois;

-- section: compute
-- §6, among the rows that passed the checks, per file (source and month): rows identical
-- in every contract column load once; an id on rows that differ loads nothing. Rows are
-- compared by a 64-bit hash of their trimmed values (a false "identical" needs two rows
-- of one id to collide). Only the repeated ids are grouped apart: almost every id has one
-- row, and grouping every row with its values would cost twice the rest of the compute.
create or replace temp table lignes_exclues as
with repetees as (
    select
        source,
        mois_fichier,
        id_prescription,
        min(empreinte) = max(empreinte) as identiques,
        min(rowid) as gardee
    from lignes_lues
    where valide
    group by source, mois_fichier, id_prescription
    having count(*) > 1
)

select lignes_lues.rowid as ligne
from lignes_lues
inner join repetees
    on
        lignes_lues.source = repetees.source
        and lignes_lues.mois_fichier = repetees.mois_fichier
        and lignes_lues.id_prescription = repetees.id_prescription
where lignes_lues.valide and (not repetees.identiques or lignes_lues.rowid <> repetees.gardee);

-- The loaded rows, as the pipeline's raw tables hold them.
create or replace temp view faits as
select * exclude (valide, empreinte)
from lignes_lues
where valide and rowid not in (select ligne from lignes_exclues);

-- §5: an I-Milo entry is matched when its numero_ais is the id_ais of a loaded si_pe
-- entry (in any month's file up to M: only those are read).
create or replace temp table entrees as
select
    faits.*,
    faits.source = 'IMILO' and faits.numero_ais in (
        select id_prescription from faits where source = 'SI_PE' and mois_entree is not null
    ) as apparie
from faits
where mois_entree is not null and mois_entree <= $mois;

-- A prescription's month is its file's month: the checks kept only those (§2, §6).
create or replace temp table fiabilite as
select
    mois_fichier as mois,
    code_region,
    count(*) as nb_prescriptions_si_pe,
    count(*) filter (where reseau_prescripteur <> 'NON_RENSEIGNE') as nb_prescripteur_renseigne,
    case
        when count(*) filter (where reseau_prescripteur <> 'NON_RENSEIGNE')
            < cast($seuil as decimal(18, 6)) * count(*) then 'A_EXAMINER'
        else 'FIABLE'
    end as fiabilite
from faits
where source = 'SI_PE' and est_prescription
group by all;

create or replace temp table indicateurs as
select mois_entree as mois, code_region, 'ENTREES_MOINS_30' as indicateur, count(*) as valeur
from entrees
where tranche_age <> '30_PLUS' and not coalesce(apparie, false)
group by all
union all
select mois_fichier, code_region, 'PRESCRIPTIONS_PE_MOINS_30', count(*)
from faits
where
    est_prescription and source = 'SI_PE' and reseau_prescripteur = 'PE'
    and tranche_age <> '30_PLUS'
group by all
union all
select mois_fichier, code_region, 'PRESCRIPTIONS_ML_MOINS_26', count(*)
from faits
where est_prescription and source = 'IMILO' and tranche_age = 'MOINS_26'
group by all
union all
-- Not an indicator: what projection_otp adds to PRESCRIPTIONS_PE_MOINS_30 for its upper
-- bound (§8), the si_pe prescriptions of under-30s whose prescriber is not filled.
select mois_fichier, code_region, 'SI_PE_NON_RENSEIGNE_MOINS_30', count(*)
from faits
where
    est_prescription and source = 'SI_PE' and reseau_prescripteur = 'NON_RENSEIGNE'
    and tranche_age <> '30_PLUS'
group by all;

-- The month's counts of §7 and §8, each source on its own (a matched pair under both).
create or replace temp table comptes_du_mois as
select
    code_region, source, reseau_prescripteur, tranche_age, type_formation, code_rome,
    count(*) filter (where mois_fichier = $mois and est_prescription) as nb_prescriptions,
    count(*) filter (where mois_entree = $mois) as nb_entrees
from faits
where (mois_fichier = $mois and est_prescription) or mois_entree = $mois
group by all;

-- §9: a region's list is its own rows when it has any, else the `*` rows.
create or replace temp table listes as
with propres as (
    select distinct code_region from secteurs
    where code_region <> '*'
)

select
    ref_regions.reg as code_region,
    secteurs.prefixe_rome,
    secteurs.code_secteur,
    secteurs.libelle_secteur
from ref_regions
left join propres on ref_regions.reg = propres.code_region
inner join secteurs
    on secteurs.code_region = coalesce(propres.code_region, '*');

create or replace temp table suivi as
with

en_cours as (
    select
        *,
        date_diff('month', cast(periode_debut || '-01' as date), cast($mois || '-01' as date))
        + 1 as k
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

-- Summed from periode_debut to M; months before 2021-01 have no file, so add 0. With
-- PRESCRIPTIONS_PE_MOINS_30, the unfilled prescribers of the same months (§8).
realise as (
    select
        o.code_region,
        o.indicateur,
        cast(coalesce(
            sum(i.valeur) filter (where i.indicateur = o.indicateur and i.mois = $mois), 0
        ) as bigint) as realise_mois,
        cast(coalesce(sum(i.valeur) filter (where i.indicateur = o.indicateur), 0) as bigint)
            as realise_cumule,
        cast(coalesce(
            sum(i.valeur) filter (where i.indicateur = 'SI_PE_NON_RENSEIGNE_MOINS_30'), 0
        ) as bigint) as non_renseigne
    from objectifs_long as o
    left join indicateurs as i
        on
            o.code_region = i.code_region
            and i.mois >= o.periode_debut and i.mois <= $mois
            and (
                i.indicateur = o.indicateur
                or (
                    o.indicateur = 'PRESCRIPTIONS_PE_MOINS_30'
                    and i.indicateur = 'SI_PE_NON_RENSEIGNE_MOINS_30'
                )
            )
    group by o.code_region, o.indicateur
),

a_examiner as (
    select distinct en_cours.code_region
    from en_cours
    inner join fiabilite
        on
            en_cours.code_region = fiabilite.code_region
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
    r.non_renseigne,
    o.k,
    o.n,
    case when a.code_region is not null and o.indicateur = 'PRESCRIPTIONS_PE_MOINS_30'
        then 'A_EXAMINER' else 'FIABLE' end as fiabilite
from objectifs_long as o
inner join realise as r on o.code_region = r.code_region and o.indicateur = r.indicateur
left join ref_regions on o.code_region = ref_regions.reg
left join a_examiner as a on o.code_region = a.code_region;

-- section: prescriptions_mensuelles
select
    $mois as mois,
    c.code_region,
    ref_regions.libelle as libelle_region,
    c.source,
    c.reseau_prescripteur,
    c.tranche_age,
    cast(sum(c.nb_prescriptions) as bigint) as nb_prescriptions,
    cast(sum(c.nb_entrees) as bigint) as nb_entrees,
    case when c.source = 'SI_PE' then coalesce(any_value(f.fiabilite), 'FIABLE')
        else 'FIABLE' end as fiabilite
from comptes_du_mois as c
left join ref_regions on c.code_region = ref_regions.reg
left join fiabilite as f on c.code_region = f.code_region and f.mois = $mois
group by c.code_region, ref_regions.libelle, c.source, c.reseau_prescripteur, c.tranche_age
order by c.code_region, c.source, c.reseau_prescripteur, c.tranche_age;

-- section: suivi_otp
select
    mois,
    code_region,
    libelle_region,
    indicateur,
    periode_debut,
    periode_fin,
    objectif,
    realise_mois,
    realise_cumule,
    case when objectif <> 0 then cast(realise_cumule as double) / objectif end
        as taux_realisation,
    cast(objectif as double) * k / n as cible_lineaire,
    realise_cumule - cast(objectif as double) * k / n as ecart_cible,
    fiabilite
from suivi
order by code_region, indicateur, periode_debut;

-- section: qualite_prescripteur
with regions_du_mois as (
    select
        code_region,
        cast(sum(nb_prescriptions) filter (
            where source = 'SI_PE' and reseau_prescripteur = 'ML' and tranche_age = 'MOINS_26'
        ) as bigint) as nb_ml_si_pe_moins_26
    from comptes_du_mois
    group by code_region
    having sum(nb_prescriptions) > 0
)

select
    $mois as mois,
    r.code_region,
    ref_regions.libelle as libelle_region,
    coalesce(f.nb_prescriptions_si_pe, 0) as nb_prescriptions_si_pe,
    coalesce(f.nb_prescripteur_renseigne, 0) as nb_prescripteur_renseigne,
    cast(f.nb_prescripteur_renseigne as double) / f.nb_prescriptions_si_pe
        as taux_renseignement,
    coalesce(r.nb_ml_si_pe_moins_26, 0) as nb_ml_si_pe_moins_26,
    coalesce(i.valeur, 0) as nb_ml_imilo_moins_26,
    coalesce(f.fiabilite, 'FIABLE') as fiabilite
from regions_du_mois as r
left join ref_regions on r.code_region = ref_regions.reg
left join fiabilite as f on r.code_region = f.code_region and f.mois = $mois
left join indicateurs as i
    on
        r.code_region = i.code_region and i.mois = $mois
        and i.indicateur = 'PRESCRIPTIONS_ML_MOINS_26'
order by r.code_region;

-- section: prescriptions_par_formation
select
    $mois as mois,
    c.code_region,
    ref_regions.libelle as libelle_region,
    c.source,
    c.type_formation,
    coalesce(d.code, 'NON_RENSEIGNE') as domaine_professionnel,
    d.libelle as libelle_domaine,
    c.tranche_age,
    cast(sum(c.nb_prescriptions) as bigint) as nb_prescriptions,
    cast(sum(c.nb_entrees) as bigint) as nb_entrees
from comptes_du_mois as c
left join ref_regions on c.code_region = ref_regions.reg
left join ref_domaines as d on left(c.code_rome, 1) = d.code
group by all
order by
    c.code_region, c.source, c.type_formation, domaine_professionnel, c.tranche_age;

-- section: projection_otp
select
    mois,
    code_region,
    libelle_region,
    indicateur,
    periode_debut,
    periode_fin,
    objectif,
    realise_cumule,
    k as nb_mois_ecoules,
    n as nb_mois_periode,
    cast(realise_cumule as double) / k as rythme_mensuel,
    cast(realise_cumule * n as double) / k as projection_fin_periode,
    greatest(objectif - realise_cumule, 0) as reste_a_realiser,
    case when k < n then cast(greatest(objectif - realise_cumule, 0) as double) / (n - k) end
        as rythme_necessaire,
    case
        when realise_cumule >= objectif then 'ATTEINT'
        when realise_cumule * n >= objectif * k then 'EN_BONNE_VOIE'
        when 10 * realise_cumule * n >= 9 * objectif * k then 'A_RISQUE'
        else 'EN_RETARD'
    end as statut,
    realise_cumule + non_renseigne as realise_cumule_borne_haute,
    fiabilite
from suivi
order by code_region, indicateur, periode_debut;

-- section: prescriptions_secteurs_avenir
-- §9: counted as prescriptions_par_formation, by sector: the longest prefix of the region's
-- list that begins the code (prefixes are unique within a list), looked up once per
-- region and code counted in M.
with

codes as (
    select distinct code_region, code_rome
    from comptes_du_mois
    where code_rome is not null
),

secteur_du_code as (
    select
        codes.code_region,
        codes.code_rome,
        arg_max(l.code_secteur, strlen(l.prefixe_rome)) as code_secteur,
        arg_max(l.libelle_secteur, strlen(l.prefixe_rome)) as libelle_secteur
    from codes
    inner join listes as l
        on codes.code_region = l.code_region and starts_with(codes.code_rome, l.prefixe_rome)
    group by codes.code_region, codes.code_rome
)

select
    $mois as mois,
    c.code_region,
    ref_regions.libelle as libelle_region,
    c.source,
    c.type_formation,
    case when d.code is null then 'NON_RENSEIGNE'
        else coalesce(s.code_secteur, 'HORS_LISTE') end as code_secteur,
    case when d.code is not null then s.libelle_secteur end as libelle_secteur,
    c.tranche_age,
    cast(sum(c.nb_prescriptions) as bigint) as nb_prescriptions,
    cast(sum(c.nb_entrees) as bigint) as nb_entrees
from comptes_du_mois as c
left join ref_regions on c.code_region = ref_regions.reg
left join ref_domaines as d on left(c.code_rome, 1) = d.code
left join secteur_du_code as s on c.code_region = s.code_region and c.code_rome = s.code_rome
group by all
order by c.code_region, c.source, c.type_formation, code_secteur, c.tranche_age;
