"""What training, toward which occupation: the demo's region-dependent mixes (contract §8).

`type_formation` and the target job's ROME code (`code_rome`, whose letter is its *grand
domaine*) are drawn from weights that depend on the prescription's region, so that the
steering tables show regional pictures that differ: farming in Bretagne, industry in the
Grand Est, tourism on the Mediterranean, office work and banking in Île-de-France. The
shares are rough approximations of 2021, not statistics. The awkward forms below are the
ones §8 allows (normalised, or read as `NON_RENSEIGNE`); they stay rare, and are the same
everywhere, so they blur no region's picture.
"""

from functools import cache

from otp_pipeline.lib.settings import TYPES_FORMATION

FORMACODES = ("31734", "22454", "43454", "15081", "31654", "42854", "21546", "13030", "35054")

# Real ROME codes of each grand domaine (`rome_domaines.csv`, A to N), with their share
# within the domain: the same in every region.
ROME_CODES = {
    "A": {"A1203": 0.35, "A1414": 0.30, "A1405": 0.20, "A1416": 0.15},
    "B": {"B1301": 0.60, "B1803": 0.40},
    "C": {"C1401": 0.40, "C1206": 0.35, "C1501": 0.25},
    "D": {"D1106": 0.30, "D1507": 0.30, "D1505": 0.20, "D1102": 0.20},
    "E": {"E1103": 0.55, "E1205": 0.45},
    "F": {"F1603": 0.30, "F1703": 0.30, "F1602": 0.25, "F1702": 0.15},
    "G": {"G1602": 0.35, "G1603": 0.25, "G1803": 0.25, "G1203": 0.15},
    "H": {"H2913": 0.30, "H2102": 0.25, "H2903": 0.25, "H3302": 0.20},
    "I": {"I1604": 0.45, "I1304": 0.30, "I1203": 0.25},
    "J": {"J1501": 0.50, "J1301": 0.30, "J1304": 0.20},
    "K": {"K1302": 0.30, "K2111": 0.20, "K2204": 0.20, "K1303": 0.15, "K2503": 0.15},
    "L": {"L1508": 0.60, "L1503": 0.40},
    "M": {"M1607": 0.35, "M1203": 0.25, "M1805": 0.25, "M1602": 0.15},
    "N": {"N1103": 0.40, "N4101": 0.25, "N1101": 0.20, "N4105": 0.15},
}
# National share (per cent) of each domain among young people's training prescriptions;
# health (J) and personal services (K) weigh heavily everywhere.
NATIONAL_DOMAINS = {
    "A": 4.0, "B": 0.7, "C": 2.5, "D": 9.0, "E": 2.0, "F": 8.0, "G": 8.0, "H": 8.0,
    "I": 7.0, "J": 11.0, "K": 15.0, "L": 0.8, "M": 13.0, "N": 10.0,
}  # fmt: skip
# Overseas: tourism, farming, building and services, little industry or logistics.
_OVERSEAS = {"A": 1.6, "C": 0.5, "F": 1.4, "G": 1.6, "H": 0.35, "J": 1.1, "K": 1.3, "N": 0.6}
_GUYANE_MAYOTTE = {**_OVERSEAS, "F": 1.8, "G": 0.9, "K": 1.5}  # building and services first
# Region → factor on the national share of a domain (1 when absent).
REGIONAL_DOMAINS = {
    "01": _OVERSEAS, "02": _OVERSEAS, "03": _GUYANE_MAYOTTE, "04": _OVERSEAS,
    "06": _GUYANE_MAYOTTE,
    "11": {"A": 0.25, "C": 2.6, "E": 2.0, "H": 0.5, "L": 2.0, "M": 1.7},
    "24": {"A": 1.3, "H": 1.2, "N": 1.9},
    "27": {"A": 1.5, "H": 1.5},
    "28": {"A": 1.2, "H": 1.3, "N": 1.3},
    "32": {"H": 1.6, "M": 0.9, "N": 1.7},
    "44": {"A": 1.1, "H": 1.9, "N": 1.2},
    "52": {"A": 1.6, "H": 1.3},
    "53": {"A": 2.6, "H": 1.2},
    "75": {"A": 2.3, "G": 1.2},
    "76": {"A": 1.4, "G": 1.4, "J": 1.1},
    "84": {"G": 1.3, "H": 1.3, "I": 1.1},
    "93": {"A": 0.8, "G": 2.0, "H": 0.7, "J": 1.1},
    "94": {"A": 1.3, "F": 1.3, "G": 2.8, "H": 0.3, "N": 0.6},
}  # fmt: skip
CODE_ROME_EMPTY = 0.03  # no target job keyed in

