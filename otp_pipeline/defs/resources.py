"""Run configuration: the contract's environment variables, resolved when a run starts."""

import os
from pathlib import Path

import dagster as dg

from otp_pipeline.lib.thresholds import DEFAULT_EXPECTATIONS_DIR, load_thresholds

DEFAULTS = {
    "OTP_LANDING_DIR": "data/landing",
    "OTP_PUBLISH_DIR": "data/published",
    "OTP_WAREHOUSE": "data/warehouse/otp.duckdb",
}


class OtpSettings(dg.ConfigurableResource):
    """Where the pipeline reads, writes and publishes (contract §1).

    Each field left empty falls back, when a run starts, to its environment variable and
    then to the contract's default; relative paths are taken from the current directory.
    Nothing is read from the environment at import time.
    """

    landing_dir: str | None = None
    publish_dir: str | None = None
    warehouse: str | None = None
    expectations_dir: str | None = None

    def _path(self, value: str | None, variable: str) -> Path:
        chosen = value or os.environ.get(variable) or DEFAULTS[variable]
        return Path(chosen).expanduser().resolve()

    @property
    def landing_path(self) -> Path:
        return self._path(self.landing_dir, "OTP_LANDING_DIR")

    @property
    def publish_path(self) -> Path:
        return self._path(self.publish_dir, "OTP_PUBLISH_DIR")

    @property
    def warehouse_path(self) -> Path:
        return self._path(self.warehouse, "OTP_WAREHOUSE")

    @property
    def expectations_path(self) -> Path:
        return (
            Path(self.expectations_dir).resolve()
            if self.expectations_dir
            else (DEFAULT_EXPECTATIONS_DIR)
        )

    def thresholds(self) -> dict[str, float]:
        return load_thresholds(self.expectations_path)
