"""A process that imported the stack exits without garbage-collecting it object by object.

A Python process that imported Dagster, dbt and Great Expectations holds millions of
objects, and the interpreter's last collections, when it exits, walk them all: 1.3 s for a
process that only imported the five libraries of the stack floor (bench/RESULTS.md), paid
by every `dagster asset materialize`, every code server and every test worker. Frozen by
`gc.freeze()` in an atexit handler, they are left to the operating system, which takes the
whole memory back at once (0.1 s).

What this gives up: finalizers of objects in reference cycles do not run at exit, which
Python never promised anyway. Nothing of the pipeline relies on them: its DuckDB
connections and files are closed by `with` blocks (Dagster closes its SQLite ones after
each use), `weakref.finalize` callbacks run at exit whatever the collector does, and the
standard streams are flushed by the interpreter itself.
"""

import atexit
import gc

_registered = False


def leave_objects_to_the_os() -> None:
    """Freeze every object tracked by the collector at exit (registered once a process)."""
    global _registered
    if not _registered:
        atexit.register(gc.freeze)
        _registered = True
