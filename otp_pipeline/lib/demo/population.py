"""Who, where and when for the demo feeds: one synthetic prescription at a time.

Geography comes from the shipped INSEE referential; volumes, seasons, ages and code mixes
are hard-coded approximations of 2021 (see ../shared/ref/README.md); the region-dependent
training and target-job mixes are `training`'s. Nothing here writes files: `landing` turns
these prescriptions into landing files.
"""

import csv
import datetime as dt
from bisect import bisect
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from random import Random

from otp_pipeline.lib.demo.training import FORMACODES, rome_weights, type_formation_weights
from otp_pipeline.lib.months import month_from_index, month_index, parse_month
from otp_pipeline.lib.paths import REFERENTIAL_DIR

# The INSEE referential as shipped with the project (the dbt seeds).
DEFAULT_REF_DIR = REFERENTIAL_DIR

# Approximate population in millions (INSEE, 2021) per region: where prescriptions happen.
REGION_POPULATION = {
    "01": 0.38, "02": 0.36, "03": 0.29, "04": 0.87, "06": 0.28, "11": 12.3, "24": 2.57,
    "27": 2.80, "28": 3.32, "32": 6.00, "44": 5.55, "52": 3.83, "53": 3.37, "75": 6.01,
    "76": 5.97, "84": 8.04, "93": 5.08, "94": 0.34,
}  # fmt: skip
# Regions whose agencies leave `type_prescripteur` empty or free-typed: they should land
# below the fill-rate threshold (0.90) and be flagged A_EXAMINER.
BADLY_FILLED_REGIONS = ("03", "32", "76")

AIS_PER_MONTH = 100_000
IMILO_PER_MONTH = 40_000
N_MISSIONS_LOCALES = 436
N_AGENCES = 900
# Low in July–August, high at the autumn intake; normalised below to a mean of 1 so a year
# holds 12 × the monthly base.
_RAW_SEASON = (1.0, 1.0, 1.1, 1.0, 0.95, 0.95, 0.6, 0.5, 1.3, 1.3, 1.2, 0.8)
SEASON = tuple(value * 12 / sum(_RAW_SEASON) for value in _RAW_SEASON)

AIS_STATUTS = {"PRESCRITE": 0.55, "ENTREE": 0.30, "ABANDON": 0.03, "ANNULEE": 0.12}
ENTREE_WITHOUT_DATE = 0.03  # an ENTREE whose entry date was never keyed in
AIS_AGE_BANDS = ((0.55, 16, 25), (0.20, 26, 29), (0.25, 30, 60))  # share, first, last age
IMILO_AGE_BANDS = ((0.92, 16, 25), (0.08, 26, 29))  # Missions locales follow 16–25 year-olds
# I-Milo: share of rows that are entries, and of those entries that also went through
# Pôle emploi's SI (`numero_ais` of a matching AIS entry).
IMILO_ENTRY_SHARE = 0.36
PAIRED_SHARE_OF_IMILO_ENTRIES = 0.30
PRESCRIPTEURS = {"PE": 0.72, "ML": 0.12, "CAP_EMPLOI": 0.06, "AUTRE": 0.10}
INVALID_PRESCRIPTEURS = ("MISSION LOCALE", "POLE EMPLOI", "P.E.", "?", "0", "CAPEMPLOI")
FILL = {False: (0.05, 0.01), True: (0.20, 0.08)}  # badly filled? → (empty, invalid) shares
FINANCEURS = {"REGION": 0.45, "PE": 0.25, "ETAT_PIC": 0.15, "OPCO": 0.05, "AUTRE": 0.03, "": 0.07}


class Weighted:
    """A fixed discrete distribution drawn with one `random()` call."""

    __slots__ = ("values", "cumulative")

    def __init__(self, weights: dict):
        self.values = tuple(weights)
        total, running = sum(weights.values()), 0.0
        self.cumulative = []
        for weight in weights.values():
            running += weight / total
            self.cumulative.append(running)
        self.cumulative[-1] = float("inf")  # rounding can leave the sum under random()'s 1

    def draw(self, rng: Random):
        return self.values[bisect(self.cumulative, rng.random())]


def _allocate(total: int, weights: dict[str, float]) -> dict[str, int]:
    """`total` split by weight (largest remainder), at least 1 each."""
    scale = total / sum(weights.values())
    counts = {key: max(1, int(weight * scale)) for key, weight in weights.items()}
    by_remainder = sorted(
        weights, key=lambda key: (int(weights[key] * scale) - weights[key] * scale, key)
    )
    for key in by_remainder[: max(0, total - sum(counts.values()))]:
        counts[key] += 1
    return counts


@dataclass(frozen=True)
class Geography:
    """Departments of the referential with their region, draw weights and synthetic codes."""

    region_of: dict[str, str]  # DEP → REG
    departements: Weighted  # drawn by region population, uniformly within a region
    missions_locales: dict[str, tuple[str, ...]]  # DEP → Mission locale codes
    agences: dict[str, tuple[str, ...]]  # DEP → Pôle emploi agency codes


