"""Shared fixtures: database tests run on SQLite; those marked `both_databases` on
PostgreSQL too (with SMOKEJUMPER_REQUIRE_POSTGRES=1 they fail, not skip, without it).

PostgreSQL runs are kept for what only a real server shows: claims and conditional updates
racing across connections, ON CONFLICT upserts, concurrent approvals and replicas,
migrations and the schema, the burst. Everything else is the same code on either backend.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import VirtualTime
from integrations.slack.emulator import RateLimits, SlackEmulator
from tests.support.database import DatabaseTarget, postgres_schema, sqlite_database
from tests.support.harness import BOT_TOKEN, Harness, start_harness, stop_harness

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_databases") is not None
        backends = ["sqlite", "postgres"] if both else ["sqlite"]
        metafunc.parametrize("database_backend", backends, indirect=True)


@pytest.fixture
def database_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database(
    database_backend: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DatabaseTarget]:
    """A migrated database of the test's own."""
    if database_backend == "sqlite":
        template_dir = tmp_path_factory.getbasetemp() / "sqlite-template"
        template_dir.mkdir(exist_ok=True)
        yield await sqlite_database(template_dir, tmp_path)
        return
    async with postgres_schema() as target:
        yield target


@pytest.fixture
async def empty_database(database_backend: str, tmp_path: Path) -> AsyncIterator[DatabaseTarget]:
    """A database nothing has been migrated into yet."""
    if database_backend == "sqlite":
        yield DatabaseTarget(url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
        return
    async with postgres_schema(migrated=False) as target:
        yield target


@pytest.fixture
def virtual_time() -> VirtualTime:
    """The test's clock: sleeps move it instead of waiting."""
    return VirtualTime()


@pytest.fixture
async def emulator(virtual_time: VirtualTime) -> AsyncIterator[SlackEmulator]:
    emu = SlackEmulator(
        bot_token=BOT_TOKEN,
        rate_limits=RateLimits.unlimited(),
        clock=virtual_time.monotonic,
        sleep=virtual_time.sleep,
    )
    await emu.start()
    setup = AsyncWebClient(token=BOT_TOKEN, base_url=emu.api_url)
    await setup.conversations_create(name="incidents")
    yield emu
    await emu.stop()


@pytest.fixture
async def harness(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> AsyncIterator[Harness]:
    h = await start_harness(database, emulator, time=virtual_time)
    yield h
    await stop_harness(h)
