"""The Slack pacer on a virtual clock: bursts pass, then calls wait exactly their turn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.domain.clock import VirtualTime
from integrations.slack.adapter import SlackWorkspace
from integrations.slack.client import build_web_client
from integrations.slack.config import SlackConfig
from integrations.slack.emulator import RateLimits, SlackEmulator
from integrations.slack.pacing import PRUNE_EVERY, Pacer

TOKEN = "xoxb-pacing"


@pytest.fixture
def time() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def pacer(time: VirtualTime) -> Pacer:
    return Pacer(time)


async def test_a_burst_goes_through_without_waiting(pacer: Pacer, time: VirtualTime) -> None:
    for _ in range(3):
        await pacer.acquire("chat:C1", rate_per_second=1.0, burst=3)
    assert time.sleeps == []
    assert time.elapsed == 0.0


async def test_past_the_burst_each_call_waits_one_interval(pacer: Pacer, time: VirtualTime) -> None:
    for _ in range(3 + 4):
        await pacer.acquire("chat:C1", rate_per_second=2.0, burst=3)
    assert time.sleeps == [0.5, 0.5, 0.5, 0.5]
    assert time.elapsed == 2.0


async def test_a_wait_is_only_what_is_left_of_the_interval(pacer: Pacer, time: VirtualTime) -> None:
    # One call every 2 s, no burst to speak of.
    await pacer.acquire("conversations.create", rate_per_second=0.5, burst=1)
    time.advance(0.5)  # a quarter token refilled: 1.5 s of the interval are left
    await pacer.acquire("conversations.create", rate_per_second=0.5, burst=1)
    time.advance(1.75)  # 1.75 s of a 2 s interval gone: 0.25 s left
    await pacer.acquire("conversations.create", rate_per_second=0.5, burst=1)
    assert time.sleeps == [1.5, 0.25]


async def test_idle_time_refills_up_to_the_burst_and_no_further(
    pacer: Pacer, time: VirtualTime
) -> None:
    for _ in range(3):
        await pacer.acquire("chat:C1", rate_per_second=1.0, burst=3)
    time.advance(3600)
    for _ in range(3):
        await pacer.acquire("chat:C1", rate_per_second=1.0, burst=3)
    assert time.sleeps == []
    await pacer.acquire("chat:C1", rate_per_second=1.0, burst=3)
    assert time.sleeps == [1.0]


async def test_keys_are_paced_independently(pacer: Pacer, time: VirtualTime) -> None:
    for _ in range(3):
        await pacer.acquire("chat:C1", rate_per_second=1.0, burst=3)
    # C1 has spent its burst; C2 still has all of its own.
    for _ in range(3):
        await pacer.acquire("chat:C2", rate_per_second=1.0, burst=3)
    assert time.sleeps == []
    await pacer.acquire("chat:C1", rate_per_second=1.0, burst=3)
    assert time.sleeps == [1.0]


async def test_each_key_keeps_its_own_rate(pacer: Pacer, time: VirtualTime) -> None:
    await pacer.acquire("conversations.create", rate_per_second=0.25, burst=1)
    await pacer.acquire("chat:C1", rate_per_second=4.0, burst=1)
    await pacer.acquire("chat:C1", rate_per_second=4.0, burst=1)
    await pacer.acquire("conversations.create", rate_per_second=0.25, burst=1)
    # chat waited its 0.25 s; channel creation then waited the rest of its 4 s interval.
    assert time.sleeps == [0.25, 3.75]


async def test_concurrent_callers_of_one_key_take_turns(pacer: Pacer, time: VirtualTime) -> None:
    await asyncio.gather(
        *(pacer.acquire("chat:C1", rate_per_second=1.0, burst=1) for _ in range(5))
    )
    assert time.sleeps == [1.0, 1.0, 1.0, 1.0]
    assert time.elapsed == 4.0


# The pacer in the Slack adapter, against the emulator.


@pytest.fixture
async def emulator(time: VirtualTime) -> AsyncIterator[SlackEmulator]:
    # The emulator enforces Slack's real limits on the same clock: had the pacer let a call
    # through early, it would answer 429.
    async with SlackEmulator(
        bot_token=TOKEN, rate_limits=RateLimits(), clock=time.monotonic
    ) as emu:
        yield emu


def _workspace(emulator: SlackEmulator, time: VirtualTime) -> SlackWorkspace:
    config = SlackConfig(
        bot_token=SecretStr(TOKEN),
        api_url=emulator.api_url,
        messages_per_second_per_channel=1.0,
        # No retries: a 429 would surface as an error instead of being absorbed.
        max_rate_limit_retries=0,
    )
    return SlackWorkspace(build_web_client(config, time), config, time)


async def test_posts_to_a_channel_are_paced_to_slacks_limit(
    emulator: SlackEmulator, time: VirtualTime
) -> None:
    chat = _workspace(emulator, time)
    busy = await chat.create_channel("inc-busy")
    quiet = await chat.create_channel("inc-quiet")
    for n in range(6):
        await chat.post(busy.id, f"update {n}", [])
    await chat.post(quiet.id, "only one", [])

    assert time.sleeps == [1.0, 1.0, 1.0]
    assert [m.text for m in emulator.state.messages_in(busy.id)] == [
        f"update {n}" for n in range(6)
    ]
    assert len(emulator.state.messages_in(quiet.id)) == 1
    assert emulator.state.ratelimited_count("chat.postMessage") == 0


async def test_edits_across_many_channels_are_paced_per_method_too(
    emulator: SlackEmulator, time: VirtualTime
) -> None:
    chat = _workspace(emulator, time)
    cards = []
    for n in range(40):
        channel = await chat.create_channel(f"inc-edit-{n}")
        cards.append((channel.id, await chat.post(channel.id, "card", [])))
    start = time.elapsed

    for channel_id, ts in cards:
        await chat.update(channel_id, ts, "card, edited", [])

    # One edit per channel: only the method's own pace (Tier 3) can have held them back.
    assert emulator.state.ratelimited_count("chat.update") == 0
    assert time.elapsed - start == pytest.approx((40 - 20) * 60 / 50)


async def test_an_idle_bucket_is_dropped_and_a_busy_one_kept(
    pacer: Pacer, time: VirtualTime
) -> None:
    for n in range(100):
        await pacer.acquire(f"chat:C{n}", rate_per_second=1.0, burst=3)
    for _ in range(5):
        await pacer.acquire("chat:busy", rate_per_second=0.01, burst=5)  # 500 s to refill
    time.advance(PRUNE_EVERY)

    await pacer.acquire("chat:new", rate_per_second=1.0, burst=3)

    assert pacer.keys == {"chat:busy", "chat:new"}
    # A dropped bucket was full: the channel's next call still goes straight through.
    sleeps = len(time.sleeps)
    await pacer.acquire("chat:C0", rate_per_second=1.0, burst=3)
    assert len(time.sleeps) == sleeps
