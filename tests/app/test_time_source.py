"""The time sources: the real one by default, a virtual one whose sleeps move the clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import Smokejumper
from bot.config import load_settings
from bot.domain.clock import REAL_TIME, RealTime, VirtualTime

START = datetime(2026, 11, 21, 7, 40, tzinfo=UTC)


async def test_a_virtual_sleep_moves_every_clock_by_its_length_and_is_recorded() -> None:
    time = VirtualTime(START, monotonic_start=50.0)
    await time.sleep(1.5)
    await time.sleep(0)
    assert time.now() == START + timedelta(seconds=1.5)
    assert time() == time.now()
    assert time.monotonic() == 51.5
    assert time.sleeps == [1.5, 0]


async def test_a_virtual_sleep_still_lets_other_tasks_run() -> None:
    time = VirtualTime(START)
    order: list[str] = []

    async def sleeper() -> None:
        order.append("sleeping")
        await time.sleep(3600)
        order.append("woke")

    async def other() -> None:
        order.append("other ran")

    await asyncio.gather(sleeper(), other())
    assert order == ["sleeping", "other ran", "woke"]


def test_virtual_time_moves_forward_only() -> None:
    time = VirtualTime(START)
    time.advance(30)
    time.advance(minutes=11)
    assert time.now() == START + timedelta(minutes=11, seconds=30)
    assert time.elapsed == 690.0
    with pytest.raises(ValueError, match="does not go back"):
        time.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        VirtualTime(datetime(2026, 1, 1))


async def test_the_real_time_source_reads_the_machine_clock() -> None:
    before = datetime.now(UTC)
    assert before <= REAL_TIME.now() <= datetime.now(UTC)
    assert REAL_TIME.now().tzinfo is not None
    assert REAL_TIME.monotonic() <= REAL_TIME.monotonic()
    await REAL_TIME.sleep(0)


def test_the_app_runs_on_the_real_clock_unless_given_another() -> None:
    settings = load_settings(slack_bot_token="xoxb-x", slack_signing_secret="s")
    app = Smokejumper(settings)
    assert isinstance(app.time, RealTime)
    assert app.runtime.time is app.time
    virtual = VirtualTime(START)
    assert Smokejumper(settings, time=virtual).runtime.clock() == START