def load_geography(ref_dir: Path = DEFAULT_REF_DIR) -> Geography:
    """The referential's departments (`ref_departements.csv`, codes read as text)."""
    with open(Path(ref_dir) / "ref_departements.csv", encoding="utf-8", newline="") as handle:
        region_of = {row["DEP"]: row["REG"] for row in csv.DictReader(handle)}
    regions = set(region_of.values())
    if regions != set(REGION_POPULATION):
        raise ValueError(f"referential regions {sorted(regions)} do not match the demo weights")
    per_region = {reg: sum(1 for r in region_of.values() if r == reg) for reg in regions}
    weights = {dep: REGION_POPULATION[reg] / per_region[reg] for dep, reg in region_of.items()}
    missions = _allocate(N_MISSIONS_LOCALES, weights)
    agences = _allocate(N_AGENCES, weights)
    return Geography(
        region_of=region_of,
        departements=Weighted(weights),
        missions_locales={
            d: tuple(f"ML{d}{k:03d}" for k in range(1, n + 1)) for d, n in missions.items()
        },
        agences={d: tuple(f"PE{d}{k:03d}" for k in range(1, n + 1)) for d, n in agences.items()},
    )


def monthly_volume(base: int, month: str, scale: float) -> int:
    """Rows of one month's file: the national base × season × scale, at least one row."""
    return max(1, round(base * scale * SEASON[parse_month(month)[1] - 1]))


def expected_per_year() -> dict[str, float]:
    """National yearly figures the generator produces at scale 1: the objectives' basis."""
    entry = (AIS_STATUTS["ENTREE"] * (1 - ENTREE_WITHOUT_DATE) + AIS_STATUTS["ABANDON"]) / sum(
        AIS_STATUTS.values()
    )
    ais_under_30 = AIS_AGE_BANDS[0][0] + AIS_AGE_BANDS[1][0]
    filled_pe = (
        (1 - FILL[False][0] - FILL[False][1]) * PRESCRIPTEURS["PE"] / sum(PRESCRIPTEURS.values())
    )
    return {
        "entrees_moins_30": 12 * (
            AIS_PER_MONTH * ais_under_30 * entry
            + IMILO_PER_MONTH * IMILO_ENTRY_SHARE * (1 - PAIRED_SHARE_OF_IMILO_ENTRIES)
        ),
        "pe_moins_30": 12 * AIS_PER_MONTH * (1 - AIS_STATUTS["ANNULEE"]) * ais_under_30 * filled_pe,
        "ml_moins_26": 12 * IMILO_PER_MONTH * 0.88 * IMILO_AGE_BANDS[0][0],
    }  # fmt: skip


@cache
def dmy(ordinal: int) -> str:
    """`JJ/MM/AAAA`, the si_pe date format."""
    day = dt.date.fromordinal(ordinal)
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


@cache
def iso(ordinal: int) -> str:
    """`AAAA-MM-JJ`, the imilo date format."""
    return dt.date.fromordinal(ordinal).isoformat()


def same_day_in(day: dt.date, year: int) -> int:
    """Ordinal of `day`'s month and day in `year`; 29 February becomes the 28th."""
    if (day.month, day.day) == (2, 29) and not (year % 4 == 0 and (year % 100 or year % 400 == 0)):
        return dt.date(year, 2, 28).toordinal()
    return dt.date(year, day.month, day.day).toordinal()


def birth_for_age(rng: Random, prescribed: int, age: int) -> int:
    """A birth date (ordinal) making the person exactly `age` on `prescribed` (contract §5)."""
    day = dt.date.fromordinal(prescribed)
    latest = same_day_in(day, day.year - age)
    earliest = same_day_in(day, day.year - age - 1) + 1
    return earliest + int(rng.random() * (latest - earliest + 1))


def _draw_age(rng: Random, bands) -> int:
    u = rng.random()
    for share, first, last in bands:
        if u < share:
            return first + int(rng.random() * (last - first + 1))
        u -= share
    return bands[-1][2]


@dataclass(slots=True)
class Prescription:
    """One synthetic prescription, as ordinals and canonical codes (formatted later)."""

    id: str
    person: str  # pseudonymised: random hex, never a name
    age: int
    birth: int
    departement: str
    prescribed: int
    entered: int | None
    statut: str
    structure: str  # code_structure_prescriptrice (si_pe) or code_mission_locale (imilo)
    agence: str = ""
    type_prescripteur: str = ""
    formacode: str = ""
    code_rome: str = ""
    type_formation: str = ""
    financeur: str = ""
    duree_heures: str = ""
    numero_ais: str = ""


