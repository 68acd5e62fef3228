"""A published month checked by its consumers' own tool: `frictionless` validates every row of
every resource of its `datapackage.json` (what the README tells a consumer to run)."""

from pathlib import Path

from frictionless import Package


def validation_errors(folder: Path) -> list[tuple]:
    """Every error frictionless finds in the month folder `folder`: (resource, type, note)."""
    report = Package(str(Path(folder) / "datapackage.json")).validate()
    return [
        (task.name, error.type, error.note) for task in report.tasks for error in task.errors
    ] + [("package", error.type, error.note) for error in report.errors]


def validated_resources(folder: Path) -> int:
    """How many resources frictionless validated in `folder` (CSV and Parquet)."""
    return len(Package(str(Path(folder) / "datapackage.json")).validate().tasks)
