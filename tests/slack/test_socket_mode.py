"""Socket Mode: with SLACK_APP_TOKEN the same Bolt app answers over a WebSocket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from integrations.slack.emulator import SlackEmulator
from tests.conftest import fixture_bytes
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness, wait_until


@pytest.fixture
async def socket_harness(
    database: DatabaseTarget, emulator: SlackEmulator
) -> AsyncIterator[Harness]:
    h = await start_harness(database, emulator, slack_app_token=emulator.app_token)
    yield h
    await stop_harness(h)


async def test_slash_command_over_socket_mode(socket_harness: Harness) -> None:
    h = socket_harness
    await h.post(
        "/alerts/alertmanager", fixture_bytes("alertmanager/alertmanager_0.25_firing.json")
    )
    await h.drain()
    [channel] = h.incident_channels()
    response_url = h.emulator.response_url("commands", channel_id=channel.id, user_id="U0ALICE")
    ack = await h.emulator.socket_mode.send(
        "slash_commands",
        {
            "token": "sandbox-verification-token",
            "team_id": "T0SANDBOX",
            "channel_id": channel.id,
            "channel_name": channel.name,
            "user_id": "U0ALICE",
            "user_name": "alice",
            "command": "/incident",
            "text": "ack",
            "api_app_id": "A0SMOKE",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        },
    )
    assert "envelope_id" in ack
    await wait_until(lambda: len(h.emulator.state.response_posts) == 1)
    assert "acknowledged" in h.emulator.state.response_posts[0].payload["text"]
    [incident] = await h.incidents()
    assert incident.status == "acknowledged"
    assert len(h.emulator.state.calls_to("apps.connections.open")) == 1


async def test_bot_token_cannot_open_a_socket(emulator: SlackEmulator) -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token="xoxb-test-token", base_url=emulator.api_url)
    with pytest.raises(SlackApiError) as error:
        await client.apps_connections_open(app_token="xoxb-test-token")
    assert error.value.response["error"] == "invalid_auth"
