"""The one table of retryable statuses, the one Retry-After reader, the one backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.retry import backoff, retry_after_seconds, retryable_status

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (408, True),  # the far side timed out waiting for us
        (409, True),  # a conflict: the state moved, a fresh attempt may pass
        (425, True),  # too early
        (429, True),  # rate limited
        (500, True),  # any 5xx
        (503, True),
        (599, True),
        (400, False),  # our request is wrong; it stays wrong
        (401, False),
        (403, False),
        (404, False),
        (422, False),
        (600, False),  # not an HTTP status class we know
    ],
)
def test_one_table_of_retryable_statuses(status: int, retryable: bool) -> None:
    assert retryable_status(status) is retryable


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30", 30.0),
        (" 2.5 ", 2.5),
        ("-4", 0.0),  # never a negative wait
        ("Wed, 01 May 2024 12:01:00 GMT", 60.0),  # an HTTP date
        ("Wed, 01 May 2024 11:00:00 GMT", 0.0),  # a date in the past means now
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_retry_after_is_read_in_one_place(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_backoff_doubles_from_the_base_and_stops_at_the_cap() -> None:
    waits = [backoff(n, 1.0, 300.0).total_seconds() for n in range(1, 11)]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    # A job that has retried for days still gets the cap, not an overflow.
    assert backoff(100_000, 1.0, 300.0) == timedelta(seconds=300)
