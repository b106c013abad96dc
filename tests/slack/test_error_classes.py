"""Which failed Slack calls a later attempt can fix: one commented case per rule."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from integrations.slack.adapter import _classify


def _refusal(status: int, error: str) -> SlackApiError:
    response = AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=status,
    )
    return SlackApiError(error, response)


@pytest.mark.parametrize(
    ("status", "error", "retryable"),
    [
        (200, "channel_not_found", False),  # Slack's own refusal: needs a fix on our side
        (200, "ratelimited", True),  # Slack's own word for "later"
        (200, "service_unavailable", True),
        (429, "ratelimited", True),  # the shared table's statuses, whatever the code
        (409, "unknown_error", True),
        (503, "unknown_error", True),
        (403, "not_allowed_token_type", False),  # other 4xx need a fix
    ],
)
def test_slack_failures_are_retryable_by_code_or_by_the_shared_table(
    status: int, error: str, retryable: bool
) -> None:
    classified = _classify(_refusal(status, error), "chat.postMessage")
    assert (classified.code, classified.retryable) == (error, retryable)


def test_no_answer_at_all_is_retryable() -> None:
    classified = _classify(ConnectionResetError(), "chat.postMessage")
    assert (classified.code, classified.retryable) == ("connection_error", True)