# Region → shares of QUALIFIANTE, PRE_QUALIFIANTE, AUTRE and empty in Pôle emploi's AIS:
# more pre-qualifying training where fewer young people hold a qualification.
REGIONAL_TYPES = {
    "01": (0.44, 0.45, 0.06, 0.05), "02": (0.46, 0.43, 0.06, 0.05),
    "03": (0.38, 0.50, 0.06, 0.06), "04": (0.45, 0.44, 0.06, 0.05),
    "06": (0.35, 0.52, 0.07, 0.06), "11": (0.64, 0.27, 0.05, 0.04),
    "24": (0.56, 0.34, 0.05, 0.05), "27": (0.58, 0.33, 0.04, 0.05),
    "28": (0.55, 0.36, 0.04, 0.05), "32": (0.47, 0.43, 0.04, 0.06),
    "44": (0.54, 0.37, 0.04, 0.05), "52": (0.63, 0.28, 0.04, 0.05),
    "53": (0.66, 0.26, 0.04, 0.04), "75": (0.60, 0.31, 0.04, 0.05),
    "76": (0.52, 0.37, 0.05, 0.06), "84": (0.62, 0.29, 0.04, 0.05),
    "93": (0.53, 0.37, 0.05, 0.05), "94": (0.57, 0.33, 0.05, 0.05),
}  # fmt: skip
# Missions locales prescribe more remobilisation and pre-qualifying training: this share
# of all their prescriptions moves from QUALIFIANTE to PRE_QUALIFIANTE.
IMILO_TO_PRE_QUALIFIANTE = 0.10

# Awkward forms, as bands of the one uniform draw a row gets for both columns (upper
# bounds, cumulative), so a row has at most one: lower case and surrounding spaces are
# normalised by §8; the other forms are read as NON_RENSEIGNE, odd values.
TYPE_SPACED_LOWER, TYPE_LOWER, TYPE_SPACED, TYPE_ODD = 0.010, 0.025, 0.035, 0.038
ROME_LOWER, ROME_SPACED, ROME_SHORT, ROME_LETTER, ROME_INNER = 0.058, 0.073, 0.076, 0.079, 0.082
AWKWARD_TRAINING = ROME_INNER  # draws from here on leave both values as they are
TYPE_ODD_FORMS = {"QUALIFIANTE": "QUALIF", "PRE_QUALIFIANTE": "PRE-QUALIFIANTE", "AUTRE": "AUTRES"}
ROME_LETTERS = frozenset(ROME_CODES)


def rome_weights(region: str) -> dict[str, float]:
    """ROME code → draw weight for a prescription in `region` (`""`: not filled)."""
    factors = REGIONAL_DOMAINS[region]
    domains = {d: share * factors.get(d, 1.0) for d, share in NATIONAL_DOMAINS.items()}
    filled = (1 - CODE_ROME_EMPTY) / sum(domains.values())
    weights = {
        code: domains[domain] * filled * within
        for domain, codes in ROME_CODES.items()
        for code, within in codes.items()
    }
    return {**weights, "": CODE_ROME_EMPTY}


def type_formation_weights(region: str, imilo: bool) -> dict[str, float]:
    """`type_formation` → draw weight for a prescription in `region` of either feed."""
    qualifiante, pre_qualifiante, autre, empty = REGIONAL_TYPES[region]
    shift = IMILO_TO_PRE_QUALIFIANTE if imilo else 0.0
    return {
        "QUALIFIANTE": qualifiante - shift, "PRE_QUALIFIANTE": pre_qualifiante + shift,
        "AUTRE": autre, "": empty,
    }  # fmt: skip


def sloppy_training(type_formation: str, code_rome: str, u: float) -> tuple[str, str]:
    """Both values as an agent might key them, `u` being one uniform draw: mostly as is."""
    if u >= AWKWARD_TRAINING:
        return type_formation, code_rome
    if u < TYPE_ODD:
        return _sloppy_type_formation(type_formation, u), code_rome
    return type_formation, _sloppy_code_rome(code_rome, u)


def _sloppy_type_formation(value: str, u: float) -> str:
    if u < TYPE_SPACED_LOWER:
        return f"  {value.lower()}"
    if u < TYPE_LOWER:
        return value.lower()  # qualifiante
    if u < TYPE_SPACED:
        return f" {value.capitalize()} "  # Pre_qualifiante
    return TYPE_ODD_FORMS.get(value, value)


def _sloppy_code_rome(code: str, u: float) -> str:
    if not code:
        return code
    if u < ROME_LOWER:
        return code.lower()  # j1501 → J
    if u < ROME_SPACED:
        return f" {code} "
    if u < ROME_SHORT:
        return code[:3]  # J15
    if u < ROME_LETTER:
        return f"Z{code[1:]}"  # a letter outside the referential
    return f"{code[0]} {code[1:]}"  # J 1501


@cache
def odd_code_rome(value: str) -> bool:
    """Non-empty, and read by §8 as NON_RENSEIGNE: not one letter A–N and four ASCII digits."""
    code = value.strip().upper()
    digits = code[1:]
    return bool(code) and not (
        len(code) == 5 and code[0] in ROME_LETTERS and digits.isascii() and digits.isdigit()
    )


@cache
def odd_type_formation(value: str) -> bool:
    """Non-empty, and read by §8 as NON_RENSEIGNE: none of the three types."""
    code = value.strip().upper()
    return bool(code) and code not in TYPES_FORMATION
