"""Channel creation survives crashes and retries without ever making a second channel."""

from __future__ import annotations

import pytest

from bot.domain.events import EventKind
from tests.conftest import fixture_bytes
from tests.support.harness import Harness

# Crash and retry paths rest on conditional updates: check them on both backends.
pytestmark = pytest.mark.both_databases

FIRING = "alertmanager/alertmanager_0.25_firing.json"


def _expected_name(harness: Harness) -> str:
    return harness.incident_channels()[0].name


async def test_crash_right_after_create_adopts_the_channel_on_retry(harness: Harness) -> None:
    # The first try creates the channel, then fails before recording its id.
    harness.emulator.inject_fault("conversations.setPurpose", error="internal_error")
    await harness.post("/alerts/alertmanager", fixture_bytes(FIRING))
    await harness.drain()

    channels = harness.incident_channels()
    assert len(channels) == 1
    assert len(harness.emulator.state.calls_to("conversations.create")) == 3  # #incidents + 2
    [incident] = await harness.incidents()
    assert incident.channel_id == channels[0].id
    kinds = [e.kind for e in await harness.events(incident.id)]
    assert EventKind.SLACK_CHANNEL_ADOPTED in kinds
    assert len(harness.incident_cards(channels[0].id)) == 1
    assert len(harness.triage_cards(channels[0].id)) == 1


async def test_failed_pin_is_retried_without_reposting_the_card(harness: Harness) -> None:
    harness.emulator.inject_fault("pins.add", error="internal_error")
    await harness.post("/alerts/alertmanager", fixture_bytes(FIRING))
    await harness.drain()
    [channel] = harness.incident_channels()
    assert len(harness.incident_cards(channel.id)) == 1
    assert len(harness.triage_cards(channel.id)) == 1
    assert len(harness.emulator.state.pins[channel.id]) == 1
    assert len(harness.emulator.state.calls_to("pins.add")) == 2


async def test_a_human_channel_with_the_name_gets_a_suffix(harness: Harness) -> None:
    from datetime import UTC, datetime

    taken = f"inc-{datetime.now(UTC):%Y%m%d}-db-1"
    harness.emulator.add_channel(taken, members=["U0CAROL"], bot_is_member=False)
    await harness.post("/alerts/alertmanager", fixture_bytes(FIRING))
    await harness.drain()
    [incident] = await harness.incidents()
    assert incident.channel_name == f"{taken}-2"
    ours = harness.emulator.state.channels[incident.channel_id or ""]
    assert ours.name == f"{taken}-2"
    # The human's channel is untouched.
    human = harness.emulator.state.channel_by_name(taken)
    assert human is not None and human.members == ["U0CAROL"]


async def test_card_post_failure_is_retried_and_posts_once(harness: Harness) -> None:
    harness.emulator.inject_fault("chat.postMessage", error="internal_error", status=500)
    await harness.post("/alerts/alertmanager", fixture_bytes(FIRING))
    await harness.drain()
    [channel] = harness.incident_channels()
    assert len(harness.incident_cards(channel.id)) == 1
    assert len(harness.triage_cards(channel.id)) == 1
    [incident] = await harness.incidents()
    assert incident.card_pinned and incident.announced and incident.topic_set
