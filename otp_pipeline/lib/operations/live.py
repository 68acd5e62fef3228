"""How `otp-pipeline run` shows a run: a live display on a terminal, plain lines elsewhere.

Both take the lines `RunProgress.handle` returns and the run's state after each event. On a
terminal (Rich) the state is redrawn in place, four times a second: one bar per stage
(ingestion and publication month by month, dbt models done out of the total, checks as they
end), the rows read and the time elapsed; the lines of months ingested or published and of
failures scroll above it. Elsewhere (cron, CI, a pipe) each line is written as it comes, with
no control character, so that a log reads top to bottom.
"""

from typing import TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from otp_pipeline.lib.operations.progress import CHECKS, DBT, INGESTION, PUBLICATION, RunProgress

BAR_WIDTH = 28
_QUIET_PREFIXES = ("dbt ", "check ")  # shown by the bars, not scrolled on a terminal


class PlainDisplay:
    """One line per event that ends something; nothing else."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def start(self, progress: RunProgress) -> None:
        self.line(f"run {progress.label} started ({len(progress.months)} month(s))")

    def line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def refresh(self) -> None:
        pass

    def stop(self) -> None:
        pass


class LiveDisplay(PlainDisplay):
    """The run's state redrawn in place on a terminal."""

    def __init__(self, stream: TextIO):
        super().__init__(stream)
        self.console = Console(file=stream, force_terminal=True)
        self.live: Live | None = None
        self.progress: RunProgress | None = None

    def start(self, progress: RunProgress) -> None:
        self.progress = progress
        # Live would otherwise take over sys.stdout and sys.stderr and print what the run
        # writes there (Dagster's event stream, dbt's log) above the display: it belongs in
        # the log file their file descriptors point at.
        self.live = Live(_Frame(progress), console=self.console, refresh_per_second=4,
                         redirect_stdout=False, redirect_stderr=False)  # fmt: skip
        self.live.start()

    def line(self, text: str) -> None:
        if self.live is None:
            self.console.print(text, highlight=False)
        elif not text.split("] ", 1)[-1].startswith(_QUIET_PREFIXES):
            self.live.console.print(text, highlight=False)

    def refresh(self) -> None:
        if self.live is not None:
            self.live.refresh()

    def stop(self) -> None:
        if self.live is not None:
            self.live.refresh()
            self.live.stop()
            self.live = None


class _Frame:
    """The renderable Rich asks for at every refresh: built from the state of the moment."""

    def __init__(self, progress: RunProgress):
        self.progress = progress

    def __rich__(self) -> Group:
        return render(self.progress)


def render(progress: RunProgress) -> Group:
    """The live display of `progress`: a header line and a bar per stage."""
    minutes, seconds = divmod(int(progress.elapsed()), 60)
    header = Text.assemble(
        ("otp-pipeline run ", "bold"), (progress.label, "bold cyan"),
        f"   elapsed {minutes}:{seconds:02d}   rows read {progress.rows_read:,}",
    )  # fmt: skip
    months = len(progress.months)
    stages = Table.grid(padding=(0, 2))
    for _ in range(3):
        stages.add_column()
    ingestion = ", ".join(step.removeprefix("raw__") for step in progress.running
                          if progress.stage_of(step) == INGESTION)  # fmt: skip
    stages.add_row(
        INGESTION, _bar(progress.months_ingested(), months),
        f"{progress.months_ingested()}/{months} months" + (f"  {ingestion}" if ingestion else ""),
    )  # fmt: skip
    last = f"  {progress.dbt_done[-1]}" if progress.dbt_done else ""
    stages.add_row(
        DBT, _bar(len(progress.dbt_done), progress.dbt_total),
        f"{len(progress.dbt_done)}/{progress.dbt_total} models{last}",
    )  # fmt: skip
    checked = len(progress.checks)
    stages.add_row(
        CHECKS, _bar(checked, progress.checks_total or checked or 1),
        f"{progress.count('passed')} passed, {progress.count('warned')} warned, "
        f"{progress.count('failed')} failed",
    )  # fmt: skip
    stages.add_row(
        PUBLICATION, _bar(len(progress.published), months),
        f"{len(progress.published)}/{months} months",
    )  # fmt: skip
    parts = [header, stages]
    if progress.waiting:
        parts.append(Text(progress.waiting, style="yellow"))
    for failure in progress.failures:
        parts.append(Text(failure.one_line(), style="bold red"))
    return Group(*parts)


def _bar(done: int, total: int) -> ProgressBar:
    return ProgressBar(total=max(total, 1), completed=min(done, max(total, 1)), width=BAR_WIDTH)


def display_for(stream: TextIO) -> PlainDisplay:
    """The live display when `stream` is a terminal, else plain lines."""
    return LiveDisplay(stream) if stream.isatty() else PlainDisplay(stream)
