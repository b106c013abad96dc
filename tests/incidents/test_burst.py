"""Thirty incidents at once against Slack's tier limits: queued, paced, 429s honoured."""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import VirtualTime
from integrations.slack.emulator import RateLimits, SlackEmulator
from policies.policy import default_policy_file
from tests.conftest import fixture_json
from tests.support.database import DatabaseTarget
from tests.support.harness import BOT_TOKEN, Harness, start_harness, stop_harness

pytestmark = pytest.mark.both_databases


def _no_storm_policy(tmp_path: Path) -> Path:
    text = default_policy_file().read_text(encoding="utf-8")
    path = tmp_path / "policy.yml"
    path.write_text(text.replace("    services: 5\n", "    services: 1000\n", 1), encoding="utf-8")
    return path


@pytest.fixture
async def limited(virtual_time: VirtualTime) -> AsyncIterator[SlackEmulator]:
    # Slack's tiers sped up 60 times, with channel creation held to a burst of 5 at 5/s so the
    # burst below must run into 429s. The emulator's limits run on the bot's virtual clock,
    # so honouring a Retry-After moves time for both sides instead of waiting.
    limits = RateLimits.fast().with_method("conversations.create", per_minute=300, burst=5)
    emu = SlackEmulator(bot_token=BOT_TOKEN, rate_limits=limits, clock=virtual_time.monotonic)
    await emu.start()
    await AsyncWebClient(token=BOT_TOKEN, base_url=emu.api_url).conversations_create(
        name="incidents"
    )
    yield emu
    await emu.stop()


@pytest.fixture
async def burst_harness(
    database: DatabaseTarget, limited: SlackEmulator, virtual_time: VirtualTime, tmp_path: Path
) -> AsyncIterator[Harness]:
    h = await start_harness(
        database,
        limited,
        time=virtual_time,
        # Thirty services at once would be a storm (tests/storms); here each must get its
        # own channel, so the breaker is set beyond reach.
        policy_file=_no_storm_policy(tmp_path),
        # The bot's own pacing is looser than the emulator's limit on purpose.
        slack_channel_create_per_minute=3000,
        slack_messages_per_second_per_channel=30,
        slack_max_rate_limit_retries=10,
        outbox_workers=8,
    )
    yield h
    await stop_harness(h)


async def test_thirty_incidents_all_get_exactly_one_channel(burst_harness: Harness) -> None:
    h = burst_harness
    base = fixture_json("alertmanager/alertmanager_0.25_firing.json")
    bodies = []
    for n in range(30):
        body = copy.deepcopy(base)
        body["alerts"][0]["labels"]["alertname"] = f"Burst{n}"
        body["alerts"][0]["labels"]["service"] = f"svc{n}"
        body["alerts"][0]["fingerprint"] = f"{n:016x}"
        bodies.append(body)
    replies = await asyncio.gather(*(h.post("/alerts/alertmanager", b) for b in bodies))
    assert all(r.status == 202 and r.body["outcomes"] == {"opened": 1} for r in replies)
    await h.drain()

    channels = h.incident_channels()
    assert len(channels) == 30
    names = Counter(c.name for c in channels)
    assert max(names.values()) == 1
    incidents = await h.incidents()
    assert {i.channel_id for i in incidents} == {c.id for c in channels}
    assert all(i.card_pinned and i.announced for i in incidents)
    # The emulator refused some creates with 429 and every one was retried after Retry-After.
    assert h.emulator.state.ratelimited_count("conversations.create") > 0
    created = [c for c in h.emulator.state.calls_to("conversations.create") if c.error is None]
    assert len(created) == 31  # 30 incidents + #incidents
