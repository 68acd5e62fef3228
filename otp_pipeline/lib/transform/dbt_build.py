"""dbt, run inside the Dagster process on the manifest `make setup` parsed.

`dbt build` as a subprocess (what `DbtCliResource.cli` does) paid, for every month's run,
a new Python process importing dbt (3.9 s) and a full parse of the project (5 to 10 s):
dbt re-parses everything whenever `--vars` change, and the run's months are vars, so every
new month. Here dbt's programmatic runner (`dbtRunner`) gets the manifest that
`dagster-dbt project prepare-and-package` wrote (`target/partial_parse.msgpack`, dbt's own
serialised parse, read in under a second), and skips parsing: vars are rendered when each
node is compiled, not when the project is parsed (the project reads none at parse time,
`dbt_project.yml`), so the stored parse serves every month.

Without that file (a project never prepared), dbt parses as usual. The events dbt emits
are handed over as the dicts of its `--log-format json` lines, so that dagster-dbt turns
them into the same Dagster events as from the CLI.

dbt runs in a worker thread while the caller consumes the events: the materializations
appear in Dagster as each node finishes. dbt's runner is not re-entrant: one build at a
time per process (a lock), which the warehouse's single writer requires anyway.
"""

import os
import queue
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from otp_pipeline.lib.paths import DBT_PROJECT_DIR

PARSED_MANIFEST = Path("target") / "partial_parse.msgpack"
_BUILD_LOCK = threading.Lock()
_manifests: dict[tuple[Path, int, int], object] = {}  # by (path, mtime, size)
_DONE = object()


@dataclass
class DbtOutcome:
    """How the invocation ended, known once every event was consumed."""

    success: bool = False
    errors: list[str] = field(default_factory=list)
    exception: BaseException | None = None


def parsed_manifest(project_dir: Path = DBT_PROJECT_DIR, database: str | None = None):
    """The dbt `Manifest` stored by the last parse of `project_dir`, or None if none is, or
    if its models were parsed for another database than `database` (dbt-duckdb names the
    database after the warehouse file: `otp` for `otp.duckdb`; a parse stores it in every
    node, so a warehouse of another name needs its own parse).

    Cached per process while the file is unchanged (a new parse replaces it)."""
    path = Path(project_dir) / PARSED_MANIFEST
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _manifests:
        from dbt.contracts.graph.manifest import Manifest
        from dbt.parser.manifest import extended_mashumuro_decoder

        _manifests.clear()
        _manifests[key] = Manifest.from_msgpack(
            path.read_bytes(), decoder=extended_mashumuro_decoder
        )
    manifest = _manifests[key]
    if database is not None and any(
        node.database != database
        for node in manifest.nodes.values()
        if node.resource_type in ("model", "seed")
    ):
        return None
    return manifest


def dbt_events(
    args: list[str],
    warehouse: Path,
    target_path: Path,
    outcome: DbtOutcome,
    project_dir: Path = DBT_PROJECT_DIR,
) -> Iterator[dict]:
    """Run `dbt <args>` on the project and `warehouse`; yield each event as its JSON-log
    dict.

    `outcome` is filled when the iterator is exhausted. dbt's own log goes to its console
    (the step's stdout) and to `<target_path>/dbt.log`.
    """
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    events: queue.SimpleQueue = queue.SimpleQueue()
    # dbt's profile reads the warehouse from the environment (an absolute path here).
    os.environ["OTP_WAREHOUSE"] = str(Path(warehouse).resolve())
    manifest = parsed_manifest(project_dir, Path(warehouse).stem)
    # dbt colours its log whether or not its output is a terminal: a log file or a pipe would
    # get the escape codes written out (`[0m`). Coloured only on a terminal, never in dbt.log.
    colours = "--use-colors" if sys.stdout.isatty() else "--no-use-colors"
    full_args = [
        *args, colours, "--no-use-colors-file",
        "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
        "--target-path", str(target_path), "--log-path", str(target_path),
    ]  # fmt: skip

    def invoke() -> None:
        try:
            runner = dbtRunner(manifest=manifest, callbacks=[lambda e: events.put(msg_to_dict(e))])
            result = runner.invoke(full_args)
            outcome.success = result.success
            outcome.exception = result.exception
        except BaseException as error:  # reported to the caller, not lost in the thread
            outcome.exception = error
        finally:
            events.put(_DONE)

    with _BUILD_LOCK:
        worker = threading.Thread(target=invoke, name="dbt-build", daemon=True)
        worker.start()
        try:
            while (event := events.get()) is not _DONE:
                if event.get("info", {}).get("level") == "error":
                    outcome.errors.append(event["info"].get("msg", ""))
                yield event
        finally:
            # Also when the caller stops early (its step failed): dbt ends its build before
            # the lock and the warehouse are let go.
            worker.join()
            _release_warehouse()


def _release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the process after a run, so that
    the steps after dbt (or another process) can open the warehouse file."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if environment is not None:
        environment.close()
