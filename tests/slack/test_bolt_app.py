"""The real Bolt app behind POST /slack/events, driven by signed requests."""

from __future__ import annotations

import time

import pytest

from tests.conftest import fixture_bytes
from tests.support.harness import Harness, wait_until

FIRING = "alertmanager/alertmanager_0.25_firing.json"


async def _incident_channel(harness: Harness) -> str:
    await harness.post("/alerts/alertmanager", fixture_bytes(FIRING))
    await harness.drain()
    [channel] = harness.incident_channels()
    return str(channel.id)


async def test_url_verification_is_answered_when_signed(harness: Harness) -> None:
    reply = await harness.driver.url_verification("challenge-token-123")
    assert reply.status == 200
    assert reply.json() == {"challenge": "challenge-token-123"}


async def test_bad_or_stale_signatures_are_refused(harness: Harness) -> None:
    bad = await harness.driver.url_verification("x", bad_signature=True)
    assert bad.status == 401
    stale = await harness.driver.slash_command(
        user_id="U0ALICE", channel_id="C0GENERAL", text="help", timestamp=int(time.time()) - 600
    )
    assert stale.status == 401
    assert harness.emulator.state.response_posts == []


# Event dedup is an ON CONFLICT insert: both backends.
@pytest.mark.both_databases
async def test_repeated_event_id_is_handled_once(harness: Harness) -> None:
    channel = await _incident_channel(harness)
    before = len(harness.emulator.state.messages_in(channel))
    first = await harness.driver.app_mention("U0ALICE", channel, "what now?")
    assert first.status == 200
    event_id = harness.driver.last_event_id
    await wait_until(lambda: len(harness.emulator.state.messages_in(channel)) == before + 2)
    # Slack's retry of the same delivery, and a plain duplicate.
    event = {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": "<@U0BOT> what now?",
        "ts": "1763700000.000100",
        "channel": channel,
        "event_ts": "1763700000.000100",
    }
    retry = await harness.driver.send_event(event, event_id=event_id, retry_num=1)
    assert retry.status == 200
    again = await harness.driver.send_event(event, event_id=event_id)
    assert again.status == 200
    await harness.drain()
    # The mention is answered once, in its thread, however often Slack delivers it.
    bot_replies = [
        m
        for m in harness.emulator.state.messages_in(channel)[before:]
        if m.user == harness.emulator.state.bot_user_id and m.thread_ts
    ]
    assert len(bot_replies) == 1


async def test_slash_ack_moves_the_incident_and_edits_the_card(harness: Harness) -> None:
    channel = await _incident_channel(harness)
    reply = await harness.driver.slash_command(user_id="U0ALICE", channel_id=channel, text="ack")
    assert reply.status == 200
    await wait_until(lambda: len(harness.emulator.state.response_posts) == 1)
    assert "acknowledged" in harness.emulator.state.response_posts[0].payload["text"]
    await harness.drain()
    [incident] = await harness.incidents()
    assert incident.status == "acknowledged" and incident.acknowledged_at is not None
    card = harness.emulator.state.find_message(channel, incident.card_ts or "")
    assert card is not None and "acknowledged" in str(card.blocks)
    events = await harness.events(incident.id)
    assert any(e.kind == "incident.transitioned" and e.actor == "slack:U0ALICE" for e in events)


async def test_refused_transition_and_unknown_subcommand_get_helpful_replies(
    harness: Harness,
) -> None:
    channel = await _incident_channel(harness)
    await harness.driver.slash_command(user_id="U0ALICE", channel_id=channel, text="close")
    await harness.driver.slash_command(user_id="U0ALICE", channel_id=channel, text="explode now")
    await harness.driver.slash_command(user_id="U0ALICE", channel_id="C0GENERAL", text="ack")
    await wait_until(lambda: len(harness.emulator.state.response_posts) == 3)
    texts = sorted(p.payload["text"] for p in harness.emulator.state.response_posts)
    assert any("cannot close an incident that is triggered" in t for t in texts)
    assert any("Unknown subcommand `explode`" in t for t in texts)
    assert any("Run this in an incident channel" in t for t in texts)
    [incident] = await harness.incidents()
    assert incident.status == "triggered"


async def test_note_and_timeline(harness: Harness) -> None:
    channel = await _incident_channel(harness)
    await harness.driver.slash_command(
        user_id="U0BOB", channel_id=channel, text="note rolled back deploy 4821"
    )
    await wait_until(lambda: len(harness.emulator.state.response_posts) == 1)
    await harness.driver.slash_command(user_id="U0BOB", channel_id=channel, text="timeline")
    await wait_until(lambda: len(harness.emulator.state.response_posts) == 2)
    timeline = harness.emulator.state.response_posts[1].payload["text"]
    assert "Incident opened by alertmanager" in timeline
    assert "rolled back deploy 4821" in timeline and "_<@U0BOB>_" in timeline


async def test_status_lists_open_incidents_outside_a_channel(harness: Harness) -> None:
    await _incident_channel(harness)
    await harness.driver.slash_command(user_id="U0BOB", channel_id="C0GENERAL", text="status")
    await wait_until(lambda: len(harness.emulator.state.response_posts) == 1)
    text = harness.emulator.state.response_posts[0].payload["text"]
    assert "Open incidents" in text and "Disk 95% full" in text


async def test_app_home_shows_open_incidents(harness: Harness) -> None:
    await _incident_channel(harness)
    reply = await harness.driver.app_home_opened("U0ALICE")
    assert reply.status == 200
    await wait_until(lambda: "U0ALICE" in harness.emulator.state.home_views)
    view = harness.emulator.state.home_views["U0ALICE"]
    assert "Open incidents:* 1" in str(view) and "Disk 95% full" in str(view)
