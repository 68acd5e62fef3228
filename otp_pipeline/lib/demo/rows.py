"""Demo rows: a prescription turned into one file row, with the contract's sloppiness.

The valid edge cases of §3–§5 and §8 (unpadded and lower-case codes, a 14th birthday, a
leap birth, quoted line breaks, odd ROME codes…), about 1 % row errors of every §6 kind,
duplicates and conflicting ids, and blank lines, at fixed places so that the same seed
always gives the same rows. In clean mode only the valid edge cases stay.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from random import Random

from otp_pipeline.lib.demo.population import (
    MonthPlan,
    Prescription,
    birth_for_age,
    dmy,
    iso,
    same_day_in,
)
from otp_pipeline.lib.demo.training import (
    AWKWARD_TRAINING,
    FORMACODES,
    odd_code_rome,
    odd_type_formation,
    sloppy_training,
)
from otp_pipeline.lib.settings import (
    ENTRY_STATUTS,
    IMILO,
    REASON_AGE,
    REASON_BAD_DATE,
    REASON_CONFLICTING_ID,
    REASON_ENTRY_BEFORE,
    REASON_FIELD_COUNT,
    REASON_MISSING,
    REASON_OUTSIDE_MONTH,
    REASON_UNKNOWN_DEPARTEMENT,
    REASON_UNKNOWN_STATUT,
    SI_PE,
    Feed,
)

ERROR_EVERY = 100  # one row error in every block of 100 rows: 1 %, far under the 5 % limit
ERROR_KINDS = (
    "field_count", "bad_date", "unknown_departement", "missing", "unknown_statut",
    "outside_month", "age", "entry_before", "conflicting_id",
)  # fmt: skip
EDGE_FIRST, EDGE_GAP, EDGE_EVERY = 2, 17, 1500  # where the valid edge cases go
DUPLICATE_AT, DUPLICATE_EVERY = 50, 4000
BLANK_AT, BLANK_EVERY = 3, 3000
COMMENTS = (
    "Agence Saint-Étienne", "Orienté par la Mission locale", 'RDV 12/03; suivi "renforcé"',
    "Prévoir financement Région", "Café-atelier; CV à reprendre", "Dossier complété à l'agence",
)  # fmt: skip
BLANK_LINES = ("", "   ", "\t")
_EDGES = (
    "dep_one_digit", "dep_corse_lower", "nbsp_departement", "statut_lower_spaces",
    "age_14_birthday", "age_99", "leap_birth", "entree_sans_date", "prescrite_date_entree_avant",
    "comment_line_break", "comment_quotes", "odd_values", "same_person", "prescripteur_lower",
)  # fmt: skip


@dataclass(frozen=True)
class Kit:
    """What differs between the two feeds when a prescription becomes a row."""

    feed: Feed
    date: Callable[[int], str]
    person: str
    edges: tuple[str, ...]

    def values(self, p: Prescription) -> dict[str, str]:
        entered = self.date(p.entered) if p.entered is not None else ""
        if self.feed is SI_PE:
            return {
                "id_ais": p.id, "id_individu": p.person, "date_naissance": self.date(p.birth),
                "code_departement": p.departement, "code_agence": p.agence,
                "type_prescripteur": p.type_prescripteur,
                "code_structure_prescriptrice": p.structure,
                "date_prescription": self.date(p.prescribed), "date_entree": entered,
                "statut": p.statut, "formacode": p.formacode, "code_rome": p.code_rome,
                "type_formation": p.type_formation, "financeur": p.financeur,
                "duree_heures": p.duree_heures,
            }  # fmt: skip
        return {
            "id_prescription": p.id, "id_jeune": p.person, "date_naissance": self.date(p.birth),
            "code_mission_locale": p.structure, "code_departement": p.departement,
            "date_prescription": self.date(p.prescribed), "date_entree": entered,
            "statut": p.statut, "numero_ais": p.numero_ais, "formacode": p.formacode,
            "code_rome": p.code_rome, "type_formation": p.type_formation,
        }  # fmt: skip


AIS_KIT = Kit(SI_PE, dmy, "id_individu", _EDGES)
IMILO_KIT = Kit(IMILO, iso, "id_jeune", _EDGES[:-1])


@dataclass
class Tally:
    """What a file holds, as the pipeline should count it (contract §6)."""

    rows: int = 0
    duplicates: int = 0
    quarantined: Counter = field(default_factory=Counter)
    extra: Counter = field(default_factory=Counter)
    # Loaded rows whose non-empty value §8 reads as NON_RENSEIGNE, per column.
    odd_values: Counter = field(default_factory=lambda: Counter(code_rome=0, type_formation=0))


def _edge_at(index: int, edges: tuple[str, ...]) -> str | None:
    """The valid edge case row `index` carries: each once near the top, then now and then."""
    offset = index - EDGE_FIRST
    if 0 <= offset < EDGE_GAP * len(edges) and offset % EDGE_GAP == 0:
        return edges[offset // EDGE_GAP]
    if index % EDGE_EVERY == EDGE_FIRST:
        return edges[(index // EDGE_EVERY) % len(edges)]
    return None


def _quirks(values: dict[str, str], rng: Random) -> bool:
    """One row's valid sloppiness (§3, §8): unpadded or lower-case codes, spaces, awkward
    training values (`training`'s rates); whether these were touched. Always four draws."""
    departement = values["code_departement"]
    u = rng.random()
    if u < 0.25 and len(departement) == 2 and departement[0] == "0":
        values["code_departement"] = departement[1]
    elif u < 0.5 and departement in ("2A", "2B"):
        values["code_departement"] = departement.lower()
    u = rng.random()
    if u < 0.02:
        values["statut"] = values["statut"].lower()
    elif u < 0.03:
        values["statut"] = f" {values['statut']} "
    u = rng.random()
    if u < 0.03 and values.get("type_prescripteur"):
        values["type_prescripteur"] = values["type_prescripteur"].lower() + " "
    u = rng.random()
    if u < AWKWARD_TRAINING:  # tested here: 92 % of rows keep their values, at no call
        values["type_formation"], values["code_rome"] = sloppy_training(
            values["type_formation"], values["code_rome"], u
        )
        return True
    return False


def _edge(edge: str, kit: Kit, values: dict, p: Prescription, previous: dict | None) -> None:
    """Turn a row into one valid edge case of the contract (no randomness: same in r2)."""
    day = dt.date.fromordinal(p.prescribed)
    if edge == "dep_one_digit":
        values["code_departement"] = str(1 + p.prescribed % 9)
    elif edge == "dep_corse_lower":
        values["code_departement"] = "2a" if p.prescribed % 2 else "2b"
    elif edge == "nbsp_departement":
        values["code_departement"] = f"\u00a0{p.departement}\t"
    elif edge == "statut_lower_spaces":
        values["statut"] = f"  {values['statut'].strip().lower()} "
    elif edge in ("age_14_birthday", "age_99"):
        values["date_naissance"] = kit.date(same_day_in(day, day.year - int(edge[4:6])))
    elif edge == "leap_birth":
        values["date_naissance"] = kit.date(dt.date(2004, 2, 29).toordinal())
    elif edge == "entree_sans_date":
        values["statut"], values["date_entree"] = "ENTREE", ""
    elif edge == "prescrite_date_entree_avant":  # date_entree is ignored on PRESCRITE
        values["statut"], values["date_entree"] = "PRESCRITE", kit.date(p.prescribed - 5)
    elif edge == "comment_line_break":
        values["commentaire"] = "Rappel :\nprévoir un entretien"
    elif edge == "comment_quotes":
        values["commentaire"] = 'Avis "favorable"; à confirmer'
    elif edge == "odd_values":  # counted per column in the manifest, never quarantined
        values.update(formacode="3173", code_rome="M16", type_formation="CERTIFIANTE")
        if kit.feed is SI_PE:
            values.update(duree_heures="12,5", financeur="FSE")
    elif edge == "same_person" and previous:  # two prescriptions of one person, one month
        values[kit.person] = previous[kit.person]
        values["date_naissance"] = previous["date_naissance"]
    elif edge == "prescripteur_lower":
        values["type_prescripteur"] = " pe "


def _bad_date(kit: Kit, ordinal: int, rng: Random) -> str:
    """An unparseable date in the feed's format: impossible day, unpadded, wrong format."""
    day = dt.date.fromordinal(ordinal)
    impossible = 31 if day.month in (2, 4, 6, 9, 11) else 32
    variant = int(rng.random() * 3)
    if kit.feed is SI_PE:
        if variant == 1 and (day.day < 10 or day.month < 10):
            return f"{day.day}/{day.month}/{day.year}"
        if variant == 2:
            return day.isoformat()
        return f"{impossible}/{day.month:02d}/{day.year}"
    if variant == 1 and day.month < 10:
        return f"{day.year}-{day.month}-{day.day:02d}"
    if variant == 2:
        return dmy(ordinal)
    return f"{day.year}-{day.month:02d}-{impossible}"


def _inject(kind: str, kit: Kit, values: dict, p: Prescription, plan, rng: Random) -> str:
    """Break one thing in the row; the quarantine reason the pipeline should give (§6)."""
    if kind == "bad_date":
        column = ("date_prescription", "date_naissance", "date_entree")[int(rng.random() * 3)]
        ordinal = {"date_prescription": p.prescribed, "date_naissance": p.birth}.get(column)
        if column == "date_entree":
            values["statut"], ordinal = "ENTREE", p.entered or p.prescribed + 3
        values[column] = _bad_date(kit, ordinal, rng)
        return f"{REASON_BAD_DATE}:{column}"
    if kind == "unknown_departement":
        values["code_departement"] = ("96", "00", "20", "975", "99")[int(rng.random() * 5)]
        return REASON_UNKNOWN_DEPARTEMENT
    if kind == "missing":
        column = kit.feed.required[int(rng.random() * len(kit.feed.required))]
        values[column] = "  " if rng.random() < 0.3 else ""
        return f"{REASON_MISSING}:{column}"
    if kind == "unknown_statut":
        values["statut"] = ("EN_COURS", "VALIDEE", "ENTRE", "ANNULÉE")[int(rng.random() * 4)]
        return REASON_UNKNOWN_STATUT
    if kind == "outside_month":  # earlier, so a date_entree stays after it
        values["date_prescription"] = kit.date(plan.first - 1 - int(rng.random() * 10))
        return REASON_OUTSIDE_MONTH
    if kind == "age":
        age = (12, 13, 100, 104)[int(rng.random() * 4)]
        values["date_naissance"] = kit.date(birth_for_age(rng, p.prescribed, age))
        return REASON_AGE
    if kind == "entry_before":
        values["statut"] = ENTRY_STATUTS[int(rng.random() * 2)]
        values["date_entree"] = kit.date(p.prescribed - 1 - int(rng.random() * 30))
        return REASON_ENTRY_BEFORE
    return REASON_FIELD_COUNT  # the caller drops or adds a field once the row is ordered


def feed_rows(
    kit: Kit, plan: MonthPlan, count: int, draw: Callable, columns: list[str], rng: Random,
    tally: Tally, on_clean: Callable | None = None, advance: Callable | None = None,
    clean: bool = False,
) -> Iterator[list[str] | str]:  # fmt: skip
    """One file's records (lists) and blank lines (str), in file order.

    The main `rng` is consumed the same way whatever `advance` does, so a revision replays
    the same rows with the same ids and only advanced statuses differ. `clean` leaves out
    every row error, duplicate and blank line (the valid edge cases stay): every record
    is loaded.
    """
    kinds = list(ERROR_KINDS)
    rng.shuffle(kinds)
    next_error, errors, previous = 1 + int(rng.random() * (ERROR_EVERY - 1)), 0, None
    for index in range(count):
        p = draw(rng, index)
        kind = None
        if index == next_error:
            kind, errors = kinds[errors % len(kinds)], errors + 1
            next_error = (index // ERROR_EVERY + 1) * ERROR_EVERY + int(rng.random() * ERROR_EVERY)
            if clean:
                kind = None
        # Edge cases stay off I-Milo rows pointing to an AIS: the pair keeps one person.
        edge = None if kind or p.numero_ais else _edge_at(index, kit.edges)
        u = rng.random()
        if kind is None and edge is None:
            if on_clean:
                on_clean(p, u)
            if advance:
                advance(p)
        values = kit.values(p)
        awkward = _quirks(values, rng)
        values["commentaire"] = COMMENTS[0] if index == 0 else ""
        if rng.random() < 0.08:
            values["commentaire"] = COMMENTS[int(rng.random() * len(COMMENTS))]
        if edge:
            _edge(edge, kit, values, p, previous)
        reason = None
        if kind and kind != "conflicting_id":
            reason = _inject(kind, kit, values, p, plan, rng)
        row = [values[column] for column in columns]
        if kind == "field_count":
            row.append("") if rng.random() < 0.5 else row.pop()
        tally.rows += 1
        yield row
        # A loaded row's odd values, as the manifest counts them (canonical values never are).
        if kind is None and (awkward or edge):
            tally.odd_values["code_rome"] += odd_code_rome(values["code_rome"])
            tally.odd_values["type_formation"] += odd_type_formation(values["type_formation"])
        if reason:
            tally.quarantined[reason] += 1
        elif kind == "conflicting_id":  # same id, other content: both rows quarantined
            values["formacode"] = FORMACODES[(FORMACODES.index(p.formacode) + 1) % 9]
            tally.rows += 1
            tally.quarantined[REASON_CONFLICTING_ID] += 2
            yield [values[column] for column in columns]
        elif kind is None and index % DUPLICATE_EVERY == DUPLICATE_AT and not clean:
            tally.rows += 1
            tally.duplicates += 1
            yield row
        if index % BLANK_EVERY == BLANK_AT and not clean:
            yield BLANK_LINES[(index // BLANK_EVERY) % 3]
        if kind is None and edge is None:
            previous = values
