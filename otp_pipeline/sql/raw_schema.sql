-- Raw warehouse tables written by the ingestion assets (docs/architecture.md).
-- Idempotent: run at every load before anything is written.
create schema if not exists raw;

create table if not exists raw.si_pe (
    mois varchar not null,
    id_ais varchar not null,
    -- Age at prescription (contract §5), computed at ingestion: the person id and the
    -- birth date are never stored (docs/personal-data.md).
    age integer not null,
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
    age integer not null,
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
    -- What a producer needs to find and fix the row, never a person id or birth date:
    -- its id_ais / id_prescription, the column at fault and that column's value (null
    -- for a person column, and for a line that could not be split into columns).
    record_id varchar,
    fault_column varchar,
    fault_value varchar,
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

-- The sectors of the future (contract §9), as read: replaced whole at every run, empty when
-- no file was given.
create table if not exists raw.secteurs_avenir (
    code_region varchar not null,
    code_secteur varchar not null,
    libelle_secteur varchar not null,
    prefixe_rome varchar not null,
    line_number bigint not null,
    source_file varchar not null,
    sha256 varchar not null,
    loaded_at timestamp not null
);

-- The SHA-256 of landing files by (path, size, modification time): an earlier month's
-- file at the size and mtime kept is not read again (lib/ingestion/checksums.py).
create table if not exists raw.file_checksums (
    path varchar primary key,
    size bigint not null,
    mtime_ns bigint not null,
    sha256 varchar not null,
    checked_at timestamp not null
);
