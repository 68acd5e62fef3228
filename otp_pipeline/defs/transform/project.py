"""The dbt project as Dagster sees it. Kept alone in this module: `make setup` runs
`dagster-dbt project prepare-and-package --file` on it to build the manifest once."""

from dagster_dbt import DbtProject

from otp_pipeline.lib.paths import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is re-parsed so model edits show without a setup step.
dbt_project.prepare_if_dev()
