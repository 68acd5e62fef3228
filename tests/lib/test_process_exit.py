"""A process importing the package freezes its objects at exit instead of collecting them."""

import subprocess
import sys

# Registered before the package's handler, so it runs after it (atexit is last in, first
# out): it sees what the interpreter's last collections will find.
CHILD = """
import atexit, gc
atexit.register(lambda: print("frozen", gc.get_freeze_count(), "tracked", len(gc.get_objects())))
import otp_pipeline
"""


def _exit_report(code: str) -> tuple[int, int]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    _, frozen, _, tracked = done.stdout.split()
    return int(frozen), int(tracked)


def test_objects_are_frozen_when_the_process_exits():
    frozen, tracked = _exit_report(CHILD)
    assert frozen > 1000  # every object alive at exit, the imported modules' among them
    assert tracked < frozen  # left for the collector: only what was made after the freeze


def test_without_the_package_nothing_is_frozen():
    # The same child without the import: the freeze comes from the package, not Python.
    frozen, _ = _exit_report(CHILD.replace("import otp_pipeline\n", ""))
    assert frozen == 0