class MonthPlan:
    """Draws the prescriptions of one month: days, people, codes."""

    def __init__(self, geography: Geography, month: str):
        self.geography = geography
        self.month = month
        year, number = parse_month(month)
        self.first = dt.date(year, number, 1).toordinal()
        self.next_first = _first_ordinal(month_from_index(month_index(month) + 1))
        # Entries come in the month or up to three months later.
        self.last_entry = _first_ordinal(month_from_index(month_index(month) + 4)) - 1
        days = range(self.first, self.next_first)
        self.weekdays = [d for d in days if dt.date.fromordinal(d).weekday() < 5]
        self.all_days = list(days)
        self.compact = month.replace("-", "")
        self.ais_statuts = Weighted(AIS_STATUTS)
        # Per feed, DEP → the (code_rome, type_formation) draws of its region.
        self.training = {}
        for imilo in (False, True):
            mixes = {
                region: (
                    Weighted(rome_weights(region)),
                    Weighted(type_formation_weights(region, imilo)),
                )
                for region in set(geography.region_of.values())
            }
            self.training[imilo] = {dep: mixes[reg] for dep, reg in geography.region_of.items()}
        self.financeurs = Weighted(FINANCEURS)
        self.prescripteurs = Weighted(PRESCRIPTEURS)
        unpaired = IMILO_ENTRY_SHARE * (1 - PAIRED_SHARE_OF_IMILO_ENTRIES)
        unpaired /= 1 - IMILO_ENTRY_SHARE * PAIRED_SHARE_OF_IMILO_ENTRIES
        self.imilo_statuts = Weighted(
            {"PRESCRITE": 0.88 - unpaired, "ENTREE": unpaired * 0.9,
             "ABANDON": unpaired * 0.1, "ANNULEE": 0.12}
        )  # fmt: skip

    def day(self, rng: Random) -> int:
        """A prescription day: working days, with the odd weekend."""
        days = self.all_days if rng.random() < 0.03 else self.weekdays
        return days[int(rng.random() * len(days))]

    def entry(self, rng: Random, prescribed: int) -> int:
        """An entry date on or after `prescribed`, within three months after the month."""
        u = rng.random()
        delay = int(u * 2 * 30) if u < 0.5 else 30 + int((u - 0.5) * 2 * 60)
        return min(prescribed + delay, self.last_entry)

    def _entered(self, rng: Random, statut: str, prescribed: int) -> int | None:
        if statut == "ABANDON" or (statut == "ENTREE" and rng.random() >= ENTREE_WITHOUT_DATE):
            return self.entry(rng, prescribed)
        return None

    def _training(self, rng: Random, record: Prescription, imilo: bool) -> None:
        """Three draws, whatever the region: formacode, code_rome, type_formation."""
        codes_rome, types_formation = self.training[imilo][record.departement]
        record.formacode = FORMACODES[int(rng.random() * len(FORMACODES))]
        record.code_rome = codes_rome.draw(rng)
        record.type_formation = types_formation.draw(rng)

    def ais(self, rng: Random, index: int) -> Prescription:
        geography = self.geography
        departement = geography.departements.draw(rng)
        prescribed = self.day(rng)
        age = _draw_age(rng, AIS_AGE_BANDS)
        statut = self.ais_statuts.draw(rng)
        record = Prescription(
            id=f"A{self.compact}{index:07d}",
            person=f"{rng.getrandbits(64):016x}",
            age=age,
            birth=birth_for_age(rng, prescribed, age),
            departement=departement,
            prescribed=prescribed,
            entered=self._entered(rng, statut, prescribed),
            statut=statut,
            structure="",
        )
        empty, invalid = FILL[geography.region_of[departement] in BADLY_FILLED_REGIONS]
        u = rng.random()
        if u < empty:
            record.type_prescripteur = ""
        elif u < empty + invalid:
            record.type_prescripteur = INVALID_PRESCRIPTEURS[int(rng.random() * 6)]
        else:
            record.type_prescripteur = self.prescripteurs.draw(rng)
        if record.type_prescripteur == "ML" and rng.random() < 0.85:
            record.structure = self.mission_locale(rng, departement)
        elif record.type_prescripteur == "CAP_EMPLOI" and rng.random() < 0.5:
            record.structure = f"CE{departement}"
        agences = geography.agences[departement]
        record.agence = agences[int(rng.random() * len(agences))] if rng.random() < 0.95 else ""
        self._training(rng, record, imilo=False)
        record.financeur = self.financeurs.draw(rng)
        record.duree_heures = str(35 + int(rng.random() * 1166))
        return record

    def mission_locale(self, rng: Random, departement: str) -> str:
        codes = self.geography.missions_locales[departement]
        return codes[int(rng.random() * len(codes))]

    def imilo(self, rng: Random, index: int) -> Prescription:
        departement = self.geography.departements.draw(rng)
        prescribed = self.day(rng)
        age = _draw_age(rng, IMILO_AGE_BANDS)
        statut = self.imilo_statuts.draw(rng)
        record = Prescription(
            id=f"P{self.compact}{index:07d}",
            person=f"{rng.getrandbits(64):016x}",
            age=age,
            birth=birth_for_age(rng, prescribed, age),
            departement=departement,
            prescribed=prescribed,
            entered=self._entered(rng, statut, prescribed),
            statut=statut,
            structure=self.mission_locale(rng, departement),
        )
        self._training(rng, record, imilo=True)
        return record


def _first_ordinal(month: str) -> int:
    year, number = parse_month(month)
    return dt.date(year, number, 1).toordinal()
