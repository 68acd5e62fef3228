"""The dbt project as Dagster sees it. Kept alone in this module: `make setup` runs
`dagster-dbt project prepare-and-package --file` on it to build the manifest once."""

import os

from dagster_dbt import DbtProject

from otp_pipeline.lib.paths import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def manifest_is_stale(project: DbtProject = dbt_project) -> bool:
    """True when a file of the dbt project changed after the stored manifest was written."""
    try:
        written = project.manifest_path.stat().st_mtime
    except FileNotFoundError:
        return True
    sources = [project.project_dir / "dbt_project.yml", project.project_dir / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += (project.project_dir / folder).rglob("*")
    return any(path.is_file() and path.stat().st_mtime > written for path in sources)


# Under `dagster dev` (and `dg`) the project is parsed again when one of its files changed
# since the last parse, so model edits show without a setup step; an unchanged project is
# not re-parsed (that took 35 to 50 s of every `dg check defs`).
if os.environ.get("DAGSTER_IS_DEV_CLI") and manifest_is_stale():
    dbt_project.prepare_if_dev()
