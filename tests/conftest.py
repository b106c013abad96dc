"""Shared fixtures: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from integrations.slack.emulator import RateLimits, SlackEmulator
from tests.support.database import DatabaseTarget, postgres_schema
from tests.support.harness import BOT_TOKEN, Harness, start_harness, stop_harness

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DatabaseTarget]:
    if request.param == "sqlite":
        yield DatabaseTarget(url=f"sqlite+aiosqlite:///{tmp_path / 'smokejumper.db'}")
        return
    async with postgres_schema() as target:
        yield target


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    emu = SlackEmulator(bot_token=BOT_TOKEN, rate_limits=RateLimits.unlimited())
    await emu.start()
    setup = AsyncWebClient(token=BOT_TOKEN, base_url=emu.api_url)
    await setup.conversations_create(name="incidents")
    yield emu
    await emu.stop()


@pytest.fixture
async def harness(database: DatabaseTarget, emulator: SlackEmulator) -> AsyncIterator[Harness]:
    h = await start_harness(database, emulator)
    yield h
    await stop_harness(h)
