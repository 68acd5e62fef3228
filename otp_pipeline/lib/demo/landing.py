"""Demo landing folder: monthly si_pe and imilo files plus objectives, per contract §2–§4.

Rows come from `demo_population`; this module decides how they are written: the awkward
but valid forms the contract allows (encodings, headers, quoting, codes, blank lines,
gzip), about 1 % row errors of every §6 kind, duplicates and conflicting ids, matched
AIS / I-Milo pairs, and one revision. Files are streamed row by row, so memory does not
grow with the number of rows, and the same seed always writes the same bytes.
"""

import csv
import datetime as dt
import gzip
import hashlib
import io
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

from otp_pipeline.lib.demo.population import (
    AIS_AGE_BANDS,
    AIS_PER_MONTH,
    AIS_STATUTS,
    DEFAULT_REF_DIR,
    ENTREE_WITHOUT_DATE,
    FORMACODES,
    IMILO_ENTRY_SHARE,
    IMILO_PER_MONTH,
    PAIRED_SHARE_OF_IMILO_ENTRIES,
    REGION_POPULATION,
    MonthPlan,
    Prescription,
    birth_for_age,
    dmy,
    expected_per_year,
    iso,
    load_geography,
    monthly_volume,
    same_day_in,
)
from otp_pipeline.lib.months import month_index, parse_month
from otp_pipeline.lib.settings import (
    ENTRY_STATUTS,
    FIRST_MONTH,
    IMILO,
    OBJECTIVES_COLUMNS,
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
REVISED_MONTH_INDEX = 1  # the second month generated also gets an `_r2`
ADVANCE_SHARE = 0.35  # PRESCRITE rows that have become ENTREE by the revision
SPREAD_REGION = "27"  # spreads its 2021 objective over 2021-01 … 2022-12
# Eligible AIS (clean, under 26, entry with a date) that an I-Milo row points to, so that
# about PAIRED_SHARE_OF_IMILO_ENTRIES of I-Milo entries are matched pairs.
_AIS_ENTRY = (AIS_STATUTS["ENTREE"] * (1 - ENTREE_WITHOUT_DATE) + AIS_STATUTS["ABANDON"]) / sum(
    AIS_STATUTS.values()
)
PAIR_PROBABILITY = (IMILO_PER_MONTH * IMILO_ENTRY_SHARE * PAIRED_SHARE_OF_IMILO_ENTRIES) / (
    AIS_PER_MONTH * AIS_AGE_BANDS[0][0] * _AIS_ENTRY
)
NEAR_PAIR_PROBABILITY = 0.02  # I-Milo entry whose AIS is still PRESCRITE: not matched
DANGLING_SHARE = 0.01  # I-Milo entries with a numero_ais no AIS has
COMMENTS = (
    "Agence Saint-Étienne", "Orienté par la Mission locale", 'RDV 12/03; suivi "renforcé"',
    "Prévoir financement Région", "Café-atelier; CV à reprendre", "Dossier complété à l'agence",
)  # fmt: skip
BLANK_LINES = ("", "   ", "\t")
NAME_PATTERN = re.compile(r"^(ais|imilo)_(\d{4}-\d{2})(_r[1-9][0-9]*)?\.csv(\.gz)?$")
_EDGES = (
    "dep_one_digit", "dep_corse_lower", "nbsp_departement", "statut_lower_spaces",
    "age_14_birthday", "age_99", "leap_birth", "entree_sans_date", "prescrite_date_entree_avant",
    "comment_line_break", "comment_quotes", "odd_values", "same_person", "prescripteur_lower",
)  # fmt: skip


@dataclass(frozen=True)
class FileStyle:
    """How one file is written: what a producer's export tool might do."""

    encoding: str  # "cp1252", "utf-8-sig" (with BOM) or "utf-8"
    header: Callable[[str], str]
    shuffled: bool
    comment: bool  # extra, ignored `commentaire` column
    gzip: bool
    newline: str


_LOWER, _UPPER = str, str.upper
_TITLE_SPACED, _UPPER_SPACED = (
    (lambda name: f" {name.title()} "),
    (lambda name: f"{name.upper()}  "),
)
AIS_STYLES = (
    FileStyle("cp1252", _LOWER, False, True, False, "\r\n"),
    FileStyle("utf-8-sig", _UPPER, True, True, False, "\r\n"),
    FileStyle("cp1252", _TITLE_SPACED, False, True, True, "\r\n"),
    FileStyle("utf-8-sig", _LOWER, True, True, False, "\n"),
)
AIS_REVISION_STYLE = FileStyle("utf-8", _TITLE_SPACED, True, True, False, "\r\n")
IMILO_STYLES = (
    FileStyle("utf-8", _LOWER, False, True, True, "\n"),
    FileStyle("utf-8", _UPPER_SPACED, True, True, False, "\n"),
    FileStyle("utf-8-sig", _LOWER, False, False, False, "\r\n"),
)


@dataclass(frozen=True)
class _Kit:
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


AIS_KIT = _Kit(SI_PE, dmy, "id_individu", _EDGES)
IMILO_KIT = _Kit(IMILO, iso, "id_jeune", _EDGES[:-1])


@dataclass
class _Tally:
    """What a file holds, as the pipeline should count it (contract §6)."""

    rows: int = 0
    duplicates: int = 0
    quarantined: Counter = field(default_factory=Counter)
    extra: Counter = field(default_factory=Counter)


def _edge_at(index: int, edges: tuple[str, ...]) -> str | None:
    """The valid edge case row `index` carries: each once near the top, then now and then."""
    offset = index - EDGE_FIRST
    if 0 <= offset < EDGE_GAP * len(edges) and offset % EDGE_GAP == 0:
        return edges[offset // EDGE_GAP]
    if index % EDGE_EVERY == EDGE_FIRST:
        return edges[(index // EDGE_EVERY) % len(edges)]
    return None


def _quirks(values: dict[str, str], rng: Random) -> None:
    """Valid sloppiness (§3): unpadded or lower-case codes, spaces. Always four draws."""
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
    if rng.random() < 0.01:
        values["type_formation"] = f"  {values['type_formation'].lower()}"


def _edge(edge: str, kit: _Kit, values: dict, p: Prescription, previous: dict | None) -> None:
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


def _bad_date(kit: _Kit, ordinal: int, rng: Random) -> str:
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


def _inject(kind: str, kit: _Kit, values: dict, p: Prescription, plan, rng: Random) -> str:
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


def _rows(
    kit: _Kit, plan: MonthPlan, count: int, draw: Callable, columns: list[str], rng: Random,
    tally: _Tally, on_clean: Callable | None = None, advance: Callable | None = None,
) -> Iterator[list[str] | str]:  # fmt: skip
    """One file's records (lists) and blank lines (str), in file order.

    The main `rng` is consumed the same way whatever `advance` does, so a revision replays
    the same rows with the same ids and only advanced statuses differ.
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
        # Edge cases stay off I-Milo rows pointing to an AIS: the pair keeps one person.
        edge = None if kind or p.numero_ais else _edge_at(index, kit.edges)
        u = rng.random()
        if kind is None and edge is None:
            if on_clean:
                on_clean(p, u)
            if advance:
                advance(p)
        values = kit.values(p)
        _quirks(values, rng)
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
        if reason:
            tally.quarantined[reason] += 1
        elif kind == "conflicting_id":  # same id, other content: both rows quarantined
            values["formacode"] = FORMACODES[(FORMACODES.index(p.formacode) + 1) % 9]
            tally.rows += 1
            tally.quarantined[REASON_CONFLICTING_ID] += 2
            yield [values[column] for column in columns]
        elif kind is None and index % DUPLICATE_EVERY == DUPLICATE_AT:
            tally.rows += 1
            tally.duplicates += 1
            yield row
        if index % BLANK_EVERY == BLANK_AT:
            yield BLANK_LINES[(index // BLANK_EVERY) % 3]
        if kind is None and edge is None:
            previous = values


class _Pairing:
    """Picks the AIS rows an I-Milo row will point to; the same picks on the revision."""

    def __init__(self, plan: MonthPlan, collect: bool):
        self.plan = plan
        self.pairs: list[tuple] | None = [] if collect else None

    def __call__(self, p: Prescription, u: float) -> None:
        if p.age >= 26:
            return
        if p.statut in ENTRY_STATUTS and p.entered is not None and u < PAIR_PROBABILITY:
            if u < 0.8 * PAIR_PROBABILITY:  # else the agent keyed something else
                codes = self.plan.geography.missions_locales[p.departement]
                p.type_prescripteur = "ML"
                p.structure = codes[int(u * 1e6) % len(codes)]
        elif not (p.statut == "PRESCRITE" and u < NEAR_PAIR_PROBABILITY):
            return
        if self.pairs is not None:
            self.pairs.append((
                p.id, p.person, p.age, p.birth, p.departement, p.prescribed, p.entered,
                p.statut, p.structure, p.formacode, p.code_rome, p.type_formation,
            ))  # fmt: skip


class _ImiloDraw:
    """I-Milo rows: independent ones with the paired ones spread evenly among them."""

    def __init__(self, plan: MonthPlan, pairs: list[tuple], count: int, tally: _Tally):
        self.plan, self.pairs, self.count, self.tally, self.taken = plan, pairs, count, tally, 0

    def __call__(self, rng: Random, index: int) -> Prescription:
        plan = self.plan
        left = len(self.pairs) - self.taken
        if left and rng.random() * (self.count - index) < left:
            pair = self.pairs[self.taken]
            self.taken += 1
            (id_ais, person, age, birth, dep, prescribed, entered, statut, ml, *training) = pair
            if entered is None:  # Pôle emploi's SI does not know of the entry yet
                statut, entered = "ENTREE", plan.entry(rng, prescribed)
                self.tally.extra["numero_ais_of_a_prescrite"] += 1
            else:
                self.tally.extra["numero_ais_matched"] += 1
            if not ml.startswith("ML"):
                ml = plan.mission_locale(rng, dep)
            # The same person under I-Milo's own pseudonym: linked, not reversible.
            jeune = hashlib.blake2b(person.encode(), digest_size=8, person=b"imilo").hexdigest()
            return Prescription(
                id=f"P{plan.compact}{index:07d}", person=jeune, age=age, birth=birth,
                departement=dep, prescribed=prescribed, entered=entered, statut=statut,
                structure=ml, formacode=training[0], code_rome=training[1],
                type_formation=training[2], numero_ais=id_ais,
            )  # fmt: skip
        p = plan.imilo(rng, index)
        if p.statut in ENTRY_STATUTS and rng.random() < DANGLING_SHARE:
            p.numero_ais = f"A{plan.compact}9{int(rng.random() * 1e6):06d}"
            self.tally.extra["numero_ais_dangling"] += 1
        return p


def _write_csv(path: Path, style: FileStyle, header: list[str], rows) -> None:
    """Stream rows to `path` (via a hidden temporary name, so no half file is ever seen)."""
    temporary = path.with_name(f".{path.name}.part")
    try:
        with open(temporary, "wb") as raw:
            binary = (
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0)
                if style.gzip
                else raw
            )
            with io.TextIOWrapper(binary, encoding=style.encoding, newline="") as text:
                writer = csv.writer(text, delimiter=";", lineterminator=style.newline)
                writer.writerow(header)
                for row in rows:
                    if isinstance(row, str):
                        text.write(row + style.newline)
                    else:
                        writer.writerow(row)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_feed(
    out_dir: Path, kit: _Kit, plan: MonthPlan, seed: int, index: int, revision: int,
    count: int, draw: Callable, tally: _Tally, **hooks,
) -> dict:  # fmt: skip
    feed = kit.feed
    styles = AIS_STYLES if feed is SI_PE else IMILO_STYLES
    style = AIS_REVISION_STYLE if revision > 1 else styles[index % len(styles)]
    columns = list(feed.columns)
    style_rng = Random(f"{seed}:style:{feed.name}:{plan.month}:r{revision}")
    if style.shuffled:
        style_rng.shuffle(columns)
    if style.comment:
        columns.insert(
            style_rng.randint(0, len(columns)) if style.shuffled else len(columns), "commentaire"
        )
    suffix = f"_r{revision}" if revision > 1 else ""
    name = f"{feed.file_prefix}_{plan.month}{suffix}.csv" + (".gz" if style.gzip else "")
    rng = Random(f"{seed}:{feed.name}:{plan.month}")  # the same for a month's revisions
    rows = _rows(kit, plan, count, draw, columns, rng, tally, **hooks)
    _write_csv(out_dir / feed.name / name, style, [style.header(c) for c in columns], rows)
    quarantined = sum(tally.quarantined.values())
    return {
        "file": f"{feed.name}/{name}", "source": feed.name, "month": plan.month,
        "revision": revision, "encoding": style.encoding, "gzip": style.gzip,
        "rows": tally.rows, "loaded": tally.rows - quarantined - tally.duplicates,
        "quarantined": dict(sorted(tally.quarantined.items())), "duplicates": tally.duplicates,
        **dict(sorted(tally.extra.items())),
    }  # fmt: skip


def _objective_rows(months: list[str], scale: float, seed: int) -> list[list[str]]:
    """One row per region and period: a yearly period, and one region over 2021–2022."""
    yearly = expected_per_year()
    population = sum(REGION_POPULATION.values())
    years = sorted({2021, *(parse_month(month)[0] for month in months)})
    rows = []
    for region, weight in sorted(REGION_POPULATION.items()):
        for year in years:
            if region == SPREAD_REGION and year == 2022:
                continue
            span = 2 if region == SPREAD_REGION and year == 2021 else 1
            rng = Random(f"{seed}:objectifs:{region}:{year}")
            base = weight / population * scale * span * (0.95 + 0.2 * rng.random())
            target = round(yearly["entrees_moins_30"] * base)
            rows.append([
                "1" if region == "01" and year == 2021 else region,  # padded like a department
                f"{year}-01", f"{year + span - 1}-12", str(target),
                str(round(target * (0.35 + 0.25 * rng.random()))),
                str(round(yearly["pe_moins_30"] * base)), str(round(yearly["ml_moins_26"] * base)),
            ])  # fmt: skip
    return rows


def _clear_month(out_dir: Path, feed: Feed, month: str) -> list[str]:
    """Remove every delivery of `month` for `feed`, so no stale revision or twin remains."""
    removed = []
    for path in sorted((out_dir / feed.name).iterdir()):
        match = NAME_PATTERN.match(path.name)
        if (
            match
            and match.group(1) == feed.file_prefix
            and match.group(2) == month
            and path.is_file()
        ):
            path.unlink()
            removed.append(f"{feed.name}/{path.name}")
    return removed


def generate_landing(
    out_dir: Path, months: list[str], scale: float = 1.0, seed: int = 7,
    ref_dir: Path = DEFAULT_REF_DIR,
) -> dict:  # fmt: skip
    """Write a demo landing folder for `months`; a summary of what was written and injected.

    Files of those months already in `out_dir` are replaced (other months are left alone).
    Each entry of `files` says what the pipeline should find in that file (contract §6):
    `rows` read, `loaded`, `duplicates`, `quarantined` (reason → rows, conflicting ids
    counting both rows), and for I-Milo the `numero_ais_*` pairs drawn (an I-Milo row that
    later gets a row error stays counted there).
    """
    months = sorted(set(months))
    for month in months:
        parse_month(month)
        if month_index(month) < month_index(FIRST_MONTH):
            raise ValueError(f"month {month} is before the contract's first month {FIRST_MONTH}")
    if not months or scale <= 0:
        raise ValueError("need at least one month and a scale above 0")
    out_dir, geography = Path(out_dir), load_geography(Path(ref_dir))
    for folder in (SI_PE.name, IMILO.name, "objectifs"):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    files, removed = [], []
    for index, month in enumerate(months):
        plan = MonthPlan(geography, month)
        removed += _clear_month(out_dir, SI_PE, month) + _clear_month(out_dir, IMILO, month)
        count = monthly_volume(AIS_PER_MONTH, month, scale)
        pairing = _Pairing(plan, collect=True)
        files.append(
            _write_feed(
                out_dir, AIS_KIT, plan, seed, index, 1, count, plan.ais, _Tally(), on_clean=pairing
            )
        )
        if index == REVISED_MONTH_INDEX:
            advance_rng = Random(f"{seed}:{SI_PE.name}:{month}:r2")

            def advance(p: Prescription, rng=advance_rng, plan=plan) -> None:
                if p.statut == "PRESCRITE" and rng.random() < ADVANCE_SHARE:
                    p.statut, p.entered = "ENTREE", plan.entry(rng, p.prescribed)

            files.append(_write_feed(
                out_dir, AIS_KIT, plan, seed, index, 2, count, plan.ais, _Tally(),
                on_clean=_Pairing(plan, collect=False), advance=advance,
            ))  # fmt: skip
        pairs = pairing.pairs
        count = max(monthly_volume(IMILO_PER_MONTH, month, scale), len(pairs))
        tally = _Tally()
        draw = _ImiloDraw(plan, pairs, count, tally)
        files.append(_write_feed(out_dir, IMILO_KIT, plan, seed, index, 1, count, draw, tally))
    objectives = out_dir / "objectifs" / "objectifs_otp.csv"
    objectives.with_name("objectifs_otp.csv.gz").unlink(missing_ok=True)
    rows = _objective_rows(months, scale, seed)
    _write_csv(
        objectives,
        FileStyle("utf-8-sig", _LOWER, False, False, False, "\n"),
        list(OBJECTIVES_COLUMNS),
        rows,
    )
    row_errors, totals = Counter(), Counter()
    for summary in files:
        row_errors.update(summary["quarantined"])
        totals[summary["source"]] += summary["rows"]
    return {
        "out_dir": str(out_dir), "months": months, "scale": scale, "seed": seed,
        "files": files, "objectives": {"file": "objectifs/objectifs_otp.csv", "rows": len(rows)},
        "rows": dict(totals), "row_errors": dict(sorted(row_errors.items())), "removed": removed,
    }  # fmt: skip
