"""Fixtures: a running emulator with fast rate limits and a real slack_sdk client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from integrations.slack.emulator import RateLimits, SlackEmulator

TOKEN = "xoxb-sandbox"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    # Functional tests must not depend on timing; rate limits have their own tests.
    emu = SlackEmulator(bot_token=TOKEN, rate_limits=RateLimits.unlimited())
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
def client(emulator: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=emulator.api_url)


async def wait_for(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    """Poll until the bot's background work (after ack) has happened."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
