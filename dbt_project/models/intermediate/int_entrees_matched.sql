with

entrees as (
    select * from {{ ref('fct_entrees') }}
),

-- Contract §5: an I-Milo row is matched when its numero_ais equals, exactly, the id_ais
-- of a loaded si_pe row that is itself an entry, in any month. The month of that si_pe
-- file is kept so that a month's figures only use the match once that file is known
-- (contract §2); an id_ais lives in one month, min() only makes the grain explicit.
-- Computed here, at every read, never stored: a revision of one month's AIS changes the
-- matches of other months' I-Milo rows, which the incremental facts do not rebuild.
-- Only the id_ais some I-Milo entry names are aggregated, not every si_pe entry.
numeros_ais as (
    select numero_ais from entrees
    where source = 'IMILO' and numero_ais is not null
),

entrees_si_pe as (
    select
        id_prescription as id_ais,
        min(mois_fichier) as mois_fichier_ais_apparie
    from entrees
    where
        source = 'SI_PE'
        and id_prescription in (select numeros_ais.numero_ais from numeros_ais)
    group by id_prescription
),

-- Only the I-Milo entries are joined: a si_pe entry is never matched (its
-- mois_fichier_ais_apparie is null), so its rows skip the join, two thirds of the entries.
imilo_apparies as (
    select
        entrees.source,
        entrees.id_prescription,
        entrees.mois_fichier,
        entrees.mois_entree,
        entrees.date_entree,
        entrees.date_prescription,
        entrees.code_region,
        entrees.libelle_region,
        entrees.reseau_prescripteur,
        entrees.age,
        entrees.tranche_age,
        entrees.numero_ais,
        entrees_si_pe.mois_fichier_ais_apparie,
        entrees.type_formation,
        entrees.domaine_professionnel,
        entrees.libelle_domaine,
        entrees.code_rome
    from entrees
    left join entrees_si_pe
        on entrees.numero_ais = entrees_si_pe.id_ais
    where entrees.source = 'IMILO'
),

-- By name, in imilo_apparies' column order: its list is the view's columns (the linter
-- cannot count them through the wildcards, AM04 below).
matched as (
    select * from imilo_apparies
    union all by name
    select
        * exclude (loaded_at, empreinte_referentiels),
        cast(null as varchar) as mois_fichier_ais_apparie
    from entrees
    where source = 'SI_PE'
)

select * from matched  -- noqa: AM04
