"""Demo matched pairs: the AIS rows an I-Milo row points to (`numero_ais`), drawn alike
on a month's revision, and the I-Milo rows that carry them among independent ones."""

import hashlib
from random import Random

from otp_pipeline.lib.demo.population import (
    AIS_AGE_BANDS,
    AIS_PER_MONTH,
    AIS_STATUTS,
    ENTREE_WITHOUT_DATE,
    IMILO_ENTRY_SHARE,
    IMILO_PER_MONTH,
    PAIRED_SHARE_OF_IMILO_ENTRIES,
    MonthPlan,
    Prescription,
)
from otp_pipeline.lib.demo.rows import Tally
from otp_pipeline.lib.settings import (
    ENTRY_STATUTS,
)

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


class Pairing:
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


class ImiloDraw:
    """I-Milo rows: independent ones with the paired ones spread evenly among them."""

    def __init__(self, plan: MonthPlan, pairs: list[tuple], count: int, tally: Tally):
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
