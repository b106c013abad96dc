"""Socket Mode: with SLACK_APP_TOKEN the same Bolt app answers over a WebSocket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.response import BoltResponse

from handlers.slack.dedup import DeduplicateEvents
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


async def test_an_event_over_socket_mode_is_acked_before_the_database_is_read(
    socket_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = socket_harness
    gate = asyncio.Event()
    reached = asyncio.Event()
    original = DeduplicateEvents.async_process

    async def held(self: DeduplicateEvents, **kwargs: Any) -> BoltResponse:
        # The event_id receipt is the first database access an event makes.
        reached.set()
        await gate.wait()
        return await original(self, **kwargs)

    monkeypatch.setattr(DeduplicateEvents, "async_process", held)
    payload = {
        "type": "event_callback",
        "team_id": "T0SANDBOX",
        "api_app_id": "A0SMOKE",
        "event_id": "Ev0SOCKET01",
        "event_time": 1763700000,
        "event": {"type": "app_home_opened", "user": "U0ALICE", "tab": "home", "event_ts": "1.0"},
    }

    # The emulator gives up after three seconds without an ack, as Slack does.
    ack = await h.emulator.socket_mode.send("events_api", payload)

    assert "envelope_id" in ack
    await asyncio.wait_for(reached.wait(), 10)
    assert "U0ALICE" not in h.emulator.state.home_views
    gate.set()
    await asyncio.wait_for(h.settle(), 10)
    assert "U0ALICE" in h.emulator.state.home_views
