"""The demo's sectors of the future (contract §9): a national list and three regions with
their own, written as the steering bodies would (mixed case, a one-digit-free region code,
nested prefixes), so that `make run` fills the report's section."""

# (code_region, code_secteur, libelle_secteur, prefixe_rome); `*` is the national list.
SECTORS_ROWS = (
    ("*", "NUMERIQUE", "Numérique", "M18"),
    ("*", "SOIN", "Santé et soin", "J15"),
    ("*", "SOIN", "Santé et soin", "J13"),
    ("*", "GRAND_AGE", "Grand âge et autonomie", "K13"),
    ("*", "TRANSITION_ECOLOGIQUE", "Transition écologique", "F16"),
    ("*", "TRANSITION_ECOLOGIQUE", "Transition écologique", "A14"),
    ("*", "INDUSTRIE", "Industrie", "H29"),
    ("*", "INDUSTRIE", "Industrie", "H33"),
    # Auvergne-Rhône-Alpes: industry first, the whole of H, and digital.
    ("84", "INDUSTRIE", "Industrie", "H"),
    ("84", "NUMERIQUE", "Numérique", "m18"),
    ("84", "SOIN", "Santé et soin", "J1501"),
    # Hauts-de-France: logistics and industry, welding apart from the rest of H29.
    ("32", "logistique", "Logistique", "N11"),
    ("32", "LOGISTIQUE", "Logistique", "N41"),
    ("32", "INDUSTRIE", "Industrie", "H29"),
    ("32", "SOUDURE", "Soudure et chaudronnerie", "H2913"),
    # Bretagne: agriculture and the sea, market gardening apart.
    ("53", "AGRICULTURE", "Agriculture et agroalimentaire", "A14"),
    ("53", "MARAICHAGE", "Maraîchage", "A1414"),
    ("53", "AGRICULTURE", "Agriculture et agroalimentaire", "D11"),
    ("53", "SOIN", "Santé et soin", "J"),
)
SECTORS_COLUMNS = ["code_region", "code_secteur", "libelle_secteur", "prefixe_rome"]
