"""Where the project's own files are, relative to this package (never the current directory)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The INSEE referential (COG 2024) ships once, as the dbt seeds; ingestion and the demo
# generator read the same files.
REFERENTIAL_DIR = DBT_PROJECT_DIR / "seeds"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
