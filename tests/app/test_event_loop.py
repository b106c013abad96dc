"""The serve loop: uvloop when chosen (and installed), asyncio's own otherwise."""

from __future__ import annotations

import asyncio

import uvloop

from bot import event_loop
from bot.config import Settings


async def _loop_type() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_is_the_default_choice_and_runs_the_server_coroutine() -> None:
    assert Settings.model_fields["event_loop"].default == "uvloop"
    assert event_loop.run(_loop_type(), "uvloop").startswith("uvloop")
    factory = event_loop.loop_factory("uvloop")
    assert factory is uvloop.new_event_loop


def test_asyncio_runs_on_the_standard_loop() -> None:
    assert event_loop.loop_factory("asyncio") is None
    assert event_loop.run(_loop_type(), "asyncio").startswith("asyncio")
