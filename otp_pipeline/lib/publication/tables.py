"""The published tables of contract §7, §8 and §9: columns, types, grain; a month read and written.

A table's month is read from the warehouse sorted by its grain and cast to the contract's
types, then written as Parquet (int64, double, string) and as the contract's CSV.
"""

import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from otp_pipeline.lib.publication.durable import write_durably

ARROW_TYPES = {"int64": pa.int64(), "double": pa.float64(), "string": pa.string()}
STR, INT, DBL = "string", "int64", "double"


@dataclass(frozen=True)
class Table:
    """One published table of §7: columns in contract order with their types, and its grain."""

    name: str
    columns: tuple[tuple[str, str], ...]
    grain: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in self.columns])


TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "prescriptions_mensuelles",
            (("mois", STR), ("code_region", STR), ("libelle_region", STR), ("source", STR),
             ("reseau_prescripteur", STR), ("tranche_age", STR), ("nb_prescriptions", INT),
             ("nb_entrees", INT), ("fiabilite", STR)),
            ("mois", "code_region", "source", "reseau_prescripteur", "tranche_age"),
        ),
        Table(
            "suivi_otp",
            (("mois", STR), ("code_region", STR), ("libelle_region", STR), ("indicateur", STR),
             ("periode_debut", STR), ("periode_fin", STR), ("objectif", INT), ("realise_mois", INT),
             ("realise_cumule", INT), ("taux_realisation", DBL), ("cible_lineaire", DBL),
             ("ecart_cible", DBL), ("fiabilite", STR)),
            ("mois", "code_region", "indicateur", "periode_debut"),
        ),
        Table(
            "qualite_prescripteur",
            (("mois", STR), ("code_region", STR), ("libelle_region", STR),
             ("nb_prescriptions_si_pe", INT), ("nb_prescripteur_renseigne", INT),
             ("taux_renseignement", DBL), ("nb_ml_si_pe_moins_26", INT),
             ("nb_ml_imilo_moins_26", INT), ("fiabilite", STR)),
            ("mois", "code_region"),
        ),
        # Contract §8: the steering tables, published beside those of §7.
        Table(
            "prescriptions_par_formation",
            (("mois", STR), ("code_region", STR), ("libelle_region", STR), ("source", STR),
             ("type_formation", STR), ("domaine_professionnel", STR), ("libelle_domaine", STR),
             ("tranche_age", STR), ("nb_prescriptions", INT), ("nb_entrees", INT)),
            ("mois", "code_region", "source", "type_formation", "domaine_professionnel",
             "tranche_age"),
        ),
        Table(
            "projection_otp",
            (("mois", STR), ("code_region", STR), ("libelle_region", STR), ("indicateur", STR),
             ("periode_debut", STR), ("periode_fin", STR), ("objectif", INT),
             ("realise_cumule", INT), ("nb_mois_ecoules", INT), ("nb_mois_periode", INT),
             ("rythme_mensuel", DBL), ("projection_fin_periode", DBL), ("reste_a_realiser", INT),
             ("rythme_necessaire", DBL), ("statut", STR), ("realise_cumule_borne_haute", INT),
             ("fiabilite", STR)),
            ("mois", "code_region", "indicateur", "periode_debut"),
        ),
        # Contract §9: by sector of the future, published beside the others.
        Table(
            "prescriptions_secteurs_avenir",
            (("mois", STR), ("code_region", STR), ("libelle_region", STR), ("source", STR),
             ("type_formation", STR), ("code_secteur", STR), ("libelle_secteur", STR),
             ("tranche_age", STR), ("nb_prescriptions", INT), ("nb_entrees", INT)),
            ("mois", "code_region", "source", "type_formation", "code_secteur", "tranche_age"),
        ),
    )
}  # fmt: skip


def read_table(con: duckdb.DuckDBPyConnection, table: Table, month: str) -> pa.Table:
    """The rows of one month of a mart, sorted by the grain, cast to the contract's types."""
    columns = ", ".join(_quote(name) for name in table.column_names)
    # The grain sorts; the other columns only make the order total, hence repeatable.
    rest = [name for name in table.column_names if name not in table.grain]
    order = ", ".join(f"{_quote(name)} nulls last" for name in (*table.grain, *rest))
    # Identifiers come from TABLES only; the one value, the month, is a bound parameter.
    sql = f"select {columns} from main.{_quote(table.name)} where mois = ? order by {order}"
    # safe=True: a lossy cast (1.5 into an integer column) fails instead of rounding.
    data = con.sql(sql, params=[month]).to_arrow_table().cast(table.arrow_schema, safe=True)
    for name, kind in table.columns:
        # NaN or inf would print as text no consumer reads as a number: a mart bug to fix.
        if kind == DBL and pc.any(pc.invert(pc.is_finite(data[name]))).as_py():
            raise ValueError(f"{table.name}.{name} holds a NaN or infinite value for {month}")
    return data


def write_parquet(data: pa.Table, path: Path) -> None:
    """Write one month of a table as Parquet with the contract's schema, flushed to disk."""
    with open(path, "wb") as handle:
        pq.write_table(data, handle)
        handle.flush()
        os.fsync(handle.fileno())


def write_csv(data: pa.Table, path: Path) -> None:
    """Write one month of a table as the contract's CSV, one line per row, flushed to disk."""
    lines = [";".join(_csv_field(name) for name in data.column_names)]
    columns = [data[name].to_pylist() for name in data.column_names]
    lines.extend(";".join(_csv_field(value) for value in row) for row in zip(*columns, strict=True))
    write_durably(path, ("\n".join(lines) + "\n").encode("utf-8"))


def _csv_field(value: object) -> str:
    """One CSV field: null empty, doubles in shortest round-trip form, quoted only if needed."""
    if value is None:
        return ""
    if isinstance(value, float):
        # Shortest round-trip digits (never rounded), written positionally: repr gives
        # 8.333333333333333e-05 for a small rate, the contract wants a `.` decimal.
        text = format(Decimal(repr(value)), "f")
        return text if "." in text else text + ".0"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    # An empty string is quoted so that it stays distinct from a null.
    if text == "" or any(char in text for char in ';"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
