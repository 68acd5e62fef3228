"""The publication deadline of each month, and what the publish folder says about meeting it.

The deadline is set here and only here (`PUBLICATION_DEADLINE`): month M must be in
`$OTP_PUBLISH_DIR/M/` by the 10th of M+1 at 09:00, Paris time (07:00 or 08:00 UTC with
daylight saving). Published means what consumers see (contract §7): the month folder. When
M was *first* published is the earliest `produced_at` among its current folder and its
vintages (`_vintages/M/*`): a revision republished later does not make an on-time month late.

Pure logic over the publish folder, a cursor and a given `now`, so it is tested without a
daemon and without the clock.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from otp_pipeline.lib.months import month_from_index, month_index, month_of, months_between
from otp_pipeline.lib.operations.alerts import ALERT_PREFIX
from otp_pipeline.lib.publication.manifest import VINTAGE_FORMAT, VINTAGES, read_produced_at
from otp_pipeline.lib.settings import FIRST_MONTH

SHOWN_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Deadline:
    """A month is due on day `day` of the next month at `at`, local time of `timezone`."""

    day: int
    at: time
    timezone: str

    def for_month(self, month: str) -> datetime:
        """When `month` must be published, timezone-aware."""
        following = month_from_index(month_index(month) + 1)
        day = date(int(following[:4]), int(following[5:]), self.day)
        return datetime.combine(day, self.at, tzinfo=ZoneInfo(self.timezone))

    def shown(self, moment: datetime) -> str:
        """`moment` as operators read it: `2021-04-10 09:00 Europe/Paris`."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        return f"{local.strftime(SHOWN_FORMAT)} {self.timezone}"

    def __str__(self) -> str:
        return f"day {self.day} of month M+1 at {self.at.strftime('%H:%M')} {self.timezone}"


PUBLICATION_DEADLINE = Deadline(day=10, at=time(9, 0), timezone="Europe/Paris")


def first_published_at(publish_dir: Path, month: str) -> datetime | None:
    """When `month` was first published (UTC), None when it never was."""
    current = Path(publish_dir) / month
    moments = []
    if current.is_dir():
        # A folder without a readable manifest (made by hand) is published all the same.
        moments.append(read_produced_at(current) or _mtime(current))
    vintages = Path(publish_dir) / VINTAGES / month
    if vintages.is_dir():
        for folder in vintages.iterdir():
            if folder.is_dir() and (moment := read_produced_at(folder) or _stamp(folder)):
                moments.append(moment)
    return min(moments, default=None)


def _mtime(folder: Path) -> datetime:
    return datetime.fromtimestamp(folder.stat().st_mtime, UTC)


def _stamp(vintage: Path) -> datetime | None:
    """The produced_at a vintage folder is named after (`20210415T120000Z`, maybe `-2`)."""
    try:
        return datetime.strptime(vintage.name[:16], VINTAGE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class Verdict:
    """Month `month` against its deadline, as of `now`."""

    month: str
    deadline: datetime
    published_at: datetime | None  # first publication; None when not published
    now: datetime
    rule: Deadline = PUBLICATION_DEADLINE

    @property
    def in_time(self) -> bool:
        return self.published_at is not None and self.published_at <= self.deadline

    @property
    def final(self) -> bool:
        """Settled for good: published in time, or the deadline has passed."""
        return self.in_time or self.now >= self.deadline

    def text(self) -> str:
        """One line, in the style of the run-failure alert."""
        due = self.rule.shown(self.deadline)
        if self.in_time:
            when = self.rule.shown(self.published_at)
            return f"{ALERT_PREFIX}month {self.month} published {when}, by its deadline {due}"
        if self.published_at is None:
            reason = "not published" if self.final else f"not published yet (due {due})"
        else:
            reason = f"first published {self.rule.shown(self.published_at)}"
        if not self.final:
            return f"{ALERT_PREFIX}month {self.month} {reason}"
        return f"{ALERT_PREFIX}month {self.month} missed its publication deadline {due}: {reason}"


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:  # a naive time is usually local time: refuse to guess
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    return now


def verdict(
    publish_dir: Path, month: str, now: datetime, rule: Deadline = PUBLICATION_DEADLINE
) -> Verdict:
    """Month `month` of `publish_dir` against `rule`, as of `now` (timezone-aware)."""
    now = _aware(now)
    return Verdict(month, rule.for_month(month), first_published_at(publish_dir, month), now, rule)


@dataclass
class DeadlineReview:
    """Months whose verdict is settled since the last review, in month order; the cursor."""

    verdicts: list[Verdict] = field(default_factory=list)
    waiting: str = ""  # what the next month is waiting for, for the tick's skip reason
    cursor: str = ""


def review_deadlines(
    publish_dir: Path, cursor: str | None, now: datetime, rule: Deadline = PUBLICATION_DEADLINE
) -> DeadlineReview:
    """Settle every ended month after the cursor's, in order, up to the first still open.

    Without a cursor (the sensor's first tick) the review starts at the last month whose
    deadline has passed: switching the sensor on does not alert on years of history.
    """
    local = _aware(now).astimezone(ZoneInfo(rule.timezone))
    ended = month_from_index(month_index(month_of(local)) - 1)
    reviewed = json.loads(cursor)["reviewed_through"] if cursor else None
    if reviewed:
        start = month_from_index(month_index(reviewed) + 1)
    else:
        due = ended if rule.for_month(ended) <= now else month_from_index(month_index(ended) - 1)
        start = max(due, FIRST_MONTH)
    review = DeadlineReview()
    for month in months_between(start, ended) if start <= ended else []:
        judged = verdict(publish_dir, month, now, rule)
        if not judged.final:
            review.waiting = judged.text()
            break
        review.verdicts.append(judged)
        reviewed = month
    if not review.waiting:
        upcoming = month_from_index(month_index(reviewed) + 1) if reviewed else start
        review.waiting = f"next deadline: month {upcoming}, {rule.shown(rule.for_month(upcoming))}"
    review.cursor = json.dumps({"reviewed_through": reviewed}) if reviewed else ""
    return review
