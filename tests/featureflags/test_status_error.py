"""How a flag service's non-2xx answer is classified: one commented case per rule."""

from __future__ import annotations

import pytest

from integrations.common.flag_client import status_error


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, "bad_request", False),  # our request is wrong; resending it won't help
        (401, "unauthorized", False),  # the token needs fixing
        (403, "forbidden", False),  # the token lacks the permission
        (404, "not_found", False),  # no such flag or project
        (422, "unexpected_status", False),  # any other 4xx is ours to fix too
        (408, "timeout", True),  # the service gave up waiting for us
        (409, "conflict", True),  # the flag changed under us: read again, try again
        (425, "unexpected_status", True),  # too early: the shared table says later works
        (429, "rate_limited", True),  # slow down, then try again
        (500, "server_error", True),  # the service's own failure
        (503, "server_error", True),  # the service is down for a while
    ],
)
def test_statuses_follow_the_shared_table(status: int, code: str, retryable: bool) -> None:
    error = status_error("Unleash", "read flag f", status)
    assert (error.code, error.retryable, error.retry_after) == (code, retryable, None)
    assert error.message == f"Unleash read flag f: HTTP {status}"


def test_the_wait_asked_for_travels_with_a_retryable_error() -> None:
    error = status_error("LaunchDarkly", "turn flag f on", 429, "rate_limited", 12.0)
    assert (error.retryable, error.retry_after) == (True, 12.0)
    assert error.message == "LaunchDarkly turn flag f on: HTTP 429 rate_limited; retry after 12s"


def test_a_refusal_drops_the_wait_it_came_with() -> None:
    error = status_error("Unleash", "turn flag f on", 403, "NoAccessError", 12.0)
    assert (error.retryable, error.retry_after) == (False, None)
    assert error.message == "Unleash turn flag f on: HTTP 403 NoAccessError"
