"""The data-quality thresholds of `expectations/thresholds.yml`, the one source of truth."""

from pathlib import Path

import yaml

from otp_pipeline.lib.paths import EXPECTATIONS_DIR, PROJECT_ROOT  # noqa: F401 - re-exported

DEFAULT_EXPECTATIONS_DIR = EXPECTATIONS_DIR


def load_thresholds(expectations_dir: Path = DEFAULT_EXPECTATIONS_DIR) -> dict[str, float]:
    """Every threshold by name, as written in `thresholds.yml`."""
    with open(Path(expectations_dir) / "thresholds.yml", encoding="utf-8") as handle:
        values = yaml.safe_load(handle)
    return {name: float(value) for name, value in values.items()}


def dbt_vars(
    month: str, expectations_dir: Path = DEFAULT_EXPECTATIONS_DIR, last_month: str | None = None
) -> dict:
    """The `--vars` every dbt invocation gets: the run's months and the thresholds dbt uses.

    `month` alone is one month; with `last_month`, the months `month` to `last_month`
    inclusive (a single-run backfill), each computed as of itself.
    """
    thresholds = load_thresholds(Path(expectations_dir))
    return {
        "mois_debut": month,
        "mois_fin": last_month or month,
        "seuil_remplissage": thresholds["prescriber_fill_rate_min"],
    }
