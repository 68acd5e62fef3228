-- A warehouse as the schema before docs/personal-data.md wrote it (otp_pipeline/sql/raw_schema.sql
-- at db59be2), with a few rows and the views dbt made on it: the migration's input.
create schema if not exists raw;

create table if not exists raw.si_pe (
    mois varchar not null,
    id_ais varchar not null,
    id_individu varchar not null,
    date_naissance date not null,
    code_departement varchar not null,
    code_agence varchar,
    type_prescripteur varchar,
    code_structure_prescriptrice varchar,
    date_prescription date not null,
    date_entree date,
    statut varchar not null,
    formacode varchar,
    code_rome varchar,
    type_formation varchar,
    financeur varchar,
    duree_heures varchar,
    source_file varchar not null,
    revision integer not null,
    sha256 varchar not null,
    line_number bigint not null,
    loaded_at timestamp not null
);

create table if not exists raw.imilo (
    mois varchar not null,
    id_prescription varchar not null,
    id_jeune varchar not null,
    date_naissance date not null,
    code_mission_locale varchar not null,
    code_departement varchar not null,
    date_prescription date not null,
    date_entree date,
    statut varchar not null,
    numero_ais varchar,
    formacode varchar,
    code_rome varchar,
    type_formation varchar,
    source_file varchar not null,
    revision integer not null,
    sha256 varchar not null,
    line_number bigint not null,
    loaded_at timestamp not null
);

create table if not exists raw.quarantine (
    source varchar not null,
    mois varchar not null,
    source_file varchar not null,
    revision integer not null,
    sha256 varchar not null,
    line_number bigint not null,
    reason varchar not null,
    raw_record varchar,
    loaded_at timestamp not null
);

create table if not exists raw.deliveries (
    source varchar not null,
    mois varchar not null,
    source_file varchar not null,
    revision integer not null,
    sha256 varchar not null,
    encoding varchar not null,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    rows_duplicates bigint not null,
    quarantine_reasons varchar not null,
    invalid_type_prescripteur varchar not null,
    odd_values varchar not null,
    loaded_at timestamp not null,
    primary key (source, mois)
);

create table if not exists raw.objectifs_otp (
    code_region varchar not null,
    periode_debut varchar not null,
    periode_fin varchar not null,
    objectif_entrees_moins_30 bigint not null,
    dont_volume_socle bigint not null,
    sous_objectif_pe_moins_30 bigint not null,
    sous_objectif_ml_moins_26 bigint not null,
    source_file varchar not null,
    sha256 varchar not null,
    loaded_at timestamp not null
);

insert into raw.si_pe values
    ('2021-02', 'AIS-1', 'PERSON-OLD-1', '2000-02-29', '75', '75001', 'PE', null,
     '2021-02-28', null, 'PRESCRITE', '22435', 'M1607', 'QUALIFIANTE', 'REGION', '400',
     'ais_2021-02.csv', 1, 'sha-f', 2, '2021-03-05 10:00:00'),
    ('2021-03', 'AIS-2', 'PERSON-OLD-2', '2000-02-29', '69', null, 'ML', 'ML069',
     '2021-03-01', '2021-03-10', 'ENTREE', null, null, null, null, null,
     'ais_2021-03.csv', 1, 'sha-m', 2, '2021-04-05 10:00:00');

insert into raw.imilo values
    ('2021-03', 'MILO-1', 'JEUNE-OLD-1', '2000-03-15', 'ML075', '75', '2021-03-15', null,
     'PRESCRITE', 'AIS-2', null, null, null, 'imilo_2021-03.csv', 1, 'sha-i', 2,
     '2021-04-05 10:00:00'),
    ('2021-03', 'MILO-2', 'JEUNE-OLD-2', '2000-03-16', 'ML075', '75', '2021-03-15', null,
     'PRESCRITE', null, null, null, null, 'imilo_2021-03.csv', 1, 'sha-i', 3,
     '2021-04-05 10:00:00');

-- raw_record: the row's trimmed values joined by `;`, as the loader wrote them.
insert into raw.quarantine values
    ('si_pe', '2021-03', 'ais_2021-03.csv', 1, 'sha-m', 3, 'DEPARTEMENT_INCONNU',
     'AIS-9;PERSON-OLD-9;17/03/1999;96;75001;PE;;10/03/2021;;PRESCRITE;22435;M1607;QUALIFIANTE;REGION;400',
     '2021-04-05 10:00:00'),
    ('si_pe', '2021-03', 'ais_2021-03.csv', 1, 'sha-m', 4, 'DATE_INVALIDE:date_naissance',
     'AIS-8;PERSON-OLD-8;31/02/1999;75;75001;PE;;10/03/2021;;PRESCRITE;22435;M1607;QUALIFIANTE;REGION;400',
     '2021-04-05 10:00:00'),
    ('si_pe', '2021-03', 'ais_2021-03.csv', 1, 'sha-m', 5, 'NOMBRE_DE_CHAMPS',
     'AIS-7;PERSON-OLD-7;17/03/1999;75;extra', '2021-04-05 10:00:00'),
    -- A value held a quoted `;`: the line no longer splits into the feed's columns.
    ('si_pe', '2021-03', 'ais_2021-03.csv', 1, 'sha-m', 6, 'DEPARTEMENT_INCONNU',
     'AIS-6;PERSON-OLD-6;17/03/1999;96;75;001;PE;;10/03/2021;;PRESCRITE;22435;M1607;QUALIFIANTE;REGION;400',
     '2021-04-05 10:00:00'),
    ('imilo', '2021-03', 'imilo_2021-03.csv', 1, 'sha-i', 4, 'ID_EN_CONFLIT',
     'MILO-5;JEUNE-OLD-5;1999-03-17;ML075;75;2021-03-12;;PRESCRITE;;22435;M1607;QUALIFIANTE',
     '2021-04-05 10:00:00'),
    ('imilo', '2021-03', 'imilo_2021-03.csv', 1, 'sha-i', 5, 'LIGNE_ILLISIBLE', '',
     '2021-04-05 10:00:00');

insert into raw.deliveries values
    ('si_pe', '2021-02', 'ais_2021-02.csv', 1, 'sha-f', 'utf-8', 1, 1, 0, 0, '{}', '{}', '{}',
     '2021-03-05 10:00:00'),
    ('si_pe', '2021-03', 'ais_2021-03.csv', 1, 'sha-m', 'utf-8', 5, 1, 4, 0, '{}', '{}', '{}',
     '2021-04-05 10:00:00'),
    ('imilo', '2021-03', 'imilo_2021-03.csv', 1, 'sha-i', 'utf-8', 4, 2, 2, 0, '{}', '{}', '{}',
     '2021-04-05 10:00:00');

-- What dbt had built: views reading the birth date, and a table of aggregates.
create view main.stg_si_pe__prescriptions as
select mois as mois_fichier, id_ais, date_naissance, date_prescription from raw.si_pe;
create view main.stg_imilo__prescriptions as
select mois as mois_fichier, id_prescription, date_naissance from raw.imilo;
create view main.stg_deliveries as select source, mois from raw.deliveries;
create table main.prescriptions_mensuelles as
select 'PUBLIE-' || mois as mois, count(*) as nb_prescriptions from raw.si_pe group by mois;
