"""Constants of the data contract (../shared/spec/CONTRACT.md): sources, columns, codes."""

from dataclasses import dataclass

FIRST_MONTH = "2021-01"

STATUTS = ("PRESCRITE", "ENTREE", "ABANDON", "ANNULEE")
ENTRY_STATUTS = ("ENTREE", "ABANDON")
TYPES_PRESCRIPTEUR = ("PE", "ML", "CAP_EMPLOI", "AUTRE")
TYPES_FORMATION = ("QUALIFIANTE", "PRE_QUALIFIANTE", "AUTRE")
FINANCEURS = ("REGION", "PE", "ETAT_PIC", "OPCO", "AUTRE")
AGE_MIN, AGE_MAX = 14, 99
# Personal data of the feeds (§3) that no rule needs once a row is read: the person ids
# (read for the duplicate check of §6 only) and the birth date (read for the age of §5).
# Never stored in the warehouse (docs/personal-data.md).
PERSONAL_COLUMNS = ("id_individu", "id_jeune", "date_naissance")

# Quarantine reasons (contract §6), as stored in raw.quarantine.reason and the manifest.
REASON_FIELD_COUNT = "NOMBRE_DE_CHAMPS"
REASON_UNREADABLE = "LIGNE_ILLISIBLE"  # a record the CSV tokenizer rejects (field too long)
REASON_MISSING = "VALEUR_REQUISE_MANQUANTE"  # suffixed with ":<column>"
REASON_BAD_DATE = "DATE_INVALIDE"  # suffixed with ":<column>"
REASON_UNKNOWN_DEPARTEMENT = "DEPARTEMENT_INCONNU"
REASON_UNKNOWN_STATUT = "STATUT_INCONNU"
REASON_OUTSIDE_MONTH = "DATE_PRESCRIPTION_HORS_MOIS"
REASON_AGE = "AGE_HORS_LIMITES"
REASON_ENTRY_BEFORE = "DATE_ENTREE_AVANT_PRESCRIPTION"
REASON_CONFLICTING_ID = "ID_EN_CONFLIT"


@dataclass(frozen=True)
class Feed:
    """One monthly feed of the contract (§3): its folder, columns and formats."""

    name: str  # landing folder and raw table name
    file_prefix: str
    id_column: str
    columns: tuple[str, ...]  # every column the contract names, in contract order
    required: tuple[str, ...]
    date_format: str  # strptime format, zero-padded
    date_pattern: str  # regular expression a date must match exactly
    encodings: tuple[str, ...]  # tried in order after the BOM is dropped
    upper_columns: tuple[str, ...]  # codes compared upper-cased
    optional_code_columns: tuple[str, ...]  # odd values counted, never quarantined


SI_PE = Feed(
    name="si_pe",
    file_prefix="ais",
    id_column="id_ais",
    columns=(
        "id_ais",
        "id_individu",
        "date_naissance",
        "code_departement",
        "code_agence",
        "type_prescripteur",
        "code_structure_prescriptrice",
        "date_prescription",
        "date_entree",
        "statut",
        "formacode",
        "code_rome",
        "type_formation",
        "financeur",
        "duree_heures",
    ),
    required=(
        "id_ais",
        "id_individu",
        "date_naissance",
        "code_departement",
        "date_prescription",
        "statut",
    ),
    date_format="%d/%m/%Y",
    date_pattern=r"[0-9]{2}/[0-9]{2}/[0-9]{4}",
    encodings=("utf-8", "cp1252"),
    upper_columns=(
        "code_departement",
        "type_prescripteur",
        "statut",
        "code_rome",
        "type_formation",
        "financeur",
    ),
    optional_code_columns=(
        "type_prescripteur",
        "formacode",
        "code_rome",
        "type_formation",
        "financeur",
        "duree_heures",
    ),
)

IMILO = Feed(
    name="imilo",
    file_prefix="imilo",
    id_column="id_prescription",
    columns=(
        "id_prescription",
        "id_jeune",
        "date_naissance",
        "code_mission_locale",
        "code_departement",
        "date_prescription",
        "date_entree",
        "statut",
        "numero_ais",
        "formacode",
        "code_rome",
        "type_formation",
    ),
    required=(
        "id_prescription",
        "id_jeune",
        "date_naissance",
        "code_mission_locale",
        "code_departement",
        "date_prescription",
        "statut",
    ),
    date_format="%Y-%m-%d",
    date_pattern=r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    encodings=("utf-8",),
    upper_columns=("code_departement", "statut", "code_rome", "type_formation"),
    optional_code_columns=("formacode", "code_rome", "type_formation"),
)

FEEDS = {feed.name: feed for feed in (SI_PE, IMILO)}

OBJECTIVES_COLUMNS = (
    "code_region",
    "periode_debut",
    "periode_fin",
    "objectif_entrees_moins_30",
    "dont_volume_socle",
    "sous_objectif_pe_moins_30",
    "sous_objectif_ml_moins_26",
)
