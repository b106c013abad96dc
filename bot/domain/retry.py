"""What every retry agrees on: which HTTP answers may succeed later, and how long to wait.

Adapters and clients classify a failure with `retryable_status` and read the far side's
hint with `retry_after_seconds`; the waiting itself happens in one retry stage.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

# Statuses after which the same request may succeed later; every other 4xx needs a fix on
# our side. 409 is here because a conflict means the far side changed under us (a
# resource version, a concurrent edit): read again, try again.
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


def retryable_status(status: int) -> bool:
    """Whether an HTTP answer with `status` may succeed if the same call is made later."""
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds asked for by a `Retry-After` value (delta seconds or an HTTP date).

    None when there is no usable value; never negative, so a date in the past means "now".
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        # nan and inf parse as floats too; neither is a wait anyone can honour.
        return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def backoff(attempt: int, base: float, cap: float) -> timedelta:
    """Exponential delay after failed `attempt` (1-based): base, 2·base, 4·base … up to `cap`."""
    # The exponent is bounded: a job that retries for days would overflow a float.
    return timedelta(seconds=min(cap, base * 2.0 ** min(max(0, attempt - 1), 60)))
