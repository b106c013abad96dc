"""How long a failed ticket write is parked: one commented case per rule."""

from __future__ import annotations

import pytest

from bot.ports.adapters import AdapterError
from bot.tickets.outage import JITTER, RETRY_CAP_SECONDS, retry_delay


def _error(*, retryable: bool = True, retry_after: float | None = None) -> AdapterError:
    return AdapterError(
        "server_error",
        "ServiceNow query incident failed",
        retryable=retryable,
        retry_after=retry_after,
    )


@pytest.mark.parametrize(
    ("round_", "error", "seconds"),
    [
        # The first retry waits the base backoff.
        (1, _error(), 5.0),
        # Each further round doubles it.
        (3, _error(), 20.0),
        # However many rounds, never past the cap.
        (40, _error(), RETRY_CAP_SECONDS),
        # A Retry-After longer than the backoff is honoured.
        (1, _error(retry_after=42.0), 42.0),
        # A Retry-After shorter than the backoff does not shorten it.
        (3, _error(retry_after=1.0), 20.0),
        # A Retry-After past the cap is held to it.
        (1, _error(retry_after=86_400.0), RETRY_CAP_SECONDS),
        # A refusal waits the longest, whatever it asked for.
        (1, _error(retryable=False, retry_after=1.0), RETRY_CAP_SECONDS),
    ],
    ids=[
        "base",
        "doubles",
        "capped",
        "retry-after-longer",
        "retry-after-shorter",
        "retry-after-capped",
        "refusal",
    ],
)
def test_retry_delay(round_: int, error: AdapterError, seconds: float) -> None:
    waited = retry_delay(round_, error).total_seconds()
    # Jitter only ever adds, by at most JITTER of the wait.
    assert seconds <= waited <= seconds * (1 + JITTER)
