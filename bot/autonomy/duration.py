"""Durations typed in Slack: 30m, 2h, 1d, or parts of them together such as 1h30m."""

from __future__ import annotations

import re
from datetime import timedelta

MIN_DURATION = timedelta(minutes=1)
MAX_DURATION = timedelta(days=30)
EXAMPLES = "30m, 2h or 1d (minutes, hours, days)"

_WHOLE = re.compile(r"^(?:\d{1,6}[mhd])+$")
_PART = re.compile(r"(\d{1,6})([mhd])")
_UNIT = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


class DurationError(ValueError):
    """A duration that cannot be used; the message says what to type instead."""


def looks_like_duration(text: str) -> bool:
    """Whether `text` is written as a duration, valid or not (a number with a unit)."""
    return bool(_WHOLE.match(text.strip().lower()))


def parse_duration(text: str) -> timedelta:
    """The timedelta `text` names, between one minute and thirty days."""
    raw = text.strip().lower()
    if not raw:
        raise DurationError(f"Give a duration after `for`, like {EXAMPLES}.")
    if raw.isdigit():
        raise DurationError(
            f"`{raw}` has no unit: write {raw}m for minutes, {raw}h for hours or {raw}d for days."
        )
    if not _WHOLE.match(raw):
        shown = raw[:40].replace("`", "'")
        raise DurationError(f"`{shown}` is not a duration. Write it like {EXAMPLES}.")
    total = sum((int(n) * _UNIT[unit] for n, unit in _PART.findall(raw)), timedelta())
    if total < MIN_DURATION:
        raise DurationError("A freeze lasts at least one minute; write something like 30m.")
    if total > MAX_DURATION:
        raise DurationError(
            "A timed freeze lasts at most 30 days; leave out `for …` to freeze until lifted."
        )
    return total


def describe_duration(span: timedelta) -> str:
    """A short form for people: 1d 2h 30m."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (mins, "m")) if v]
    return " ".join(parts) or "0m"
