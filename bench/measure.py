"""Timing a command: wall time and the peak RSS of its whole process tree, from /proc.

`/usr/bin/time -v` reports the largest single process only; the pipeline's peak is the
Dagster process plus its dbt subprocess at the same moment, so the tree is sampled here.
No psutil in the venv: /proc is read directly (Linux only).
"""

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_SECONDS = 0.05


@dataclass
class Measured:
    """One run of a command: how long, how much memory at most, and how it ended."""

    wall_s: float
    cpu_s: float  # user + system of the whole tree: steadier than wall on a shared machine
    peak_rss_mib: float
    peak_at_s: float  # seconds after start when the peak was seen: match it with the phases
    returncode: int
    load_before: str
    load_after: str
    output_tail: str


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _parents() -> dict[int, list[int]]:
    """pid → its children, for every process (children of any thread included)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _rss_kib(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE_KIB


def tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and every descendant, summed (shared pages counted twice)."""
    children = _parents()
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _rss_kib(pid)
        pending.extend(children.get(pid, ()))
    return total


def run_measured(command: list[str], env: dict | None = None, cwd: Path | None = None) -> Measured:
    """Run `command` to the end, sampling the RSS of its process tree every 50 ms."""
    load_before = load_average()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    peak, peak_at = 0, 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_at
        while not done.is_set():
            rss = tree_rss_kib(process.pid)
            if rss > peak:
                peak, peak_at = rss, time.perf_counter() - started
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(
        wall_s=round(wall, 3),
        cpu_s=round(cpu, 3),
        peak_rss_mib=round(peak / 1024, 1),
        peak_at_s=round(peak_at, 1),
        returncode=process.returncode,
        load_before=load_before,
        load_after=load_average(),
        output_tail=output[-3000:],
    )
