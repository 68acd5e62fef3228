"""Calendar months written `YYYY-MM`, the grain of partitions and deliveries."""

import re
from datetime import date

from otp_pipeline.lib.settings import FIRST_MONTH

# [0-9], not \d (which takes any Unicode digit); \Z, not $ (which takes a final newline).
MONTH_PATTERN = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])\Z")


def parse_month(month: str) -> tuple[int, int]:
    """(year, month) of a `YYYY-MM` string; ValueError when it is not one."""
    match = MONTH_PATTERN.match(month)
    if not match:
        raise ValueError(f"not a month YYYY-MM: {month!r}")
    return int(match.group(1)), int(match.group(2))


def month_index(month: str) -> int:
    """Months since year 0: differences of indexes count months."""
    year, number = parse_month(month)
    return year * 12 + number - 1


def month_from_index(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included."""
    return [month_from_index(i) for i in range(month_index(first), month_index(last) + 1)]


def months_up_to(last: str) -> list[str]:
    """Every month from the contract's first month to `last`, both included."""
    return months_between(FIRST_MONTH, last)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
